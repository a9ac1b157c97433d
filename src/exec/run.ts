// The exec stage: resolve the command, check argv/env limits, then replace vaultenv with it through
// process.execve, or run it as a relayed child where execve is unavailable (or spawn mode is forced).
// Every failure that can be foreseen is thrown as a VaultenvError before anything is executed.

import childProcess from 'node:child_process';
import nodeModule from 'node:module';
import tty from 'node:tty';
import workerThreads from 'node:worker_threads';
import type { ExecMode } from '../config/types.ts';
import { ConfigError } from '../errors.ts';
import { execCommand, execveAvailable, muteExecveWarning, nodeStdioHandles, type ActiveHandles } from './execve.ts';
import type { ExecveFn, StdioHandle } from './execve.ts';
import { checkExecLimits, execArgBudget } from './limits.ts';
import { nodeExecFs, type ExecFs } from './file-format.ts';
import { resolveCommand } from './path-search.ts';
import { exitStatus, relaySignals, spawnAndRelay, startChild } from './spawn.ts';
import type { ChildExit, MaskingDeps, RunningChild, SpawnFn } from './spawn.ts';
import { writeBytes } from '../log.ts';
import type { SignalRegistry } from './signals.ts';

export { guardInspectorSignal } from './signals.ts';

export interface ExecRequest {
  /** CMD as given; argv[0] is exactly this. */
  command: string;
  args: readonly string[];
  /** The complete child environment (already assembled). */
  env: Readonly<Record<string, string>>;
  /** vaultenv --use-path (default true). */
  usePath: boolean;
  /** vaultenv's OWN PATH (execvpe semantics: the parent's PATH, not the child env's). */
  searchPath: string | undefined;
  cwd: string;
  /** auto = execve when available, else spawn. */
  mode: ExecMode;
  /** --mask: the values to replace with *** in the program's stdout and stderr (spawn mode only). */
  mask?: readonly string[] | undefined;
}

/** Every effect of the stage, injectable so unit tests never replace or signal the test process. */
export interface ExecDeps {
  platform: NodeJS.Platform;
  /** process.execve; undefined where Node lacks it. */
  execve: ExecveFn | undefined;
  isMainThread: boolean;
  spawn: SpawnFn;
  kill: (pid: number, signal: NodeJS.Signals) => unknown;
  pid: number;
  signals: SignalRegistry;
  fs: ExecFs;
  isatty: (fd: number) => boolean;
  stdioHandles: () => readonly StdioHandle[];
  setTimeout: (callback: () => void, ms: number) => unknown;
  /** Writing the masked output of --mask, and cancelling its drain timer. */
  masking?: MaskingDeps | undefined;
  /** The process's working directory, and a way to change it (execve keeps ours). */
  cwd: () => string;
  chdir: (directory: string) => void;
  /**
   * Told once vaultenv is about to stay running as the program's parent (spawn mode, --mask,
   * --supervise), never before an execve: the runtime may go back to its settings for a long run.
   */
  staysRunning?: (() => void) | undefined;
  /** Before an execve: writes Node's compile cache (execve.ts). */
  flushCompileCache: () => void;
}

/** What the runtime answers or does without a module of its own (Bun's global). */
export interface RuntimeHooks {
  /** Whether this is the main thread; otherwise node:worker_threads is asked. */
  isMainThread?: (() => boolean) | undefined;
  staysRunning?: (() => void) | undefined;
  /** Instead of node:module's flushCompileCache (a runtime without Node's compile cache has nothing to write). */
  flushCompileCache?: (() => void) | undefined;
}

/** What the stage uses of Node's `process` object; cli/entry.ts hands in the real one. */
export type ExecHost = Pick<NodeJS.Process, 'platform' | 'execve' | 'kill' | 'pid' | 'cwd' | 'chdir'> & SignalRegistry & NodeJS.EventEmitter & ActiveHandles;

/** The real effects, on `host`, with what the runtime offers of its own (`hooks`). */
export function nodeExecDeps(host: ExecHost, hooks: RuntimeHooks = {}): ExecDeps {
  const { execve } = host;
  const mainThread = hooks.isMainThread ?? (() => workerThreads.isMainThread);
  return {
    platform: host.platform,
    execve:
      typeof execve === 'function'
        ? (file, args, env) => {
            muteExecveWarning(host);
            execve.call(host, file, args, env);
            throw new Error('process.execve returned');
          }
        : undefined,
    // Read when asked (just before the exec): loading node:worker_threads costs start-up time, and
    // these deps are built at start for --supervise.
    get isMainThread() {
      return mainThread();
    },
    spawn: (file, args, options) => childProcess.spawn(file, [...args], options),
    kill: (pid, signal) => host.kill(pid, signal),
    pid: host.pid,
    signals: host,
    fs: nodeExecFs,
    isatty: (fd) => tty.isatty(fd),
    stdioHandles: () => nodeStdioHandles(host),
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    masking: {
      write: (fd, bytes) => writeBytes(fd, bytes),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
    cwd: () => host.cwd(),
    chdir: (directory) => host.chdir(directory),
    staysRunning: hooks.staysRunning,
    flushCompileCache: hooks.flushCompileCache ?? (() => nodeModule.flushCompileCache()),
  };
}

/**
 * Runs the command. With execve it never returns. With spawn it resolves with the status vaultenv
 * must exit with: the child's exit code, or 128+n after re-raising the child's signal failed.
 * Throws CommandNotFoundError, CommandNotExecutableError, EnvironmentError or
 * ConfigError (execve forced where unavailable) before anything is executed.
 */
export async function runCommand(request: ExecRequest, d: ExecDeps): Promise<number> {
  const file = resolveCommand(request.command, { usePath: request.usePath, searchPath: request.searchPath, cwd: request.cwd }, d.fs);
  const argv = [request.command, ...request.args];
  checkExecLimits(file, argv, request.env, execArgBudget(d.fs));

  const canExecve = execveAvailable(d.platform, d.execve, d.isMainThread);
  if (request.mode === 'execve' && request.mask !== undefined) {
    throw new ConfigError('--mask needs the program to run as a child, and the exec mode is "execve"', {
      input: '--exec-mode / VAULTENV_EXEC_MODE',
      hint: 'drop --exec-mode execve (--mask runs the program in spawn mode), or drop --mask',
    });
  }
  if (request.mode === 'execve' && !canExecve) {
    throw new ConfigError('exec mode "execve" is not available here', {
      input: '--exec-mode / VAULTENV_EXEC_MODE',
      hint: 'process.execve needs Node 22.15+ on Linux or macOS, in the main thread; use --exec-mode auto or spawn',
    });
  }
  if (request.mode !== 'spawn' && request.mask === undefined && canExecve && d.execve !== undefined) {
    // execve keeps our working directory, so move there first when the request names another one.
    if (d.cwd() !== request.cwd) d.chdir(request.cwd);
    execCommand(file, argv, request.env, { execve: d.execve, signals: d.signals, stdioHandles: d.stdioHandles, flushCompileCache: d.flushCompileCache });
  }
  d.staysRunning?.();
  // No stdio fix-up needed here: libuv's spawn makes fds 0-2 blocking in the child itself.
  return spawnAndRelay(file, request.command, request.args, request.env, request.cwd, d, request.mask);
}

/** What --supervise uses of the exec stage: the program as a child, signals, and the status to end with. */
export interface ProgramHost {
  /** The checks of runCommand, then the program as a child (always spawned: vaultenv stays its parent). */
  start(request: ExecRequest): Promise<RunningChild>;
  /** Relays the signals vaultenv receives to `target()` (spawn mode's rules); returns the way to stop. */
  relay(target: () => RunningChild | undefined, onSignal: (signal: NodeJS.Signals) => void): () => void;
  /** The status vaultenv ends with for a program that ended so (the spawn mode's). */
  finish(exit: ChildExit): Promise<number>;
}

export function programHost(d: ExecDeps): ProgramHost {
  return {
    start: async (request) => {
      const file = resolveCommand(request.command, { usePath: request.usePath, searchPath: request.searchPath, cwd: request.cwd }, d.fs);
      checkExecLimits(file, [request.command, ...request.args], request.env, execArgBudget(d.fs));
      d.staysRunning?.();
      return startChild(file, request.command, request.args, request.env, request.cwd, d);
    },
    relay: (target, onSignal) => relaySignals(target, d, onSignal),
    finish: (exit) => exitStatus(exit, d),
  };
}
