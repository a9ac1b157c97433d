import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { readTlsMaterial } from '../../../src/vault/tls-files.ts';
import { thrown } from '../../helpers/thrown.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const NONE = { caCert: undefined, caPath: undefined, clientCert: undefined, clientKey: undefined };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vaultenv-tls-'));
  await mkdir(join(dir, 'cas'));
  await writeFile(join(dir, 'cas', 'a.pem'), PEM);
  await writeFile(join(dir, 'cas', 'notes.txt'), 'not a certificate');
  await writeFile(join(dir, 'key.pem'), '-----BEGIN PRIVATE KEY-----\nCANARY\n-----END PRIVATE KEY-----\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readTlsMaterial', () => {
  it('reads the files and the certificates of a CA directory', () => {
    const material = readTlsMaterial({ ...NONE, caPath: join(dir, 'cas'), clientKey: join(dir, 'key.pem') });
    expect(material.ca).toBe(PEM);
    expect(material.clientKey).toContain('CANARY');
  });

  it.each([
    ['a missing CA file', { caCert: 'missing.pem' }, 'CA certificate (VAULT_CACERT) not found'],
    ['a directory as the client key', { clientKey: '.' }, 'client key (VAULT_CLIENT_KEY) is a directory'],
    ['a missing CA directory', { caPath: 'nope' }, 'CA directory (VAULT_CAPATH) not found'],
    ['a file as the CA directory', { caPath: 'key.pem' }, 'CA directory (VAULT_CAPATH) is not a directory'],
  ])('names %s by the error code', (_what, files, message) => {
    const absolute = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, join(dir, v)]));
    const error = thrown(() => readTlsMaterial({ ...NONE, ...absolute }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(message);
    expect((error as ConfigError).input).toBe(Object.values(absolute)[0]);
  });

  it('refuses a PEM file over 1 MiB, and skips one in a CA directory', async () => {
    const big = `${PEM}${'#'.repeat(1024 * 1024)}`;
    await mkdir(join(dir, 'big-cas'));
    await writeFile(join(dir, 'big-cas', 'big.pem'), big);
    await writeFile(join(dir, 'big-cas', 'small.pem'), PEM);
    for (const file of [join(dir, 'big-cas', 'big.pem'), '/dev/zero']) {
      const error = thrown(() => readTlsMaterial({ ...NONE, caCert: file }));
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toBe('CA certificate (VAULT_CACERT) is larger than 1 MiB');
      expect((error as ConfigError).input).toBe(file);
    }
    expect(readTlsMaterial({ ...NONE, caPath: join(dir, 'big-cas') }).ca).toBe(PEM);
  });

  it('never shows the content of a file', () => {
    const error = thrown(() => readTlsMaterial({ ...NONE, caPath: join(dir, 'key.pem') }));
    expect(JSON.stringify({ message: (error as ConfigError).message, hint: (error as ConfigError).hint })).not.toContain('CANARY');
  });
});
