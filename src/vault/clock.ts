// The clock of a session with Vault: timers for the retries' waits, a random source for their
// jitter, and a monotonic time for the start-up deadline, the throttle gate and the connections' idle
// time. Injected, so that tests need no waiting; a module of its own, so that cli/entry.ts can give
// a run its clock without loading the Vault stages.

export interface RetryClock {
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}

/** A retry clock that also reads the time: a monotonic clock, in milliseconds. */
export interface SessionClock extends RetryClock {
  now(): number;
}

/**
 * Timers and performance.now(). On Node the global `performance` loads node:perf_hooks at its first
 * use, so a run's entry (cli/entry.ts) reads the time from process.hrtime instead.
 */
export const realClock: SessionClock = {
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
  now: () => performance.now(),
};
