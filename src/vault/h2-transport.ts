// The only user of node:http2. Requests to an https:// address over HTTP/2 when the server offers it
// (ALPN `h2`, as Vault's and OpenBao's TLS listeners do): one TLS connection, each request a stream on
// it, at most maxSockets streams in flight. When the server picks HTTP/1.1 (or no protocol), the run
// goes on over the https keep-alive agent of http.ts, which takes the socket already open.

// Default imports only: the bundle loads them on first use (scripts/bundle-options.mjs).
import http2 from 'node:http2';
import tls from 'node:tls';
import { errorCode } from '../errors.ts';
import { VaultFailure } from './failure.ts';
import { MAX_BODY_BYTES, address, tlsServerName, tooLarge, transportFailure, trustMaterial, type TlsSettings, type Transport, type WireAnswer, type WireEndpoint, type WireRequest } from './wire.ts';
import { bracketed, stripBrackets } from '../config/address.ts';

export interface H2TransportOptions extends WireEndpoint {
  /** How the TLS connection is set up. */
  secure: TlsSettings;
  /** 0 means no limit: then only the server's own limit on concurrent streams applies. */
  maxSockets: number;
  /** A monotonic clock in milliseconds. */
  now: () => number;
  /** Told once per connection which protocol the server chose (--log-level info). */
  log?: ((message: string) => void) | undefined;
}

/** The HTTP/1.1 transport to go on with, given the connection the server chose HTTP/1.1 on. */
export type Http1Fallback = (socket: tls.TLSSocket) => Transport;

/** What a connection turned out to be. */
type Link = { kind: 'h2'; session: http2.ClientHttp2Session } | { kind: 'h1'; transport: Transport };

/** The protocol names offered, most wanted first (RFC 7301). */
export const ALPN_PROTOCOLS = ['h2', 'http/1.1'];

/** The info line for a connection on which the server chose `alpn` (false: the server chose none). */
export function describeAlpn(where: string, alpn: string | false | null | undefined): string {
  if (alpn === 'h2') return `connected to ${where} with HTTP/2 (ALPN h2)`;
  return `connected to ${where} with HTTP/1.1 (${typeof alpn === 'string' && alpn !== '' ? `ALPN ${alpn}` : 'no ALPN'})`;
}

/**
 * A request's headers as HTTP/2 sends them: names in lower case (RFC 9113 8.2.1), Host as the
 * :authority pseudo-header, and none of the connection-specific fields HTTP/2 forbids (8.2.2).
 */
export function h2Headers(method: string, path: string, headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ':method': method, ':path': path };
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host') out[':authority'] = value;
    else if (!CONNECTION_SPECIFIC.has(lower)) out[lower] = value;
  }
  return out;
}

/** The request headers that carry a credential: the Vault token, and the bearer token of GitHub's endpoint. */
const SENSITIVE_HEADERS = ['x-vault-token', 'authorization'];

const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

export function createH2Transport(options: H2TransportOptions, http1: Http1Fallback): Transport {
  const host = stripBrackets(options.host);
  const where = address(options);
  // As https.Agent does: the host name in SNI unless it is an IP address, or the name configured.
  const servername = tlsServerName(host, options.secure.serverName);
  const maxStreams = options.maxSockets === 0 ? Infinity : options.maxSockets;
  /** Decided by the first connection: the server speaks HTTP/1.1, for the rest of the run. */
  let fallback: Transport | undefined;
  let link: Promise<Link> | undefined;
  let session: http2.ClientHttp2Session | undefined;
  let connecting: tls.TLSSocket | undefined;
  let inFlight = 0;
  const waiting: Array<() => void> = [];

  /** The connection to send on: the open session, or a new connection (the first one decides the protocol). */
  function connection(limitMs: number): Promise<Link> {
    if (link !== undefined) return link;
    const attempt = connect(limitMs);
    link = attempt;
    // A failed connection is not kept: the next request (the retry) opens another one.
    attempt.catch(() => {
      if (link === attempt) link = undefined;
    });
    return attempt;
  }

  function connect(limitMs: number): Promise<Link> {
    return new Promise<Link>((resolve, reject) => {
      const socket = tls.connect({
        host,
        port: options.port,
        ALPNProtocols: ALPN_PROTOCOLS,
        rejectUnauthorized: options.secure.rejectUnauthorized,
        ...(servername !== undefined ? { servername } : {}),
        ...trustMaterial(options.secure),
      });
      connecting = socket;
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        connecting = undefined;
        reject(error instanceof VaultFailure ? error : transportFailure(error, options));
      };
      // The requests waiting on it each time out on their own; this ends the handshake with them.
      const timer = setTimeout(() => socket.destroy(new VaultFailure('timeout', 'connection timed out')), limitMs);
      socket.once('error', fail);
      const onClose = () => fail(new VaultFailure('unreachable', 'connection closed during the TLS handshake'));
      socket.once('close', onClose);
      socket.once('secureConnect', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('error', fail);
        socket.off('close', onClose);
        connecting = undefined;
        options.log?.(describeAlpn(where, socket.alpnProtocol));
        if (socket.alpnProtocol === 'h2') {
          session = openSession(socket);
          resolve({ kind: 'h2', session });
        } else {
          fallback = http1(socket);
          resolve({ kind: 'h1', transport: fallback });
        }
      });
    });
  }

  function openSession(socket: tls.TLSSocket): http2.ClientHttp2Session {
    const opened = http2.connect(`https://${bracketed(options.host)}:${options.port}`, { createConnection: () => socket, settings: { enablePush: false } });
    // A session that ends (GOAWAY, an error, the server closing it) is replaced on the next request;
    // its streams in flight fail on their own and are retried above.
    const forget = () => {
      if (session !== opened) return;
      session = undefined;
      link = undefined;
    };
    opened.on('error', () => {
      forget();
      opened.destroy();
    });
    opened.on('goaway', forget);
    opened.on('close', forget);
    // Idle, it does not keep the process alive (as the agent's idle keep-alive sockets do not).
    opened.unref();
    return opened;
  }

  /** Waits for one of the maxStreams places; returns how to give up waiting. */
  function enter(go: () => void): () => void {
    if (inFlight < maxStreams) {
      inFlight++;
      go();
      return () => {};
    }
    waiting.push(go);
    return () => {
      const at = waiting.indexOf(go);
      if (at >= 0) waiting.splice(at, 1);
    };
  }

  function leave(): void {
    const next = waiting.shift();
    if (next !== undefined) next();
    else inFlight--;
  }

  function send(request: WireRequest): Promise<WireAnswer> {
    if (fallback !== undefined) return fallback.send(request);
    const { method, path, headers, payload, limitMs, timedOut, signal } = request;
    const started = options.now();
    return new Promise<WireAnswer>((resolve, reject) => {
      let done = false;
      let stopWaiting = () => {};
      let entered = false;
      let stream: http2.ClientHttp2Stream | undefined;
      let streamSession: http2.ClientHttp2Session | undefined;
      const finish = (failure: VaultFailure | undefined, answer?: WireAnswer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        stopWaiting();
        if (stream !== undefined && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
        if (entered) {
          entered = false;
          leave();
          if (inFlight === 0) streamSession?.unref();
        }
        if (failure !== undefined) reject(failure);
        else if (answer !== undefined) resolve(answer);
      };
      const onAbort = () => finish(transportFailure(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }), options));
      // The whole request, from here: waiting for the connection and a stream, and the answer.
      const timer = setTimeout(() => finish(timedOut()), limitMs);
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });

      const onStream = (open: http2.ClientHttp2Session) => {
        if (done) {
          leave();
          return;
        }
        entered = true;
        if (open.closed || open.destroyed) {
          finish(new VaultFailure('unreachable', 'the HTTP/2 connection closed'));
          return;
        }
        streamSession = open;
        open.ref();
        try {
          const fields = h2Headers(method, path, headers);
          // Never indexed by HPACK (RFC 7541 7.1.3): a credential stays out of both sides' header tables.
          const sensitive = SENSITIVE_HEADERS.filter((name) => name in fields);
          stream = open.request({ ...fields, [http2.sensitiveHeaders]: sensitive }, { endStream: payload === undefined });
        } catch (error) {
          // The session ended meanwhile (retried), or Node refused a header (as http.ts reports it).
          const code = errorCode(error);
          const ended = code === 'ERR_HTTP2_INVALID_SESSION' || code === 'ERR_HTTP2_GOAWAY_SESSION';
          finish(ended ? transportFailure(error, options) : new VaultFailure('invalid-request', `the request could not be built (${code ?? 'unknown error'})`));
          return;
        }
        readAnswer(stream, options, finish);
        if (payload !== undefined) stream.end(payload);
      };

      connection(limitMs).then(
        (ready) => {
          if (done) return;
          if (ready.kind === 'h1') {
            // The server chose HTTP/1.1: this request goes there too, with the time it has left.
            done = true;
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            const left = limitMs - (options.now() - started);
            if (left <= 0) reject(timedOut());
            else ready.transport.send({ ...request, limitMs: left }).then(resolve, reject);
            return;
          }
          stopWaiting = enter(() => onStream(ready.session));
        },
        (error: unknown) => finish(error instanceof VaultFailure ? error : transportFailure(error, options)),
      );
    });
  }

  return {
    send,
    close() {
      connecting?.destroy();
      session?.destroy();
      fallback?.close();
    },
  };
}

/**
 * Reads a stream's answer (status, Location, Retry-After and the body, at most MAX_BODY_BYTES) into
 * `finish`. Decided when the stream closes: a stream whose connection is lost ends its body as a
 * whole one does, and only its reset code (or a short body) tells them apart.
 */
function readAnswer(stream: http2.ClientHttp2Stream, endpoint: WireEndpoint, finish: (failure: VaultFailure | undefined, answer?: WireAnswer) => void): void {
  let status = 0;
  let location: string | undefined;
  let retryAfter: string | undefined;
  let length: number | undefined;
  let ended = false;
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('response', (headers) => {
    status = Number(headers[':status'] ?? 0);
    location = single(headers.location);
    retryAfter = single(headers['retry-after']);
    const declared = single(headers['content-length']);
    length = declared === undefined ? undefined : Number(declared);
  });
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) finish(tooLarge());
    else chunks.push(chunk);
  });
  stream.on('end', () => (ended = true));
  stream.on('error', (error) => finish(transportFailure(error, endpoint)));
  stream.on('close', () => {
    const code = stream.rstCode ?? http2.constants.NGHTTP2_NO_ERROR;
    const whole = ended && status !== 0 && code === http2.constants.NGHTTP2_NO_ERROR && (length === undefined || length === size);
    if (whole) finish(undefined, { status, body: Buffer.concat(chunks).toString('utf8'), location, retryAfter });
    else finish(new VaultFailure('unreachable', `connection reset (HTTP/2 ${rstName(code)})`));
  });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The name of an HTTP/2 error code (RFC 9113 7), for a failure's detail. */
export function rstName(code: number | undefined): string {
  const names = ['NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR',
    'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED'];
  return code === undefined ? 'no code' : names[code] ?? `code ${code}`;
}
