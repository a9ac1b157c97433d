// vaultenv's retry policy: full-jitter exponential backoff (the Haskell retry package's
// fullJitterBackoff), or the wait a 429's or 503's Retry-After asks for, with jitter; `retries`
// retries after the first attempt, only for transient failures (failure.ts isRetryable), and none
// whose wait would pass the start-up deadline (deadline.ts). A 429 is waited out by the whole run at
// its throttle gate (throttle.ts). The clock and the random source are injected so tests need no
// waiting.

import { MAX_TIMER_MS } from '../config/options.ts';
import type { RetryClock } from './clock.ts';
import type { Deadline } from './deadline.ts';
import { VaultFailure, isRetryable } from './failure.ts';
import type { ThrottleGate } from './throttle.ts';

export interface RetryPolicy {
  baseDelayMs: number;
  retries: number;
  /** No retry starts a wait that would end past it: the last failure is reported at once instead. */
  deadline?: Deadline | undefined;
  /** Shared by the run's requests: a throttled one closes it, and all of them wait (throttle.ts). */
  gate?: ThrottleGate | undefined;
}

/** The longest wait a Retry-After gets: a server asking for more is asked again after this long. */
export const MAX_RETRY_AFTER_MS = 30_000;

/**
 * The wait before asking again a server that answered Retry-After: that long, plus a random part of
 * up to as long again, and of up to a second at least: the header counts whole seconds and Vault
 * rounds it down (a quota's window of one second reopens "in 0 s"). So a fleet that was told the
 * same spreads itself over the interval instead of coming back at the same instant. At most
 * MAX_RETRY_AFTER_MS.
 */
export function retryAfterDelayMs(retryAfterMs: number, random: () => number): number {
  const spread = Math.max(retryAfterMs, 1000);
  return Math.min(retryAfterMs + Math.floor(random() * spread), MAX_RETRY_AFTER_MS);
}

/**
 * The wait before retry n (0-based) after `failure`: what its Retry-After asks, else the backoff; a
 * 429 without the header (OpenBao's default) waits at least as if it said 0, since a rate limit's
 * window is a second or more and the first backoffs are a few milliseconds.
 */
export function retryDelayMs(failure: VaultFailure, policy: RetryPolicy, retryNumber: number, random: () => number): number {
  if (failure.retryAfterMs !== undefined) return retryAfterDelayMs(failure.retryAfterMs, random);
  const backoff = backoffDelayMs(policy, retryNumber, random);
  return failure.kind === 'throttled' ? Math.max(backoff, retryAfterDelayMs(0, random)) : backoff;
}

/** Retry n (0-based) sleeps between base·2^n / 2 and base·2^n milliseconds, at most MAX_TIMER_MS. */
export function backoffDelayMs(policy: RetryPolicy, retryNumber: number, random: () => number): number {
  const half = Math.floor(Math.min(policy.baseDelayMs * 2 ** retryNumber, MAX_TIMER_MS) / 2);
  return half + Math.floor(random() * (half + 1));
}

export async function withRetries<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  clock: RetryClock,
  onRetry: (failure: VaultFailure, retryNumber: number, delayMs: number) => void = () => {},
  signal?: AbortSignal,
): Promise<T> {
  const { gate } = policy;
  for (let retryNumber = 0; ; retryNumber++) {
    const entered = gate?.enter(signal);
    const ticket = entered instanceof Promise ? await entered : entered;
    // Every attempt leaves the gate once; a throttled one that is retried closes it for its wait.
    const leave = (throttledMs?: number) => {
      if (gate !== undefined && ticket !== undefined) gate.leave(ticket, throttledMs);
    };
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: await operation() };
    } catch (error) {
      outcome = { error };
    }
    if ('value' in outcome) {
      if (gate !== undefined && ticket !== undefined) gate.leave(ticket, undefined, true);
      return outcome.value;
    }
    const next = nextAttempt(outcome.error, retryNumber, policy, () => clock.random(), signal);
    if ('error' in next) {
      leave();
      throw next.error;
    }
    onRetry(next.failure, retryNumber, next.delay);
    // A throttled request waits at the gate, with every other request of the run.
    if (gate !== undefined && closesGate(next.failure)) leave(next.delay);
    else {
      leave();
      await clock.sleep(next.delay, signal);
    }
  }
}

/** What follows a failed attempt: a retry after a wait, or the error to give up with. */
function nextAttempt(
  error: unknown,
  retryNumber: number,
  policy: RetryPolicy,
  random: () => number,
  signal: AbortSignal | undefined,
): { failure: VaultFailure; delay: number } | { error: unknown } {
  if (!(error instanceof VaultFailure) || !isRetryable(error.kind)) return { error };
  // Abandoned, not failed: the transient failure of a request cancelled because of another one
  // must not be reported in its place (the caller reports the failure that is not 'cancelled').
  if (signal?.aborted === true) return { error: new VaultFailure('cancelled', 'cancelled after another failure') };
  if (retryNumber >= policy.retries) return { error };
  const spread = retryDelayMs(error, policy, retryNumber, random);
  // A run that waits at its gate comes back when the server's next window opens, once it knows when.
  const delay = policy.gate !== undefined && closesGate(error) ? policy.gate.waitMs(error.retryAfterMs ?? 0, spread) : spread;
  const { deadline } = policy;
  if (deadline !== undefined && delay >= deadline.remainingMs()) {
    const asked = error.retryAfterMs === undefined ? '' : ` (Retry-After: ${error.retryAfterMs / 1000} s)`;
    return { error: new VaultFailure('deadline', `${deadline.label} leaves no time to retry after ${error.detail}${asked}`, error.vaultErrors) };
  }
  return { failure: error, delay };
}

/** A 429, or any answer that says how long to wait: the whole run waits (throttle.ts). */
function closesGate(failure: VaultFailure): boolean {
  return failure.kind === 'throttled' || failure.retryAfterMs !== undefined;
}
