import { describe, expect, it } from 'vitest';
import { CommandNotFoundError, ConfigError, EnvironmentError } from '../../../src/errors.ts';
import { execveAvailable, nodeStdioHandles, restoreDefaultOnExec } from '../../../src/exec/execve.ts';
import type { ExecveFn, StdioHandle } from '../../../src/exec/execve.ts';
import { guardInspectorSignal, programHost, runCommand } from '../../../src/exec/run.ts';
import type { ExecDeps, ExecRequest } from '../../../src/exec/run.ts';
import { inspectorGuard } from '../../../src/exec/signals.ts';
import { elf64, FakeFs } from '../../fixtures/exec/fake-fs.ts';
import { errnoError, FakeChild, fakeSpawn, FakeSignals, FakeTimers } from '../../fixtures/exec/fakes.ts';

/** Thrown by the fake execve in place of "the process is gone". */
class Replaced extends Error {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;

  constructor(file: string, args: readonly string[], env: Record<string, string>) {
    super('replaced');
    this.file = file;
    this.args = args;
    this.env = env;
  }
}

function request(overrides: Partial<ExecRequest> = {}): ExecRequest {
  return { command: 'app', args: ['--flag', ''], env: { A: '1' }, usePath: true, searchPath: '/opt/bin', cwd: '/work', mode: 'auto', ...overrides };
}

function setup(overrides: Partial<ExecDeps> = {}) {
  const child = new FakeChild(99);
  const { spawn, calls: spawned } = fakeSpawn(child);
  const signals = new FakeSignals();
  const events: string[] = [];
  const handle = (fd: number): StdioHandle => ({ fd, setBlocking: (on: boolean) => events.push(`blocking fd${fd} ${on}`) });
  const execve: ExecveFn = (file, args, env) => {
    events.push(`execve ${file}`);
    throw new Replaced(file, args, env);
  };
  const deps: ExecDeps = {
    platform: 'linux',
    execve,
    isMainThread: true,
    spawn,
    kill: () => undefined,
    pid: 1234,
    signals,
    fs: new FakeFs({ '/opt/bin/app': { type: 'file', executable: true, content: elf64() } }),
    isatty: () => false,
    stdioHandles: () => [handle(1), handle(2), handle(7)],
    flushCompileCache: () => {},
    setTimeout: new FakeTimers().setTimeout,
    cwd: () => '/work',
    chdir: (dir) => events.push(`chdir ${dir}`),
    ...overrides,
  };
  return { deps, child, spawned, signals, events };
}

async function replaced(promise: Promise<unknown>): Promise<Replaced> {
  const outcome = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof Replaced)) throw new Error(`expected execve, got ${String(outcome)}`);
  return outcome;
}

describe('runCommand', () => {
  it('execs the resolved file with argv[0] as given, the exact env, after preparing the process', async () => {
    const { deps, signals, events, spawned } = setup();
    const exec = await replaced(runCommand(request(), deps));
    expect(exec.file).toBe('/opt/bin/app');
    expect(exec.args).toEqual(['app', '--flag', '']);
    expect(exec.env).toEqual({ A: '1' });
    expect(signals.listeners('SIGPIPE')).toEqual([restoreDefaultOnExec]);
    expect(signals.listeners('SIGXFSZ')).toEqual([restoreDefaultOnExec]);
    // Only the handles on fds 0-2 are made blocking, before the execve.
    expect(events).toEqual(['blocking fd1 true', 'blocking fd2 true', 'execve /opt/bin/app']);
    expect(spawned).toEqual([]);
  });

  it('changes to the requested working directory before execve (execve keeps ours)', async () => {
    const { deps, events } = setup({ cwd: () => '/elsewhere' });
    await replaced(runCommand(request(), deps));
    expect(events.filter((e) => !e.startsWith('blocking'))).toEqual(['chdir /work', 'execve /opt/bin/app']);
  });

  it.each([
    ['execve is missing', { execve: undefined }],
    ['on Windows', { platform: 'win32' as const }],
    ['in a worker thread', { isMainThread: false }],
  ])('falls back to spawn when %s', async (_name, overrides) => {
    const { deps, child, spawned } = setup(overrides);
    const status = runCommand(request(), deps);
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(spawned.map((c) => [c.file, c.options.argv0, c.args])).toEqual([['/opt/bin/app', 'app', ['--flag', '']]]);
    child.exit(3);
    await expect(status).resolves.toBe(3);
  });

  it('spawns in spawn mode even where execve is available', async () => {
    const { deps, child, spawned, events } = setup();
    const status = runCommand(request({ mode: 'spawn' }), deps);
    await new Promise((resolve) => setImmediate(resolve));
    expect(spawned).toHaveLength(1);
    expect(events).toEqual([]);
    child.exit(0);
    await expect(status).resolves.toBe(0);
  });

  it('tells the runtime it stays running before it spawns the program, and never before an execve', async () => {
    const told: string[] = [];
    const staysRunning = () => told.push('stays running');
    await replaced(runCommand(request(), setup({ staysRunning }).deps));
    expect(told).toEqual([]);
    for (const [overrides, asked] of [
      [{ execve: undefined }, {}],
      [{}, { mode: 'spawn' as const }],
    ] as const) {
      told.length = 0;
      const { deps, child } = setup({ staysRunning, ...overrides });
      const status = runCommand(request(asked), deps);
      await new Promise((resolve) => setImmediate(resolve));
      expect(told).toEqual(['stays running']);
      child.exit(0);
      await expect(status).resolves.toBe(0);
    }
    told.length = 0;
    await programHost(setup({ staysRunning }).deps).start(request());
    expect(told).toEqual(['stays running']);
  });

  it('refuses execve mode where execve is unavailable, before running anything', async () => {
    const { deps, spawned } = setup({ execve: undefined });
    const error = await runCommand(request({ mode: 'execve' }), deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      message: 'exec mode "execve" is not available here',
      input: '--exec-mode / VAULTENV_EXEC_MODE',
      hint: 'process.execve needs Node 22.15+ on Linux or macOS, in the main thread; use --exec-mode auto or spawn',
    });
    expect(spawned).toEqual([]);
  });

  it('throws for a missing command or a bad environment before any exec or spawn', async () => {
    for (const mode of ['auto', 'spawn'] as const) {
      const { deps, spawned, events } = setup();
      const missing = await runCommand(request({ command: 'nope', mode }), deps).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(missing).toBeInstanceOf(CommandNotFoundError);
      expect(missing).toMatchObject({ message: 'command not found', input: 'nope', hint: 'Check PATH or give an absolute path' });
      const error = await runCommand(request({ env: { TOKEN: 'abc\0def' }, mode }), deps).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EnvironmentError);
      expect(error).toMatchObject({ message: 'the value of environment variable "TOKEN" contains a NUL byte', input: 'command /opt/bin/app' });
      expect(spawned).toEqual([]);
      expect(events).toEqual([]);
    }
  });

  it('turns an execve that throws (Node 26) into the shell-like error', async () => {
    const execve: ExecveFn = () => {
      throw errnoError('ENOENT');
    };
    const { deps } = setup({ execve });
    const error = await runCommand(request(), deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CommandNotFoundError);
    expect(error).toMatchObject({
      message: 'command not found',
      input: 'app',
      hint: 'It, its interpreter or the working directory disappeared before it could start',
    });
  });
});

describe('execveAvailable', () => {
  const execve: ExecveFn = () => {
    throw new Error('unused');
  };
  it('needs a function, a platform other than Windows, and the main thread', () => {
    expect(execveAvailable('linux', execve, true)).toBe(true);
    expect(execveAvailable('darwin', execve, true)).toBe(true);
    expect(execveAvailable('win32', execve, true)).toBe(false);
    expect(execveAvailable('linux', undefined, true)).toBe(false);
    expect(execveAvailable('linux', execve, false)).toBe(false);
  });
});

describe('nodeStdioHandles', () => {

  it('picks the libuv handles on fds 0-2 from the active handles, without touching process.stdout', () => {
    const stdout = { fd: 1, setBlocking: () => 0 };
    const stdin = { fd: 0, setBlocking: () => 0 };
    const owners = [{ _handle: stdout }, { _handle: { fd: 9 } }, { _handle: null }, null, {}, { _handle: stdin }, { _handle: { fd: -1 } }];
    expect(nodeStdioHandles({ _getActiveHandles: () => owners })).toEqual([stdout, stdin]);
  });

  it('finds nothing when Node no longer offers the lookup', () => {
    expect(nodeStdioHandles({})).toEqual([]);
  });
});

describe('guardInspectorSignal', () => {
  it('installs one no-op SIGUSR1 listener, once', () => {
    const signals = new FakeSignals();
    guardInspectorSignal(signals);
    guardInspectorSignal(signals);
    expect(signals.listeners('SIGUSR1')).toEqual([inspectorGuard]);
    expect(() => signals.emit('SIGUSR1')).not.toThrow();
  });
});
