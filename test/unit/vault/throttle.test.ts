import { describe, expect, it } from 'vitest';
import { failureForStatus } from '../../../src/vault/failure.ts';
import type { RetryClock } from '../../../src/vault/clock.ts';
import { withRetries } from '../../../src/vault/retry.ts';
import { ThrottleGate, type GateClock, type GateTicket } from '../../../src/vault/throttle.ts';

/** A clock whose sleeps end when the test says so, and whose time is what the test sets. */
function manualClock(): RetryClock & GateClock & { waits: Array<{ ms: number; end: () => void }>; time: number } {
  const waits: Array<{ ms: number; end: () => void }> = [];
  return {
    waits,
    time: 0,
    now() {
      return this.time;
    },
    random: () => 0.5,
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        waits.push({ ms, end: resolve });
        signal?.addEventListener('abort', () => resolve(), { once: true });
      }),
  };
}

/** Lets every settled promise's continuations run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Whether `promise` has settled by now (a ticket given at once has). */
async function settled(promise: unknown): Promise<boolean> {
  let done = false;
  void Promise.resolve(promise).then(() => (done = true));
  await settle();
  return done;
}

describe('the throttle gate', () => {
  it('is open until a throttled attempt closes it: nothing waits, the ticket is given at once', () => {
    const gate = new ThrottleGate(manualClock());
    expect(gate.enter()).toEqual({ closings: 0, first: false });
  });

  it("closes for the server's wait; then one attempt goes first, and the others follow once it was answered", async () => {
    const clock = manualClock();
    const gate = new ThrottleGate(clock);
    const [a, b, c] = await Promise.all([gate.enter(), gate.enter(), gate.enter()]);
    gate.leave(a, 700); // a was throttled: everyone waits 700 ms
    expect(clock.waits.map((w) => w.ms)).toEqual([700]);
    gate.leave(b, 650); // b was throttled in the same round: the gate is closed already, no second wait
    gate.leave(c); // c was answered
    expect(clock.waits).toHaveLength(1);

    // The gate is closed: each ticket comes as a promise.
    const entering = [gate.enter(), gate.enter(), gate.enter()].map((ticket) => Promise.resolve(ticket));
    expect(await settled(Promise.race(entering))).toBe(false);
    clock.waits[0]!.end();
    await settle();
    const first = await entering[0]!;
    expect(first).toEqual({ closings: 1, first: true });
    expect(await settled(entering[1]!)).toBe(false); // the others wait for the first one's answer
    gate.leave(first);
    expect(await Promise.all(entering.slice(1))).toEqual([
      { closings: 1, first: false },
      { closings: 1, first: false },
    ]);
  });

  it('closes again when the first attempt after a wait is throttled too', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate(clock);
    gate.leave(await gate.enter(), 500);
    const entering = [gate.enter(), gate.enter()];
    clock.waits[0]!.end();
    await settle();
    const first = await entering[0]!;
    expect(first.first).toBe(true);
    gate.leave(first, 900);
    expect(clock.waits.map((w) => w.ms)).toEqual([500, 900]);
    expect(await settled(entering[1]!)).toBe(false);
    clock.waits[1]!.end();
    await settle();
    expect(await entering[1]!).toEqual({ closings: 2, first: true });
  });

  it('is not closed again by a 429 to an attempt sent before the last wait', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate(clock);
    const [early, late] = await Promise.all([gate.enter(), gate.enter()]);
    gate.leave(early, 500);
    clock.waits[0]!.end();
    await settle();
    const first = await gate.enter();
    gate.leave(first);
    gate.leave(late, 800); // answered now, but sent before the wait: says nothing about the new window
    expect(clock.waits).toHaveLength(1);
    expect(await gate.enter()).toEqual({ closings: 1, first: false });
  });

  it('waits the fallback until an attempt got through after a wait; then until that phase of a second', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate(clock);
    expect(gate.waitMs(0, 640)).toBe(640);
    clock.time = 10_000;
    gate.leave(await gate.enter(), 640);
    clock.waits[0]!.end();
    await settle();
    clock.time = 10_640;
    const first = await gate.enter();
    expect(gate.waitMs(0, 777)).toBe(777); // not answered yet: nothing known
    gate.leave(first, undefined, true); // a window was open at 10 640
    clock.time = 11_200;
    expect(gate.waitMs(0, 777)).toBe(440); // the next window opens at 11 640 at the latest
    expect(gate.waitMs(2000, 777)).toBe(2440); // Retry-After 2 s: 13 200, and the phase after it is 13 640
    clock.time = 11_640;
    expect(gate.waitMs(0, 777)).toBe(0);
  });

  it('forgets the phase when the first attempt after a wait at that phase is throttled again', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate(clock);
    gate.leave(await gate.enter(), 640);
    clock.waits[0]!.end();
    await settle();
    clock.time = 640;
    gate.leave(await gate.enter(), undefined, true);
    clock.time = 1_200;
    expect(gate.waitMs(0, 777)).toBe(440);
    gate.leave(await gate.enter(), 440); // throttled: the run waits until 1 640
    clock.waits[1]!.end();
    await settle();
    clock.time = 1_640;
    gate.leave(await gate.enter(), 300); // throttled at the phase too: it does not get this run through
    expect(gate.waitMs(0, 777)).toBe(777);
  });

  it('learns no phase from an attempt that was not the first after a wait, or that failed', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate(clock);
    gate.leave(await gate.enter(), undefined, true); // the gate never closed: no window seen opening
    expect(gate.waitMs(0, 640)).toBe(640);
    gate.leave(await gate.enter(), 640);
    clock.waits[0]!.end();
    await settle();
    gate.leave(await gate.enter()); // the first after the wait failed another way (a 500, a reset)
    expect(gate.waitMs(0, 640)).toBe(640);
  });

  it('lets a waiting attempt go when its signal aborts, and ends a running wait on dispose', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate(clock);
    gate.leave(await gate.enter(), 30_000);
    const cancel = new AbortController();
    const waiting = gate.enter(cancel.signal);
    cancel.abort();
    expect((await waiting).first).toBe(false);
    const other = gate.enter();
    gate.dispose();
    expect((await other).first).toBe(true);
  });
});

describe('withRetries with a throttle gate', () => {
  it('makes a whole run wait out a 429 once, then sends one request before the others', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate(clock);
    const policy = { baseDelayMs: 40, retries: 9, gate };
    const sent: string[] = [];
    let limited = true; // the quota's window: the first round of requests is refused
    const read = (name: string) =>
      withRetries(() => {
        sent.push(name);
        return limited ? Promise.reject(failureForStatus(429, ['rate limit quota exceeded'], '0')) : Promise.resolve(name);
      }, policy, clock);
    const reads = ['a', 'b', 'c'].map(read);
    await settle();
    expect(sent).toEqual(['a', 'b', 'c']);
    // One wait for the run: Retry-After 0 plus half of the one second it may leave out (random 0.5).
    expect(clock.waits.map((w) => w.ms)).toEqual([500]);
    limited = false;
    clock.waits[0]!.end();
    expect(await Promise.all(reads)).toEqual(['a', 'b', 'c']);
    expect(sent).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(clock.waits).toHaveLength(1);
  });

  it('a run whose first request after the wait is throttled again sends no other request in that window', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate(clock);
    const sent: string[] = [];
    let refusals = 4; // the three of the first round, and the first one after the wait
    const read = (name: string) =>
      withRetries(() => {
        sent.push(name);
        return refusals-- > 0 ? Promise.reject(failureForStatus(429, [], '1')) : Promise.resolve(name);
      }, { baseDelayMs: 40, retries: 9, gate }, clock);
    const reads = ['a', 'b', 'c'].map(read);
    await settle();
    clock.waits[0]!.end();
    await settle();
    expect(sent).toEqual(['a', 'b', 'c', 'a']);
    expect(clock.waits.map((w) => w.ms)).toEqual([1500, 1500]); // Retry-After 1 s, plus half a second of spread
    clock.waits[1]!.end();
    expect(await Promise.all(reads)).toEqual(['a', 'b', 'c']);
    expect(sent).toEqual(['a', 'b', 'c', 'a', 'a', 'b', 'c']); // a goes first again: it was the first to wait
  });

  it('comes back at the phase where the first request after the last wait got through', async () => {
    const clock = manualClock();
    const gate = new ThrottleGate(clock);
    let limited = true;
    const sent: Array<[string, number]> = [];
    const read = (name: string) =>
      withRetries(() => {
        sent.push([name, clock.time]);
        return limited ? Promise.reject(failureForStatus(429, [], '0')) : Promise.resolve(name);
      }, { baseDelayMs: 40, retries: 9, gate }, clock);
    const first = read('a');
    await settle();
    expect(clock.waits.map((w) => w.ms)).toEqual([500]); // nothing known yet: half the spread
    clock.time = 500;
    limited = false;
    clock.waits[0]!.end();
    expect(await first).toBe('a'); // got through at 500: a window was open then
    clock.time = 1_300;
    limited = true;
    const second = read('b');
    await settle();
    expect(clock.waits.map((w) => w.ms)).toEqual([500, 200]); // to 1 500, not 1 800
    clock.time = 1_500;
    limited = false;
    clock.waits[1]!.end();
    expect(await second).toBe('b');
    expect(sent).toEqual([['a', 0], ['a', 500], ['b', 1_300], ['b', 1_500]]);
  });

  it('leaves the gate open for failures that are not throttling: a 503 without Retry-After is the request\'s own backoff', async () => {
    const clock: RetryClock & GateClock = { sleep: () => Promise.resolve(), random: () => 0.5, now: () => 0 };
    const gate = new ThrottleGate(clock);
    let attempts = 0;
    const result = await withRetries(
      () => (++attempts < 3 ? Promise.reject(failureForStatus(503, ['Vault is sealed'])) : Promise.resolve('ok')),
      { baseDelayMs: 40, retries: 9, gate },
      clock,
    );
    expect(result).toBe('ok');
    const ticket: GateTicket = await gate.enter();
    expect(ticket).toEqual({ closings: 0, first: false });
  });
});
