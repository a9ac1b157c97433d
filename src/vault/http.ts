// A small Vault HTTP client: keep-alive connections (one pool, as many sockets as requests may be in
// flight), a timeout per request, redirects followed only to the same origin (a standby's 307 to
// another host would otherwise receive the token), and failures reported as VaultFailure built from
// status codes and error codes, never from the runtime's error objects (which can carry request
// headers). Requests go over the runtime's own connections (socket-transport.ts), or Bun's fetch for
// TLS in the single executable (fetch-transport.ts). With --http2, on Node, an https:// address is
// tried over HTTP/2 (h2-transport.ts), which falls back to the agent here when the server speaks only
// HTTP/1.1. This file is the only user of node:http and node:https, for that fallback, a unix socket
// and an outbound proxy's tunnel; https is loaded only when TLS is used, as it costs start-up time.

// Default imports only: the bundle loads node:http and node:https on first use (scripts/bundle-options.mjs).
import http, { type Agent as HttpAgent, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { errorCode } from '../errors.ts';
import type { Deadline } from './deadline.ts';
import { VaultFailure, failureForStatus } from './failure.ts';
import { createFetchTransport } from './fetch-transport.ts';
import { createH2Transport, describeAlpn } from './h2-transport.ts';
import { bunDialer, createSocketTransport, nodeDialer } from './socket-transport.ts';
import { MAX_BODY_BYTES, address, compileAddressCheck, tooLarge, transportFailure, trustMaterial, type TlsSettings, type Transport, type WireAnswer, type WireRequest } from './wire.ts';
import { stripBrackets } from '../config/address.ts';
import { vaultErrorStrings } from './kv.ts';
import { realClock } from './clock.ts';

/**
 * Runs `compile`, in which the runtime compiles regular expressions that a run uses only a few
 * times, with its compiling set for that (cli/v8-tuning.ts withoutRegExpPeephole on Node).
 */
export type QuickRegExps = (compile: () => void) => void;

export interface VaultHttpOptions {
  host: string;
  port: number;
  tls: boolean;
  validateCerts: boolean;
  token: string | undefined;
  timeoutMs: number;
  /** 0 means no limit. */
  maxSockets: number;
  /** PEM text of the CAs to trust instead of the system store (VAULT_CACERT / VAULT_CAPATH). */
  ca?: string | undefined;
  /** PEM text of a client certificate and its key (VAULT_CLIENT_CERT / VAULT_CLIENT_KEY). */
  clientCert?: string | undefined;
  clientKey?: string | undefined;
  /** The name to send in SNI and check the certificate against (VAULT_TLS_SERVER_NAME). */
  serverName?: string | undefined;
  /** Sent as X-Vault-Namespace on every request (VAULT_NAMESPACE). */
  namespace?: string | undefined;
  /** Every request ends by it: its time limit is capped by the time left, and none is sent once it passed. */
  deadline?: Deadline | undefined;
  /**
   * Which runtime's clients send the requests: Node's (the default: node:net, or node:tls without
   * HTTP/2, in socket-transport.ts; node:http2 in h2-transport.ts) or Bun's (its TCP sockets for
   * plain HTTP; its fetch for TLS, in fetch-transport.ts).
   */
  transport?: 'node' | 'bun' | undefined;
  /**
   * On the Node transport, an https:// address is tried over HTTP/2 (h2-transport.ts), falling back
   * to HTTP/1.1 when the server does not offer it. Unset for callers that may run on Bun, whose
   * node:http2 is not relied on.
   */
  http2?: boolean | undefined;
  /** Given, Node's check of the host's address is compiled in it before the first connection (wire.ts). */
  quickRegExps?: QuickRegExps | undefined;
  /** A monotonic clock in milliseconds, for the connections' idle time: performance.now() if not given. */
  now?: (() => number) | undefined;
  /** Progress lines for --log-level info: which protocol the server chose. */
  log?: ((message: string) => void) | undefined;
  /** A unix socket (`unix:///path`) to send every request over, in plain HTTP/1.1: host and port are then only the Host header. */
  socketPath?: string | undefined;
  /**
   * Opens each connection through an outbound proxy (proxy-tunnel.ts): the socket it resolves with
   * leads to `host`:`port` (no brackets), and carries HTTP/1.1, inside TLS for https://.
   */
  tunnel?: ((host: string, port: number) => Promise<Duplex>) | undefined;
  /** Sent on every request besides Vault's own (the Authorization of GitHub's ID-token endpoint). */
  headers?: Readonly<Record<string, string>> | undefined;
}

export interface VaultResponse {
  status: number;
  body: string;
}

const MAX_REDIRECTS = 5;
/** How Go's TLS servers (Vault, OpenBao) answer a plain HTTP request: HTTP 400 and this text. */
const PLAIN_REQUEST_TO_TLS = 'Client sent an HTTP request to an HTTPS server';
/** What a header value may hold (RFC 9110 field-value): no control characters, so no line breaks. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export interface VaultHttp {
  request(method: 'GET' | 'POST' | 'PUT', path: string, options?: { body?: unknown; signal?: AbortSignal }): Promise<VaultResponse>;
  close(): void;
  /** Sets the token sent from now on (after a login); undefined sends none. */
  setToken(token: string | undefined): void;
  /** Requests sent, including redirects followed: the request-count tests and --log-level info use it. */
  readonly requestsSent: number;
}

export function createVaultHttp(options: VaultHttpOptions): VaultHttp {
  // A socket or a proxy tunnel goes through node:http's agent (HTTP/1.1), on Bun as on Node.
  const viaNode = options.socketPath !== undefined || options.tunnel !== undefined;
  const bun = options.transport === 'bun';
  const clocked = { ...options, now: options.now ?? (() => realClock.now()) };
  if (options.quickRegExps !== undefined && options.socketPath === undefined) {
    compileAddressCheck([stripBrackets(options.host), options.tls ? options.serverName : undefined], options.quickRegExps);
  }
  const transport = viaNode
    ? createNodeTransport(options)
    : !options.tls
      ? createSocketTransport(clocked, bun ? bunDialer() : nodeDialer(clocked.now))
      : bun
        ? createFetchTransport({ ...options, secure: tlsSettings(options) })
        : options.http2 === true
          ? createH2Transport({ ...clocked, secure: tlsSettings(options) }, (socket) => createNodeTransport(options, socket))
          : createSocketTransport(clocked, nodeDialer(clocked.now, tlsSettings(options), firstOnly((alpn) => options.log?.(describeAlpn(address(options), alpn)))));
  let requestsSent = 0;
  /** The headers every request sends, built when the token is set rather than for each request. */
  const sessionHeaders = (token: string | undefined): { headers: Readonly<Record<string, string>>; valid: boolean } => {
    const headers: Record<string, string> = { ...options.headers, 'X-Vault-Request': 'true' };
    if (token !== undefined) headers['X-Vault-Token'] = token;
    if (options.namespace !== undefined && options.namespace !== '') headers['X-Vault-Namespace'] = options.namespace;
    // Checked for every transport alike: Node refuses such a header, but fetch would trim a trailing
    // line break and send a token other than the one configured.
    return { headers, valid: Object.values(headers).every((value) => HEADER_VALUE.test(value)) };
  };
  let session = sessionHeaders(options.token);

  // Not async: request awaits what it returns, and a throw here rejects request alike.
  const once = (method: string, path: string, payload: string | undefined, signal: AbortSignal | undefined): Promise<WireAnswer> => {
    const left = options.deadline?.remainingMs() ?? Infinity;
    if (left <= 0) throw new VaultFailure('deadline', `${options.deadline?.label} passed before the request was sent`);
    // The time limit of this request: its own, or the time left before the deadline when that is shorter.
    const limitMs = Math.min(options.timeoutMs, left);
    const timedOut = () =>
      limitMs < options.timeoutMs
        ? new VaultFailure('deadline', `no answer within ${options.deadline?.label}`)
        : new VaultFailure('timeout', `no answer within ${options.timeoutMs} ms`);
    if (!session.valid) throw new VaultFailure('invalid-request', 'invalid character in a request header (token or namespace)');
    // A GET sends the session's headers as they are (transports do not change them).
    const headers =
      payload === undefined ? session.headers : { ...session.headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) };
    requestsSent++;
    return transport.send({ method, path, headers, payload, limitMs, timedOut, signal });
  };

  return {
    get requestsSent() {
      return requestsSent;
    },
    async request(method, path, { body, signal } = {}) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      let currentPath = path;
      for (let redirects = 0; ; redirects++) {
        const response = await once(method, currentPath, payload, signal);
        if (response.status >= 300 && response.status < 400 && response.location !== undefined) {
          if (redirects >= MAX_REDIRECTS) throw new VaultFailure('unexpected-status', `more than ${MAX_REDIRECTS} redirects`);
          const next = sameOriginPath(response.location, options, currentPath);
          if (next === undefined) throw new VaultFailure('redirect-elsewhere', `HTTP ${response.status} to another host`);
          currentPath = next;
          continue;
        }
        if (response.status === 400 && !options.tls && response.body.startsWith(PLAIN_REQUEST_TO_TLS)) {
          throw new VaultFailure('expects-tls', 'the server expects TLS: use https://', [], { input: address(options) });
        }
        if (response.status >= 300) throw failureForStatus(response.status, vaultErrorStrings(response.body), response.retryAfter);
        return { status: response.status, body: response.body };
      }
    },
    close() {
      transport.close();
    },
    setToken(newToken) {
      session = sessionHeaders(newToken);
    },
  };
}

/** `report`, called for the first connection only: the protocol is named once a run, as on HTTP/2. */
function firstOnly<T>(report: (value: T) => void): (value: T) => void {
  let done = false;
  return (value) => {
    if (done) return;
    done = true;
    report(value);
  };
}

/** How the options set TLS connections up, as every transport takes it. */
function tlsSettings(options: VaultHttpOptions): TlsSettings {
  return { rejectUnauthorized: options.validateCerts, ca: options.ca, cert: options.clientCert, key: options.clientKey, serverName: options.serverName };
}

/**
 * node:http and node:https, with one keep-alive agent for the run; its first connection is
 * `firstSocket` when given (the one on which the server chose HTTP/1.1 over HTTP/2).
 */
function createNodeTransport(options: VaultHttpOptions, firstSocket?: Duplex): Transport {
  const maxSockets = options.maxSockets === 0 ? Infinity : options.maxSockets;
  let client: Pick<typeof http, 'request'>;
  let agent: HttpAgent;
  if (options.tls) {
    const secure = tlsSettings(options);
    client = https;
    agent = new https.Agent({
      keepAlive: true,
      maxSockets,
      rejectUnauthorized: secure.rejectUnauthorized,
      ...trustMaterial(secure),
      ...(secure.serverName !== undefined ? { servername: secure.serverName } : {}),
    });
  } else {
    client = http;
    agent = new http.Agent({ keepAlive: true, maxSockets });
  }
  if (options.tunnel !== undefined) throughTunnel(agent, options.tunnel, options.tls);
  const discardSpare = firstSocket === undefined ? undefined : handOver(agent, firstSocket);
  const send = ({ method, path, headers, payload, limitMs, timedOut, signal }: WireRequest) =>
    new Promise<WireAnswer>((resolve, reject) => {
      const requestOptions: RequestOptions = {
        method,
        host: stripBrackets(options.host),
        port: options.port,
        path,
        headers,
        agent,
        timeout: limitMs,
        ...(options.socketPath !== undefined ? { socketPath: options.socketPath } : {}),
        ...(signal ? { signal } : {}),
      };
      let request: http.ClientRequest;
      try {
        request = client.request(requestOptions, onResponse);
      } catch (error) {
        // Node checks the headers before connecting and throws. Its message names the header, but
        // the failure is built from the code alone, as every other one.
        reject(requestBuildFailure(error));
        return;
      }
      function onResponse(response: IncomingMessage): void {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            request.destroy();
            reject(tooLarge());
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          const { location, 'retry-after': retryAfter } = response.headers;
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location, retryAfter });
        });
        response.on('error', (error) => reject(transportFailure(error, options)));
      }
      // The socket-idle timeout covers connecting and waiting; a whole-request deadline keeps a server
      // that trickles bytes from holding us forever.
      const timer = setTimeout(() => request.destroy(timedOut()), limitMs);
      request.on('timeout', () => request.destroy(timedOut()));
      request.on('close', () => clearTimeout(timer));
      request.on('error', (error) => reject(error instanceof VaultFailure ? error : transportFailure(error, options)));
      request.end(payload);
    });
  return {
    send,
    close: () => {
      agent.destroy();
      discardSpare?.();
    },
  };
}

/**
 * Makes `agent` open its connections through `tunnel`: the agent's own connect, with TLS on top of the
 * tunnel for https (https.Agent's createConnection, given the socket, does the handshake with the
 * agent's CA, client certificate and server name). A Node agent waits for the callback.
 */
function throughTunnel(agent: HttpAgent, tunnel: NonNullable<VaultHttpOptions['tunnel']>, tls: boolean): void {
  type ConnectOptions = RequestOptions & { socket?: Duplex };
  const target = agent as unknown as {
    createConnection: (options: ConnectOptions, callback: (error: Error | null, socket?: Duplex) => void) => Duplex | undefined;
  };
  const tlsConnect = tls ? (https.Agent.prototype as unknown as { createConnection: (options: ConnectOptions) => Duplex }).createConnection : undefined;
  target.createConnection = (connectOptions, callback) => {
    tunnel(stripBrackets(connectOptions.host ?? ''), Number(connectOptions.port)).then(
      (socket) => callback(null, tlsConnect === undefined ? socket : tlsConnect.call(agent, { ...connectOptions, socket })),
      (error: unknown) => callback(error instanceof Error ? error : new Error('tunnel failed')),
    );
    return undefined;
  };
}

/**
 * Makes `agent` take `socket`, already connected, as its next connection instead of opening one;
 * returns how to close it if the agent never took it.
 */
function handOver(agent: HttpAgent, socket: Duplex): () => void {
  const target = agent as unknown as { createConnection: (...args: unknown[]) => Duplex | undefined };
  const open = target.createConnection;
  let spare: Duplex | undefined = socket;
  target.createConnection = function (this: unknown, ...args: unknown[]) {
    const given = spare;
    spare = undefined;
    return given !== undefined && !given.destroyed ? given : open.apply(this, args);
  };
  return () => spare?.destroy();
}

/** The path to request next when `location` stays on our origin; undefined when it leaves it. */
function sameOriginPath(location: string, options: VaultHttpOptions, currentPath: string): string | undefined {
  let target: URL;
  const scheme = options.tls ? 'https:' : 'http:';
  const base = new URL(`${scheme}//${options.host}:${options.port}${currentPath}`);
  try {
    target = new URL(location, base);
  } catch {
    return undefined;
  }
  if (target.protocol !== base.protocol || target.hostname !== base.hostname || target.port !== base.port) return undefined;
  return target.pathname + target.search;
}

function requestBuildFailure(error: unknown): VaultFailure {
  const code = errorCode(error);
  if (code === 'ERR_INVALID_CHAR') return new VaultFailure('invalid-request', 'invalid character in a request header (token or namespace)');
  return new VaultFailure('invalid-request', `the request could not be built (${code ?? 'unknown error'})`);
}

