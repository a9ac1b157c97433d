// --supervise: vaultenv stays the parent of the program while it runs. For each generation (one
// all-or-nothing fetch of the secrets, and the program started with them) three loops run beside the
// program: the token renewer (renew/loop.ts, the same rule as `vaultenv renew`), the lease keeper
// (renews every lease of a dynamic secret until it cannot be kept), and the watcher (checks every
// secret without a lease each interval). What they find reaches one inbox, and the main loop alone
// acts on it: a change or a lease that ends applies --on-change; the program's exit, or SIGTERM, ends
// the supervision, after revoking what the generation holds. Vault being unreachable never stops the
// program: failed renewals are retried with backoff, failed checks are tried again next interval, and a
// restart whose fetch fails keeps the running program until a later attempt succeeds.

import { VaultenvError } from '../errors.ts';
import { runRenewer, type RenewClock, type RenewDeps } from '../renew/loop.ts';
import type { SecretRead } from '../vault/fetch.ts';
import { VaultFailure, describeFailure, isRetryable } from '../vault/failure.ts';
import type { ChildExit, RunningChild } from '../exec/spawn.ts';
import type { VaultHttp } from '../vault/http.ts';
import { retryDelayMs } from '../vault/retry.ts';
import {
  afterFailure,
  afterRenewal,
  describeChange,
  describeLease,
  jitteredMs,
  leaseAction,
  newLease,
  observedAsBaseline,
  watchedSecret,
  type OnChange,
  type WatchedSecret,
} from './decide.ts';
import { digestOf, observe, renewLease, revokeLease, revokeOwnToken } from './requests.ts';

/** One all-or-nothing fetch: the program's environment, what was read, and the connection to keep. */
export interface Generation {
  env: Readonly<Record<string, string>>;
  reads: readonly SecretRead[];
  /** A client without the start-up deadline, with the token set. Closed when the generation ends. */
  client: VaultHttp;
  /** The token to keep alive, read again every cycle (a token file may be replaced); undefined: none. */
  readToken: RenewDeps['readToken'] | undefined;
  /** The token came from vaultenv's own login: it is revoked with the leases. */
  ownToken: boolean;
}

/** How a program ended, and the running program, as the exec stage starts it. */
export type ProgramExit = ChildExit;
export type Program = RunningChild;

export interface SupervisorConfig {
  watchIntervalMs: number;
  onChange: OnChange;
  stopTimeoutMs: number;
  revoke: boolean;
  renewFraction: number;
  retryBaseDelayMs: number;
  retryAttempts: number;
}

export interface SupervisorDeps {
  /** Fetches every secret again (a restart); rejects with the VaultenvError of the first failure. */
  fetch(): Promise<Generation>;
  /** Starts the program with `env`. */
  start(env: Readonly<Record<string, string>>): Promise<Program>;
  clock: RenewClock;
  log: { info(msg: string): void; warn(msg: string): void };
  /** Called with every lease ID read, so that no output can show one in full. */
  secret(value: string): void;
  /** Registers what to do when vaultenv is told to stop (SIGTERM, SIGINT), after the signal was relayed. */
  onStop(listener: () => void): void;
}

/** How the supervision ended: the program's own exit, or --on-change exit. */
export type Outcome = { kind: 'exited'; exit: ProgramExit } | { kind: 'changed' };

type Event =
  | { kind: 'exited'; id: number; exit: ProgramExit }
  | { kind: 'stop' }
  | { kind: 'change'; id: number; reason: string }
  | { kind: 'failed'; error: unknown };

/** A generation with its program and loops. */
interface Running {
  id: number;
  generation: Generation;
  program: Program;
  /** Ends the generation's loops. */
  loops: AbortController;
  exited: boolean;
  /** The supervisor is stopping the program itself (a restart, --on-change exit). */
  stopping: boolean;
}

/** After SIGKILL a process is gone at once; this bounds the wait for its exit all the same. */
const KILLED_WAIT_MS = 5_000;
/** Backoff exponents beyond this would overflow; the delay is capped at the interval long before. */
const MAX_BACKOFF_EXPONENT = 30;

/** Events reach the main loop in order, from the loops and the signal handler. */
class Inbox {
  private readonly events: Event[] = [];
  private wake: (() => void) | undefined;

  push(event: Event): void {
    this.events.push(event);
    this.wake?.();
  }

  async next(): Promise<Event> {
    for (;;) {
      const event = this.events.shift();
      if (event !== undefined) return event;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/**
 * Starts the program with the first generation (fetched by the caller, so that its failures end the
 * run as in exec mode) and supervises it until it ends.
 */
export async function supervise(first: Generation, config: SupervisorConfig, deps: SupervisorDeps): Promise<Outcome> {
  const inbox = new Inbox();
  const { log, clock } = deps;
  let stopRequested = false;
  deps.onStop(() => {
    // Set at once, not when the event is handled: a restart in progress must not start a new program.
    stopRequested = true;
    inbox.push({ kind: 'stop' });
  });
  let nextId = 1;
  const released = new WeakSet<Generation>();
  let current = await launch(first);

  async function launch(generation: Generation): Promise<Running> {
    for (const read of generation.reads) if (read.leaseId !== '') deps.secret(read.leaseId);
    let program: Program;
    try {
      program = await deps.start(generation.env);
    } catch (error) {
      await release(generation);
      throw error;
    }
    const run: Running = { id: nextId++, generation, program, loops: new AbortController(), exited: false, stopping: false };
    void program.exited.then((exit) => {
      run.exited = true;
      inbox.push({ kind: 'exited', id: run.id, exit });
    });
    const failed = (error: unknown) => {
      if (!run.loops.signal.aborted) inbox.push({ kind: 'failed', error });
    };
    keepToken(run).catch(failed);
    keepLeases(run).catch(failed);
    watch(run).catch(failed);
    const leases = generation.reads.filter((read) => read.leaseId !== '').length;
    log.info(`supervising pid ${program.pid}: ${leases} lease${leases === 1 ? '' : 's'}, ${generation.reads.length - leases} secret${generation.reads.length - leases === 1 ? '' : 's'} watched every ${config.watchIntervalMs / 1000}s`);
    return run;
  }

  async function keepToken(run: Running): Promise<void> {
    const { readToken } = run.generation;
    if (readToken === undefined) return;
    try {
      await runRenewer(
        { intervalMs: config.watchIntervalMs, once: false, renewFraction: config.renewFraction, retryBaseDelayMs: config.retryBaseDelayMs, retryAttempts: config.retryAttempts },
        { client: run.generation.client, readToken, clock, log, signal: run.loops.signal },
      );
    } catch (error) {
      if (run.loops.signal.aborted || !(error instanceof VaultenvError)) throw error;
      // Leases end with the token that read them: the lease keeper then sees them end, and --on-change applies.
      log.warn(`the token can no longer be kept alive: ${error.message}${error.hint === undefined ? '' : ` (${error.hint})`}`);
    }
  }

  async function keepLeases(run: Running): Promise<void> {
    const { signal } = run.loops;
    const kept = run.generation.reads
      .filter((read) => read.leaseId !== '')
      .map((read) => ({ read, lease: newLease(read, clock.now()), ended: false }));
    while (!signal.aborted && kept.some((entry) => !entry.ended)) {
      let wake = clock.now() + config.watchIntervalMs;
      for (const entry of kept) {
        if (entry.ended || signal.aborted) continue;
        const now = clock.now();
        const action = leaseAction(entry.lease, now, config.renewFraction);
        const name = `lease ${describeLease(entry.lease.id)} of ${entry.read.path} (${entry.read.variables.join(', ')})`;
        if (action.kind === 'wait') {
          wake = Math.min(wake, action.until);
          continue;
        }
        if (action.kind === 'ending') {
          entry.ended = true;
          inbox.push({ kind: 'change', id: run.id, reason: `${name} ${action.reason}` });
          continue;
        }
        try {
          const { granted, renewable } = await renewLease(run.generation.client, entry.lease.id, entry.lease.duration, signal);
          const before = Math.max(0, Math.round((entry.lease.expiresAt - now) / 1000));
          entry.lease = afterRenewal(entry.lease, granted, renewable, clock.now());
          log.info(`renewed ${name}: ttl ${before}s -> ${granted}s${entry.lease.capped ? ' (capped by its maximum TTL)' : ''}`);
        } catch (error) {
          if (signal.aborted) return;
          if (!(error instanceof VaultFailure)) throw error;
          if (!isRetryable(error.kind)) {
            entry.ended = true;
            inbox.push({ kind: 'change', id: run.id, reason: `${name}: Vault refused to renew it (${describeFailure(error)})` });
            continue;
          }
          const exponent = Math.min(entry.lease.failures, MAX_BACKOFF_EXPONENT);
          const delay = Math.min(config.watchIntervalMs, retryDelayMs(error, { baseDelayMs: config.retryBaseDelayMs, retries: Infinity }, exponent, () => clock.random()));
          entry.lease = afterFailure(entry.lease, clock.now(), delay);
          log.warn(`renewing ${name} failed: ${describeFailure(error)}; retrying in ${delay} ms`);
        }
        wake = clock.now();
      }
      await clock.sleep(Math.max(0, wake - clock.now()), signal);
    }
  }

  async function watch(run: Running): Promise<void> {
    const { signal } = run.loops;
    let watched = run.generation.reads.map((read) => watchedSecret(read, digestOf)).filter((secret): secret is WatchedSecret => secret !== undefined);
    const dataOnly = new Set<string>();
    while (watched.length > 0) {
      await clock.sleep(jitteredMs(config.watchIntervalMs, () => clock.random()), signal);
      if (signal.aborted) return;
      const changes: string[] = [];
      const next: WatchedSecret[] = [];
      for (const secret of watched) {
        let observed;
        try {
          observed = await observe(run.generation.client, secret, !dataOnly.has(secret.path), signal);
        } catch (error) {
          if (signal.aborted) return;
          if (!(error instanceof VaultFailure)) throw error;
          if (secret.kind === 'version' && !dataOnly.has(secret.path) && error.kind === 'forbidden') {
            // A policy may allow the data of a secret and not its metadata: its version is in a read too.
            dataOnly.add(secret.path);
            log.warn(`no access to ${secret.metadataPath}: checking ${secret.path} by reading it instead (allow read on the metadata path to avoid that)`);
          } else {
            log.warn(`checking ${secret.path} failed: ${describeFailure(error)}; checking again in about ${config.watchIntervalMs / 1000}s`);
          }
          next.push(secret);
          continue;
        }
        const change = describeChange(secret, observed);
        if (change !== undefined) changes.push(change);
        next.push(observedAsBaseline(secret, observed));
      }
      watched = next;
      if (changes.length > 0) inbox.push({ kind: 'change', id: run.id, reason: changes.join('; ') });
    }
  }

  /** Ends a generation's loops and, unless --no-revoke, revokes its leases and its own token. Once per generation. */
  async function release(generation: Generation, run?: Running): Promise<void> {
    run?.loops.abort();
    if (released.has(generation)) return;
    released.add(generation);
    try {
      if (!config.revoke) return;
      for (const read of generation.reads) {
        if (read.leaseId === '') continue;
        const name = `lease ${describeLease(read.leaseId)} of ${read.path}`;
        try {
          await revokeLease(generation.client, read.leaseId);
          log.info(`revoked ${name}`);
        } catch (error) {
          if (!(error instanceof VaultFailure)) throw error;
          // Revoking the token below revokes its leases too.
          if (generation.ownToken) log.info(`revoking ${name} failed: ${describeFailure(error)}; it ends with the token`);
          else log.warn(`revoking ${name} failed: ${describeFailure(error)}; it ends at its TTL`);
        }
      }
      if (generation.ownToken) {
        try {
          await revokeOwnToken(generation.client);
          log.info('revoked the token of the login');
        } catch (error) {
          if (!(error instanceof VaultFailure)) throw error;
          log.warn(`revoking the token of the login failed: ${describeFailure(error)}; it ends at its TTL`);
        }
      }
    } finally {
      generation.client.close();
    }
  }

  /** SIGTERM, then SIGKILL after --stop-timeout. */
  async function stopProgram(run: Running): Promise<void> {
    run.stopping = true;
    if (run.exited) return;
    run.program.kill('SIGTERM');
    const timer = new AbortController();
    const ended = run.program.exited.then(() => timer.abort());
    await clock.sleep(config.stopTimeoutMs, timer.signal);
    if (run.exited) return;
    log.warn(`pid ${run.program.pid} did not end within ${config.stopTimeoutMs / 1000}s of SIGTERM: sending SIGKILL`);
    run.program.kill('SIGKILL');
    await Promise.race([ended, clock.sleep(KILLED_WAIT_MS)]);
  }

  /** --on-change restart: a new generation first (all or nothing), and only then the program's restart. */
  async function restart(run: Running, reason: string): Promise<void> {
    let generation: Generation;
    try {
      generation = await deps.fetch();
    } catch (error) {
      if (!(error instanceof VaultenvError)) throw error;
      const delay = jitteredMs(config.watchIntervalMs, () => clock.random());
      log.warn(`restart postponed: fetching the secrets again failed: ${error.message}${error.input === undefined ? '' : ` (${error.input})`}; the program keeps running, trying again in ${Math.round(delay / 1000)}s`);
      void clock.sleep(delay, run.loops.signal).then(() => {
        if (!run.loops.signal.aborted) inbox.push({ kind: 'change', id: run.id, reason });
      });
      return;
    }
    if (run.exited || stopRequested) {
      // The program ended (or vaultenv was told to stop) meanwhile: its exit decides, not the restart.
      await release(generation);
      return;
    }
    await stopProgram(run);
    await release(run.generation, run);
    current = await launch(generation);
    log.info(`restarted the program: pid ${run.program.pid} -> ${current.program.pid}`);
  }

  try {
    return await mainLoop();
  } catch (error) {
    // A bug, or a program that cannot be started again: nothing may be left running behind the error.
    await stopProgram(current);
    await release(current.generation, current);
    throw error;
  }

  async function mainLoop(): Promise<Outcome> {
    for (;;) {
      const event = await inbox.next();
      switch (event.kind) {
        case 'failed':
          throw event.error;
        case 'stop':
          // The signal was relayed to the program; its exit ends the supervision.
          continue;
        case 'exited':
          if (event.id !== current.id) continue;
          await release(current.generation, current);
          return { kind: 'exited', exit: event.exit };
        case 'change': {
          if (event.id !== current.id || current.exited || current.stopping || stopRequested) continue;
          const action = config.onChange;
          log.info(`change: ${event.reason}; on-change ${action.kind === 'signal' ? `signal ${action.signal}` : action.kind}`);
          if (action.kind === 'signal') {
            current.program.kill(action.signal);
            continue;
          }
          if (action.kind === 'exit') {
            await stopProgram(current);
            await release(current.generation, current);
            return { kind: 'changed' };
          }
          await restart(current, event.reason);
          continue;
        }
      }
    }
  }
}
