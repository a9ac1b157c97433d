import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTokenFile, readError, readTokenFile, type TokenFileContents } from '../../../src/auth/token-file.ts';
import { AuthError } from '../../../src/errors.ts';
import { rejected, thrown, thrownAs } from '../../helpers/thrown.ts';
import { scratchDir } from '../../helpers/scratch.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/auth/token-files/', import.meta.url));
/** The token every fixture holds: it must never appear in an error. */
const CANARY = 's.CANARY7f3a9c2e1b';

const FULL: TokenFileContents = {
  token: CANARY,
  format: 'kubernetes-vault',
  accessor: 'acc-9c1f',
  leaseDuration: 3600,
  renewable: true,
  vaultAddr: 'https://vault.example.test:8200',
};

const VALID: Record<string, TokenFileContents> = {
  'kubernetes-vault.json': FULL,
  'kubernetes-vault-minimal.json': { token: CANARY, format: 'kubernetes-vault' },
  'kubernetes-vault-extra-field.json': { ...FULL, leaseDuration: 0, renewable: false },
  'plain-newline': { token: CANARY, format: 'plain' },
  'plain-crlf': { token: CANARY, format: 'plain' },
  'plain-no-newline': { token: CANARY, format: 'plain' },
  'plain-surrounding-whitespace': { token: CANARY, format: 'plain' },
};

/** Each invalid fixture and a word its hint must use. */
const INVALID: Record<string, RegExp> = {
  empty: /empty/,
  'whitespace-only': /empty/,
  'two-lines': /several lines/,
  'token-with-space': /spaces/,
  'wrap-info.json': /no non-empty string "clientToken".*wrapped/,
  'empty-client-token.json': /no non-empty string "clientToken"/,
  'client-token-number.json': /no non-empty string "clientToken"/,
  'lease-duration-string.json': /invalid field "leaseDuration"/,
  'lease-duration-fraction.json': /invalid field "leaseDuration"/,
  'renewable-string.json': /invalid field "renewable"/,
  'vault-addr-number.json': /invalid field "vaultAddr"/,
  'client-token-with-space.json': /invalid field "clientToken"/,
  'array.json': /not an object/,
  'json-string.json': /not an object/,
  'truncated.json': /does not parse/,
};

function fixture(kind: 'valid' | 'invalid', name: string): { text: string; file: string } {
  const file = path.join(FIXTURES, kind, name);
  return { text: readFileSync(file, 'utf8'), file };
}

function expectNoContent(error: AuthError, text: string): void {
  const shown = `${error.message} ${error.hint ?? ''} ${error.input ?? ''}`;
  expect(shown.includes(CANARY), 'the token appears in the error').toBe(false);
  for (const line of text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 3)) expect(shown.includes(line)).toBe(false);
}

describe('parseTokenFile', () => {
  it('covers every fixture', () => {
    expect(readdirSync(path.join(FIXTURES, 'valid')).sort()).toEqual(Object.keys(VALID).sort());
    expect(readdirSync(path.join(FIXTURES, 'invalid')).sort()).toEqual(Object.keys(INVALID).sort());
  });

  it.each(Object.entries(VALID))('parses valid/%s', (name, expected) => {
    const { text, file } = fixture('valid', name);
    expect(parseTokenFile(text, file)).toEqual(expected);
  });

  it.each(Object.entries(INVALID))('refuses invalid/%s without showing its content', (name, hint) => {
    const { text, file } = fixture('invalid', name);
    const error = thrown(() => parseTokenFile(text, file));
    expect(error).toBeInstanceOf(AuthError);
    const authError = error as AuthError;
    expect(authError.message).toBe('malformed token file');
    expect(authError.input).toBe(file);
    expect(authError.exitCode).toBe(4);
    expect(authError.hint).toMatch(hint);
    expectNoContent(authError, text);
  });

  it('trims one trailing newline and the surrounding whitespace only', () => {
    expect(parseTokenFile('hvs.abc\n', 'f').token).toBe('hvs.abc');
    expect(parseTokenFile('hvs.abc\r\n', 'f').token).toBe('hvs.abc');
    expect(parseTokenFile('\ufeffhvs.abc', 'f').token).toBe('hvs.abc');
    const refusal = (text: string): { message: string; input: string | undefined; hint: string | undefined } => {
      const error = thrownAs(AuthError, () => parseTokenFile(text, 'f'));
      return { message: error.message, input: error.input, hint: error.hint?.split(';')[0] };
    };
    expect(refusal('hvs.a\rbc')).toEqual({ message: 'malformed token file', input: 'f', hint: 'the file has several lines' });
    expect(refusal('hvs.a\tbc')).toEqual({ message: 'malformed token file', input: 'f', hint: 'the token contains spaces or control characters' });
    expect(refusal('hvs.a\u0001bc')).toEqual({ message: 'malformed token file', input: 'f', hint: 'the token contains spaces or control characters' });
  });

  it('keeps the kubernetes-vault fields it was given and no others', () => {
    const parsed = parseTokenFile(JSON.stringify({ clientToken: 't', renewable: false, other: 1 }), 'f');
    expect(parsed).toEqual({ token: 't', format: 'kubernetes-vault', renewable: false });
    expect(Object.keys(parsed)).toEqual(['token', 'format', 'renewable']);
  });
});

describe('readTokenFile', () => {
  const { dir, write } = scratchDir('vaultenv-token-file-unit');


  it('finds the ca.crt beside a kubernetes-vault token file', async () => {
    const file = write('with-ca/vault-token', fixture('valid', 'kubernetes-vault.json').text, 0o600);
    const ca = write('with-ca/ca.crt', 'pem');
    expect(await readTokenFile(file)).toEqual({ ...FULL, caFile: ca });
  });

  it('has no caFile when there is no ca.crt, or for a plain file', async () => {
    const file = write('without-ca/vault-token', fixture('valid', 'kubernetes-vault.json').text, 0o600);
    expect(await readTokenFile(file)).toEqual(FULL);
    const plain = write('plain/sink', `${CANARY}\n`, 0o600);
    write('plain/ca.crt', 'pem');
    expect(await readTokenFile(plain)).toEqual({ token: CANARY, format: 'plain' });
  });

  it('gives the mode of a file its group or others may read (Kubernetes projects files 0644)', async () => {
    const file = write('readable/vault-token', `${CANARY}\n`, 0o644);
    expect(await readTokenFile(file)).toEqual({ token: CANARY, format: 'plain', readableByOthers: 0o644 });
  });

  it('names a missing file', async () => {
    const missing = path.join(dir, 'nope/vault-token');
    const error = await rejected(readTokenFile(missing));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe('token file not found');
    expect((error as AuthError).input).toBe(missing);
  });

  it.each([
    ['EACCES', 'token file is not readable (permission denied)'],
    ['EPERM', 'token file is not readable (permission denied)'],
    ['ENOTDIR', 'token file not found'],
    ['EIO', 'token file cannot be read (EIO)'],
  ])('turns %s into an AuthError from the code alone', (code, message) => {
    const cause = Object.assign(new Error(`${code}: open '/x' with ${CANARY}`), { code });
    const error = readError('token file', '/x', cause);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toBe(message);
    expect(error.input).toBe('/x');
    expectNoContent(error, CANARY);
  });

  it('names a directory given as the file', async () => {
    const error = await rejected(readTokenFile(dir));
    expect((error as AuthError).message).toBe('token file is a directory');
  });

  it('reads a file of 64 KiB and refuses one byte more, or an endless one, without showing it', async () => {
    const full = write('big/full', `${' '.repeat(64 * 1024 - CANARY.length - 1)}${CANARY}\n`, 0o600);
    expect(await readTokenFile(full)).toEqual({ token: CANARY, format: 'plain' });
    const over = write('big/over', `${' '.repeat(64 * 1024 - CANARY.length)}${CANARY}\n`);
    for (const file of [over, '/dev/zero']) {
      const error = await rejected(readTokenFile(file));
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).message).toBe('token file is larger than 64 KiB');
      expect((error as AuthError).input).toBe(file);
      expect((error as AuthError).hint).toBe('check that the path names the token file');
      expectNoContent(error as AuthError, CANARY);
    }
  });

  it('reports a malformed file with its path and without its content', async () => {
    const file = write('bad/vault-token', `{"token":"${CANARY}"}`);
    const error = await rejected(readTokenFile(file));
    expect((error as AuthError).message).toBe('malformed token file');
    expect((error as AuthError).input).toBe(file);
    expectNoContent(error as AuthError, CANARY);
  });
});
