// The fallback when process.execve is missing (Node < 22.15, Windows) or spawn mode is forced: run
// the command as a child, relay termination signals to it once each, and end with its status (its
// exit code, or its signal re-raised on ourselves, or 128+n); its parts also serve --supervise. The
// secrets stay in this process's memory while the child runs; vaultenv does not reap orphans as PID 1
// (use `docker run --init`). With --mask the child's stdout and stderr are pipes whose bytes pass
// through MaskFilter on their way to ours.

import os from 'node:os';
import { EXIT } from '../errors.ts';
import { execFailure } from './execve.ts';
import { MaskFilter } from './mask-stream.ts';
import { inspectorGuard } from './signals.ts';
import type { SignalListener, SignalRegistry } from './signals.ts';

/** The part of a ChildProcess the relay uses. */
export interface ChildLike {
  readonly pid?: number | undefined;
  kill(signal: NodeJS.Signals): boolean;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** The pipes of stdout and stderr, with --mask. */
  readonly stdout?: OutputPipe | null;
  readonly stderr?: OutputPipe | null;
}

/** The part of a child's output pipe the mask uses. */
export interface OutputPipe {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'end' | 'close', listener: () => void): unknown;
  destroy(): unknown;
}

export interface SpawnOptions {
  stdio: 'inherit' | ['inherit', 'pipe', 'pipe'];
  env: Record<string, string>;
  argv0: string;
  cwd: string;
}

export type SpawnFn = (file: string, args: readonly string[], options: SpawnOptions) => ChildLike;

export interface SpawnDeps {
  spawn: SpawnFn;
  /** process.kill, used only on ourselves to die by the child's signal. */
  kill: (pid: number, signal: NodeJS.Signals) => unknown;
  pid: number;
  signals: SignalRegistry;
  isatty: (fd: number) => boolean;
  setTimeout: (callback: () => void, ms: number) => unknown;
  /** What --mask needs besides: writing to our stdout and stderr, and cancelling the drain timer. */
  masking?: MaskingDeps | undefined;
}

export interface MaskingDeps {
  /** Writes all of `bytes` to our stdout (1) or stderr (2), synchronously. */
  write: (fd: 1 | 2, bytes: Uint8Array) => void;
  clearTimeout: (handle: unknown) => void;
}

/** Signals relayed to the child: the ones supervisors and terminals use to stop or poke a program. */
const RELAYED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * Signals a terminal sends to its whole foreground process group (Ctrl-C, Ctrl-\, hangup). The child
 * is in our group (never detached), so when stdin is a terminal it already got them: relaying would
 * deliver them twice. Caveat of the simple isatty(0) test: in a background job (`vaultenv cmd &`)
 * with a terminal on stdin, a `kill -INT` aimed at vaultenv alone does not reach the child.
 */
const TERMINAL_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGQUIT', 'SIGHUP']);

/**
 * Signals whose default action dumps core. Re-raising one of them on ourselves would write a core
 * file of vaultenv, whose memory holds the Vault token and the secrets; we exit with 128+n instead
 * (what a shell reports for such a death anyway).
 */
const CORE_DUMP_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set([
  'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGIOT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGXCPU', 'SIGXFSZ', 'SIGSYS',
]);

/**
 * With --mask, how long the child's pipes may stay open after it exited (a background process it
 * left behind may hold them) before vaultenv stops reading them and ends with the child's status.
 */
const PIPE_DRAIN_MS = 2000;

/** How long we wait to die by the re-raised signal before exiting with 128+n (PID 1 ignores self-signals). */
const SELF_SIGNAL_GRACE_MS = 200;

/**
 * Spawns `file` with argv[0] = `argv0`, relays signals, and resolves with the status vaultenv must
 * exit with. Rejects with CommandNotFoundError/CommandNotExecutableError/EnvironmentError when the
 * spawn itself fails (the file vanished after resolveCommand, for instance).
 */
export function spawnAndRelay(
  file: string,
  argv0: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  cwd: string,
  deps: SpawnDeps,
  mask?: readonly string[],
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let child: ChildLike;
    try {
      child = deps.spawn(file, args, { stdio: mask === undefined ? 'inherit' : ['inherit', 'pipe', 'pipe'], env: { ...env }, argv0, cwd });
    } catch (error) {
      // Node reports only some errnos (ENOENT, EACCES, EAGAIN, EMFILE, ENFILE) by an 'error' event and
      // throws the others at once: ETXTBSY for a file open for writing, for one.
      reject(execFailure(argv0, error));
      return;
    }
    if (child.pid === undefined) {
      // Spawn failures are reported by an 'error' event, never by 'exit'.
      child.once('error', (error) => reject(execFailure(argv0, error)));
      return;
    }
    // Later 'error' events must not crash us, however many come: Node emits one for each signal that
    // could not be delivered (EPERM for a setuid child). The child's 'exit' decides the outcome.
    child.on('error', () => undefined);
    const drained = mask === undefined ? undefined : pipeMasked(child, mask, deps);

    const stopRelaying = relaySignals(() => child, deps);
    child.once('exit', (code, signal) => {
      stopRelaying();
      // With --mask, what the child wrote is passed on before vaultenv ends with its status.
      if (drained === undefined) void exitStatus({ code, signal }, deps).then(resolve);
      else void drained.then(() => exitStatus({ code, signal }, deps)).then(resolve);
    });
  });
}

/**
 * Passes the child's stdout and stderr through a MaskFilter each, to ours. Resolves when both pipes
 * closed, or PIPE_DRAIN_MS after the child exited when something else still holds them open.
 */
function pipeMasked(child: ChildLike, values: readonly string[], deps: SpawnDeps): Promise<void> {
  const io = deps.masking;
  if (io === undefined) throw new Error('--mask without a way to write the masked output');
  const pipes: Array<[OutputPipe | null | undefined, 1 | 2]> = [
    [child.stdout, 1],
    [child.stderr, 2],
  ];
  const closed = pipes.map(
    ([pipe, fd]) =>
      new Promise<void>((resolve) => {
        if (pipe === null || pipe === undefined) {
          resolve();
          return;
        }
        const filter = new MaskFilter(values);
        const write = (bytes: Uint8Array): void => {
          if (bytes.length > 0) io.write(fd, bytes);
        };
        pipe.on('data', (chunk) => write(filter.push(chunk)));
        pipe.once('close', () => {
          write(filter.end());
          resolve();
        });
      }),
  );
  return new Promise<void>((resolve) => {
    let timer: unknown;
    void Promise.all(closed).then(() => {
      if (timer !== undefined) io.clearTimeout(timer);
      resolve();
    });
    child.once('exit', () => {
      timer = deps.setTimeout(() => {
        for (const [pipe] of pipes) pipe?.destroy();
        resolve();
      }, PIPE_DRAIN_MS);
    });
  });
}

/** How a child ended: its exit code, or the signal that killed it. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child that runs: what --supervise needs to signal it and to learn how it ended. */
export interface RunningChild {
  readonly pid: number;
  readonly exited: Promise<ChildExit>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Spawns `file` like spawnAndRelay, without relaying or ending with its status: resolves once it
 * runs, rejects as spawnAndRelay does when it cannot be started.
 */
export function startChild(
  file: string,
  argv0: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  cwd: string,
  deps: Pick<SpawnDeps, 'spawn'>,
): Promise<RunningChild> {
  return new Promise<RunningChild>((resolve, reject) => {
    let child: ChildLike;
    try {
      child = deps.spawn(file, args, { stdio: 'inherit', env: { ...env }, argv0, cwd });
    } catch (error) {
      reject(execFailure(argv0, error));
      return;
    }
    const { pid } = child;
    if (pid === undefined) {
      child.once('error', (error) => reject(execFailure(argv0, error)));
      return;
    }
    child.on('error', () => undefined);
    const exited = new Promise<ChildExit>((done) => child.once('exit', (code, signal) => done({ code, signal })));
    resolve({ pid, exited, kill: (signal) => relayTo(child, signal) });
  });
}

/**
 * Relays the signals of RELAYED_SIGNALS that vaultenv receives to the child `target()` names at that
 * moment (none: dropped), by the terminal rule above, and tells `onSignal` of each one received.
 * Returns the function that stops relaying.
 */
export function relaySignals(
  target: () => { kill(signal: NodeJS.Signals): unknown } | undefined,
  deps: Pick<SpawnDeps, 'signals' | 'isatty'>,
  onSignal: (signal: NodeJS.Signals) => void = () => undefined,
): () => void {
  const onTerminal = deps.isatty(0);
  const relays = new Map<NodeJS.Signals, SignalListener>();
  for (const signal of RELAYED_SIGNALS) {
    // On a terminal we still listen to INT/QUIT/HUP (without relaying) so that we outlive the child
    // and end with its status.
    const relay: SignalListener = () => {
      const child = target();
      if (child !== undefined && !(onTerminal && TERMINAL_SIGNALS.has(signal))) relayTo(child, signal);
      onSignal(signal);
    };
    relays.set(signal, relay);
    deps.signals.on(signal, relay);
  }
  return () => {
    for (const [name, relay] of relays) deps.signals.off(name, relay);
  };
}

/**
 * The status vaultenv ends with for a child that ended so: its exit code; or, for a signal, the
 * signal re-raised on ourselves, else 128+n (at once for signals that dump core, after a grace
 * period when the re-raised signal did not end us).
 */
export function exitStatus(exit: ChildExit, deps: Pick<SpawnDeps, 'kill' | 'pid' | 'signals' | 'setTimeout'>): Promise<number> {
  return new Promise<number>((resolve) => {
    const { code, signal } = exit;
    if (code !== null) {
      resolve(code);
      return;
    }
    const number = signal === null ? undefined : (os.constants.signals as Record<string, number | undefined>)[signal];
    if (signal === null || number === undefined) {
      resolve(EXIT.internal);
      return;
    }
    if (CORE_DUMP_SIGNALS.has(signal)) {
      resolve(128 + number);
      return;
    }
    dieBy(signal, deps);
    deps.setTimeout(() => resolve(128 + number), SELF_SIGNAL_GRACE_MS);
  });
}

/**
 * Sends `signal` to the child. A relay that fails is dropped: ChildProcess.kill throws for EINVAL and
 * ENOSYS (and emits 'error' for EPERM, ignored above); vaultenv keeps waiting for the child either way.
 */
function relayTo(child: { kill(signal: NodeJS.Signals): unknown }, signal: NodeJS.Signals): void {
  try {
    child.kill(signal);
  } catch {
    // Nothing to do: the child's exit still ends the run.
  }
}

/** Makes `signal`'s default action happen to us: our status then says the child died by it. */
function dieBy(signal: NodeJS.Signals, deps: Pick<SpawnDeps, 'kill' | 'pid' | 'signals'>): void {
  if (signal === 'SIGUSR1') deps.signals.off('SIGUSR1', inspectorGuard);
  if (signal !== 'SIGKILL' && signal !== 'SIGSTOP') {
    // When its last listener goes, libuv sets the disposition to SIG_DFL. That overrides Node's
    // SIG_IGN for SIGPIPE and its own handlers for INT/TERM/USR1. Another module's listener would
    // keep the signal caught; the timer's 128+n covers that.
    const probe = (): void => undefined;
    deps.signals.on(signal, probe);
    deps.signals.off(signal, probe);
  }
  try {
    deps.kill(deps.pid, signal);
  } catch {
    // Nothing to do: the timer resolves with 128+n.
  }
}
