// A CONNECT tunnel through an outbound HTTP proxy: a TCP connection to the proxy, `CONNECT host:port`,
// and, once the proxy answers 200, the socket that now leads to Vault. http.ts speaks HTTP/1.1 (and
// TLS, for https://) inside it, so the proxy is never sent a request of its own that carries the
// token: it sees the CONNECT line and, for https://, only encrypted bytes. Failures are VaultFailures
// naming the proxy's host and variable, never its credentials.

import net from 'node:net';
import { errorCode } from '../errors.ts';
import { VaultFailure } from './failure.ts';
import type { ProxyRoute } from './proxy-route.ts';
import { bracketed } from '../config/address.ts';

/** A proxy's answer to CONNECT is a status line and a few headers; more is not a proxy answering. */
const MAX_ANSWER_BYTES = 16 * 1024;
const HEADER_END = '\r\n\r\n';

/**
 * Opens a tunnel to `host`:`port` (an IPv6 literal without brackets) through `route`, within
 * `timeoutMs` for connecting and the proxy's answer. Resolves with the socket, connected to Vault,
 * which has sent nothing yet.
 */
export function openTunnel(route: ProxyRoute, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const proxy = `the proxy ${route.host}:${route.port} (${route.variable})`;
  const input = { input: `environment variable ${route.variable}` };
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: route.host, port: route.port });
    let answer = Buffer.alloc(0);
    const fail = (failure: VaultFailure): void => {
      cleanup();
      socket.destroy();
      // The proxy is what failed: the error names its variable.
      reject(new VaultFailure(failure.kind, failure.detail, [], input));
    };
    const timer = setTimeout(() => fail(new VaultFailure('timeout', `${proxy} did not open a tunnel within ${timeoutMs} ms`)), timeoutMs);
    const onConnect = (): void => {
      const authority = `${bracketed(host)}:${port}`;
      const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
      if (route.authorization !== undefined) lines.push(`Proxy-Authorization: ${route.authorization}`);
      socket.write(`${lines.join('\r\n')}${HEADER_END}`);
    };
    const onData = (chunk: Buffer): void => {
      answer = Buffer.concat([answer, chunk]);
      const end = answer.indexOf(HEADER_END);
      if (end === -1) {
        if (answer.length > MAX_ANSWER_BYTES) fail(new VaultFailure('unreachable', `${proxy} sent no HTTP answer to CONNECT`));
        return;
      }
      const status = /^HTTP\/1\.[01] ([0-9]{3})/.exec(answer.subarray(0, end).toString('latin1'))?.[1];
      if (status !== '200') {
        fail(refusal(proxy, status));
        return;
      }
      // Vault speaks only when spoken to: bytes before our first request are not Vault's.
      if (answer.length > end + HEADER_END.length) {
        fail(new VaultFailure('unreachable', `${proxy} sent data into the tunnel before the request`));
        return;
      }
      cleanup();
      resolve(socket);
    };
    const onError = (error: Error): void => fail(connectFailure(proxy, errorCode(error) ?? ''));
    const onClose = (): void => fail(new VaultFailure('unreachable', `${proxy} closed the connection before opening a tunnel`));
    function cleanup(): void {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    }
    socket.on('connect', onConnect);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

/** A proxy that answered CONNECT with anything but 200. 407 and 403 are its policy: retrying does not help. */
function refusal(proxy: string, status: string | undefined): VaultFailure {
  if (status === undefined) return new VaultFailure('unreachable', `${proxy} sent no HTTP answer to CONNECT`);
  const detail = `${proxy} refused the tunnel: HTTP ${status}`;
  if (status === '407') return new VaultFailure('proxy-refused', `${detail} (it wants credentials: user:password@ in the proxy URL)`);
  if (status === '403' || status === '405') return new VaultFailure('proxy-refused', detail);
  // 502, 503, 504: the proxy could not reach Vault, which may be passing.
  return new VaultFailure(status.startsWith('5') ? 'unreachable' : 'proxy-refused', detail);
}

function connectFailure(proxy: string, code: string): VaultFailure {
  switch (code) {
    case 'ECONNREFUSED':
      return new VaultFailure('unreachable', `${proxy} refused the connection`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new VaultFailure('unreachable', `${proxy}: host name not found`);
    case 'ETIMEDOUT':
      return new VaultFailure('timeout', `${proxy}: connection timed out`);
    default:
      return new VaultFailure('unreachable', `${proxy}: network error${code === '' ? '' : ` ${code}`}`);
  }
}
