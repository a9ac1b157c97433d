// The contract between the Vault client (http.ts) and its transports (Node's http modules there,
// Node's http2 in h2-transport.ts, Bun's fetch in fetch-transport.ts, the runtime's own connections
// in socket-transport.ts): one request on the wire and its whole answer, and how a transport's error
// becomes a VaultFailure, from error codes only (an error object can carry request headers).

// Default import only: the bundle loads node:net on first use (scripts/bundle-options.mjs).
import net from 'node:net';
import { errorCode } from '../errors.ts';
import { VaultFailure } from './failure.ts';

/** Where a transport connects, and how it names the address in a failure. */
export interface WireEndpoint {
  host: string;
  port: number;
  tls: boolean;
  /** A unix socket's path, which then names the address (`unix:///path`). */
  socketPath?: string | undefined;
}

/**
 * How a TLS connection to Vault is set up (VAULT_SKIP_VERIFY, VAULT_CACERT or VAULT_CAPATH,
 * VAULT_CLIENT_CERT and VAULT_CLIENT_KEY, VAULT_TLS_SERVER_NAME), the PEM files already read.
 */
export interface TlsSettings {
  rejectUnauthorized: boolean;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  /** The name to send in SNI and check the certificate against. */
  serverName?: string | undefined;
}

/**
 * The CAs to trust and the client certificate to present, as node:tls, https.Agent and Bun's fetch
 * all take them: the certificate only together with its key, so that every transport presents the
 * same (the configuration refuses one without the other; a transport given one alone presents none).
 */
export function trustMaterial(settings: TlsSettings): { ca?: string; cert?: string; key?: string } {
  return {
    ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
    ...(settings.cert !== undefined && settings.key !== undefined ? { cert: settings.cert, key: settings.key } : {}),
  };
}

/** One request as a transport sends it: headers complete, time limit set. */
export interface WireRequest {
  method: string;
  path: string;
  headers: Readonly<Record<string, string>>;
  payload: string | undefined;
  limitMs: number;
  /** The failure to report when `limitMs` passes without a whole answer. */
  timedOut: () => VaultFailure;
  signal: AbortSignal | undefined;
}

/** A whole answer, before its status is judged. */
export interface WireAnswer {
  status: number;
  body: string;
  location: string | undefined;
  retryAfter: string | undefined;
}

/** Sends requests over one kind of connection: Node's http/https modules, or the runtime's fetch. */
export interface Transport {
  send(request: WireRequest): Promise<WireAnswer>;
  close(): void;
}

/** A request a transport has under way: the signal its caller gave, and how to end it. */
export interface Cancellable {
  readonly signal: AbortSignal | undefined;
  readonly abort: (reason: VaultFailure) => void;
}

/** What a request cancelled by its caller, or by the transport's close(), fails with. */
export function cancelled(): VaultFailure {
  return new VaultFailure('cancelled', 'request cancelled');
}

/**
 * The function to call with each request's signal: when a signal aborts, every request of `open`
 * that carries it ends. One listener per signal (a run has one), rather than one added and removed
 * for each of a thousand requests.
 */
export function cancelOnAbort(open: ReadonlySet<Cancellable>): (signal: AbortSignal) => void {
  const watched = new WeakSet<AbortSignal>();
  return (signal) => {
    if (watched.has(signal)) return;
    watched.add(signal);
    signal.addEventListener(
      'abort',
      () => {
        for (const request of open) if (request.signal === signal) request.abort(cancelled());
      },
      { once: true },
    );
  };
}

/** The largest answer read: a KV secret is at most a few MB; anything larger is not Vault. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function tooLarge(): VaultFailure {
  return new VaultFailure('too-large', `the answer is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
}

// Node and OpenSSL error codes of a certificate or TLS handshake problem (not retried), as opposed to
// a connection that never got an answer (refused, reset, timed out: retried).
const TLS_ERROR_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|SSL_/;

// Node's and nghttp2's codes of a failed HTTP/2 stream or session (ERR_HTTP2_STREAM_ERROR,
// ERR_HTTP2_GOAWAY_SESSION, NGHTTP2_REFUSED_STREAM, ...).
const HTTP2_ERROR_CODE = /^(ERR_HTTP2_|NGHTTP2_)/;

/**
 * The name a TLS connection to `host` (no brackets) sends in SNI and checks the certificate against,
 * as https.Agent picks it: the one configured, else the host unless it is an IP address.
 */
export function tlsServerName(host: string, configured: string | undefined): string | undefined {
  return configured ?? (net.isIP(host) === 0 ? host : undefined);
}

/**
 * Has Node compile its check of whether a name is an IPv6 address, inside `compile` (the runtime's
 * settings for it), with the first of `hosts` (no brackets; the host, and the TLS server name) that
 * is not an IPv4 address. Node runs the check on the host at every connection and on the server name
 * at every TLS handshake, and the first run compiles its regular expression, the largest a run
 * meets. An IPv4 address is told apart first, so nothing is compiled for one.
 */
export function compileAddressCheck(hosts: ReadonlyArray<string | undefined>, compile: (run: () => void) => void): void {
  const named = hosts.find((host) => host !== undefined && !net.isIPv4(host));
  if (named !== undefined) compile(() => net.isIPv6(named));
}

/** The address as the user writes it: the input of a failure that is about the address itself. */
export function address(options: WireEndpoint): string {
  if (options.socketPath !== undefined) return `unix://${options.socketPath}`;
  return `${options.tls ? 'https' : 'http'}://${options.host}:${options.port}`;
}

export function transportFailure(error: unknown, options: WireEndpoint): VaultFailure {
  const code = errorCode(error) ?? '';
  if (code === 'ABORT_ERR') return cancelled();
  if (options.tls && isPlainHttpAnswer(error, code)) return new VaultFailure('plain-http', 'the server speaks plain HTTP: use http://', [], { input: address(options) });
  // An HTTP/2 stream reset or a session ended (GOAWAY, a protocol error): the server went away
  // mid-answer, as a reset HTTP/1.1 connection does, and a new connection may succeed.
  if (HTTP2_ERROR_CODE.test(code)) return new VaultFailure('unreachable', `HTTP/2 connection lost (${code})`);
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
