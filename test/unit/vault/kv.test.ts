import { describe, expect, it } from 'vitest';
import { encodeSegments, mountLookupPath, normalizeMount, parseMountAnswer, parseSecretAnswer, secretRequestPath, vaultErrorStrings } from '../../../src/vault/kv.ts';
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
