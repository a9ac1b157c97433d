// Replaces vaultenv with the command through process.execve (Node 22.15+, not Windows): same PID,
// no supervision, like vaultenv 0.19's executeFile. Before the call it undoes the state Node would
// leave to the program: ignored SIGPIPE/SIGXFSZ and non-blocking stdio (below, and
// docs/architecture.md, section "The exec stage").

import os from 'node:os';
import workerThreads from 'node:worker_threads';
import { CommandNotExecutableError, CommandNotFoundError, EnvironmentError, errorCode } from '../errors.ts';
import { TOO_LARGE_HINT } from './limits.ts';
import type { SignalRegistry } from './signals.ts';

export type ExecveFn = (file: string, args: readonly string[], env: Record<string, string>) => never;

/** Node's undocumented list of the ref'd handles' owners (`process._getActiveHandles`). */
export interface ActiveHandles {
  _getActiveHandles?(): unknown[];
}

/** A libuv stream handle Node created for one of our file descriptors. */
export interface StdioHandle {
  readonly fd?: number;
  setBlocking?(blocking: boolean): unknown;
}

export interface ExecveDeps {
  execve: ExecveFn;
  signals: SignalRegistry;
  /** Handles Node created for fds 0-2 (process.stdin/stdout/stderr, if they were ever touched). */
  stdioHandles: () => readonly StdioHandle[];
  /**
   * Writes Node's compile cache (bin/vaultenv enables it) to disk now: execve replaces the process
   * without an exit event, so Node would never write it. Does nothing when no cache is enabled.
   */
  flushCompileCache: () => void;
}

type WarningListener = (warning: unknown, ...rest: unknown[]) => void;
/** The 'warning' listeners muteExecveWarning put in place (so that a second call wraps none twice). */
const filteredListeners = new WeakSet<WarningListener>();

/**
 * Makes the 'warning' listeners (Node's own printer among them) skip process.execve's
 * ExperimentalWarning, and only it. Node emits that warning on the next tick: never seen when the
 * exec succeeds, but where a failed execve throws (Node 26 on; 22.15–25 abort instead) it would follow
 * vaultenv's own one-line error on stderr. Call it right before process.execve.
 */
export function muteExecveWarning(emitter: NodeJS.EventEmitter): void {
  for (const listener of emitter.listeners('warning') as WarningListener[]) {
    if (filteredListeners.has(listener)) continue;
    const filtered: WarningListener = (warning, ...rest) => {
      if (!isExecveWarning(warning)) Reflect.apply(listener, emitter, [warning, ...rest]);
    };
    filteredListeners.add(filtered);
    emitter.removeListener('warning', listener);
    emitter.on('warning', filtered);
  }
}

/** Node's "process.execve is an experimental feature…" warning. */
function isExecveWarning(warning: unknown): boolean {
  return warning instanceof Error && warning.name === 'ExperimentalWarning' && warning.message.startsWith('process.execve ');
}

/** Signals Node sets to SIG_IGN, which an exec'd program would inherit. */
const NODE_IGNORED_SIGNALS = ['SIGPIPE', 'SIGXFSZ'] as const;

/** Whether process.execve can be used here: it exists, is not Windows' stub, and we are not in a worker. */
export function execveAvailable(platform: NodeJS.Platform, execve: ExecveFn | undefined, mainThread = workerThreads.isMainThread): boolean {
  return platform !== 'win32' && typeof execve === 'function' && mainThread;
}

/** A caught signal is reset to SIG_DFL by execve(2); an ignored one stays ignored. */
export function restoreDefaultOnExec(): void {
  // Having the listener is the point: libuv then catches the signal instead of ignoring it.
}

/**
 * Puts the process in the state the exec'd program should start from:
 * - SIGPIPE and SIGXFSZ caught (by a no-op) instead of ignored, so the program gets SIG_DFL
 *   (`yes | head -1` must end `yes` quietly by SIGPIPE, as after the exec of vaultenv 0.19, a GHC program);
 * - fds 0-2 blocking again (makeStdioBlocking).
 * Nothing is queued in libuv: vaultenv writes synchronously (log.ts) and never uses process.stdout.
 */
function prepareForExec(deps: Pick<ExecveDeps, 'signals' | 'stdioHandles'>): void {
  for (const signal of NODE_IGNORED_SIGNALS) {
    if (!deps.signals.listeners(signal).includes(restoreDefaultOnExec)) deps.signals.on(signal, restoreDefaultOnExec);
  }
  makeStdioBlocking(deps.stdioHandles);
}

/**
 * A handle Node created on a pipe (touching process.stdout, say) sets O_NONBLOCK on the file
 * description the exec'd program inherits; programs such as `cat` then fail with EAGAIN once the
 * pipe is full. (libuv's spawn clears it in the child by itself, so only execve needs this.)
 */
function makeStdioBlocking(stdioHandles: () => readonly StdioHandle[]): void {
  for (const handle of stdioHandles()) {
    if (handle.fd !== undefined && handle.fd >= 0 && handle.fd <= 2) handle.setBlocking?.(true);
  }
}

/**
 * The stream handles Node created for fds 0-2, found without touching process.stdin/stdout/stderr
 * (their lazy getters would create a handle, and with it the O_NONBLOCK we are undoing).
 * process._getActiveHandles() lists the ref'd handles' owners; a stdio socket owns its libuv handle
 * as `_handle`, whose `fd` and `setBlocking` come from LibuvStreamWrap. Both are undocumented but
 * stable since Node 0.x; when absent, nothing is found and nothing is changed. A TTY is not affected
 * either way: libuv reopens the terminal on a new descriptor instead of changing fds 0-2.
 */
export function nodeStdioHandles(host: ActiveHandles): readonly StdioHandle[] {
  if (typeof host._getActiveHandles !== 'function') return [];
  const found: StdioHandle[] = [];
  for (const owner of host._getActiveHandles()) {
    const handle = (owner as { _handle?: unknown } | null)?._handle as StdioHandle | null | undefined;
    if (handle !== null && handle !== undefined && typeof handle.fd === 'number' && handle.fd >= 0 && handle.fd <= 2) found.push(handle);
  }
  return found;
}

/**
 * Replaces the process with `file`, argv `argv` (argv[0] as the user gave it) and exactly `env`.
 * Call only after resolveCommand and checkExecLimits: on Node 22.15–25 a failed execve aborts the
 * process. From Node 26 on, where it throws instead, the error is turned into the shell-like one.
 */
export function execCommand(file: string, argv: readonly string[], env: Readonly<Record<string, string>>, deps: ExecveDeps): never {
  prepareForExec(deps);
  deps.flushCompileCache();
  try {
    return deps.execve(file, argv, { ...env });
  } catch (error) {
    throw execFailure(argv[0] ?? file, error);
  }
}

/**
 * Turns an exec/spawn failure (an errno) into the error a shell would report: ENOENT is 127 (command
 * not found), E2BIG 7 (the environment), every other errno 126 (not executable), as bash does.
 */
export function execFailure(command: string, error: unknown): Error {
  const errno = errnoName(error);
  // No errno, or Node's own argument validation (ERR_*): not the command's fault, a bug of ours.
  if (errno === undefined || errno.startsWith('ERR_')) return error instanceof Error ? error : new Error(String(error));
  switch (errno) {
    case 'ENOENT':
      return new CommandNotFoundError('command not found', {
        input: command,
        hint: 'It, its interpreter or the working directory disappeared before it could start',
        cause: error,
      });
    case 'E2BIG':
      return new EnvironmentError("the command's arguments and environment are too large", { input: command, hint: TOO_LARGE_HINT, cause: error });
    default:
      return new CommandNotExecutableError('command is not executable', { input: command, hint: EXEC_HINTS[errno] ?? `The system refused to start it (${errno})`, cause: error });
  }
}

/**
 * The errno name of a failed exec or spawn: the error's `code`, or, where Node leaves it empty, the
 * name of its numeric `errno` (Node 26's process.execve throws E2BIG with code "" and errno 7).
 */
function errnoName(error: unknown): string | undefined {
  const code = errorCode(error);
  if (code !== undefined && code !== '') return code;
  const number: unknown = error instanceof Error && 'errno' in error ? error.errno : undefined;
  if (typeof number !== 'number') return undefined;
  // The numbers of the errno names (E2BIG: 7 on Linux).
  const numbers: Readonly<Record<string, number>> = os.constants.errno;
  return Object.keys(numbers).find((name) => numbers[name] === Math.abs(number));
}

/** Why the kernel refused, for the errnos the checks before the exec cannot foresee. */
const EXEC_HINTS: Readonly<Record<string, string>> = {
  ETXTBSY: 'The system refused to start it (ETXTBSY): the file is open for writing, being written or updated; start it once that is done',
  EACCES: 'The system refused to start it (EACCES): check the execute bit, the folders on its path, and that its mount is not noexec',
};
