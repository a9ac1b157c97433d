// A small outbound HTTP proxy of the tests' own that speaks only CONNECT, standing in for a corporate
// proxy between vaultenv and a real OpenBao server (it stands in for the network, not for Vault).
// It resolves the names it is given (`vault.test` → 127.0.0.1), which the test machine cannot, so a
// request that arrives went through it; it records every CONNECT request and every byte it relays
// from the client, so tests can check that no token reached it; optionally it wants credentials.

import http from 'node:http';
import net from 'node:net';

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Each CONNECT request: its target and its raw header lines. */
  readonly connects: Array<{ target: string; head: string }>;
  /** Every byte a client sent, CONNECT requests and tunnelled bytes alike. */
  received(): Buffer;
  close(): Promise<void>;
}

export interface ConnectProxyOptions {
  /** Names the proxy resolves itself, to 127.0.0.1 (besides localhost and 127.0.0.1); it answers 502 for any other. */
  hosts: readonly string[];
  /** `user:password` the proxy asks for (HTTP 407 without it). */
  credentials?: string;
}

export async function startConnectProxy(options: ConnectProxyOptions): Promise<ConnectProxy> {
  const connects: Array<{ target: string; head: string }> = [];
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_request, response) => {
    // Only CONNECT: a request sent to the proxy itself (an absolute URI) is refused and recorded.
    response.writeHead(405).end();
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  });
  server.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = request.url ?? '';
    connects.push({ target, head: request.rawHeaders.join('\n') });
    const expected = options.credentials === undefined ? undefined : `Basic ${Buffer.from(options.credentials).toString('base64')}`;
    if (expected !== undefined && request.headers['proxy-authorization'] !== expected) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon);
    const port = Number(target.slice(colon + 1));
    if (!options.hosts.includes(host) && host !== '127.0.0.1' && host !== 'localhost') {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connects,
    received: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
