// The only user of node:http / node:https. A small Vault HTTP client: keep-alive connections (one pool,
// as many sockets as requests may be in flight), a timeout per request, redirects followed only to the
// same origin (a standby's 307 to another host would otherwise receive the token), and failures
// reported as VaultFailure built from status codes and error codes, never from Node's error objects
// (which can carry request headers). https is loaded only when TLS is used: it costs start-up time.

// Default imports only: the bundle loads node:http and node:https on first use (scripts/bundle-options.mjs).
import http, { type Agent as HttpAgent, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import { errorCode } from '../errors.ts';
import type { Deadline } from './deadline.ts';
import { VaultFailure, failureForStatus } from './failure.ts';
import { vaultErrorStrings } from './kv.ts';

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
const MAX_BODY_BYTES = 32 * 1024 * 1024; // a KV secret is at most a few MB; anything larger is not Vault

// Node and OpenSSL error codes of a certificate or TLS handshake problem (not retried), as opposed to
// a connection that never got an answer (refused, reset, timed out: retried).
const TLS_ERROR_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|SSL_/;

export interface VaultHttp {
  request(method: 'GET' | 'POST' | 'PUT', path: string, options?: { body?: unknown; signal?: AbortSignal }): Promise<VaultResponse>;
  close(): void;
  /** Sets the token sent from now on (after a login); undefined sends none. */
  setToken(token: string | undefined): void;
  /** Requests sent, including redirects followed: the request-count tests and --log-level info use it. */
  readonly requestsSent: number;
}

export function createVaultHttp(options: VaultHttpOptions): VaultHttp {
  const maxSockets = options.maxSockets === 0 ? Infinity : options.maxSockets;
  let client: Pick<typeof http, 'request'>;
  let agent: HttpAgent;
  if (options.tls) {
    client = https;
    agent = new https.Agent({
      keepAlive: true,
      maxSockets,
      rejectUnauthorized: options.validateCerts,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      ...(options.clientCert !== undefined ? { cert: options.clientCert, key: options.clientKey } : {}),
      ...(options.serverName !== undefined ? { servername: options.serverName } : {}),
    });
  } else {
    client = http;
    agent = new http.Agent({ keepAlive: true, maxSockets });
  }
  const origin = { host: options.host, port: options.port };
  let requestsSent = 0;
  let token = options.token;

  const once = (method: string, path: string, payload: string | undefined, signal: AbortSignal | undefined) =>
    new Promise<{ status: number; body: string; location: string | undefined; retryAfter: string | undefined }>((resolve, reject) => {
      const left = options.deadline?.remainingMs() ?? Infinity;
      if (left <= 0) {
        reject(new VaultFailure('deadline', `${options.deadline?.label} passed before the request was sent`));
        return;
      }
      // The time limit of this request: its own, or the time left before the deadline when that is shorter.
      const limitMs = Math.min(options.timeoutMs, left);
      const timedOut = () =>
        limitMs < options.timeoutMs
          ? new VaultFailure('deadline', `no answer within ${options.deadline?.label}`)
          : new VaultFailure('timeout', `no answer within ${options.timeoutMs} ms`);
      const headers: Record<string, string> = { ...options.headers, 'X-Vault-Request': 'true' };
      if (token !== undefined) headers['X-Vault-Token'] = token;
      if (options.namespace !== undefined && options.namespace !== '') headers['X-Vault-Namespace'] = options.namespace;
      if (payload !== undefined) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(Buffer.byteLength(payload));
      }
      const requestOptions: RequestOptions = {
        method,
        host: stripBrackets(origin.host),
        port: origin.port,
        path,
        headers,
        agent,
        timeout: limitMs,
        ...(signal ? { signal } : {}),
      };
      let request: http.ClientRequest;
      try {
        request = client.request(requestOptions, onResponse);
      } catch (error) {
        // Node checks the headers before connecting and throws (ERR_INVALID_CHAR for a line break in
        // the token or namespace). Its message names the header, but the failure is built from the
        // code alone, as every other one.
        reject(requestBuildFailure(error));
        return;
      }
      requestsSent++;
      function onResponse(response: IncomingMessage): void {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            request.destroy();
            reject(new VaultFailure('too-large', `the answer is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`));
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
      agent.destroy();
    },
    setToken(newToken) {
      token = newToken;
    },
  };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
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

/** The address as the user writes it: the input of a failure that is about the address itself. */
function address(options: VaultHttpOptions): string {
  return `${options.tls ? 'https' : 'http'}://${options.host}:${options.port}`;
}

function transportFailure(error: unknown, options: VaultHttpOptions): VaultFailure {
  const code = errorCode(error) ?? '';
  if (code === 'ABORT_ERR') return new VaultFailure('cancelled', 'request cancelled');
  if (options.tls && isPlainHttpAnswer(error, code)) return new VaultFailure('plain-http', 'the server speaks plain HTTP: use http://', [], { input: address(options) });
  if (TLS_ERROR_CODE.test(code)) return new VaultFailure('tls', describeTlsError(code));
  switch (code) {
    case 'ECONNREFUSED':
      return new VaultFailure('unreachable', 'connection refused');
    case 'ECONNRESET':
    case 'EPIPE':
      return new VaultFailure('unreachable', 'connection reset');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new VaultFailure('unreachable', 'host name not found');
    case 'ETIMEDOUT':
      return new VaultFailure('timeout', 'connection timed out');
    default:
      return new VaultFailure('unreachable', code === '' ? 'network error' : `network error ${code}`);
  }
}

/**
 * Whether a TLS connection failed because the server answered in plain HTTP: OpenSSL reads the start
 * of "HTTP/1.1 400" as a TLS record and reports "wrong version number", which reaches Node as the code
 * EPROTO with the reason only in the message. The message is matched here, never shown.
 */
function isPlainHttpAnswer(error: unknown, code: string): boolean {
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return true;
  return code === 'EPROTO' && error instanceof Error && /wrong version number/i.test(error.message);
}

function requestBuildFailure(error: unknown): VaultFailure {
  const code = errorCode(error);
  if (code === 'ERR_INVALID_CHAR') return new VaultFailure('invalid-request', 'invalid character in a request header (token or namespace)');
  return new VaultFailure('invalid-request', `the request could not be built (${code ?? 'unknown error'})`);
}

function describeTlsError(code: string): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the TLS certificate does not match the host name (${code})`;
  if (code === 'CERT_HAS_EXPIRED') return `the TLS certificate has expired (${code})`;
  if (/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) return `the TLS certificate is not trusted (${code})`;
  // The server's alerts: it wants a client certificate, or does not accept the one sent.
  if (/ALERT_CERTIFICATE_REQUIRED|ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_CERTIFICATE_UNKNOWN/.test(code)) {
    return `the server requires a client certificate it accepts (${code})`;
  }
  if (/ERR_SSL/.test(code)) return `the TLS handshake failed (${code})`;
  return `TLS error (${code})`;
}
