import { describe, expect, it } from 'vitest';
import {
  errorList,
  isDeletedKv2Secret,
  kubernetesVaultTokenFile,
  loginClientToken,
  mountDescription,
  renewedLeaseDuration,
  secretData,
  secretId,
  tokenLookupData,
  wrappingToken,
} from '../../../src/vault/answers.ts';

describe('the answers vaultenv accepts', () => {
  it('mount descriptions', () => {
    expect(mountDescription({ data: { path: 'kv/', type: 'kv', options: { version: '2' } } })).toEqual({ path: 'kv/', type: 'kv', options: { version: '2' } });
    expect(mountDescription({ data: { path: 'kv/', type: 'kv', options: null } })?.options).toBeNull();
    expect(mountDescription({ data: { path: 'kv/' } })).toBeUndefined();
    expect(mountDescription('kv/')).toBeUndefined();
  });

  it('KV v1 and v2 secrets, and a deleted v2 secret', () => {
    expect(secretData({ data: { a: '1' } }, 1)).toEqual({ a: '1' });
    expect(secretData({ data: { data: { a: '1' }, metadata: {} } }, 2)).toEqual({ a: '1' });
    expect(secretData({ data: { data: { a: '1' } } }, 1)).toEqual({ data: { a: '1' } });
    expect(secretData({ data: { a: '1' } }, 2)).toBeUndefined();
    expect(secretData({ data: null }, 1)).toBeUndefined();
    expect(isDeletedKv2Secret({ data: { data: null, metadata: {} } })).toBe(true);
    expect(isDeletedKv2Secret({ data: { data: {} } })).toBe(false);
  });

  it("Vault's error lists", () => {
    expect(errorList({ errors: ['permission denied'] })).toEqual(['permission denied']);
    expect(errorList({ errors: [1] })).toBeUndefined();
    expect(errorList(undefined)).toBeUndefined();
  });

  it('logins, secret IDs and wrapping tokens', () => {
    expect(loginClientToken({ auth: { client_token: 's.x' } })).toBe('s.x');
    expect(loginClientToken({ auth: { client_token: '' } })).toBeUndefined();
    expect(loginClientToken({ auth: null })).toBeUndefined();
    expect(secretId({ data: { secret_id: 'id' } })).toBe('id');
    expect(secretId({ data: { secret_id: '' } })).toBeUndefined();
    expect(wrappingToken({ token: 'w' })).toBe('w');
    expect(wrappingToken({ wrap_info: { token: 'w2' } })).toBe('w2');
    expect(wrappingToken({ wrap_info: {} })).toBeUndefined();
  });

  it('token lookups and renewals', () => {
    const data = { accessor: 'a', ttl: 10, creation_ttl: 20, renewable: true, expire_time: null };
    expect(tokenLookupData({ data })).toEqual(data);
    expect(tokenLookupData({ data: { ...data, ttl: '10' } })).toBeUndefined();
    expect(renewedLeaseDuration({ auth: { lease_duration: 30 } })).toBe(30);
    expect(renewedLeaseDuration({ auth: {} })).toBeUndefined();
  });

  it('kubernetes-vault token files: the fields, or the names of the wrong ones', () => {
    expect(kubernetesVaultTokenFile({ clientToken: 's.x', leaseDuration: 60, vaultAddr: 'https://v' })).toEqual({
      fields: { clientToken: 's.x', leaseDuration: 60, vaultAddr: 'https://v' },
    });
    expect(kubernetesVaultTokenFile({ clientToken: 's x', leaseDuration: -1, renewable: 'yes' })).toEqual({
      invalid: ['clientToken', 'leaseDuration', 'renewable'],
    });
  });
});
