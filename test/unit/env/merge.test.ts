import { describe, expect, it } from 'vitest';
import { buildChildEnvironment, type EnvInputs } from '../../../src/env/merge.ts';
import { EnvironmentError } from '../../../src/errors.ts';
import { thrown } from '../../helpers/thrown.ts';

const secret = (name: string, value: string) => ({ name, value, origin: 'the secret at f:1' });

function inputs(overrides: Partial<EnvInputs>): EnvInputs {
  return {
    extra: [],
    secrets: [],
    processEnv: {},
    configFileVariables: [],
    inheritEnv: true,
    blacklist: [],
    duplicates: 'error',
    ...overrides,
  };
}

describe('child environment', () => {
  it('puts secrets first, then the process environment, then config-file variables it lacks', () => {
    const env = buildChildEnvironment(
      inputs({ secrets: [secret('S', 's')], processEnv: { A: 'a', B: undefined }, configFileVariables: [['A', 'file'], ['C', 'c']] }),
    );
    expect(Object.entries(env)).toEqual([
      ['S', 's'],
      ['A', 'a'],
      ['C', 'c'],
    ]);
  });

  it('without inheritance holds only the secrets and ignores the blacklist', () => {
    const env = buildChildEnvironment(inputs({ secrets: [secret('S', 's')], processEnv: { PATH: '/bin' }, inheritEnv: false, blacklist: ['S'] }));
    expect(env).toEqual({ S: 's' });
  });

  it('applies the blacklist to secrets and inherited variables before the duplicate check', () => {
    const env = buildChildEnvironment(inputs({ secrets: [secret('X', 's')], processEnv: { X: 'inherited', Y: 'y' }, blacklist: ['X'] }));
    expect(env).toEqual({ Y: 'y' });
  });

  it('an empty-string blacklist removes nothing', () => {
    expect(buildChildEnvironment(inputs({ processEnv: { A: 'a' }, blacklist: [''] }))).toEqual({ A: 'a' });
  });

  it('error mode names the duplicate and both origins', () => {
    const error = thrown(() => buildChildEnvironment(inputs({ secrets: [secret('X', 'topsecret')], processEnv: { X: 'inherited' } })));
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).message).toBe('duplicate environment variable "X"');
    expect((error as EnvironmentError).input).toBe('the secret at f:1 and the inherited environment');
    expect(`${(error as EnvironmentError).message} ${(error as EnvironmentError).input} ${(error as EnvironmentError).hint}`).not.toContain('topsecret');
  });

  it('keep: the inherited value wins; between secrets the later one wins', () => {
    expect(buildChildEnvironment(inputs({ secrets: [secret('X', 's')], processEnv: { X: 'inherited' }, duplicates: 'keep' }))).toEqual({ X: 'inherited' });
    expect(buildChildEnvironment(inputs({ secrets: [secret('X', '1'), secret('X', '2')], duplicates: 'keep' }))).toEqual({ X: '2' });
  });

  it('overwrite: the secret wins; between secrets the earlier one wins', () => {
    expect(buildChildEnvironment(inputs({ secrets: [secret('X', 's')], processEnv: { X: 'inherited' }, duplicates: 'overwrite' }))).toEqual({ X: 's' });
    expect(buildChildEnvironment(inputs({ secrets: [secret('X', '1'), secret('X', '2')], duplicates: 'overwrite' }))).toEqual({ X: '1' });
  });

  it('two secrets with one name are an error in error mode even without inheritance', () => {
    expect(() => buildChildEnvironment(inputs({ secrets: [secret('X', '1'), secret('X', '2')], inheritEnv: false }))).toThrow(/duplicate/);
  });
});
