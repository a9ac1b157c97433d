// `vaultenv renew`: the token-renewer sidecar beside a program that vaultenv started with a token it
// must keep alive (a pod whose init container wrote the token file). Every interval: read the token
// (a token file is re-read, so a replaced file is picked up), look it up, and renew it once its TTL
// is down to a fraction of its creation TTL. Vault being unreachable, slow or failing (5xx) never
// ends the loop: each failure is logged with the next delay and retried with full-jitter backoff, or
// after the wait a Retry-After asks for, capped at the interval. The loop ends on the abort signal,
// with --once after one check, or by rejecting when the token cannot be kept alive: missing, expired
// or revoked, not renewable (an AuthError). Nothing here ever logs a token: tokens are named by their
// origin and the first 8 characters of their accessor. The file is longer than most because the
// loop, its retries and the states of a watched token (TokenState below), each with its own log
// lines and errors, belong together.

import { AuthError, VaultUnavailableError, VaultenvError } from '../errors.ts';
import type { RenewConfig } from '../config/types.ts';
import { VaultFailure, describeFailure, describeVaultErrors, isRetryable, unavailableError } from '../vault/failure.ts';
import type { VaultHttp } from '../vault/http.ts';
import { realClock, type RetryClock } from '../vault/clock.ts';
import { retryDelayMs } from '../vault/retry.ts';
import { decide, describeToken, msUntilRenewalDue, parseLookupAnswer, parseRenewAnswer, renewalThreshold, type TokenLookup } from './decide.ts';

/** The retry clock (an interruptible sleep and a random source) plus the time of day. */
export interface RenewClock extends RetryClock {
  now(): number;
}

export interface RenewDeps {
  /** Created by the caller from the config (address, TLS, namespace); the loop sets the token on it. */
  client: VaultHttp;
  /** Called every cycle: a token file is re-read each time. */
  readToken: () => Promise<{ token: string | undefined; origin: string }>;
  clock: RenewClock;
  /** Lines without a prefix (the Logger adds it). */
  log: { info(msg: string): void; warn(msg: string): void };
  /** Aborted on SIGTERM/SIGINT: the loop stops at once and returns 0. */
  signal: AbortSignal;
}

/** What the loop reads of RenewConfig, with the interval in the clock's unit. */
export interface RenewLoopConfig extends Pick<RenewConfig, 'renewFraction' | 'retryBaseDelayMs' | 'retryAttempts'> {
  /** --interval, in milliseconds. */
  intervalMs: number;
  /** --once: one check (renewing when due), then exit. */
  once: boolean;
}

const LOOKUP_SELF_PATH = '/v1/auth/token/lookup-self';
const RENEW_SELF_PATH = '/v1/auth/token/renew-self';

/** A token about to reach its renewal threshold is checked again then, but not more often than this. */
const MIN_CHECK_DELAY_MS = 250;
/** Backoff exponents beyond this would overflow to Infinity; the delay is capped at the interval long before. */
const MAX_BACKOFF_EXPONENT = 30;

const RESTART_HINT = 'the orchestrator should restart the pod (or the job) so that it gets a new token';

export const realRenewClock: RenewClock = { ...realClock, now: () => Date.now() };

/**
 * What the loop knows of the token it looks after, from its first lookup on (a new accessor starts
 * over at `new`):
 *   new      --status logged-------------------------> watched
 *   new, watched, renewed --renewal-----------------> renewed (granted: what a maximum TTL left it, below its creation TTL)
 *   renewed --renewal that gained nothing------------> capped
 *   any --Vault refuses a renewal for its maximum TTL, or calls a renewed token not renewable--> capped
 * A capped token is only watched until it expires (a Vault Agent may replace the token file first).
 */
type TokenState =
  | { kind: 'new' }
  | { kind: 'watched' }
  | { kind: 'renewed'; granted: number | undefined; warnedMax: boolean }
  | { kind: 'capped'; announced: boolean; granted: number | undefined };

interface LoopState {
  /** The last token read, kept for when the source cannot be read for a moment. */
  last: { token: string; origin: string } | undefined;
  /** Accessor of the token last looked up: a new one means the token was replaced. */
  accessor: string | undefined;
  token: TokenState;
  /** Transient failures in a row. */
  failures: number;
}

/** Whether the token's status line was logged. */
function announced(token: TokenState): boolean {
  return token.kind === 'capped' ? token.announced : token.kind !== 'new';
}

/** The state once the status line was logged. */
function afterAnnouncement(token: TokenState): TokenState {
  if (token.kind === 'new') return { kind: 'watched' };
  return token.kind === 'capped' ? { ...token, announced: true } : token;
}

/** The state after a renewal that left the token `ttl` seconds, where it had `before` left of `creationTtl`. */
function afterRenewal(token: TokenState, ttl: number, before: TokenLookup): TokenState {
  const warnedMax = token.kind === 'renewed' && token.warnedMax;
  if (ttl >= before.creationTtl) return { kind: 'renewed', granted: undefined, warnedMax };
  // A renewal that gained nothing will not gain anything next time either.
  if (ttl <= before.ttl) return { kind: 'capped', announced: true, granted: ttl };
  return { kind: 'renewed', granted: ttl, warnedMax: true };
}

/** A transient failure of one step, retried by the loop. */
class Transient extends Error {
  readonly step: string;
  readonly failure: VaultFailure;
  constructor(step: string, failure: VaultFailure) {
    super(`${step}: ${failure.detail}`);
    this.step = step;
    this.failure = failure;
  }
}

/**
 * Runs the renewer until the abort signal (or, with --once, after one check). A token that cannot be
 * kept alive rejects with its VaultenvError, which the caller prints like any other failure.
 */
export async function runRenewer(config: RenewLoopConfig, deps: RenewDeps): Promise<void> {
  const state: LoopState = { last: undefined, accessor: undefined, token: { kind: 'new' }, failures: 0 };
  const { clock, signal, log } = deps;
  for (;;) {
    if (signal.aborted) return;
    const started = clock.now();
    let next: number | 'done';
    try {
      next = await cycle(config, deps, state);
    } catch (error) {
      if (signal.aborted) return;
      if (!(error instanceof Transient)) throw error;
      state.failures++;
      if (config.once && state.failures > config.retryAttempts) throw gaveUp(error, config.retryAttempts);
      const delay = Math.min(
        config.intervalMs,
        retryDelayMs(error.failure, { baseDelayMs: config.retryBaseDelayMs, retries: Infinity }, Math.min(state.failures - 1, MAX_BACKOFF_EXPONENT), () =>
          clock.random(),
        ),
      );
      const attempt = config.once ? `retry ${state.failures} of ${config.retryAttempts}` : 'retrying';
      log.warn(`${error.step} failed: ${describeFailure(error.failure)}; ${attempt} in ${delay} ms`);
      await clock.sleep(delay, signal);
      continue;
    }
    if (state.failures > 0) {
      log.info(`Vault answered again after ${state.failures} failed attempt${state.failures === 1 ? '' : 's'}`);
      state.failures = 0;
    }
    if (next === 'done') return;
    await clock.sleep(Math.max(0, next - (clock.now() - started)), signal);
  }
}

/** One check: read the token, look it up, renew it if due. Returns the delay until the next check. */
async function cycle(config: RenewLoopConfig, deps: RenewDeps, state: LoopState): Promise<number | 'done'> {
  const { client, log, signal } = deps;
  const { token, origin } = await currentToken(deps, state);
  client.setToken(token);

  const lookup = await step('token lookup', origin, undefined, state.token.kind === 'capped', async () =>
    parseLookupAnswer((await client.request('GET', LOOKUP_SELF_PATH, { signal })).body),
  );
  if (state.accessor !== lookup.accessor) {
    if (state.accessor !== undefined) log.info(`the token changed (${describeToken(origin, lookup.accessor)})`);
    state.accessor = lookup.accessor;
    state.token = { kind: 'new' };
  }
  const name = describeToken(origin, lookup.accessor);
  const every = config.once ? '' : `; checking every ${seconds(config.intervalMs)}`;
  const next = config.once ? 'done' : config.intervalMs;
  // Once a maximum TTL limits the renewals, the threshold follows what a renewal still gives, so
  // that the renewals become rarer instead of happening at every check.
  const granted = state.token.kind === 'renewed' || state.token.kind === 'capped' ? state.token.granted : undefined;
  const effective = granted === undefined ? lookup : { ...lookup, creationTtl: Math.min(lookup.creationTtl, granted) };

  switch (decide(effective, config.renewFraction)) {
    case 'never-expires':
      if (!announced(state.token)) log.info(`token (${name}) never expires: nothing to renew${every}`);
      state.token = afterAnnouncement(state.token);
      return next;

    case 'not-renewable':
      // Vault reports a token it renewed before as not renewable once it reached its maximum TTL.
      if (state.token.kind === 'renewed' || state.token.kind === 'capped') {
        cap(state, log, name, lookup.ttl);
        return next;
      }
      throw new AuthError('the token is not renewable', {
        input: name,
        hint: `it expires in ${lookup.ttl}s and Vault will not extend it: ${RESTART_HINT}, or issue renewable (e.g. periodic) tokens`,
      });

    case 'wait':
      if (!announced(state.token)) log.info(`token (${name}): ttl ${lookup.ttl}s of ${lookup.creationTtl}s, renewing at ${renewalThreshold(effective, config.renewFraction)}s or less${every}`);
      state.token = afterAnnouncement(state.token);
      if (config.once) return 'done';
      // A token whose TTL would cross the threshold before the next check is checked when it does.
      return Math.min(config.intervalMs, Math.max(MIN_CHECK_DELAY_MS, msUntilRenewalDue(effective, config.renewFraction)));

    case 'renew': {
      if (state.token.kind === 'capped') return next;
      let ttl: number;
      try {
        ttl = await step('token renewal', origin, lookup, false, async () =>
          parseRenewAnswer((await client.request('POST', RENEW_SELF_PATH, { body: {}, signal })).body),
        );
      } catch (error) {
        // Vault answers 500 "past the max TTL, cannot renew" to a token at its maximum TTL.
        if (!(error instanceof Transient) || !error.failure.vaultErrors.some((e) => /max(imum)? TTL/i.test(e))) throw error;
        cap(state, log, name, lookup.ttl);
        return next;
      }
      log.info(`renewed token (${name}): ttl ${lookup.ttl}s -> ${ttl}s`);
      const before = state.token;
      state.token = afterRenewal(before, ttl, lookup);
      if (ttl < lookup.creationTtl && !(before.kind === 'renewed' && before.warnedMax)) {
        log.warn(`the token (${name}) was renewed for ${ttl}s only, less than its ${lookup.creationTtl}s: a maximum TTL limits it, and it expires when that is reached: ${RESTART_HINT} then`);
      }
      return next;
    }
  }
}

/** The token reached its maximum TTL: from now on it is only watched. Reported once per token. */
function cap(state: LoopState, log: RenewDeps['log'], name: string, ttl: number): void {
  const { token } = state;
  if (token.kind === 'capped') return;
  const warned = token.kind === 'renewed' && token.warnedMax;
  state.token = { kind: 'capped', announced: announced(token), granted: token.kind === 'renewed' ? token.granted : undefined };
  if (!warned) log.warn(`the token (${name}) reached its maximum TTL: it expires in ${ttl}s and cannot be renewed: ${RESTART_HINT}`);
}

/** The token to use this cycle. Once one was read, a source that cannot be read for a moment keeps the last one. */
async function currentToken(deps: RenewDeps, state: LoopState): Promise<{ token: string; origin: string }> {
  let read: { token: string | undefined; origin: string };
  try {
    read = await deps.readToken();
  } catch (error) {
    if (state.last === undefined || !(error instanceof VaultenvError)) throw error;
    deps.log.warn(`could not read the token: ${error.message}; renewing the one read before`);
    return state.last;
  }
  if (read.token === undefined || read.token === '') {
    if (state.last !== undefined) {
      deps.log.warn(`no token in ${read.origin} now; renewing the one read before`);
      return state.last;
    }
    throw new AuthError('no token to renew', {
      ...(read.origin === 'none' ? {} : { input: read.origin }),
      hint:
        'give the token to keep alive with --token or VAULT_TOKEN, or a token file; without them the renewer reads ' +
        "kubernetes-vault's /var/run/secrets/boostport.com/vault-token, then ~/.vault-token",
    });
  }
  state.last = { token: read.token, origin: read.origin };
  return state.last;
}

/** Runs one request: transient failures become Transient (retried), the rest a VaultenvError (exit). */
async function step<T>(what: string, origin: string, lookup: TokenLookup | undefined, capped: boolean, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof VaultFailure)) throw error;
    if (isRetryable(error.kind) || error.kind === 'cancelled') throw new Transient(what, error);
    throw definiteError(what, origin, lookup, capped, error);
  }
}

function definiteError(what: string, origin: string, lookup: TokenLookup | undefined, capped: boolean, failure: VaultFailure): VaultenvError {
  const input = describeToken(origin, lookup?.accessor);
  const says = describeVaultErrors(failure);
  if (failure.kind === 'forbidden' || failure.kind === 'unauthorized') {
    if (lookup === undefined && capped) {
      return new AuthError('the token expired: it reached its maximum TTL', { input, hint: `no renewal can extend it: ${RESTART_HINT}` });
    }
    if (lookup === undefined) {
      return new AuthError('the token is expired or revoked', {
        input,
        hint: `Vault refused to look it up (${failure.detail}${says}): it has expired or was revoked (or its policies lack the default policy's auth/token/lookup-self); renewing cannot bring it back: ${RESTART_HINT}`,
      });
    }
    return new AuthError('the token is expired or revoked', {
      input,
      hint: `Vault refused to renew it (${failure.detail}${says}): it was revoked a moment ago (or its policies lack the default policy's auth/token/renew-self): ${RESTART_HINT}`,
    });
  }
  if (lookup !== undefined && failure.kind === 'bad-request' && failure.vaultErrors.some((e) => /not renewable/i.test(e))) {
    return new AuthError('the token is not renewable', { input, hint: `Vault refused to extend it${says}: ${RESTART_HINT}` });
  }
  // A request that could not be built (a control character in the token), or an address whose scheme the
  // server does not speak, keeps unavailableError's hint.
  const ownHint = failure.kind === 'invalid-request' || failure.kind === 'plain-http' || failure.kind === 'expects-tls';
  const hint = failure.kind === 'tls' ? TLS_HINT : ownHint ? undefined : PROXY_HINT;
  return unavailableError(`${what} failed`, failure, input, hint);
}

const TLS_HINT = "check the CA (VAULT_CACERT, or ca.crt beside kubernetes-vault's token file) and the server name";
const PROXY_HINT = 'check that the address points at Vault or OpenBao itself (a proxy or load balancer in between may answer instead)';

function gaveUp(transient: Transient, retries: number): VaultUnavailableError {
  return new VaultUnavailableError(`${transient.step} failed: ${describeFailure(transient.failure)}`, {
    input: `after ${retries} ${retries === 1 ? 'retry' : 'retries'}`,
    hint: 'check that Vault is reachable and unsealed; --retry-attempts and --retry-base-delay-milliseconds set how long to try',
  });
}


function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}
