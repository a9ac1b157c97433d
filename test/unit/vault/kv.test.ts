import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSegments, metadataRequestPath, mountLookupPath, normalizeMount, parseMountAnswer, parseReadInfo, parseSecretAnswer, secretRequestPath, vaultErrorStrings } from '../../../src/vault/kv.ts';
import { VaultFailure } from '../../../src/vault/failure.ts';

describe('request paths', () => {
  it('puts data/ after the mount for KV v2 only', () => {
    expect(secretRequestPath('secret', 'production/third-party', { path: 'secret', version: 1 })).toBe('/v1/secret/production/third-party');
    expect(secretRequestPath('secret', 'production/third-party', { path: 'secret', version: 2 })).toBe('/v1/secret/data/production/third-party');
    expect(secretRequestPath('kv/team-a', 'db/main', { path: 'kv/team-a', version: 2 })).toBe('/v1/kv/team-a/data/db/main');
  });

  it('inserts data/ after the real mount when the file names a deeper one', () => {
    expect(secretRequestPath('secret/team', 'db', { path: 'secret', version: 2 })).toBe('/v1/secret/data/team/db');
  });

  it('percent-encodes each segment and keeps the slashes', () => {
    expect(encodeSegments('team a/ü?')).toBe('team%20a/%C3%BC%3F');
    expect(secretRequestPath('secret', 'a b/ü?x%', { path: 'secret', version: 2 })).toBe('/v1/secret/data/a%20b/%C3%BC%3Fx%25');
    expect(mountLookupPath('kv/team a')).toBe('/v1/sys/internal/ui/mounts/kv/team%20a');
  });

  it('encodes any path as encodeURIComponent encodes each of its segments (a path that needs none is kept as it is)', () => {
    const pathChars = fc.constantFrom('a', 'Z', '0', '-', '_', '.', '!', '~', '*', "'", '(', ')', '/', ' ', '%', '?', '#', 'ü', '🔑', '+', '&', '=');
    fc.assert(
      fc.property(fc.oneof(fc.array(pathChars, { maxLength: 12 }).map((chars) => chars.join('')), fc.string({ unit: 'binary', maxLength: 20 })), (path) => {
        expect(encodeSegments(path)).toBe(path.split('/').map(encodeURIComponent).join('/'));
      }),
      { numRuns: 2000 },
    );
  });

  it('normalizes slashes around a mount (vaultenv sent /v1/secret//foo)', () => {
    expect(normalizeMount('secret/')).toBe('secret');
    expect(normalizeMount('/kv/a/')).toBe('kv/a');
    expect(secretRequestPath('secret/', 'foo', { path: 'secret', version: 1 })).toBe('/v1/secret/foo');
  });
});

describe('mount lookup answers', () => {
  it('reads the KV version', () => {
    expect(parseMountAnswer(JSON.stringify({ data: { path: 'secret/', type: 'kv', options: { version: '2' } } }))).toEqual({ path: 'secret', version: 2 });
    expect(parseMountAnswer(JSON.stringify({ data: { path: 'old/', type: 'kv', options: { version: '1' } } }))).toEqual({ path: 'old', version: 1 });
    expect(parseMountAnswer(JSON.stringify({ data: { path: 'old/', type: 'kv', options: null } }))).toEqual({ path: 'old', version: 1 });
    expect(parseMountAnswer(JSON.stringify({ data: { path: 'db/', type: 'database' } }))).toEqual({ path: 'db', version: 1 });
  });

  it('rejects an answer that is not a mount description', () => {
    expect(() => parseMountAnswer('<html>proxy error</html>')).toThrow(VaultFailure);
    expect(() => parseMountAnswer('{"data":{}}')).toThrow(/mount description/);
  });
});

describe('secret answers', () => {
  it('takes data.data for KV v2 and data for KV v1', () => {
    expect(parseSecretAnswer(JSON.stringify({ data: { data: { a: 'x' }, metadata: {} } }), 2)).toEqual({ a: 'x' });
    expect(parseSecretAnswer(JSON.stringify({ data: { a: 'x' } }), 1)).toEqual({ a: 'x' });
  });

  it('reads a KV v1 secret that has a key named data as KV v1 (vaultenv guessed by shape)', () => {
    expect(parseSecretAnswer(JSON.stringify({ data: { data: { nested: 'y' } } }), 1)).toEqual({ data: { nested: 'y' } });
  });

  it('treats a deleted KV v2 latest version as not found, and garbage as a bad response', () => {
    expect(() => parseSecretAnswer(JSON.stringify({ data: { data: null, metadata: { deletion_time: 'x' } } }), 2)).toThrow(
      expect.objectContaining({ kind: 'not-found' }) as Error,
    );
    expect(() => parseSecretAnswer('not json', 2)).toThrow(expect.objectContaining({ kind: 'bad-response' }) as Error);
  });

  it("extracts Vault's error strings and nothing else", () => {
    expect(vaultErrorStrings('{"errors":["permission denied"]}')).toEqual(['permission denied']);
    expect(vaultErrorStrings('{"errors":[]}')).toEqual([]);
    expect(vaultErrorStrings(JSON.stringify({ errors: ['1 error occurred:\n\t* permission denied\n\n'] }))).toEqual(['permission denied']);
    expect(vaultErrorStrings(JSON.stringify({ errors: ['2 errors occurred:\n\t* a\n\t* b\n\n'] }))).toEqual(['a; b']);
    expect(vaultErrorStrings('<html>')).toEqual([]);
  });

  it('keeps an error string whole, however long: only the messages quote an excerpt (failure.ts)', () => {
    const jwt = `eyJhbGciOiJSUzI1NiJ9.${'x'.repeat(900)}.sig-CANARY`;
    const [error] = vaultErrorStrings(JSON.stringify({ errors: [`1 error occurred:\n\t* invalid JWT ${jwt}\n\n`] }));
    expect(error).toBe(`invalid JWT ${jwt}`);
  });
});

describe('metadataRequestPath and parseReadInfo (--supervise)', () => {
  it('puts metadata/ where a KV v2 read puts data/, and has none for other mounts', () => {
    expect(metadataRequestPath('secret', 'production/third-party', { path: 'secret', version: 2 })).toBe('/v1/secret/metadata/production/third-party');
    expect(metadataRequestPath('secret/team', 'db', { path: 'secret', version: 2 })).toBe('/v1/secret/metadata/team/db');
    expect(metadataRequestPath('kv/data', 'a b', { path: 'kv/data', version: 2 })).toBe('/v1/kv/data/metadata/a%20b');
    expect(metadataRequestPath('secret', 'x', { path: 'secret', version: 1 })).toBeUndefined();
  });

  it("reads a dynamic secret's lease and a KV v2 secret's version", () => {
    const dynamic = JSON.stringify({ lease_id: 'database/creds/app/abc', lease_duration: 4, renewable: true, data: { username: 'u', password: 'p' } });
    expect(parseReadInfo(dynamic, 1)).toEqual({ leaseId: 'database/creds/app/abc', leaseDuration: 4, renewable: true, version: undefined });
    const kv2 = JSON.stringify({ lease_id: '', lease_duration: 0, renewable: false, data: { data: { a: 'b' }, metadata: { version: 7 } } });
    expect(parseReadInfo(kv2, 2)).toEqual({ leaseId: '', leaseDuration: 0, renewable: false, version: 7 });
    expect(parseReadInfo(JSON.stringify({ data: { a: 'b' } }), 1)).toEqual({ leaseId: '', leaseDuration: 0, renewable: false, version: undefined });
  });
});
