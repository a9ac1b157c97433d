import { describe, expect, it } from 'vitest';
import { ConfigError, EXIT, SecretsFileError, describeFileError, errorCode, renderError } from '../../src/errors.ts';

describe('renderError', () => {
  it('renders one line: what failed, the input, the hint with a capital', () => {
    const { text, exitCode } = renderError(new ConfigError('no command given', { input: 'command line', hint: 'pass a command' }));
    expect(text).toBe('vaultenv: no command given (command line). Pass a command\n');
    expect(exitCode).toBe(EXIT.usage);
  });

  it('adds context lines after the message line', () => {
    const { text } = renderError(new SecretsFileError('bad line', { input: 'f:2:3', context: ['  2 | a b', '    |  ^'] }));
    expect(text).toBe('vaultenv: bad line (f:2:3)\n  2 | a b\n    |  ^\n');
  });

  it('never prints the message of an unexpected error, and exits 70', () => {
    const { text, exitCode } = renderError(new TypeError('value s3cr3t-token is undefined'));
    expect(exitCode).toBe(70);
    expect(text).toContain('internal error (TypeError)');
    expect(text).not.toContain('s3cr3t-token');
  });
});

describe('describeFileError', () => {
  it.each([
    ['ENOENT', 'not found'],
    ['ENOTDIR', 'not found'],
    ['EACCES', 'is not readable (permission denied)'],
    ['EPERM', 'is not readable (permission denied)'],
    ['EISDIR', 'is a directory'],
    ['ELOOP', 'cannot be read (too many levels of symbolic links)'],
    ['EIO', 'cannot be read (EIO)'],
    [undefined, 'cannot be read (unknown error)'],
  ])('%s: "<file> %s"', (code, text) => {
    expect(describeFileError(code)).toBe(text);
  });

  it('takes the code of a file-system error, and nothing from other values', () => {
    expect(errorCode(Object.assign(new Error('open /x'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(errorCode(Object.assign(new Error('x'), { code: 42 }))).toBeUndefined();
    expect(errorCode({ code: 'ENOENT' })).toBeUndefined();
    expect(errorCode(undefined)).toBeUndefined();
  });
});
