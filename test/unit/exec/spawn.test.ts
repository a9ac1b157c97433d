import { describe, expect, it } from 'vitest';
import { CommandNotExecutableError, CommandNotFoundError, EnvironmentError } from '../../../src/errors.ts';
import { inspectorGuard } from '../../../src/exec/signals.ts';
import { relaySignals, spawnAndRelay, startChild } from '../../../src/exec/spawn.ts';

/** The signals the spawn fallback passes on to the child. */
const RELAYED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
/** How long vaultenv waits to die by the child's signal before it exits with 128+n. */
const SELF_SIGNAL_GRACE_MS = 200;
import type { SpawnDeps } from '../../../src/exec/spawn.ts';
import { errnoError, FakeChild, fakeSpawn, FakeSignals, FakeTimers } from '../../fixtures/exec/fakes.ts';

const OWN_PID = 4242;

function setup(options: { tty?: boolean; pid?: number | undefined } = {}) {
  const child = new FakeChild('pid' in options ? options.pid : 777);
  const { spawn, calls } = fakeSpawn(child);
  const signals = new FakeSignals();
  const timers = new FakeTimers();
  const selfKills: NodeJS.Signals[] = [];
  const deps: SpawnDeps = {
    spawn,
    kill: (pid, signal) => {
      expect(pid).toBe(OWN_PID);
      selfKills.push(signal);
    },
    pid: OWN_PID,
    signals,
    isatty: (fd) => fd === 0 && options.tty === true,
    setTimeout: timers.setTimeout,
  };
  const status = spawnAndRelay('/usr/bin/app', 'app', ['-x', ''], { A: '1' }, '/work', deps);
  return { child, calls, signals, timers, selfKills, status };
}

describe('spawnAndRelay', () => {
  it('spawns with inherited stdio, argv0 as given, the env and cwd, never detached', () => {
    const { calls } = setup();
    expect(calls).toEqual([{ file: '/usr/bin/app', args: ['-x', ''], options: { stdio: 'inherit', env: { A: '1' }, argv0: 'app', cwd: '/work' } }]);
  });

  it.each(RELAYED_SIGNALS)('relays %s to the child once per delivery', (signal) => {
    const { child, signals } = setup();
    signals.emit(signal);
    expect(child.killed).toEqual([signal]);
    signals.emit(signal);
    expect(child.killed).toEqual([signal, signal]);
  });

  it('on a terminal, keeps listening to INT, QUIT and HUP without relaying them, but relays the others', () => {
    const { child, signals } = setup({ tty: true });
    for (const signal of ['SIGINT', 'SIGQUIT', 'SIGHUP'] as const) {
      expect(signals.count(signal)).toBe(1);
      signals.emit(signal);
    }
    expect(child.killed).toEqual([]);
    for (const signal of ['SIGTERM', 'SIGUSR1', 'SIGUSR2'] as const) signals.emit(signal);
    expect(child.killed).toEqual(['SIGTERM', 'SIGUSR1', 'SIGUSR2']);
  });

  it.each([0, 3, 42])('resolves with exit code %i and removes its listeners', async (code) => {
    const { child, signals, status } = setup();
    child.exit(code);
    await expect(status).resolves.toBe(code);
    for (const signal of RELAYED_SIGNALS) expect(signals.count(signal)).toBe(0);
    signals.emit('SIGTERM');
    expect(child.killed).toEqual([]);
  });

  it('re-raises a terminating signal on itself with the default action forced, then falls back to 128+n', async () => {
    const { child, signals, timers, selfKills, status } = setup();
    signals.log.length = 0;
    child.exit(null, 'SIGPIPE');
    // A listener added and removed makes libuv reset the disposition to SIG_DFL (Node ignores SIGPIPE).
    expect(signals.log.filter((entry) => entry.endsWith('SIGPIPE'))).toEqual(['on SIGPIPE', 'off SIGPIPE']);
    expect(selfKills).toEqual(['SIGPIPE']);
    expect(timers.pending.map((t) => t.ms)).toEqual([SELF_SIGNAL_GRACE_MS]);
    timers.runAll(); // still alive (as PID 1 would be)
    await expect(status).resolves.toBe(141);
  });

  it('removes the inspector guard before re-raising SIGUSR1', async () => {
    const { child, signals, timers, selfKills, status } = setup();
    signals.on('SIGUSR1', inspectorGuard);
    child.exit(null, 'SIGUSR1');
    expect(signals.count('SIGUSR1')).toBe(0);
    expect(selfKills).toEqual(['SIGUSR1']);
    timers.runAll();
    await expect(status).resolves.toBe(138);
  });

  it('does not re-raise a core-dumping signal (no core file of a process holding secrets)', async () => {
    const { child, selfKills, status } = setup();
    child.exit(null, 'SIGSEGV');
    await expect(status).resolves.toBe(139);
    expect(selfKills).toEqual([]);
  });

  it('re-raises SIGKILL without trying to listen to it', async () => {
    const { child, signals, timers, selfKills, status } = setup();
    signals.log.length = 0;
    child.exit(null, 'SIGKILL');
    expect(signals.log.some((entry) => entry === 'on SIGKILL')).toBe(false);
    expect(selfKills).toEqual(['SIGKILL']);
    timers.runAll();
    await expect(status).resolves.toBe(137);
  });

  it.each([
    ['ETXTBSY', CommandNotExecutableError, 126],
    ['E2BIG', EnvironmentError, 7],
  ] as const)('turns a spawn that throws %s at once into %s', async (code, type, exitCode) => {
    const signals = new FakeSignals();
    const deps: SpawnDeps = {
      spawn: () => {
        throw errnoError(code);
      },
      kill: () => undefined,
      pid: OWN_PID,
      signals,
      isatty: () => false,
      setTimeout: () => undefined,
    };
    const error = await spawnAndRelay('/usr/bin/app', 'app', [], {}, '/work', deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(type);
    expect((error as InstanceType<typeof type>).exitCode).toBe(exitCode);
    expect(signals.count('SIGTERM')).toBe(0);
  });

  it.each([
    ['ENOENT', CommandNotFoundError, 127, 'command not found'],
    ['EACCES', CommandNotExecutableError, 126, 'command is not executable'],
    ['ENOEXEC', CommandNotExecutableError, 126, 'command is not executable'],
    ['E2BIG', EnvironmentError, 7, "the command's arguments and environment are too large"],
  ] as const)('turns a spawn error %s into %s', async (code, type, exitCode, message) => {
    const { child, signals, status } = setup({ pid: undefined });
    child.emit('error', errnoError(code));
    const error = await status.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ exitCode, message, input: 'app' });
    expect(signals.count('SIGTERM')).toBe(0);
  });

  it('ignores an error event after a successful spawn (a failed relay), and still ends with the exit code', async () => {
    const { child, status } = setup();
    child.emit('error', errnoError('ESRCH'));
    child.exit(5);
    await expect(status).resolves.toBe(5);
  });

  it('survives every relay the child refuses with an error event (EPERM: a setuid child), and ends with its exit code', async () => {
    const { child, signals, status } = setup();
    child.killFailure = { mode: 'emit', code: 'EPERM' };
    // An EventEmitter throws an 'error' nobody listens to: the second and third would crash vaultenv
    // if only the first were absorbed.
    expect(() => {
      signals.emit('SIGTERM');
      signals.emit('SIGTERM');
      signals.emit('SIGHUP');
    }).not.toThrow();
    expect(child.killed).toEqual(['SIGTERM', 'SIGTERM', 'SIGHUP']);
    child.exit(0);
    await expect(status).resolves.toBe(0);
  });

  it.each(['EINVAL', 'ENOSYS'])('survives a relay whose kill throws %s, and keeps relaying', async (code) => {
    const { child, signals, status } = setup();
    child.killFailure = { mode: 'throw', code };
    expect(() => signals.emit('SIGTERM')).not.toThrow();
    child.killFailure = undefined;
    signals.emit('SIGUSR1');
    expect(child.killed).toEqual(['SIGTERM', 'SIGUSR1']);
    child.exit(3);
    await expect(status).resolves.toBe(3);
  });
});

describe('startChild and relaySignals (--supervise)', () => {
  it('resolves with the running child, whose exit is a promise, and kills it on request', async () => {
    const child = new FakeChild(901);
    const { spawn, calls } = fakeSpawn(child);
    const running = await startChild('/usr/bin/app', 'app', ['a'], { A: '1' }, '/work', { spawn });
    expect(calls).toEqual([{ file: '/usr/bin/app', args: ['a'], options: { stdio: 'inherit', env: { A: '1' }, argv0: 'app', cwd: '/work' } }]);
    expect(running.pid).toBe(901);
    running.kill('SIGHUP');
    expect(child.killed).toEqual(['SIGHUP']);
    child.exit(null, 'SIGTERM');
    await expect(running.exited).resolves.toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('rejects with the exec error when the child cannot be spawned', async () => {
    const child = new FakeChild(undefined);
    const { spawn } = fakeSpawn(child);
    const started = startChild('/usr/bin/app', 'app', [], {}, '/work', { spawn });
    child.emit('error', errnoError('ENOENT'));
    await expect(started).rejects.toBeInstanceOf(CommandNotFoundError);
  });

  it('relays to whichever child the target names at the time, tells of each signal, and stops', () => {
    const signals = new FakeSignals();
    const first = new FakeChild(1);
    const second = new FakeChild(2);
    let target: FakeChild | undefined = first;
    const told: NodeJS.Signals[] = [];
    const stop = relaySignals(() => target, { signals, isatty: () => false }, (signal) => told.push(signal));
    signals.emit('SIGUSR1');
    target = second;
    signals.emit('SIGTERM');
    target = undefined;
    signals.emit('SIGHUP');
    expect(first.killed).toEqual(['SIGUSR1']);
    expect(second.killed).toEqual(['SIGTERM']);
    expect(told).toEqual(['SIGUSR1', 'SIGTERM', 'SIGHUP']);
    stop();
    for (const signal of RELAYED_SIGNALS) expect(signals.count(signal)).toBe(0);
  });
});
