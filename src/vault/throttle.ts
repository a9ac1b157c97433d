// The throttle gate: one per run, shared by all of its requests (retry.ts). When Vault answers 429
// (or 503 with Retry-After), the wait is the whole run's, not the one request's: the gate closes for
// that wait, and every request of the run, not only the throttled one, waits for it to reopen. Then
// one request goes first; the others follow once it is answered without a 429, or wait again with
// it. So a run that meets a rate limit costs it one request per wait, not one per request in flight,
// and a fleet of runs, each waiting its own random part of the server's interval, spreads itself
// over the quota's windows instead of hammering them together.
// Rate-limit quotas count in fixed windows of whole seconds. The first attempt answered after a wait
// shows an instant at which a window was open; later waits end at that same phase of a second, so
// the run comes back just after a window opens instead of at a random point of it, for as long as
// coming back at that phase gets it through.

import type { RetryClock } from './clock.ts';

/** What an attempt got from the gate, handed back when it is answered. */
export interface GateTicket {
  /** How many times the gate had closed when the attempt started. */
  readonly closings: number;
  /** The one attempt let through after a wait. */
  readonly first: boolean;
}

/** The length that every rate-limit window is a whole multiple of: quotas count in whole seconds. */
const WINDOW_UNIT_MS = 1000;

/** Where the gate reads the time from: a monotonic clock in milliseconds. */
export interface GateClock extends Pick<RetryClock, 'sleep'> {
  now(): number;
}

export class ThrottleGate {
  /** Pending while the server's wait runs. */
  #closed: Promise<void> | undefined;
  /** Pending while the first attempt after a wait is out. */
  #firstOut: Promise<void> | undefined;
  #endFirst: () => void = () => {};
  #firstDue = false;
  #closings = 0;
  /** When the first attempt after a wait was answered without a 429: a window was open then. */
  #openAt: number | undefined;
  readonly #clock: GateClock;
  readonly #stop = new AbortController();

  constructor(clock: GateClock) {
    this.#clock = clock;
  }

  /**
   * How long to wait after a throttle that asked for `retryAfterMs`: until the first instant at least
   * that far ahead that falls at the phase of a second where an attempt got through after an earlier
   * wait. Before any attempt has, `fallbackMs` (a random spread).
   */
  waitMs(retryAfterMs: number, fallbackMs: number): number {
    if (this.#openAt === undefined) return fallbackMs;
    const now = this.#clock.now();
    const units = Math.ceil((now + retryAfterMs - this.#openAt) / WINDOW_UNIT_MS);
    return Math.max(0, this.#openAt + units * WINDOW_UNIT_MS - now);
  }

  /** Ends a wait still running when the run is over, so that its timer does not hold the process. */
  dispose(): void {
    this.#stop.abort();
  }

  /**
   * The ticket of an attempt: at once when the gate is open (most attempts of a run: no promise to
   * wait for), else once the attempt may start or `signal` aborts.
   */
  enter(signal?: AbortSignal): GateTicket | Promise<GateTicket> {
    return this.#closed === undefined && this.#firstOut === undefined ? this.#admit() : this.#enterWhenOpen(signal);
  }

  async #enterWhenOpen(signal: AbortSignal | undefined): Promise<GateTicket> {
    for (let blocker = this.#closed ?? this.#firstOut; blocker !== undefined; blocker = this.#closed ?? this.#firstOut) {
      if (signal?.aborted === true) return { closings: this.#closings, first: false };
      await untilAborted(blocker, signal);
    }
    return this.#admit();
  }

  #admit(): GateTicket {
    const first = this.#firstDue;
    if (first) {
      this.#firstDue = false;
      this.#firstOut = new Promise((resolve) => (this.#endFirst = resolve));
    }
    return { closings: this.#closings, first };
  }

  /**
   * The attempt of `ticket` is over. `throttledMs` is the wait the server asked for when it throttled
   * the attempt and it will be retried: the gate closes for it, unless it closed since the attempt
   * started (a 429 to a request sent before the last wait says nothing new). `answered` says the
   * server answered it without a throttle.
   */
  leave(ticket: GateTicket, throttledMs?: number, answered = false): void {
    if (ticket.first && answered) this.#openAt = this.#clock.now();
    // Throttled although it came at that phase: others fill the window before it, so the phase is
    // no good for this run; the random spread may find an earlier one.
    if (ticket.first && throttledMs !== undefined) this.#openAt = undefined;
    if (throttledMs !== undefined && ticket.closings === this.#closings && this.#closed === undefined) {
      this.#closings++;
      this.#firstDue = true;
      const closed: Promise<void> = this.#clock.sleep(throttledMs, this.#stop.signal).then(() => {
        if (this.#closed === closed) this.#closed = undefined;
      });
      this.#closed = closed;
    }
    if (ticket.first) {
      this.#firstOut = undefined;
      this.#endFirst();
    }
  }
}

/** Resolves when `promise` settles or `signal` aborts, whichever is first. */
function untilAborted(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void promise.then(done);
  });
}
