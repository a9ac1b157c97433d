// A recording, fault-injecting TLS reverse proxy in front of a REAL `bao server -dev-tls`, on
// 127.0.0.1, that offers one protocol in ALPN: `h2` (HTTP/2 only) or `http/1.1` (so a client that
// offers both must fall back). It terminates TLS with its own certificate and forwards each request
// to the server over TLS; it answers on its own only when a test injected a fault (proxy.ts's rules,
// plus cutting the connection in the middle of the server's answer).

import http2 from 'node:http2';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { createRuleBook, type FaultHandle, type FaultRule, type ProxiedRequest } from './proxy.ts';

export type AlpnProtocol = 'h2' | 'http/1.1';

export interface TlsFaultRule extends FaultRule {
  /** Forward the request, then send the status, the headers and half the body, and cut the connection. */
  cutMidAnswer?: boolean;
  /**
   * Forward the request and its whole answer, then close the connection as a server does when it
   * idles out or shuts down: HTTP/2 GOAWAY, or the end of an HTTP/1.1 keep-alive connection.
   */
  closeAfterAnswer?: boolean;
}

export interface TlsProxy {
  /** `https://127.0.0.1:<port>`: point the client here, with `caCert` as its CA. */
  readonly address: string;
  readonly port: number;
  readonly protocol: AlpnProtocol;
  /** Path of the CA of the proxy's certificate (PEM). */
  readonly caCert: string;
  /** method + path (with query) of every request so far, in arrival order. */
  requests(): { method: string; path: string }[];
  log(): readonly ProxiedRequest[];
  /** Client TCP connections accepted so far (also those that never sent a request). */
  connections(): number;
  /** Client TCP connections open now. */
  open(): number;
  /** Client TLS connections so far that resumed an earlier session instead of a whole handshake. */
  resumed(): number;
  inject(rule: TlsFaultRule): FaultHandle;
  /** Forgets all rules and recorded requests (connection ids keep counting). */
  reset(): void;
  close(): Promise<void>;
}

type Request = IncomingMessage | Http2ServerRequest;
/** What the proxy does with an answer, alike on both protocols' response objects. */
type Response = Pick<ServerResponse, 'on'> & {
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown;
  write(chunk: Buffer): unknown;
  end(chunk?: Buffer | string): unknown;
};

/** Request headers forwarded: none of HTTP/1.1's connection-specific ones, none of HTTP/2's pseudo-headers. */
function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const skip = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !k.startsWith(':') && !skip.has(k)) out[k] = v;
  return out;
}

/**
 * `target` is the server's https:// address and `targetCa` its CA; `cert` and `key` the proxy's own
 * certificate (for 127.0.0.1), `ca` the CA the client is to trust for it.
 */
export async function startTlsProxy(
  target: { address: string; caCert: string },
  tlsFiles: { cert: string; key: string; ca: string },
  protocol: AlpnProtocol,
): Promise<TlsProxy> {
  const upstream = new URL(target.address);
  const agent = new https.Agent({ keepAlive: true, ca: readFileSync(target.caCert) });
  const cert = readFileSync(tlsFiles.cert);
  const key = readFileSync(tlsFiles.key);
  const book = createRuleBook<TlsFaultRule>();
  let connectionCount = 0;
  // Each client connection's TCP socket, by the client's port: what a fault cuts.
  const sockets = new Map<number, { id: number; socket: Socket }>();
  const timers = new Set<NodeJS.Timeout>();

  const server =
    protocol === 'h2'
      ? http2.createSecureServer({ cert, key, allowHTTP1: false })
      : https.createServer({ cert, key, ALPNProtocols: ['http/1.1'], keepAlive: true });
  let resumedCount = 0;
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.isSessionReused()) resumedCount++;
  });
  server.on('connection', (socket: Socket) => {
    const entry = { id: ++connectionCount, socket };
    const port = socket.remotePort ?? 0;
    sockets.set(port, entry);
    socket.on('close', () => {
      if (sockets.get(port) === entry) sockets.delete(port);
    });
  });

  const later = (ms: number, run: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      run();
    }, ms);
    timers.add(t);
  };
  const cut = (req: Request): void => {
    sockets.get(req.socket.remotePort ?? 0)?.socket.destroy();
  };

  /** Announces, before the answer, that the connection closes after it: GOAWAY, or `Connection: close`. */
  const closeAfter = (req: Request, headers: OutgoingHttpHeaders): void => {
    if ('stream' in req) {
      const { session, id } = req.stream;
      session?.goaway(http2.constants.NGHTTP2_NO_ERROR, id);
      req.stream.on('close', () => session?.close());
    } else headers.connection = 'close';
  };

  const forward = (req: Request, res: Response, record: ProxiedRequest, rule: TlsFaultRule | undefined): void => {
    const cutMidAnswer = rule?.cutMidAnswer === true;
    const headers = forwardable(req.headers);
    headers.host = upstream.host;
    if (record.body.length > 0) headers['content-length'] = String(Buffer.byteLength(record.body));
    const up = https.request({ host: upstream.hostname, port: upstream.port, method: record.method, path: record.path, headers, agent }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        record.status = answer.statusCode ?? 502;
        const retryAfter = answer.headers['retry-after'];
        if (retryAfter !== undefined) record.retryAfter = retryAfter;
        const out = forwardable(answer.headers);
        out['content-length'] = String(body.length);
        if (rule?.closeAfterAnswer === true) closeAfter(req, out);
        res.writeHead(record.status, out);
        if (!cutMidAnswer) {
          res.end(body);
          return;
        }
        // Half the answer on the wire, then the connection gone, as when the server stops mid-answer.
        res.write(body.subarray(0, Math.floor(body.length / 2)));
        later(50, () => cut(req));
      });
      answer.on('error', () => cut(req));
    });
    up.on('error', () => cut(req));
    up.end(record.body);
  };

  const handle = (req: Request, res: Response, body: string): void => {
    const { record, rule } = book.arrived({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
      connection: sockets.get(req.socket.remotePort ?? 0)?.id ?? 0,
    });
    res.on('finish', () => (record.answeredAt = performance.now()));
    const act = (): void => {
      if (rule?.hang === true) {
        record.fault = 'hang';
        return;
      }
      if (rule?.dropConnection === true) {
        record.fault = 'drop';
        cut(req);
        return;
      }
      if (rule?.respond !== undefined) {
        record.fault = 'respond';
        const { status, body: payload, headers } = rule.respond;
        const text = payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
        const out: OutgoingHttpHeaders = { 'content-length': String(Buffer.byteLength(text)) };
        if (payload !== undefined && typeof payload !== 'string') out['content-type'] = 'application/json';
        // HTTP/2 takes header names in lower case only.
        for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
        record.status = status;
        res.writeHead(status, out);
        res.end(text);
        return;
      }
      forward(req, res, record, rule);
    };
    if (rule?.delayMs !== undefined && rule.delayMs > 0) {
      record.fault = 'delay';
      later(rule.delayMs, act);
    } else act();
  };

  server.on('request', (req: Request, res: ServerResponse | Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    // A client that gives up (a timeout, a cancelled stream) must not take the proxy down.
    res.on('error', () => {});
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res as Response, Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => {});
  });
  // Connections the client resets or cuts mid-handshake.
  server.on('tlsClientError', () => {});
  server.on('sessionError', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('tls proxy: could not read its port');
  const { port } = address;

  return {
    address: `https://127.0.0.1:${port}`,
    port,
    protocol,
    caCert: tlsFiles.ca,
    ...book.controls,
    connections: () => connectionCount,
    open: () => sockets.size,
    resumed: () => resumedCount,
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      agent.destroy();
      for (const { socket } of sockets.values()) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
