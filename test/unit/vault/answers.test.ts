import { describe, expect, it } from 'vitest';
import { kubernetesVaultTokenFile, kv2CurrentVersion, loginClientToken, renewedLeaseDuration, secretId, tokenLookupData, wrappingToken } from '../../../src/vault/answers.ts';

describe('the answers vaultenv accepts', () => {
  it('KV v2 metadata: the current version', () => {
    expect(kv2CurrentVersion({ data: { current_version: 3, versions: {} } })).toBe(3);
    expect(kv2CurrentVersion({ data: { current_version: '3' } })).toBeUndefined();
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
