import { describe, expect, it } from 'vitest';
import { checkExitCode, renderCheckJson, renderCheckText, type CheckReport } from '../../../src/cli/check-report.ts';
import { AuthError, CommandNotFoundError, EnvironmentError, SecretMissingError, VaultUnavailableError } from '../../../src/errors.ts';
import type { SecretRef } from '../../../src/secrets-file/secret-ref.ts';

const ref = (variable: string, line: number, key = 'k'): SecretRef => ({
  kind: 'key',
  variable,
  mount: 'secret/',
  path: 'app',
  key,
  nonString: 'error',
  position: { file: 'app.secrets', line, column: 1 },
});
const missing = new SecretMissingError('key "x" not found in secret secret/app', { input: 'app.secrets:2', hint: 'add the key' });
const denied = new AuthError('permission denied reading secret secret/app', { input: '/v1/secret/app, app.secrets:3', hint: 'check the policy' });

describe('checkExitCode', () => {
  it.each([
    [[], 0],
    [[missing], 5],
    [[missing, denied], 4],
    [[missing, denied, new VaultUnavailableError('x')], 6],
    [[new EnvironmentError('dup'), new CommandNotFoundError('nf')], 7],
    [[new CommandNotFoundError('nf')], 127],
  ] as const)('%#: the most severe problem decides', (errors, code) => {
    const report: CheckReport = { lines: errors.map((error, i) => ({ ref: ref(`V${i}`, i + 1), status: 'denied', error })), others: [] };
    expect(checkExitCode(report)).toBe(code);
  });
});

describe('rendering', () => {
  const report: CheckReport = {
    lines: [
      { ref: ref('GOOD', 1), status: 'ok' },
      { ref: ref('NO_KEY', 2, 'x'), status: 'missing-key', error: missing },
      { ref: ref('DENIED', 3), status: 'denied', error: denied },
    ],
    others: [{ what: 'environment', error: new EnvironmentError('duplicate environment variable "HOME"', { input: 'app.secrets:1', hint: 'rename it' }) }],
  };

  it('text: one line per secrets-file line, the other problems, a summary', () => {
    expect(renderCheckText(report)).toBe(
      [
        'GOOD ← secret/app#k: ok',
        'NO_KEY ← secret/app#x: missing key (app.secrets:2). Add the key',
        'DENIED ← secret/app#k: denied (/v1/secret/app, app.secrets:3). Check the policy',
        'environment: duplicate environment variable "HOME" (app.secrets:1). Rename it',
        'check: 3 secrets, 1 ok, 3 problems; a run would stop with exit code 4',
        '',
      ].join('\n'),
    );
  });

  it('json: the same, for machines', () => {
    const json = JSON.parse(renderCheckJson(report)) as { ok: boolean; exitCode: number; secrets: Array<Record<string, unknown>>; problems: Array<Record<string, unknown>> };
    expect(json.ok).toBe(false);
    expect(json.exitCode).toBe(4);
    expect(json.secrets[0]).toEqual({ name: 'GOOD', mount: 'secret', path: 'app', key: 'k', version: null, file: 'app.secrets', line: 1, status: 'ok' });
    expect(json.secrets[1]).toEqual({ name: 'NO_KEY', mount: 'secret', path: 'app', key: 'x', version: null, file: 'app.secrets', line: 2, status: 'missing-key', exitCode: 5, message: missing.message, hint: 'add the key' });
    expect(json.problems).toEqual([{ what: 'environment', exitCode: 7, message: 'duplicate environment variable "HOME"', input: 'app.secrets:1', hint: 'rename it' }]);
  });
});
