import { describe, expect, it } from 'vitest';
import { decide, describeToken, msUntilRenewalDue, parseLookupAnswer, parseRenewAnswer, type TokenLookup } from '../../../src/renew/decide.ts';
import { VaultFailure } from '../../../src/vault/failure.ts';

function token(fields: Partial<TokenLookup>): TokenLookup {
  return { accessor: 'abcdefghijklmnop', ttl: 10, creationTtl: 10, renewable: true, expireTime: '2030-01-01T00:00:00Z', ...fields };
}

describe('decide', () => {
  it.each([
    // ttl, creationTtl, fraction, decision
    [5, 10, 0.5, 'renew'], // exactly at the boundary
    [6, 10, 0.5, 'wait'],
    [4, 10, 0.5, 'renew'],
    [1, 3, 0.5, 'renew'],
    [2, 3, 0.5, 'wait'],
    [0, 3, 0.5, 'renew'], // about to expire
    [57, 100, 0.57, 'renew'], // 0.57 × 100 is 56.99999999999999 in floating point
    [58, 100, 0.57, 'wait'],
    [29, 100, 0.29, 'renew'], // 28.999999999999996
    [7, 100, 0.07, 'renew'], // 7.000000000000001
    [8, 100, 0.07, 'wait'],
    [10, 10, 1, 'renew'], // fraction 1: renew on every check
    [1, 10, 0, 'wait'], // fraction 0: only at ttl 0
    [0, 10, 0, 'renew'],
  ] as const)('ttl %is of %is with fraction %f: %s', (ttl, creationTtl, fraction, expected) => {
    expect(decide(token({ ttl, creationTtl }), fraction)).toBe(expected);
  });

  it('a non-renewable token cannot be kept alive, whatever its ttl', () => {
    expect(decide(token({ ttl: 9, renewable: false }), 0.5)).toBe('not-renewable');
    expect(decide(token({ ttl: 1, renewable: false }), 0.5)).toBe('not-renewable');
  });

  it('a token without a TTL (root) never expires, although Vault calls it not renewable', () => {
    expect(decide(token({ ttl: 0, creationTtl: 0, expireTime: null, renewable: false }), 0.5)).toBe('never-expires');
    expect(decide(token({ ttl: 0, creationTtl: 0, expireTime: null, renewable: true }), 0.5)).toBe('never-expires');
  });

  it('a token at ttl 0 with an expiry is about to expire, not immortal', () => {
    expect(decide(token({ ttl: 0, creationTtl: 0, expireTime: '2030-01-01T00:00:00Z' }), 0.5)).toBe('renew');
    expect(decide(token({ ttl: 0, creationTtl: 5, expireTime: null }), 0.5)).toBe('renew');
  });

  it('says when a waiting token falls to the threshold', () => {
    expect(msUntilRenewalDue(token({ ttl: 3, creationTtl: 3 }), 0.5)).toBe(1500);
    expect(msUntilRenewalDue(token({ ttl: 30, creationTtl: 30 }), 0.5)).toBe(15_000);
    expect(msUntilRenewalDue(token({ ttl: 1, creationTtl: 3 }), 0.5)).toBe(0);
  });
});

describe('answers', () => {
  // Shapes as OpenBao 2 answers them (captured from `bao server -dev`), token ids replaced.
  const periodic = {
    data: {
      accessor: 'LqqbszRTecYeZcUnfYvnkiNm',
      creation_ttl: 3,
      expire_time: '2026-11-30T16:33:20.68158429Z',
      id: 'hvs.not-a-real-token',
      period: 3,
      renewable: true,
      ttl: 2,
      type: 'service',
    },
  };
  const root = { data: { accessor: 'RiQ57uteKFXFXvqtGHbFx8cg', creation_ttl: 0, expire_time: null, id: 'root', renewable: false, ttl: 0 } };

  it('reads a lookup-self answer and drops the token id', () => {
    const lookup = parseLookupAnswer(JSON.stringify(periodic));
    expect(lookup).toEqual({ accessor: 'LqqbszRTecYeZcUnfYvnkiNm', ttl: 2, creationTtl: 3, renewable: true, expireTime: '2026-11-30T16:33:20.68158429Z' });
    expect(JSON.stringify(lookup)).not.toContain('not-a-real-token');
    expect(decide(parseLookupAnswer(JSON.stringify(root)), 0.5)).toBe('never-expires');
  });

  it.each([
    ['not JSON', '<html>'],
    ['no data', '{}'],
    ['ttl a string', JSON.stringify({ data: { ...periodic.data, ttl: '2' } })],
    ['renewable missing', JSON.stringify({ data: { ...periodic.data, renewable: undefined } })],
    ['accessor missing', JSON.stringify({ data: { ...periodic.data, accessor: undefined } })],
    ['creation_ttl null', JSON.stringify({ data: { ...periodic.data, creation_ttl: null } })],
  ])('a lookup answer with %s is a bad response (retried)', (_, body) => {
    expect(() => parseLookupAnswer(body)).toThrow(VaultFailure);
    try {
      parseLookupAnswer(body);
    } catch (error) {
      expect((error as VaultFailure).kind).toBe('bad-response');
    }
  });

  it('reads the new TTL from a renew-self answer', () => {
    expect(parseRenewAnswer(JSON.stringify({ auth: { client_token: 'x', lease_duration: 3, renewable: true } }))).toBe(3);
    expect(() => parseRenewAnswer(JSON.stringify({ auth: null }))).toThrow(/no lease duration/);
    expect(() => parseRenewAnswer(JSON.stringify({ auth: { lease_duration: '3' } }))).toThrow(VaultFailure);
  });

  it('names a token by origin and accessor prefix only', () => {
    expect(describeToken('token file /t', 'LqqbszRTecYeZcUnfYvnkiNm')).toBe('token file /t, accessor LqqbszRT…');
    expect(describeToken('token file /t', '')).toBe('token file /t, no accessor');
    expect(describeToken('the configured token', undefined)).toBe('the configured token');
  });
});
