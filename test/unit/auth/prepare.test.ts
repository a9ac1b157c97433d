import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultWellKnownTokenFiles, prepareAuth, type PreparedAuth } from '../../../src/auth/prepare.ts';
import type { AuthSetting } from '../../../src/config/types.ts';
import { AuthError } from '../../../src/errors.ts';
import { rejected } from '../../helpers/thrown.ts';
import { scratchDir } from '../../helpers/scratch.ts';

const { dir, write } = scratchDir('vaultenv-prepare-unit');


function tokenOf(prepared: PreparedAuth): string | undefined {
  if (prepared.kind !== 'token') throw new Error('expected a token');
  return prepared.token;
}

const NO_FILES = { env: {}, wellKnownTokenFiles: [] };

describe('defaultWellKnownTokenFiles', () => {
  it("is kubernetes-vault's file, then ~/.vault-token when HOME is set", () => {
    expect(defaultWellKnownTokenFiles({ HOME: '/home/dev' })).toEqual(['/var/run/secrets/boostport.com/vault-token', '/home/dev/.vault-token']);
    expect(defaultWellKnownTokenFiles({})).toEqual(['/var/run/secrets/boostport.com/vault-token']);
    expect(defaultWellKnownTokenFiles({ HOME: '' })).toEqual(['/var/run/secrets/boostport.com/vault-token']);
  });
});

describe('prepareAuth', () => {
  it('passes a configured token through, and its origin never shows it', async () => {
    const prepared = await prepareAuth({ method: 'token', token: 'hvs.given' }, NO_FILES);
    expect(prepared).toEqual({ kind: 'token', token: 'hvs.given', origin: 'the configured token' });
  });

  it.each<AuthSetting>([
    { method: 'kubernetes', role: 'r', jwtPath: '/t' },
    { method: 'github', token: 'ghp_x' },
    { method: 'approle', roleId: 'id', secretIdFile: '/s', secretIdWrapped: false },
    { method: 'jwt', role: 'r', jwt: { env: 'CI_JWT' } },
  ])('hands the $method login to login()', async (auth) => {
    const wellKnown = write('login/vault-token', 'hvs.ignored');
    expect(await prepareAuth(auth, { env: {}, wellKnownTokenFiles: [wellKnown] })).toEqual({ kind: 'login', login: auth });
  });

  it('re-reads a configured token file on every call', async () => {
    const file = write('rotating/vault-token', '{"clientToken":"hvs.first"}', 0o600);
    const auth: AuthSetting = { method: 'token-file', path: file };
    expect(tokenOf(await prepareAuth(auth, NO_FILES))).toBe('hvs.first');
    write('rotating/vault-token', 'hvs.second\n');
    expect(await prepareAuth(auth, NO_FILES)).toEqual({ kind: 'token', token: 'hvs.second', origin: `token file ${file}`, tokenFile: file });
  });

  it('prefers a configured token file over the well-known ones', async () => {
    const configured = write('order1/configured', 'hvs.configured');
    const wellKnown = write('order1/well-known', 'hvs.well-known');
    expect(tokenOf(await prepareAuth({ method: 'token-file', path: configured }, { env: {}, wellKnownTokenFiles: [wellKnown] }))).toBe('hvs.configured');
  });

  it('fails on a missing configured token file rather than falling back', async () => {
    const wellKnown = write('order2/well-known', 'hvs.well-known');
    const missing = path.join(dir, 'order2/missing');
    const error = await rejected(prepareAuth({ method: 'token-file', path: missing }, { env: {}, wellKnownTokenFiles: [wellKnown] }));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe('token file not found');
    expect((error as AuthError).input).toBe(missing);
  });

  it('with nothing configured, reads the first well-known file that exists', async () => {
    const home = path.join(dir, 'order3/home');
    const boostport = path.join(dir, 'order3/boostport.com/vault-token');
    const homeFile = write('order3/home/.vault-token', 'hvs.home\n', 0o600);
    const deps = { env: { HOME: home }, wellKnownTokenFiles: [boostport, homeFile] };
    expect(await prepareAuth({ method: 'none' }, deps)).toEqual({ kind: 'token', token: 'hvs.home', origin: '~/.vault-token', tokenFile: homeFile });
    write('order3/boostport.com/vault-token', '{"clientToken":"hvs.boostport","vaultAddr":"https://vault:8200"}', 0o600);
    expect(await prepareAuth({ method: 'none' }, deps)).toEqual({
      kind: 'token',
      token: 'hvs.boostport',
      origin: `token file ${boostport}`,
      tokenFile: boostport,
      vaultAddr: 'https://vault:8200',
    });
  });

  it.each([0o644, 0o640, 0o604, 0o444])('notes the mode of a token file its group or others may read (%o)', async (mode) => {
    const file = write(`readable-${mode.toString(8)}/vault-token`, 'hvs.readable\n', mode);
    expect(await prepareAuth({ method: 'token-file', path: file }, NO_FILES)).toEqual({
      kind: 'token',
      token: 'hvs.readable',
      origin: `token file ${file}`,
      tokenFile: file,
      tokenFileReadableByOthers: mode,
    });
  });

  it.each([0o600, 0o400, 0o700])('notes nothing for a token file only its owner may read (%o)', async (mode) => {
    const file = write(`private-${mode.toString(8)}/vault-token`, 'hvs.private\n', mode);
    expect(await prepareAuth({ method: 'token-file', path: file }, NO_FILES)).toEqual({ kind: 'token', token: 'hvs.private', origin: `token file ${file}`, tokenFile: file });
  });

  it('skips a directory where a well-known file would be', async () => {
    const asDirectory = path.join(dir, 'order4/vault-token');
    mkdirSync(asDirectory, { recursive: true });
    const second = write('order4/second', 'hvs.second');
    expect(tokenOf(await prepareAuth({ method: 'none' }, { env: {}, wellKnownTokenFiles: [asDirectory, second] }))).toBe('hvs.second');
  });

  it('with nothing configured and no well-known file, sends no token', async () => {
    const deps = { env: { HOME: dir }, wellKnownTokenFiles: [path.join(dir, 'none/a'), path.join(dir, 'none/b')] };
    expect(await prepareAuth({ method: 'none' }, deps)).toEqual({ kind: 'token', token: undefined, origin: 'none' });
  });

  it('fails on a malformed well-known file instead of skipping it', async () => {
    const malformed = write('order5/vault-token', '{"token":"hvs.CANARY-in-malformed"}');
    const valid = write('order5/second', 'hvs.second');
    const error = await rejected(prepareAuth({ method: 'none' }, { env: {}, wellKnownTokenFiles: [malformed, valid] }));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe('malformed token file');
    expect((error as AuthError).input).toBe(malformed);
    expect(`${(error as AuthError).message} ${(error as AuthError).hint ?? ''}`).not.toContain('CANARY');
  });
});
