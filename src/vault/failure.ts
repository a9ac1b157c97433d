// What can go wrong talking to Vault, as data: the HTTP client and the KV helpers report a
// VaultFailure, retry.ts decides from its kind alone whether to try again, and fetch.ts, auth/login.ts
// and renew/loop.ts turn the final one into a VaultenvError for the user, with the helpers at the end
// of this file. Nothing here carries a token or a response body that we did not reduce to Vault's own
// `errors` strings.

import { MAX_TIMER_MS } from '../config/options.ts';
import { VaultUnavailableError } from '../errors.ts';

export type FailureKind =
  | 'unreachable' // connection refused/reset, DNS failure
  | 'timeout' // no complete response within the request timeout
  | 'tls' // certificate or handshake problem: retrying does not fix it
  | 'plain-http' // https:// to a server that speaks plain HTTP
  | 'expects-tls' // http:// to a server that speaks only TLS
  | 'server-error' // 500, 502, 504 and other 5xx
  | 'unavailable' // 503: sealed, standby, maintenance
  | 'throttled' // 429
  | 'precondition-failed' // 412: a performance standby has not caught up yet
  | 'bad-response' // 200 whose body is not what the endpoint returns
  | 'too-large' // an answer larger than any Vault answer vaultenv reads: retrying reads it again
  | 'bad-request' // 400
  | 'invalid-request' // the request could not even be sent (a control character in the token or namespace)
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'redirect-elsewhere' // a redirect to another origin, which we do not follow with the token
  | 'proxy-refused' // an outbound HTTP proxy refused the CONNECT tunnel (407, 403): its policy, not a passing fault
  | 'cancelled' // another request already failed, so this one was abandoned
  | 'deadline' // the start-up deadline passed, or leaves no time for the next attempt
  | 'unexpected-status'; // anything else (other 4xx, 3xx without Location)

export class VaultFailure extends Error {
  readonly kind: FailureKind;
  /** A short description without secrets: "HTTP 503", "connection refused". */
  readonly detail: string;
  /** Vault's own error strings, when the body had them. */
  readonly vaultErrors: readonly string[];
  /** The input to name instead of the request's, when the request is not what is wrong (the address). */
  readonly input: string | undefined;
  /** How long the server asked us to wait before asking again (a 429's or 503's Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(kind: FailureKind, detail: string, vaultErrors: readonly string[] = [], extra: { input?: string; retryAfterMs?: number } = {}) {
    super(`${kind}: ${detail}`);
    this.name = 'VaultFailure';
    this.kind = kind;
    this.detail = detail;
    this.vaultErrors = vaultErrors;
    this.input = extra.input;
    this.retryAfterMs = extra.retryAfterMs;
  }
}

/** Transient failures are retried with backoff; the rest are answered once. */
/**
 * Whether the server understood the request and said no (400, 401, 403, 404): for a login or a token
 * request, a refusal of what was sent rather than a server that could not answer.
 */
export function isRefusal(kind: FailureKind): boolean {
  return kind === 'bad-request' || kind === 'unauthorized' || kind === 'forbidden' || kind === 'not-found';
}

export function isRetryable(kind: FailureKind): boolean {
  switch (kind) {
    case 'unreachable':
    case 'timeout':
    case 'server-error':
    case 'unavailable':
    case 'throttled':
    case 'precondition-failed':
    case 'bad-response':
      return true;
    case 'tls':
    case 'too-large':
    case 'plain-http':
    case 'expects-tls':
    case 'bad-request':
    case 'invalid-request':
    case 'unauthorized':
    case 'forbidden':
    case 'not-found':
    case 'redirect-elsewhere':
    case 'proxy-refused':
    case 'cancelled':
    case 'deadline':
    case 'unexpected-status':
      return false;
  }
}

/**
 * The failure of an answer with this status. `retryAfter` is the answer's Retry-After header, kept for
 * 429 and 503 (parseRetryAfter); `nowMs` is the time of day, for a Retry-After that is a date.
 */
export function failureForStatus(status: number, vaultErrors: readonly string[], retryAfter?: string, nowMs = Date.now()): VaultFailure {
  const detail = `HTTP ${status}`;
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
    return new VaultFailure(status === 429 ? 'throttled' : 'unavailable', detail, vaultErrors, retryAfterMs === undefined ? {} : { retryAfterMs });
  }
  if (status === 400) return new VaultFailure('bad-request', detail, vaultErrors);
  if (status === 401) return new VaultFailure('unauthorized', detail, vaultErrors);
  if (status === 403) return new VaultFailure('forbidden', detail, vaultErrors);
  if (status === 404) return new VaultFailure('not-found', detail, vaultErrors);
  if (status === 412) return new VaultFailure('precondition-failed', detail, vaultErrors);
  if (status >= 500 && status <= 599) return new VaultFailure('server-error', detail, vaultErrors);
  return new VaultFailure('unexpected-status', detail, vaultErrors);
}

/**
 * A Retry-After header in milliseconds from `nowMs`: whole seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2015 07:28:00 GMT`, 0 once past); undefined when absent or written otherwise.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  const text = value?.trim() ?? '';
  // Digits only: Number() would also take "1e3", "0x10" or "". A longer wait than a Node timer's is
  // no wait worth keeping (retry.ts caps it far below).
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_TIMER_MS);
  // IMF-fixdate, the form a server must send; Date.parse alone would take almost any text as a date.
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/** The longest excerpt of Vault's error strings a message quotes: a server's text is not ours to print at length. */
const MAX_QUOTED_ERRORS = 200;

/**
 * Vault's own error strings as the end of a message: `: Vault says "a; b"`, or '' when it gave none.
 * Longer text is cut at a space, never inside a word, and ends in "…": the redactor works on the
 * whole rendered line, so a credential that Vault (or a plugin or proxy) echoes must appear whole or
 * not at all, and a credential has no spaces.
 */
export function describeVaultErrors(failure: VaultFailure): string {
  if (failure.vaultErrors.length === 0) return '';
  const text = failure.vaultErrors.join('; ');
  if (text.length <= MAX_QUOTED_ERRORS) return `: Vault says "${text}"`;
  const cut = text.lastIndexOf(' ', MAX_QUOTED_ERRORS);
  return `: Vault says "${cut <= 0 ? '' : `${text.slice(0, cut)} `}…"`;
}

/** The failure in a few words: "HTTP 503: Vault says "Vault is sealed"", "connection refused". */
export function describeFailure(failure: VaultFailure): string {
  return `${failure.detail}${describeVaultErrors(failure)}`;
}

const UNAVAILABLE_HINTS: Partial<Record<FailureKind, string>> = {
  unreachable: 'check the address (VAULT_ADDR, --host, --port) and that Vault is running; vaultenv retried with backoff',
  timeout: 'Vault did not answer in time; raise --request-timeout-milliseconds or check the network',
  deadline: 'raise --deadline-seconds (VAULTENV_DEADLINE) if Vault needs longer, or check that Vault is up, unsealed and reachable',
  tls: 'trust the CA with VAULT_CACERT or VAULT_CAPATH (VAULT_SKIP_VERIFY=true or --no-validate-certs turns checks off), send a client certificate with VAULT_CLIENT_CERT and VAULT_CLIENT_KEY if the server asks for one, or use http:// if the server has no TLS',
  unavailable: 'Vault may be sealed, in standby or under maintenance; vaultenv retried with backoff',
  'too-large': 'check that the address points at Vault or OpenBao itself (a proxy or load balancer in between may answer instead), and the size of the secret',
  'plain-http': 'write the address with http:// (VAULT_ADDR, --addr), or give --no-connect-tls with --host and --port',
  'expects-tls': 'write the address with https:// (VAULT_ADDR, --addr), or drop --no-connect-tls (VAULTENV_CONNECT_TLS=false) given with --host and --port',
  'redirect-elsewhere': 'point VAULT_ADDR at the active node; vaultenv does not send the token to another host',
  'proxy-refused': "check the proxy's credentials (user:password@ in its URL) and that it allows CONNECT to Vault's port, or add Vault's host to NO_PROXY",
  'invalid-request': 'check the token (--token, VAULT_TOKEN or the token file) and VAULT_NAMESPACE for line breaks or other control characters',
};

/**
 * The error for a request that failed for a reason other than the credentials or the path: "<what>:
 * <detail>: Vault says …", with a hint for the kind of failure unless the caller gives one. The input
 * is the failure's own when it has one (the address, for a scheme the server does not speak).
 */
export function unavailableError(what: string, failure: VaultFailure, input: string, hint?: string): VaultUnavailableError {
  return new VaultUnavailableError(`${what}: ${describeFailure(failure)}`, {
    input: failure.input ?? input,
    hint: hint ?? UNAVAILABLE_HINTS[failure.kind] ?? 'vaultenv retried transient failures with backoff; check the Vault server',
  });
}
