// What can go wrong talking to Vault, as data: the HTTP client and the KV helpers report a
// VaultFailure, retry.ts decides from its kind alone whether to try again, and fetch.ts turns the
// final one into a VaultenvError for the user. Nothing here carries a token or a response body
// that we did not reduce to Vault's own `errors` strings.

export type FailureKind =
  | 'unreachable' // connection refused/reset, DNS failure
  | 'timeout' // no complete response within the request timeout
  | 'tls' // certificate or handshake problem: retrying does not fix it
  | 'server-error' // 500, 502, 504 and other 5xx
  | 'unavailable' // 503: sealed, standby, maintenance
  | 'throttled' // 429
  | 'precondition-failed' // 412: a performance standby has not caught up yet
  | 'bad-response' // 200 whose body is not what the endpoint returns
  | 'bad-request' // 400
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'redirect-elsewhere' // a redirect to another origin, which we do not follow with the token
  | 'cancelled' // another request already failed, so this one was abandoned
  | 'unexpected-status'; // anything else (other 4xx, 3xx without Location)

export class VaultFailure extends Error {
  readonly kind: FailureKind;
  /** A short description without secrets: "HTTP 503", "connection refused". */
  readonly detail: string;
  /** Vault's own error strings, when the body had them. */
  readonly vaultErrors: readonly string[];

  constructor(kind: FailureKind, detail: string, vaultErrors: readonly string[] = []) {
    super(`${kind}: ${detail}`);
    this.name = 'VaultFailure';
    this.kind = kind;
    this.detail = detail;
    this.vaultErrors = vaultErrors;
  }
}

/** Transient failures are retried with backoff; the rest are answered once. */
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
    case 'bad-request':
    case 'unauthorized':
    case 'forbidden':
    case 'not-found':
    case 'redirect-elsewhere':
    case 'cancelled':
    case 'unexpected-status':
      return false;
  }
}

export function failureForStatus(status: number, vaultErrors: readonly string[]): VaultFailure {
  const detail = `HTTP ${status}`;
  if (status === 400) return new VaultFailure('bad-request', detail, vaultErrors);
  if (status === 401) return new VaultFailure('unauthorized', detail, vaultErrors);
  if (status === 403) return new VaultFailure('forbidden', detail, vaultErrors);
  if (status === 404) return new VaultFailure('not-found', detail, vaultErrors);
  if (status === 412) return new VaultFailure('precondition-failed', detail, vaultErrors);
  if (status === 429) return new VaultFailure('throttled', detail, vaultErrors);
  if (status === 503) return new VaultFailure('unavailable', detail, vaultErrors);
  if (status >= 500 && status <= 599) return new VaultFailure('server-error', detail, vaultErrors);
  return new VaultFailure('unexpected-status', detail, vaultErrors);
}
