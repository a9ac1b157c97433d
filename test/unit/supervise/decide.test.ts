// The pure decisions of --supervise, with times as plain numbers (a fake clock): when a lease is
// renewed, waited for or given up, what a renewal and a failure make of it, what a check calls a
// change, the jittered interval, --on-change, and how a lease is named.

import { describe, expect, it } from 'vitest';
import {
  afterFailure,
  afterRenewal,
  describeChange,
  describeLease,
  jitteredMs,
  leaseAction,
  newLease,
  observedAsBaseline,
  parseOnChange,
  watchedSecret,
  type Lease,
  type WatchedSecret,
} from '../../../src/supervise/decide.ts';
import type { SecretRead } from '../../../src/vault/fetch.ts';

const LEASE_ID = 'database/creds/app/jqXpETgD8tx9Pks9R6ZNhA7Z';

/** A lease issued at t = 0 for 4 s. */
const issued: Lease = newLease({ leaseId: LEASE_ID, leaseDuration: 4, renewable: true }, 0);

describe('leaseAction: the renewer rule for leases', () => {
  it('waits until the TTL left is down to the fraction of the TTL it was issued with', () => {
    expect(issued).toEqual({ id: LEASE_ID, duration: 4, expiresAt: 4000, renewable: true, capped: false, failures: 0, retryAt: undefined });
    expect(leaseAction(issued, 0, 0.5)).toEqual({ kind: 'wait', until: 2000 });
    expect(leaseAction(issued, 1999, 0.5)).toEqual({ kind: 'wait', until: 2000 });
    expect(leaseAction(issued, 2000, 0.5)).toEqual({ kind: 'renew' });
    expect(leaseAction(issued, 3000, 0.25)).toEqual({ kind: 'renew' });
    expect(leaseAction(issued, 2999, 0.25)).toEqual({ kind: 'wait', until: 3000 });
  });

  it('does not move the boundary for a product of a fraction and seconds that floats (0.1 × 30)', () => {
    const lease = newLease({ leaseId: LEASE_ID, leaseDuration: 30, renewable: true }, 0);
    expect(leaseAction(lease, 27_000, 0.1)).toEqual({ kind: 'renew' });
  });

  it('gives up a lease that is not renewable at the point it would be renewed, not before', () => {
    const lease = { ...issued, renewable: false };
    expect(leaseAction(lease, 1000, 0.5)).toEqual({ kind: 'wait', until: 2000 });
    expect(leaseAction(lease, 2000, 0.5)).toEqual({ kind: 'ending', reason: 'is not renewable' });
  });

  it('gives up a lease capped by its maximum TTL when a renewal would be due, naming the seconds left', () => {
    // Renewed at 18 s of a 20 s maximum TTL: 2 s granted of the 4 asked.
    const capped = afterRenewal(issued, 2, true, 18_000);
    expect(capped).toMatchObject({ expiresAt: 20_000, capped: true, failures: 0 });
    expect(leaseAction(capped, 18_000, 0.5)).toEqual({ kind: 'ending', reason: 'reaches its maximum TTL in 2s' });
    // Capped with time to spare: it runs until the usual renewal point.
    const early = afterRenewal(newLease({ leaseId: LEASE_ID, leaseDuration: 100, renewable: true }, 0), 90, true, 0);
    expect(leaseAction(early, 0, 0.5)).toEqual({ kind: 'wait', until: 40_000 });
    expect(leaseAction(early, 40_000, 0.5)).toEqual({ kind: 'ending', reason: 'reaches its maximum TTL in 50s' });
  });

  it('a renewal granting the full TTL is not capped, and sets the next renewal point', () => {
    const renewed = afterRenewal(issued, 4, true, 2000);
    expect(renewed).toMatchObject({ expiresAt: 6000, capped: false });
    expect(leaseAction(renewed, 2000, 0.5)).toEqual({ kind: 'wait', until: 4000 });
  });

  it('retries a failed renewal after its delay, never past the expiry, and gives up an expired lease', () => {
    const failed = afterFailure(issued, 2000, 500);
    expect(failed).toMatchObject({ failures: 1, retryAt: 2500 });
    expect(leaseAction(failed, 2100, 0.5)).toEqual({ kind: 'wait', until: 2500 });
    expect(leaseAction(failed, 2500, 0.5)).toEqual({ kind: 'renew' });
    expect(afterFailure(failed, 3500, 10_000)).toMatchObject({ failures: 2, retryAt: 4000 });
    expect(leaseAction(failed, 4000, 0.5)).toEqual({ kind: 'ending', reason: 'expired' });
    // A renewal that succeeds clears the failures.
    expect(afterRenewal(failed, 4, true, 2500)).toMatchObject({ failures: 0, retryAt: undefined, expiresAt: 6500 });
  });
});

function read(overrides: Partial<SecretRead>): SecretRead {
  return {
    path: '/v1/secret/data/app',
    metadataPath: '/v1/secret/metadata/app',
    kvVersion: 2,
    variables: ['APP_KEY'],
    data: { key: 'value-never-shown' },
    leaseId: '',
    leaseDuration: 0,
    renewable: false,
    version: 3,
    ...overrides,
  };
}

describe('watchedSecret and describeChange', () => {
  const digest = (data: Readonly<Record<string, unknown>>) => `digest of ${Object.keys(data).join(',')}`;

  it('watches a KV v2 secret by its version, a KV v1 secret by a digest, and a leased secret not at all', () => {
    expect(watchedSecret(read({}), digest)).toEqual({
      kind: 'version',
      path: '/v1/secret/data/app',
      metadataPath: '/v1/secret/metadata/app',
      variables: ['APP_KEY'],
      version: 3,
    });
    expect(watchedSecret(read({ path: '/v1/kv/app', kvVersion: 1, metadataPath: undefined, version: undefined, leaseDuration: 2_764_800 }), digest)).toEqual({
      kind: 'value',
      path: '/v1/kv/app',
      kvVersion: 1,
      variables: ['APP_KEY'],
      digest: 'digest of key',
    });
    expect(watchedSecret(read({ leaseId: LEASE_ID, kvVersion: 1, metadataPath: undefined, version: undefined }), digest)).toBeUndefined();
  });

  it('names a new version, a changed value and a deleted secret, and nothing for an unchanged one', () => {
    const byVersion = watchedSecret(read({ variables: ['A', 'B'] }), digest)!;
    expect(describeChange(byVersion, { kind: 'version', version: 3 })).toBeUndefined();
    expect(describeChange(byVersion, { kind: 'version', version: 4 })).toBe('/v1/secret/data/app (A, B): version 3 -> 4');
    expect(describeChange(byVersion, { kind: 'gone' })).toBe('/v1/secret/data/app (A, B) was deleted');
    const byValue: WatchedSecret = { kind: 'value', path: '/v1/secret/app', kvVersion: 1, variables: ['A'], digest: 'd1' };
    expect(describeChange(byValue, { kind: 'value', digest: 'd1' })).toBeUndefined();
    expect(describeChange(byValue, { kind: 'value', digest: 'd2' })).toBe('/v1/secret/app (A): its value changed');
  });

  it('takes what a check found as the next baseline, so a change is reported once', () => {
    const byVersion = watchedSecret(read({}), digest)!;
    const next = observedAsBaseline(byVersion, { kind: 'version', version: 4 });
    expect(describeChange(next, { kind: 'version', version: 4 })).toBeUndefined();
    expect(observedAsBaseline(byVersion, { kind: 'gone' })).toBe(byVersion);
  });
});

describe('jitteredMs', () => {
  it('waits the interval less up to a tenth of it', () => {
    expect(jitteredMs(60_000, () => 0)).toBe(60_000);
    expect(jitteredMs(60_000, () => 0.5)).toBe(57_000);
    expect(jitteredMs(60_000, () => 0.999_999)).toBe(54_001);
    expect(jitteredMs(1000, () => 0.3)).toBe(970);
  });
});

describe('parseOnChange', () => {
  it.each([
    ['restart', { kind: 'restart' }],
    ['exit', { kind: 'exit' }],
    ['signal:HUP', { kind: 'signal', signal: 'SIGHUP' }],
    ['signal:USR2', { kind: 'signal', signal: 'SIGUSR2' }],
  ] as const)('%s', (value, expected) => {
    expect(parseOnChange(value)).toEqual(expected);
  });
});

describe('describeLease', () => {
  it('shows the path and four characters of the lease, never all of it', () => {
    expect(describeLease(LEASE_ID)).toBe('database/creds/app/jqXp…');
    expect(describeLease('abcdefgh')).toBe('abcd…');
  });
});
