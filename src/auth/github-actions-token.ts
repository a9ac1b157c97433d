// The OIDC ID token of a GitHub Actions job, asked of GitHub by vaultenv itself, so a workflow needs
// no `curl | jq` step: GET $ACTIONS_ID_TOKEN_REQUEST_URL with `audience=…` added and the request
// token as a bearer token; GitHub answers {"value": "<JWT>"}. A job gets both variables only with
// `permissions: id-token: write`. Neither token reaches any output: both go to the redactor first.

import { AuthError } from '../errors.ts';
import { VaultFailure, isRefusal, unavailableError } from '../vault/failure.ts';
import { createVaultHttp } from '../vault/http.ts';
import { parseJson } from '../vault/kv.ts';
import type { SessionClock } from '../vault/clock.ts';
import { withRetries, type RetryPolicy } from '../vault/retry.ts';

export interface GithubTokenDeps {
  env: Readonly<Record<string, string | undefined>>;
  /** The time limit of the request (--request-timeout-milliseconds). */
  timeoutMs: number;
  /** The run's retries and start-up deadline. */
  retry: RetryPolicy;
  clock: SessionClock;
  /** Receives the request token before it is sent, and the ID token once read. */
  onCredential: (value: string) => void;
  /** Which runtime's clients send the request (vault/http.ts). */
  transport?: 'node' | 'bun' | undefined;
}

const INPUT = 'the GitHub Actions ID token request (ACTIONS_ID_TOKEN_REQUEST_URL)';
const PERMISSION_HINT = 'give the job `permissions: id-token: write`, or pass the JWT with --jwt-file or --jwt-env';

/** The request's URL: the endpoint GitHub gives the job, with the audience added when one is given. */
export function githubTokenUrl(endpoint: string, audience: string | undefined): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new AuthError('ACTIONS_ID_TOKEN_REQUEST_URL is not a URL', { input: INPUT, hint: PERMISSION_HINT });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AuthError('ACTIONS_ID_TOKEN_REQUEST_URL is not an http(s) URL', { input: INPUT, hint: PERMISSION_HINT });
  }
  if (audience !== undefined) url.searchParams.set('audience', audience);
  return url;
}

/** The `value` of GitHub's answer, or undefined for any other shape. */
export function githubTokenValue(body: string): string | undefined {
  const json = parseJson(body);
  if (typeof json !== 'object' || json === null || !('value' in json)) return undefined;
  const { value } = json;
  return typeof value === 'string' && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value) ? value : undefined;
}

/** Asks GitHub for the job's ID token for `audience` (undefined: GitHub's default audience). */
export async function requestGithubActionsToken(audience: string | undefined, deps: GithubTokenDeps): Promise<string> {
  const endpoint = deps.env.ACTIONS_ID_TOKEN_REQUEST_URL ?? '';
  const requestToken = (deps.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? '').trim();
  deps.onCredential(requestToken);
  const url = githubTokenUrl(endpoint, audience);
  const tls = url.protocol === 'https:';
  const client = createVaultHttp({
    // As in a Vault address: an IPv6 host keeps its brackets (the client strips them to connect).
    host: url.hostname,
    port: url.port === '' ? (tls ? 443 : 80) : Number(url.port),
    tls,
    validateCerts: true,
    token: undefined,
    timeoutMs: deps.timeoutMs,
    maxSockets: 1,
    deadline: deps.retry.deadline,
    transport: deps.transport,
    now: () => deps.clock.now(),
    headers: { Authorization: `bearer ${requestToken}`, Accept: 'application/json' },
  });
  try {
    return await withRetries(
      async () => {
        const token = githubTokenValue((await client.request('GET', `${url.pathname}${url.search}`)).body);
        if (token === undefined) throw new VaultFailure('bad-response', 'the answer has no ID token ("value")');
        deps.onCredential(token);
        return token;
      },
      deps.retry,
      deps.clock,
    );
  } catch (error) {
    if (!(error instanceof VaultFailure)) throw error;
    if (isRefusal(error.kind)) throw new AuthError(`GitHub refused the ID token request (${error.detail})`, { input: INPUT, hint: PERMISSION_HINT });
    throw unavailableError('the GitHub Actions ID token request failed', error, INPUT);
  } finally {
    client.close();
  }
}
