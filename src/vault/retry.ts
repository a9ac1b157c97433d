// vaultenv's retry policy: full-jitter exponential backoff (the Haskell retry package's
// fullJitterBackoff), `retries` retries after the first attempt, only for transient failures
// (failure.ts isRetryable), and none whose wait would pass the start-up deadline (deadline.ts). The
// clock and the random source are injected so tests need no waiting.

import { MAX_TIMER_MS } from '../config/options.ts';
import type { Deadline } from './deadline.ts';
import { VaultFailure, isRetryable } from './failure.ts';

export interface RetryPolicy {
  baseDelayMs: number;
  retries: number;
  /** No retry starts a wait that would end past it: the last failure is reported at once instead. */
  deadline?: Deadline | undefined;
}

export interface RetryClock {
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
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
  for (let retryNumber = 0; ; retryNumber++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof VaultFailure) || !isRetryable(error.kind)) throw error;
      // Abandoned, not failed: the transient failure of a request cancelled because of another one
      // must not be reported in its place (the caller reports the failure that is not 'cancelled').
      if (signal?.aborted === true) throw new VaultFailure('cancelled', 'cancelled after another failure');
      if (retryNumber >= policy.retries) throw error;
      const delay = backoffDelayMs(policy, retryNumber, () => clock.random());
      if (policy.deadline !== undefined && delay >= policy.deadline.remainingMs()) {
        throw new VaultFailure('deadline', `${policy.deadline.label} leaves no time to retry after ${error.detail}`, error.vaultErrors);
      }
      onRetry(error, retryNumber, delay);
      await clock.sleep(delay, signal);
    }
  }
}

export const realClock: RetryClock = {
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted === true) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
  random: Math.random,
};
