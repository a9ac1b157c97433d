// The folder of FILE secrets and their writing, on the real file system in a scratch folder: where
// the folder is, that it is created 0700 and refused when it is a symlink, someone else's or open to
// others, and that each file is written 0600, whole, replacing an earlier run's, never through a link.

import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, EnvironmentError } from '../../../src/errors.ts';
import { prepareSecretsDir, secretFilePath, writeSecretFiles } from '../../../src/files/secrets-dir.ts';
import { thrownAs } from '../../helpers/thrown.ts';

const scratch = mkdtempSync(join(tmpdir(), 'vaultenv-secrets-dir-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const uid = statSync(scratch).uid;
let n = 0;
const fresh = (): string => join(scratch, `case-${++n}`);
const mode = (path: string): number => lstatSync(path).mode & 0o777;

describe('prepareSecretsDir', () => {
  it('creates --secrets-dir with mode 0700, resolved against cwd', () => {
    const parent = fresh();
    mkdirSync(parent);
    const dir = prepareSecretsDir({ configured: 'files', runtimeDir: undefined, uid, cwd: parent });
    expect(dir).toBe(join(parent, 'files'));
    expect(mode(dir)).toBe(0o700);
  });

  it('defaults to vaultenv-<uid> in $XDG_RUNTIME_DIR', () => {
    const runtime = fresh();
    mkdirSync(runtime);
    const dir = prepareSecretsDir({ configured: undefined, runtimeDir: runtime, uid, cwd: '/' });
    expect(dir).toBe(join(runtime, `vaultenv-${uid}`));
    expect(mode(dir)).toBe(0o700);
    // Again: the folder of an earlier run is taken as it is.
    expect(prepareSecretsDir({ configured: undefined, runtimeDir: runtime, uid, cwd: '/' })).toBe(dir);
  });

  it('falls back to /dev/shm when $XDG_RUNTIME_DIR is unset, relative or missing', () => {
    const shm = `/dev/shm/vaultenv-${uid}`;
    const existed = existsSync(shm);
    try {
      for (const runtimeDir of [undefined, 'relative', join(scratch, 'missing')]) {
        expect(prepareSecretsDir({ configured: undefined, runtimeDir, uid, cwd: '/' })).toBe(shm);
      }
    } finally {
      if (!existed) rmSync(shm, { recursive: true, force: true });
    }
  });

  it('refuses a symlink where the folder goes, even to a folder of the user', () => {
    const target = fresh();
    mkdirSync(target, { mode: 0o700 });
    const link = fresh();
    symlinkSync(target, link);
    const error = thrownAs(ConfigError, () => prepareSecretsDir({ configured: link, runtimeDir: undefined, uid, cwd: '/' }));
    expect(error.message).toBe('folder for FILE secrets is a symbolic link, refused');
    expect(error.input).toBe(`--secrets-dir ${link}`);
    expect(error.exitCode).toBe(2);
  });

  it("refuses a folder of another user", () => {
    const dir = fresh();
    mkdirSync(dir, { mode: 0o700 });
    const error = thrownAs(ConfigError, () => prepareSecretsDir({ configured: dir, runtimeDir: undefined, uid: uid + 1, cwd: '/' }));
    expect(error.message).toBe(`folder for FILE secrets belongs to user ${uid}, not to ${uid + 1}, refused`);
    expect(error.hint).toBe(
      'someone else may have made it to receive the secrets: pass --secrets-dir DIR (VAULTENV_SECRETS_DIR): a folder of your own, best in memory (tmpfs; in Kubernetes an emptyDir with medium: Memory)',
    );
  });

  it('refuses a folder others may enter, and a file', () => {
    const open = fresh();
    mkdirSync(open);
    chmodSync(open, 0o750);
    expect(thrownAs(ConfigError, () => prepareSecretsDir({ configured: open, runtimeDir: undefined, uid, cwd: '/' })).message).toBe(
      'folder for FILE secrets is open to others (mode 750)',
    );
    const file = fresh();
    writeFileSync(file, '');
    expect(thrownAs(ConfigError, () => prepareSecretsDir({ configured: file, runtimeDir: undefined, uid, cwd: '/' })).message).toBe(
      'folder for FILE secrets is not a directory',
    );
  });

  it('asks for --secrets-dir where there are no user ids', () => {
    const error = thrownAs(ConfigError, () => prepareSecretsDir({ configured: fresh(), runtimeDir: undefined, uid: undefined, cwd: '/' }));
    expect(error.message).toBe('FILE secrets need a system with user ids, to keep their folder to one user');
  });

  it('reports a folder whose parent is missing', () => {
    const error = thrownAs(ConfigError, () => prepareSecretsDir({ configured: join(fresh(), 'a', 'b'), runtimeDir: undefined, uid, cwd: '/' }));
    expect(error.message).toBe('folder for FILE secrets cannot be created (ENOENT)');
  });
});

describe('writeSecretFiles', () => {
  const folder = (): string => prepareSecretsDir({ configured: fresh(), runtimeDir: undefined, uid, cwd: '/' });

  it('writes each value, whole and as it is, into a file of mode 0600 named after the variable', () => {
    const dir = folder();
    writeSecretFiles(dir, [
      { name: 'TLS_KEY', value: '-----BEGIN KEY-----\nabc\n-----END KEY-----\n' },
      { name: 'EMPTY', value: '' },
    ]);
    expect(readFileSync(secretFilePath(dir, 'TLS_KEY'), 'utf8')).toBe('-----BEGIN KEY-----\nabc\n-----END KEY-----\n');
    expect(readFileSync(secretFilePath(dir, 'EMPTY'), 'utf8')).toBe('');
    expect(mode(secretFilePath(dir, 'TLS_KEY'))).toBe(0o600);
    expect(lstatSync(secretFilePath(dir, 'TLS_KEY')).uid).toBe(uid);
    // No temporary file is left behind.
    expect(readdirSync(dir).sort()).toEqual(['EMPTY', 'TLS_KEY']);
  });

  it("replaces an earlier run's file", () => {
    const dir = folder();
    writeSecretFiles(dir, [{ name: 'A', value: 'old' }]);
    writeSecretFiles(dir, [{ name: 'A', value: 'new' }]);
    expect(readFileSync(secretFilePath(dir, 'A'), 'utf8')).toBe('new');
  });

  it('refuses a symlink planted where a file goes, and writes nothing through it', () => {
    const dir = folder();
    const victim = join(fresh());
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, secretFilePath(dir, 'TLS_KEY'));
    const error = thrownAs(EnvironmentError, () => writeSecretFiles(dir, [{ name: 'TLS_KEY', value: 'the-secret-value' }]));
    expect(error.message).toBe('a symbolic link stands where a FILE secret goes, refused');
    expect(error.input).toBe(`FILE TLS_KEY, ${secretFilePath(dir, 'TLS_KEY')}`);
    expect(error.exitCode).toBe(7);
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(lstatSync(secretFilePath(dir, 'TLS_KEY')).isSymbolicLink()).toBe(true);
  });

  it('reports a file that cannot be written without its value, and leaves no temporary file', () => {
    const dir = folder();
    mkdirSync(secretFilePath(dir, 'TAKEN'));
    writeFileSync(secretFilePath(dir, 'TAKEN/inside'), '');
    const error = thrownAs(EnvironmentError, () => writeSecretFiles(dir, [{ name: 'TAKEN', value: 'the-secret-value' }]));
    expect(error.message).toMatch(/^FILE secret cannot be written \((EISDIR|ENOTEMPTY|EEXIST)\)$/);
    expect(error.message + (error.hint ?? '') + (error.input ?? '')).not.toContain('the-secret-value');
    expect(readdirSync(dir)).toEqual(['TAKEN']);
  });
});
