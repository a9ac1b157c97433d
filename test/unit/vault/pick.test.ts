// pickSecret: each line's variables from a fetched secret: one key or every key, optional lines and
// defaults, and values that are not strings (an error in version 1 and 2, JSON text in version 3).

import { describe, expect, it } from 'vitest';
import { EnvironmentError, SecretMissingError } from '../../../src/errors.ts';
import type { AllKeysRef, KeyRef, SecretRef } from '../../../src/secrets-file/secret-ref.ts';
import { pickSecret } from '../../../src/vault/pick.ts';
import { thrownAs } from '../../helpers/thrown.ts';

const position = { file: 'app.secrets', line: 4, column: 1 };
const one = (key: string, extra: Partial<Omit<KeyRef, 'kind'>> = {}): SecretRef => ({
  kind: 'key',
  variable: 'V',
  mount: 'secret',
  path: 'app',
  key,
  nonString: 'json',
  position,
  ...extra,
});
const every = (prefix: string, extra: Partial<Omit<AllKeysRef, 'kind'>> = {}): SecretRef => ({
  kind: 'all-keys',
  prefix,
  mount: 'secret',
  path: 'app',
  nonString: 'json',
  position,
  ...extra,
});

const DATA = { password: 'pw', port: 5432, ratio: 1.5, enabled: true, off: false, nested: { a: [1, 'x'], b: null }, list: ['a', 2], gone: null, 'api-key': 'k' };

describe('pickSecret, version 3', () => {
  it.each([
    ['password', 'pw'],
    ['port', '5432'],
    ['ratio', '1.5'],
    ['enabled', 'true'],
    ['off', 'false'],
    ['nested', '{"a":[1,"x"],"b":null}'],
    ['list', '["a",2]'],
  ])('reads %s as %s', (key, text) => {
    expect(pickSecret(one(key), DATA, () => {})).toEqual([{ ref: one(key), variable: 'V', value: text }]);
  });

  it('takes null as a missing key: an error for a required line, naming the key', () => {
    const error = thrownAs(SecretMissingError, () => pickSecret(one('gone'), DATA, () => {}));
    expect(error.message).toBe('key "gone" in secret secret/app is null, which a version 3 file reads as missing');
    expect(error.input).toBe('app.secrets:4');
    expect(error.hint).toBe('check the key name after # (keys are case-sensitive) or add the key to the secret, or end the line in ? if it may be missing');
  });

  it.each([
    ['a missing key', 'nope', DATA, 'key "nope" not found in secret secret/app'],
    ['a null key', 'gone', DATA, 'key "gone" in secret secret/app is null'],
    ['a missing secret', 'password', undefined, 'secret secret/app not found'],
  ])('leaves an optional line unset for %s, with an info line', (_what, key, data, reason) => {
    const logged: string[] = [];
    expect(pickSecret(one(key, { optional: true }), data, (m) => logged.push(m))).toEqual([]);
    expect(logged).toEqual([`app.secrets:4: ${reason}; V is left unset (optional)`]);
    const fallback = one(key, { optional: true, fallback: 'info' });
    expect(pickSecret(fallback, data, () => {})).toEqual([{ ref: fallback, variable: 'V', value: 'info' }]);
  });

  it('names every key of a secret after its prefix, skipping null keys, in the order of the answer', () => {
    const picked = pickSecret(every('DB_'), { username: 'u', 'api-key': 'k', port: 1, gone: null }, () => {});
    expect(picked.map(({ variable, value }) => [variable, value])).toEqual([
      ['DB_USERNAME', 'u'],
      ['DB_API_KEY', 'k'],
      ['DB_PORT', '1'],
    ]);
  });

  it('refuses a key that makes an invalid variable name, naming the key', () => {
    const error = thrownAs(EnvironmentError, () => pickSecret(every('SECRET_APP_'), { ok: 'x', 'a.b': 'y' }, () => {}));
    expect(error.message).toBe('key "a.b" of secret secret/app makes the invalid variable name "SECRET_APP_A.B"');
    expect(error.input).toBe('app.secrets:4');
    expect(error.exitCode).toBe(7);
    expect(error.message + (error.hint ?? '')).not.toContain('"y"');
  });

  it('sets nothing for an optional #* line of a missing secret, with an info line', () => {
    const logged: string[] = [];
    expect(pickSecret(every('DB_', { optional: true, version: 2 }), undefined, (m) => logged.push(m))).toEqual([]);
    expect(logged).toEqual(['app.secrets:4: secret secret/app (version 2) not found; its keys are left unset (optional)']);
  });
});

describe('pickSecret, version 1 and 2', () => {
  it.each([
    ['port', 'a number'],
    ['enabled', 'a boolean'],
    ['nested', 'an object'],
    ['list', 'an array'],
    ['gone', 'null'],
  ])('refuses %s as vaultenv 0.19 does (%s)', (key, type) => {
    const error = thrownAs(SecretMissingError, () => pickSecret(one(key, { nonString: 'error' }), DATA, () => {}));
    expect(error.message).toBe(`value of key "${key}" in secret secret/app is ${type}, not a string`);
    expect(error.hint).toBe('store the value as a string in Vault; environment variables can only hold strings');
  });

  it('reports a missing key with the hint of vaultenv 0.19 lines', () => {
    const error = thrownAs(SecretMissingError, () => pickSecret(one('nope', { nonString: 'error' }), DATA, () => {}));
    expect(error.message).toBe('key "nope" not found in secret secret/app');
    expect(error.hint).toBe('check the key name after # (keys are case-sensitive) or add the key to the secret');
  });
});
