import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CommandNotExecutableError, CommandNotFoundError, EnvironmentError, renderError, VaultenvError } from '../../../src/errors.ts';
import { execFailure, muteExecveWarning } from '../../../src/exec/execve.ts';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: spawn failed`), { code });

describe('execFailure', () => {
  it.each([
    {
      code: 'ENOENT',
      type: CommandNotFoundError,
      exitCode: 127,
      message: 'command not found',
      hint: 'It, its interpreter or the working directory disappeared before it could start',
    },
    {
      code: 'EACCES',
      type: CommandNotExecutableError,
      exitCode: 126,
      message: 'command is not executable',
      hint: 'The system refused to start it (EACCES): check the execute bit, the folders on its path, and that its mount is not noexec',
    },
    {
      code: 'ETXTBSY',
      type: CommandNotExecutableError,
      exitCode: 126,
      message: 'command is not executable',
      hint: 'The system refused to start it (ETXTBSY): the file is open for writing, being written or updated; start it once that is done',
    },
    // Any other errno is 126, as in bash: only ENOENT is "not found".
    ...['ENOEXEC', 'ELOOP', 'ENOTDIR', 'ENAMETOOLONG', 'ENOMEM', 'EPERM', 'EIO'].map((code) => ({
      code,
      type: CommandNotExecutableError,
      exitCode: 126,
      message: 'command is not executable',
      hint: `The system refused to start it (${code})`,
    })),
    {
      code: 'E2BIG',
      type: EnvironmentError,
      exitCode: 7,
      message: "the command's arguments and environment are too large",
      hint: 'Inherit fewer variables (--no-inherit-env), pass large secrets through files, or raise the stack size limit (ulimit -s): Linux allows a quarter of it, at most 6 MiB',
    },
  ])('$code: a $type.name naming the command, with a hint, on one line', ({ code, type, exitCode, message, hint }) => {
    const error = execFailure('my-app', errno(code));
    expect(error).toBeInstanceOf(type);
    const failure = error as VaultenvError;
    expect(failure.exitCode).toBe(exitCode);
    expect(failure.input).toBe('my-app');
    expect(failure.message).toBe(message);
    expect(failure.hint).toBe(hint);
    expect(renderError(failure).text).toMatch(/^vaultenv: [^\n]+ \(my-app\)\. [A-Z][^\n]+\n$/);
  });

  // What Node 26's process.execve throws for E2BIG: an empty code and the positive errno, where
  // spawn's errors carry the name and libuv's negative number.
  it.each([
    ['process.execve: code "" and errno 7', { code: '', errno: 7 }],
    ["libuv: code 'E2BIG' and errno -7", { code: 'E2BIG', errno: -7 }],
    ['no code, errno 7', { errno: 7 }],
  ])('knows E2BIG by its number when the code is empty (%s)', (_label, fields) => {
    const error = execFailure('my-app', Object.assign(new Error("Argument list too long '/bin/true'"), fields));
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).exitCode).toBe(7);
  });

  it("passes Node's own argument errors (ERR_*) and errors without an errno through as bugs", () => {
    const nodeError = errno('ERR_INVALID_ARG_TYPE');
    expect(execFailure('my-app', nodeError)).toBe(nodeError);
    const odd = execFailure('my-app', 'odd');
    expect(odd).not.toBeInstanceOf(VaultenvError);
    expect(odd).toEqual(new Error('odd'));
  });
});

describe('muteExecveWarning', () => {
  const warning = (name: string, message: string): Error => Object.assign(new Error(message), { name });
  const execveWarning = warning('ExperimentalWarning', 'process.execve is an experimental feature and might change at any time');

  it("keeps process.execve's ExperimentalWarning, and only it, from every 'warning' listener", () => {
    const emitter = new EventEmitter();
    const printed: string[] = [];
    const other: unknown[] = [];
    emitter.on('warning', (w: Error) => printed.push(w.message));
    emitter.on('warning', (w: Error, extra: unknown) => other.push([w.name, extra]));
    muteExecveWarning(emitter);
    muteExecveWarning(emitter); // a second call wraps nothing twice
    expect(emitter.listenerCount('warning')).toBe(2);
    emitter.emit('warning', execveWarning);
    expect([printed, other]).toEqual([[], []]);
    const others = [warning('ExperimentalWarning', 'SQLite is an experimental feature'), warning('DeprecationWarning', 'process.execve is old'), warning('Warning', 'x')];
    for (const w of others) emitter.emit('warning', w, 'extra');
    expect(printed).toEqual(['SQLite is an experimental feature', 'process.execve is old', 'x']);
    expect(other).toEqual([['ExperimentalWarning', 'extra'], ['DeprecationWarning', 'extra'], ['Warning', 'extra']]);
  });
});
