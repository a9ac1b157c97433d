import { describe, expect, it } from 'vitest';
import { VaultFailure, failureForStatus, isRetryable } from '../../../src/vault/failure.ts';
import type { RetryClock } from '../../../src/vault/clock.ts';
import { backoffDelayMs, retryAfterDelayMs, retryDelayMs, withRetries } from '../../../src/vault/retry.ts';
import { createDeadline } from '../../../src/vault/deadline.ts';
import { rejected } from '../../helpers/thrown.ts';

function fakeClock(random = 0.5): RetryClock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, sleep: (ms) => (sleeps.push(ms), Promise.resolve()), random: () => random };
}

describe('backoff', () => {
  it('follows vaultenv full jitter: retry n sleeps between base*2^n/2 and base*2^n', () => {
    const policy = { baseDelayMs: 40, retries: 9 };
    expect([0, 1, 2, 8].map((n) => backoffDelayMs(policy, n, () => 0))).toEqual([20, 40, 80, 5120]);
    expect([0, 1, 2, 8].map((n) => backoffDelayMs(policy, n, () => 0.999999))).toEqual([40, 80, 160, 10240]);
    // Never longer than a Node timer can wait (a longer one would fire at once).
    const longest = backoffDelayMs({ baseDelayMs: 2_147_483_647, retries: 40 }, 30, () => 0.999999999);
    expect(longest).toBe(2_147_483_645);
    expect(backoffDelayMs({ baseDelayMs: 2_147_483_647, retries: 40 }, 30, () => 1)).toBe(2_147_483_647);
    expect(backoffDelayMs(policy, 60, () => 0)).toBe(1_073_741_823);
  });
});

describe('retries', () => {
  it('retries transient failures up to the limit, then gives the last failure', async () => {
    const clock = fakeClock();
    let attempts = 0;
    await expect(
      withRetries(() => {
        attempts++;
        return Promise.reject(new VaultFailure('unreachable', 'connection refused'));
      }, { baseDelayMs: 40, retries: 3 }, clock),
    ).rejects.toThrow(/connection refused/);
    expect(attempts).toBe(4);
    expect(clock.sleeps).toHaveLength(3);
  });

  it('answers a 403 once', async () => {
    const clock = fakeClock();
    let attempts = 0;
    await expect(
      withRetries(() => {
        attempts++;
        return Promise.reject(failureForStatus(403, ['permission denied']));
      }, { baseDelayMs: 40, retries: 9 }, clock),
    ).rejects.toMatchObject({ kind: 'forbidden' });
    expect(attempts).toBe(1);
  });

  it('succeeds after transient failures', async () => {
    let attempts = 0;
    const result = await withRetries(
      () => (++attempts < 3 ? Promise.reject(failureForStatus(503, [])) : Promise.resolve('ok')),
      { baseDelayMs: 1, retries: 9 },
      fakeClock(),
    );
    expect(result).toBe('ok');
    expect(attempts).toBe(3);
  });

  it.each([
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [405, false],
    [412, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
  ])('status %i retryable: %s', (status, retryable) => {
    expect(isRetryable(failureForStatus(status, []).kind)).toBe(retryable);
  });

  it('turns a transient failure met after the signal was aborted into "cancelled", without retrying', async () => {
    const cancel = new AbortController();
    const clock = fakeClock();
    let attempts = 0;
    const error = await withRetries(
      () => {
        attempts++;
        cancel.abort(); // another request failed while this one waited for its answer
        return Promise.reject(failureForStatus(503, ['Vault is sealed']));
      },
      { baseDelayMs: 40, retries: 9 },
      clock,
      undefined,
      cancel.signal,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VaultFailure);
    expect((error as VaultFailure).kind).toBe('cancelled');
    expect((error as VaultFailure).vaultErrors).toEqual([]);
    expect(attempts).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('turns the transient failure of the attempt after an aborted backoff into "cancelled" too', async () => {
    const cancel = new AbortController();
    const clock: RetryClock = { sleep: () => (cancel.abort(), Promise.resolve()), random: () => 0.5 };
    let attempts = 0;
    await expect(
      withRetries(() => (attempts++, Promise.reject(new VaultFailure('unreachable', 'connection refused'))), { baseDelayMs: 40, retries: 9 }, clock, undefined, cancel.signal),
    ).rejects.toMatchObject({ kind: 'cancelled' });
    expect(attempts).toBe(2);
  });

  it('still reports a definite answer that comes after the abort, and a transient one when nothing was aborted', async () => {
    const cancel = new AbortController();
    cancel.abort();
    await expect(withRetries(() => Promise.reject(failureForStatus(404, [])), { baseDelayMs: 1, retries: 9 }, fakeClock(), undefined, cancel.signal)).rejects.toMatchObject({
      kind: 'not-found',
    });
    await expect(
      withRetries(() => Promise.reject(failureForStatus(503, [])), { baseDelayMs: 1, retries: 1 }, fakeClock(), undefined, new AbortController().signal),
    ).rejects.toMatchObject({ kind: 'unavailable' });
  });
});

describe('the start-up deadline', () => {
  /** A clock whose sleeps move time on, and a deadline on that time. */
  function timed(totalMs: number) {
    let now = 0;
    const sleeps: number[] = [];
    const clock: RetryClock = { sleep: (ms) => ((now += ms), sleeps.push(ms), Promise.resolve()), random: () => 0.5 };
    return { clock, sleeps, deadline: createDeadline(totalMs, () => now), advance: (ms: number) => (now += ms) };
  }

  it('names itself by its length', () => {
    expect(createDeadline(60_000, () => 0).label).toBe('the 60 s start-up deadline');
    expect(createDeadline(1_500, () => 0).label).toBe('the 1.5 s start-up deadline');
  });

  it('counts down to 0, not below', () => {
    const { deadline, advance } = timed(1000);
    expect(deadline.remainingMs()).toBe(1000);
    advance(400);
    expect(deadline.remainingMs()).toBe(600);
    advance(5000);
    expect(deadline.remainingMs()).toBe(0);
  });

  it('starts no retry whose wait would pass it: the last failure is reported at once, as a deadline failure', async () => {
    // Backoff with random 0.5: 30, 60, 120, 240, 480 ms… Time passes only in the sleeps here.
    const { clock, sleeps, deadline } = timed(200);
    let attempts = 0;
    const error = await rejected(
      withRetries(() => (attempts++, Promise.reject(failureForStatus(503, ['Vault is sealed']))), { baseDelayMs: 40, retries: 9, deadline }, clock),
    );
    expect(sleeps).toEqual([30, 60]); // 90 ms gone; the next wait (120 ms) would end at 210 ms
    expect(attempts).toBe(3);
    expect(error).toBeInstanceOf(VaultFailure);
    const failure = error as VaultFailure;
    expect(failure.kind).toBe('deadline');
    expect(isRetryable(failure.kind)).toBe(false);
    expect(failure.detail).toBe('the 0.2 s start-up deadline leaves no time to retry after HTTP 503');
    expect(failure.vaultErrors).toEqual(['Vault is sealed']);
  });

  it('is not retried itself', async () => {
    const { clock, sleeps, deadline } = timed(10_000);
    let attempts = 0;
    await expect(
      withRetries(() => (attempts++, Promise.reject(new VaultFailure('deadline', 'no answer within the 10 s start-up deadline'))), { baseDelayMs: 40, retries: 9, deadline }, clock),
    ).rejects.toMatchObject({ kind: 'deadline' });
    expect([attempts, sleeps.length]).toEqual([1, 0]);
  });
});

describe('the wait a Retry-After asks for', () => {
  it('is that long plus a random part of up to as long again, and of up to a second at least', () => {
    expect([0, 0.5, 0.999].map((r) => retryAfterDelayMs(0, () => r))).toEqual([0, 500, 999]);
    expect([0, 0.5, 0.999].map((r) => retryAfterDelayMs(1_000, () => r))).toEqual([1_000, 1_500, 1_999]);
    expect([0, 0.5, 0.999].map((r) => retryAfterDelayMs(4_000, () => r))).toEqual([4_000, 6_000, 7_996]);
  });

  it('is at most 30 s, however long the server asks for', () => {
    expect(retryAfterDelayMs(20_000, () => 0.9)).toBe(30_000);
    expect(retryAfterDelayMs(2_147_483_647, () => 0)).toBe(30_000);
  });

  it("takes the place of the backoff for a failure that has one, whatever the retry's number", () => {
    const policy = { baseDelayMs: 40, retries: 9 };
    expect(retryDelayMs(failureForStatus(429, [], '2'), policy, 8, () => 0.5)).toBe(3_000);
    expect(retryDelayMs(failureForStatus(503, [], undefined), policy, 0, () => 0.5)).toBe(30);
  });

  it('a 429 without Retry-After waits the backoff, and at least as if it had said 0', () => {
    const policy = { baseDelayMs: 40, retries: 9 };
    expect(retryDelayMs(failureForStatus(429, [], undefined), policy, 0, () => 0.5)).toBe(500);
    expect(retryDelayMs(failureForStatus(429, [], undefined), policy, 8, () => 0.5)).toBe(7_680);
  });

  it('is waited by withRetries, and reported at once when it would end past the deadline', async () => {
    const clock = fakeClock(0.5);
    let attempts = 0;
    const result = await withRetries(
      () => (++attempts < 2 ? Promise.reject(failureForStatus(429, ['rate limit quota exceeded'], '3')) : Promise.resolve('ok')),
      { baseDelayMs: 40, retries: 9 },
      clock,
    );
    expect([result, attempts, clock.sleeps]).toEqual(['ok', 2, [4_500]]);

    const error = await rejected(
      withRetries(() => Promise.reject(failureForStatus(429, ['rate limit quota exceeded'], '20')), { baseDelayMs: 40, retries: 9, deadline: createDeadline(10_000, () => 0) }, fakeClock()),
    );
    expect(error).toMatchObject({
      kind: 'deadline',
      detail: 'the 10 s start-up deadline leaves no time to retry after HTTP 429 (Retry-After: 20 s)',
      vaultErrors: ['rate limit quota exceeded'],
    });
  });
});
