// Loopback port helpers for the integration harness. Every server the tests start listens on 127.0.0.1 only.
//
// A port found free here can be taken by someone else before it is used; callers that bind later
// (bao) must retry on "address already in use".

import { createConnection, createServer } from 'node:net';

/** A TCP port that was free on 127.0.0.1 a moment ago (listen on 0, read the port, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((err) => (err || port === 0 ? reject(err ?? new Error('could not read the port')) : resolve(port)));
    });
  });
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port `p` such that `p + 1 … p + extra` are free too. bao's dev server binds its cluster
 * listener on the API port + 1, so a server needs two adjacent ports.
 */
export async function freePortRun(extra = 1, attempts = 50): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = await freePort();
    if (port + extra > 65_535) continue;
    let ok = true;
    for (let k = 1; k <= extra && ok; k++) ok = await isPortFree(port + k);
    if (ok) return port;
  }
  throw new Error(`no run of ${extra + 1} free adjacent ports found on 127.0.0.1`);
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` right now. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
