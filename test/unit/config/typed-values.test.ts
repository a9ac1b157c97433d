import { describe, expect, it } from 'vitest';
import { optionRow, type OptionId } from '../../../src/config/options.ts';
import { parseNegatedBoolean, parseOptionValue } from '../../../src/config/typed-values.ts';
import { ConfigError } from '../../../src/errors.ts';

const origin = { what: 'environment variable X', input: 'environment variable X' };
const parse = (id: OptionId, raw: string) => parseOptionValue(optionRow(id), raw, origin);

function failure(id: OptionId, raw: string): ConfigError {
  try {
    parse(id, raw);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe('parseOptionValue', () => {
  it.each([
    ['validateCerts', 'true', true],
    ['validateCerts', 'false', false],
    ['port', '8200', 8200],
    ['port', '08200', 8200],
    ['port', '65535', 65535],
    ['retryAttempts', '0', 0],
    ['maxConcurrentRequests', '0', 0],
    ['retryBaseDelayMs', '1000000', 1000000],
    ['inheritEnvBlacklist', 'A,B', ['A', 'B']],
    ['inheritEnvBlacklist', ' A , B', [' A ', ' B']],
    ['inheritEnvBlacklist', 'A,,B,', ['A', '', 'B', '']],
    ['inheritEnvBlacklist', '', ['']],
    ['logLevel', 'info', 'info'],
    ['duplicateVariableBehavior', 'overwrite', 'overwrite'],
    ['kvVersion', '1', '1'],
    ['execMode', 'execve', 'execve'],
    ['host', ' any thing ', ' any thing '],
    ['token', '12345678901234567890', '12345678901234567890'],
    ['token', 'true', 'true'],
    ['addr', 'https://v:1', 'https://v:1'],
    ['args', '  -a   b\tc\n', ['-a', 'b', 'c']],
    ['args', '', []],
    ['renewFraction', '0.5', 0.5],
    ['renewFraction', '.25', 0.25],
    ['renewFraction', '1', 1],
    ['renewFraction', '1.000', 1],
    ['renewFraction', '0.0001', 0.0001],
    ['renewIntervalSeconds', '1', 1],
    ['caCert', ' /path with spaces ', ' /path with spaces '],
    ['namespace', 'true', 'true'],
    ['approleRoleId', '123', '123'],
  ] as const)('%s %j → %j', (id, raw, expected) => {
    expect(parse(id, raw)).toEqual(expected);
  });

  it.each([
    ['validateCerts', 'True'],
    ['validateCerts', 'yes'],
    ['validateCerts', '1'],
    ['validateCerts', ''],
    ['validateCerts', ' true'],
    ['port', ''],
    ['port', '-1'],
    ['port', '+1'],
    ['port', ' 1'],
    ['port', '1.0'],
    ['port', '0x1F'],
    ['port', '1e3'],
    ['port', 'abc'],
    ['port', '0'],
    ['port', '65536'],
    ['retryAttempts', '99999999999999999999'],
    ['requestTimeoutMs', '0'],
    ['logLevel', 'INFO'],
    ['logLevel', 'debug'],
    ['kvVersion', 'v2'],
    ['duplicateVariableBehavior', ''],
    ['renewFraction', '0'],
    ['renewFraction', '0.0'],
    ['renewFraction', '1.5'],
    ['renewFraction', '2'],
    ['renewFraction', '-0.5'],
    ['renewFraction', '+0.5'],
    ['renewFraction', '5e-1'],
    ['renewFraction', '0x1'],
    ['renewFraction', '1.'],
    ['renewFraction', '.'],
    ['renewFraction', ''],
    ['renewFraction', ' 0.5'],
    ['renewFraction', '0,5'],
    ['renewIntervalSeconds', '0'],
    ['renewOnce', '1'],
  ] as const)('%s rejects %j with a hint', (id, raw) => {
    const error = failure(id, raw);
    expect(error.message).toBe('invalid value for environment variable X');
    expect(error.input).toBe('environment variable X');
    expect(error.hint).toMatch(/^Expected /);
  });

  it.each([
    ['true', false],
    ['false', true],
    ['1', false],
    ['0', true],
  ] as const)('parseNegatedBoolean %j → %j', (raw, expected) => {
    expect(parseNegatedBoolean(raw, origin)).toBe(expected);
  });

  it.each(['', 'True', 'yes', '01', ' 1', 't', '2'])('parseNegatedBoolean rejects %j', (raw) => {
    expect(() => parseNegatedBoolean(raw, origin)).toThrow(ConfigError);
  });

  it.each([
    ['token', 's.abc\n', 's.abc'],
    ['token', ' \ts.abc\r\n', 's.abc'],
    ['token', ' \n', ''],
    ['githubToken', 'ghp_abc\n', 'ghp_abc'],
    ['namespace', 'team-a/sub', 'team-a/sub'],
    ['authBackend', 'kubernetes/cluster-1', 'kubernetes/cluster-1'],
    ['authBackend', 'ümlaut', 'ümlaut'],
    ['tlsServerName', 'vault.example.com', 'vault.example.com'],
  ] as const)('%s %j → %j (tokens are trimmed)', (id, raw, expected) => {
    expect(parse(id, raw)).toBe(expected);
  });

  it.each([
    ['token', 's.abc\ndef'],
    ['token', 's.abc def'],
    ['token', 's.abc\u0000'],
    ['token', 's.abc\u007f'],
    ['token', 's.äbc'],
    ['githubToken', 'ghp_a\tb'],
    ['namespace', 'ns\n'],
    ['namespace', ' ns'],
    ['namespace', 'team a'],
    ['namespace', 'ns\u0007'],
    ['authBackend', 'k8s\n'],
    ['authBackend', 'k8s prod'],
    ['authBackend', 'k8s\u0085'],
    ['tlsServerName', 'vault.example\n'],
    ['tlsServerName', 'vault example'],
  ] as const)('%s rejects %j, naming the setting, with a hint on stray whitespace', (id, raw) => {
    const error = failure(id, raw);
    expect(error.message).toBe('invalid value for environment variable X');
    expect(error.input).toBe('environment variable X');
    expect(error.hint).toMatch(/check for a stray newline or space$/);
  });

  it.each(['token', 'githubToken', 'namespace', 'authBackend', 'tlsServerName'] as const)(
    '%s: a rejected value is never echoed',
    (id) => {
      const error = failure(id, 'zz-distinctive-zz\nmore');
      expect(`${error.message} ${error.input} ${error.hint}`).not.toMatch(/distinctive|more/);
    },
  );

  it.each(['validateCerts', 'port', 'logLevel', 'renewFraction'] as const)('%s: the message never echoes the value', (id) => {
    const error = failure(id, 'zz-distinctive-zz');
    expect(`${error.message} ${error.input} ${error.hint}`).not.toContain('distinctive');
  });

  it('never writes process.env', () => {
    const before = { ...process.env };
    parse('validateCerts', 'true');
    parse('port', '8200');
    parse('retryAttempts', '3');
    expect({ ...process.env }).toEqual(before);
  });
});
