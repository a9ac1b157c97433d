import { describe, expect, it } from 'vitest';
import { errorList, isDeletedKv2Secret, kv2ReadVersion, leaseFields, mountDescription, secretData } from '../../../src/vault/fetch-answers.ts';

describe('the answers every fetch reads', () => {
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

  it('the lease and the KV v2 version of a read', () => {
    expect(leaseFields({ lease_id: 'database/creds/app/x', lease_duration: 60, renewable: true, data: {} })).toEqual({ lease_id: 'database/creds/app/x', lease_duration: 60, renewable: true });
    expect(leaseFields({ lease_id: '', data: {} })).toEqual({ lease_id: '' });
    expect(leaseFields({ lease_duration: '60' })).toBeUndefined();
    expect(leaseFields({ renewable: null })).toBeUndefined();
    expect(leaseFields([])).toBeUndefined();
    expect(kv2ReadVersion({ data: { data: {}, metadata: { version: 4 } } })).toBe(4);
    expect(kv2ReadVersion({ data: { data: {}, metadata: null } })).toBeUndefined();
    // JSON.parse reads 1e999 as Infinity, which zod's number refuses.
    expect(kv2ReadVersion(JSON.parse('{"data":{"metadata":{"version":1e999}}}') as unknown)).toBeUndefined();
    expect(leaseFields(JSON.parse('{"lease_duration":-1e999}') as unknown)).toBeUndefined();
  });
});
