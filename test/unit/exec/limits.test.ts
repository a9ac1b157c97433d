import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EnvironmentError, renderError } from '../../../src/errors.ts';
import { checkExecLimits, execArgBudget } from '../../../src/exec/limits.ts';

import { thrownAs } from '../../helpers/thrown.ts';

// The limits, written out here rather than taken from the code under test: Linux's MAX_ARG_STRLEN
// (32 pages of 4 KiB), the argv + envp budget of the default 8 MiB stack (a quarter of it), the
// margin kept below it, and the pointer per argv/envp entry on a 64-bit system.
const MAX_ARG_STRLEN = 128 * 1024;
const DEFAULT_BUDGET = 2 * 1024 * 1024;
const ARG_MAX_MARGIN = 4 * 1024;
const POINTER_SIZE = 8;
const TOO_LARGE =
  'Inherit fewer variables (--no-inherit-env), pass large secrets through files, or raise the stack size limit (ulimit -s): Linux allows a quarter of it, at most 6 MiB';

/** The checks with the budget of the default stack. */
const check = (file: string, argv: readonly string[], env: Readonly<Record<string, string>>, budget = DEFAULT_BUDGET): void =>
  checkExecLimits(file, argv, env, budget);

const SECRET = 'hunter2-secret-value';

const failure = (run: () => void): EnvironmentError => thrownAs(EnvironmentError, run);

/** Everything a user would see for the error. */
function rendered(error: EnvironmentError): string {
  return renderError(error).text;
}

describe('checkExecLimits', () => {
  it('accepts an ordinary command and environment', () => {
    expect(() => check('/bin/sh', ['sh', '-c', 'true', ''], { PATH: '/bin', EMPTY: '', UNICODE: 'ünï' })).not.toThrow();
  });

  it('rejects a NUL in a value, naming the variable but never the value', () => {
    const error = failure(() => check('/bin/true', ['true'], { DB_PASSWORD: `${SECRET}\0tail` }));
    expect(error.exitCode).toBe(7);
    expect(rendered(error)).toContain('DB_PASSWORD');
    expect(rendered(error)).not.toContain(SECRET);
    expect(rendered(error)).not.toContain('tail');
  });

  it('rejects a NUL in a name or an argument', () => {
    expect(rendered(failure(() => check('/bin/true', ['true'], { 'A\0B': 'x' })))).toContain('"A"');
    const arg = failure(() => check('/bin/true', ['true', 'ok', `${SECRET}\0`], {}));
    expect(arg.message).toContain('argument 2');
    expect(rendered(arg)).not.toContain(SECRET);
  });

  it('rejects an empty name and a name with "=" without showing what follows the "="', () => {
    expect(failure(() => check('/bin/true', ['true'], { '': 'x' })).message).toContain('empty name');
    const error = failure(() => check('/bin/true', ['true'], { [`TOKEN=${SECRET}`]: 'x' }));
    expect(rendered(error)).toContain('"TOKEN"');
    expect(rendered(error)).not.toContain(SECRET);
  });

  it('allows one NAME=value of MAX_ARG_STRLEN bytes with its NUL, and refuses one byte more', () => {
    const fits = 'v'.repeat(MAX_ARG_STRLEN - 'BIG='.length - 1);
    expect(() => check('/bin/true', ['true'], { BIG: fits })).not.toThrow();
    const error = failure(() => check('/bin/true', ['true'], { BIG: `${fits}v` }));
    expect(rendered(error)).toContain('"BIG" is too large');
    expect(rendered(error)).not.toContain('vvvv');
  });

  it('counts bytes, not UTF-16 units', () => {
    const twoByteChars = 'é'.repeat(MAX_ARG_STRLEN / 2);
    expect(() => check('/bin/true', ['true'], { X: twoByteChars })).toThrow(EnvironmentError);
  });

  it('refuses one argument longer than MAX_ARG_STRLEN', () => {
    const error = failure(() => check('/bin/true', ['true', 'x'.repeat(MAX_ARG_STRLEN)], {}));
    expect(error.message).toContain('argument 1');
  });

  it('refuses argv + env over the budget, counting a NUL and a pointer per string', () => {
    const budget = DEFAULT_BUDGET - ARG_MAX_MARGIN;
    const value = 'v'.repeat(100_000);
    const perVar = (name: string): number => name.length + 1 + value.length + 1 + POINTER_SIZE;
    const env: Record<string, string> = {};
    let total = '/bin/true'.length + 1 + 'true'.length + 1 + POINTER_SIZE;
    for (let i = 0; total + perVar(`V${i}`) <= budget; i++) {
      env[`V${i}`] = value;
      total += perVar(`V${i}`);
    }
    expect(() => check('/bin/true', ['true'], env)).not.toThrow();
    // Fill up to exactly the budget, then one byte over.
    const rest = budget - total - ('LAST='.length + 1 + POINTER_SIZE);
    env.LAST = 'v'.repeat(rest);
    expect(() => check('/bin/true', ['true'], env)).not.toThrow();
    env.LAST += 'v';
    const error = failure(() => check('/bin/true', ['true'], env));
    expect(error.message).toContain('too large');
    expect(error.hint).toContain('--no-inherit-env');
  });

  it.each([
    {
      name: 'a NUL in an argument',
      argv: ['true', `${SECRET}\0`],
      env: {},
      message: 'argument 1 of the command contains a NUL byte',
      hint: 'A program argument cannot contain NUL',
    },
    {
      name: 'a too long argument',
      argv: ['true', 'x'.repeat(MAX_ARG_STRLEN)],
      env: {},
      message: 'argument 1 of the command is too long (129 KiB)',
      hint: 'One argument may be at most 128 KiB including its NUL; pass large data through a file',
    },
    { name: 'an empty name', argv: ['true'], env: { '': 'x' }, message: 'an environment variable has an empty name', hint: 'Every variable needs a name' },
    {
      name: 'a name with "="',
      argv: ['true'],
      env: { [`A=${SECRET}`]: 'x' },
      message: 'environment variable name "A" contains "="',
      hint: 'The part after "=" would become the value',
    },
    {
      name: 'a NUL in a name',
      argv: ['true'],
      env: { [`A\0${SECRET}`]: 'x' },
      message: 'environment variable name "A" contains a NUL byte',
      hint: 'Variable names cannot contain NUL; check the names in the secrets file',
    },
    {
      name: 'a value that is no string',
      argv: ['true'],
      env: { A: 1 as unknown as string },
      message: 'environment variable "A" has no string value',
      hint: 'Every value must be a string; this is a bug in vaultenv, please report it',
    },
    {
      name: 'a NUL in a value',
      argv: ['true'],
      env: { A: `${SECRET}\0` },
      message: 'the value of environment variable "A" contains a NUL byte',
      hint: 'Environment values cannot contain NUL; store binary secrets encoded (base64)',
    },
    {
      name: 'a too large variable',
      argv: ['true'],
      env: { A: 'v'.repeat(MAX_ARG_STRLEN) },
      message: 'environment variable "A" is too large (129 KiB)',
      hint: 'One NAME=value may be at most 128 KiB (Linux MAX_ARG_STRLEN); pass large secrets through a file',
    },
    {
      name: 'all too large together',
      argv: ['true'],
      env: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`V${i}`, 'v'.repeat(120_000)])),
      message: "the command's arguments and environment are too large (2345 KiB, limit 2044 KiB)",
      hint: TOO_LARGE,
    },
  ])('$name: one line with the command as input and a hint', ({ argv, env, message, hint }) => {
    const error = failure(() => check('/bin/true', argv, env));
    expect(error.message).toBe(message);
    expect(error.input).toBe('command /bin/true');
    expect(error.hint).toBe(hint);
    expect(rendered(error)).toMatch(/^vaultenv: [^\n]+ \(command \/bin\/true\)\. [A-Z][^\n]+\n$/);
    expect(rendered(error)).not.toContain(SECRET);
  });
});

describe('execArgBudget', () => {
  /** /proc/self/limits as Linux writes it, with `soft` as the stack's soft limit. */
  const limits = (soft: string): string =>
    [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max cpu time              unlimited            unlimited            seconds   ',
      `Max stack size            ${soft.padEnd(21)}unlimited            bytes     `,
      'Max core file size        0                    unlimited            bytes     ',
      '',
    ].join('\n');
  const reading = (text: string) => ({
    read: (file: string, position: number, length: number) => {
      expect({ file, position }).toEqual({ file: '/proc/self/limits', position: 0 });
      return Buffer.from(text).subarray(0, length);
    },
  });
  const failing = {
    read: (): Uint8Array => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
  };

  it.each([
    ['the default 8 MiB stack', '8388608', 2 * 1024 * 1024],
    ['ulimit -s 2048', '2097152', 512 * 1024],
    ['ulimit -s 100000 (at most 6 MiB)', '102400000', 6 * 1024 * 1024],
    ['ulimit -s unlimited (at most 6 MiB)', 'unlimited', 6 * 1024 * 1024],
    ['ulimit -s 256 (at least 128 KiB)', '262144', 128 * 1024],
    ['a stack limit not divisible by 4', '2097153', 524_288],
  ])('is a quarter of the stack soft limit, between 128 KiB and 6 MiB: %s', (_label, soft, budget) => {
    expect(execArgBudget(reading(limits(soft)))).toBe(budget);
  });

  it.each([
    ['/proc/self/limits cannot be read', failing],
    ['it has no stack line', reading('Limit Soft Limit Hard Limit Units\n')],
  ])('assumes the default stack when %s', (_label, fs) => {
    expect(execArgBudget(fs)).toBe(DEFAULT_BUDGET);
  });

  it('reads the real limits of this process', () => {
    const soft = /^Max stack size +(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    const expected = soft === 'unlimited' ? 6 * 1024 * 1024 : Math.max(128 * 1024, Math.min(6 * 1024 * 1024, Math.floor(Number(soft) / 4)));
    expect(execArgBudget({ read: (file, position, length) => readFileSync(file).subarray(position, position + length) })).toBe(expected);
  });

  it('with ulimit -s 2048, refuses 800 KiB of secrets that the default stack would take', () => {
    const env = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`SECRET_${i}`, 'v'.repeat(100 * 1024)]));
    expect(() => check('/bin/true', ['true'], env)).not.toThrow();
    const error = failure(() => check('/bin/true', ['true'], env, execArgBudget(reading(limits('2097152')))));
    expect(error.message).toBe("the command's arguments and environment are too large (801 KiB, limit 508 KiB)");
    expect(error.hint).toBe(TOO_LARGE);
  });
});
