// The start-up deadline (--deadline-seconds): one moment by which a run has its secrets or gives up.
// Login, mount lookups, reads and their retries all end by it: http.ts caps each request's time limit
// by the time left and sends nothing once it passed, and retry.ts starts no wait that would pass it.
// The clock is injected so the tests of retry.ts need no waiting.

export interface Deadline {
  /** Milliseconds left; 0 once the deadline passed. */
  remainingMs(): number;
  /** How messages name it: "the 60 s start-up deadline". */
  readonly label: string;
}

/** A deadline `totalMs` from now; `now` is a monotonic clock in milliseconds. */
export function createDeadline(totalMs: number, now: () => number): Deadline {
  const end = now() + totalMs;
  return {
    remainingMs: () => Math.max(0, end - now()),
    label: `the ${Number((totalMs / 1000).toFixed(3))} s start-up deadline`,
  };
}
