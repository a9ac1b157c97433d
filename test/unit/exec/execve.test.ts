import { describe, expect, it } from 'vitest';
import { CommandNotExecutableError, CommandNotFoundError, EnvironmentError, renderError, VaultenvError } from '../../../src/errors.ts';
import { execFailure } from '../../../src/exec/execve.ts';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: spawn failed`), { code });

describe('execFailure', () => {
  it.each([
    { code: 'ENOENT', type: CommandNotFoundError, exitCode: 127 },
    { code: 'EACCES', type: CommandNotExecutableError, exitCode: 126 },
    { code: 'E2BIG', type: EnvironmentError, exitCode: 7 },
  ])('$code: a $type.name naming the command, with a hint, on one line', ({ code, type, exitCode }) => {
    const error = execFailure('my-app', errno(code));
    expect(error).toBeInstanceOf(type);
    const failure = error as VaultenvError;
    expect(failure.exitCode).toBe(exitCode);
    expect(failure.input).toBe('my-app');
    expect(failure.hint).toBeTruthy();
    expect(renderError(failure).text).toMatch(/^vaultenv: [^\n]+ \(my-app\)\. [A-Z][^\n]+\n$/);
  });

  it("passes Node's own argument errors (ERR_*) and errors without an errno through as bugs", () => {
    const nodeError = errno('ERR_INVALID_ARG_TYPE');
    expect(execFailure('my-app', nodeError)).toBe(nodeError);
    expect(execFailure('my-app', 'odd')).toBeInstanceOf(Error);
    expect(execFailure('my-app', 'odd')).not.toBeInstanceOf(VaultenvError);
  });
});
