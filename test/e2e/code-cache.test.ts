// bin/vaultenv's code cache: written in the user's cache folder just before the first exec, used by
// the runs after it, replaced when V8 refuses it or the build changes, trusted only in folders and
// files nobody else may write to, never a reason for a run to fail. (The bundle only: the single
// executable carries its code cache inside.)

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, PROJECT_ROOT } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'vaultenv-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const empty = join(dir, 'empty.secrets');
writeFileSync(empty, '');

const BUILD_LINE = /^\/\*! vaultenv build ([0-9a-f]{32}) \*\/\n/;
/** The cache file name of the bundle `bundleText` (its first line names the build). */
function cacheName(bundleText: string): string {
  const build = BUILD_LINE.exec(bundleText)?.[1];
  if (build === undefined) throw new Error('the bundle does not start with its build line');
  return `code-cache-${build}-node${process.version}-${process.arch}.bin`;
}
const CACHE_NAME = cacheName(readFileSync(join(PROJECT_ROOT, 'dist', 'vaultenv.cjs'), 'utf8'));

let homes = 0;
/** A fresh, empty home folder. */
function newHome(): string {
  const home = join(dir, `home-${++homes}`);
  mkdirSync(home);
  return home;
}

/** `vaultenv ARGS` through `launcher` (bin/vaultenv) with exactly `env` (plus PATH). */
function vaultenv(args: string[], env: Record<string, string>, { launcher = CLI, cwd = dir } = {}) {
  const result = spawnSync(process.execPath, [launcher, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A run that execs `echo ran` (no secrets, no Vault). */
function execRun(env: Record<string, string>, options?: { launcher?: string; cwd?: string }) {
  return vaultenv(['--secrets-file', empty, '--', 'echo', 'ran'], { VAULT_TOKEN: 'unused', ...env }, options);
}

const RAN = { status: 0, stdout: 'ran\n', stderr: '' };

describe('bin/vaultenv code cache', () => {
  it('is written just before the first exec, in ~/.cache/vaultenv, readable by the user alone', () => {
    const home = newHome();
    expect(vaultenv(['--version'], { HOME: home }).status).toBe(0);
    expect(existsSync(join(home, '.cache'))).toBe(false); // --version writes none

    expect(execRun({ HOME: home })).toEqual(RAN);
    const cache = statSync(join(home, '.cache', 'vaultenv', CACHE_NAME));
    expect(cache.size).toBeGreaterThan(50_000);
    expect(cache.mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.cache', 'vaultenv')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(home, '.cache', 'vaultenv'))).toEqual([CACHE_NAME]);
  });

  it('holds code, not data: written by a run that fetched a secret, it contains neither the secret nor the token', async () => {
    const server = kvServer(2);
    const path = uniqueName('cache');
    const value = `cached-secret-${uniqueName('v')}`;
    await server.api.writeSecret('secret', 2, `${path}/app`, { value });
    const secrets = join(dir, 'one.secrets');
    writeFileSync(secrets, `APP_SECRET=${path}/app#value\n`);
    const home = newHome();
    const run = vaultenv(['--secrets-file', secrets, '--', 'sh', '-c', 'echo ${#APP_SECRET}'], {
      HOME: home,
      VAULT_ADDR: server.address,
      VAULT_TOKEN: server.rootToken,
    });
    expect(run).toEqual({ status: 0, stdout: `${value.length}\n`, stderr: '' });
    const cache = readFileSync(join(home, '.cache', 'vaultenv', CACHE_NAME));
    expect(cache.length).toBeGreaterThan(50_000);
    // The search finds what is there: a string constant of the code that ran.
    expect(cache.includes(Buffer.from('VAULTENV_GITHUB_TOKEN', 'latin1'))).toBe(true);
    for (const text of [value, server.rootToken]) {
      expect(cache.includes(Buffer.from(text, 'latin1'))).toBe(false);
      expect(cache.includes(Buffer.from(text, 'utf16le'))).toBe(false);
    }
  });

  it('is used by the runs after it: V8 accepts it, so it is not written again', () => {
    const home = newHome();
    execRun({ HOME: home });
    const file = join(home, '.cache', 'vaultenv', CACHE_NAME);
    const before = statSync(file);
    expect(execRun({ HOME: home })).toEqual(RAN);
    const after = statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('is replaced when V8 refuses it, and the run goes on', () => {
    const home = newHome();
    const folder = join(home, '.cache', 'vaultenv');
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    writeFileSync(join(folder, CACHE_NAME), 'not a code cache', { mode: 0o600 });
    expect(execRun({ HOME: home })).toEqual(RAN);
    expect(readFileSync(join(folder, CACHE_NAME)).length).toBeGreaterThan(50_000);
  });

  it('belongs to one build: a rebuilt bundle of the same length runs its own code, with a cache of its own', () => {
    // A copy of the package whose bundle changes one word for another of the same length, with the
    // build line the build would write; V8 alone would take the old cache for it.
    const copy = join(dir, 'copy');
    mkdirSync(join(copy, 'bin'), { recursive: true });
    mkdirSync(join(copy, 'dist'));
    copyFileSync(CLI, join(copy, 'bin', 'vaultenv'));
    const original = readFileSync(join(PROJECT_ROOT, 'dist', 'vaultenv.cjs'), 'utf8');
    writeFileSync(join(copy, 'dist', 'vaultenv.cjs'), original);
    const launcher = join(copy, 'bin', 'vaultenv');
    const home = newHome();
    const info = (extra: Record<string, string>) =>
      vaultenv(['--log-level', 'info', '--secrets-file', empty, '--', 'true'], { HOME: home, VAULT_TOKEN: 'unused', ...extra }, { launcher });
    expect(info({}).stderr).toContain('vaultenv: info: executing true');

    const code = original.replace(BUILD_LINE, '').replace('`executing ${', '`EXECUTING ${');
    expect(code.length).toBe(original.replace(BUILD_LINE, '').length);
    const rebuilt = `/*! vaultenv build ${createHash('sha256').update(code).digest('hex').slice(0, 32)} */\n${code}`;
    writeFileSync(join(copy, 'dist', 'vaultenv.cjs'), rebuilt);
    expect(info({}).stderr).toContain('vaultenv: info: EXECUTING true');
    // The new build's cache replaced the old one.
    expect(readdirSync(join(home, '.cache', 'vaultenv'))).toEqual([cacheName(rebuilt)]);
    expect(info({}).stderr).toContain('vaultenv: info: EXECUTING true');
  });

  it('goes to $XDG_CACHE_HOME when it is an absolute path', () => {
    const home = newHome();
    const xdg = join(home, 'xdg-cache');
    execRun({ HOME: home, XDG_CACHE_HOME: xdg });
    expect(statSync(join(xdg, 'vaultenv', CACHE_NAME)).isFile()).toBe(true);
    expect(existsSync(join(home, '.cache'))).toBe(false);
  });

  it.each([
    ['NODE_DISABLE_COMPILE_CACHE=1', { NODE_DISABLE_COMPILE_CACHE: '1' }],
    ['an empty HOME', { HOME: '' }],
    ['a relative HOME', { HOME: 'home' }],
  ])('is not used with %s', (_what, extra) => {
    const home = newHome();
    mkdirSync(join(home, 'home'));
    expect(execRun({ HOME: home, ...extra }, { cwd: home })).toEqual(RAN);
    expect(readdirSync(home)).toEqual(['home']);
    expect(readdirSync(join(home, 'home'))).toEqual([]);
  });

  describe('is trusted only where nobody else may write', () => {
    it('not in a home others may write to (HOME=/tmp, say)', () => {
      const home = newHome();
      chmodSync(home, 0o777);
      expect(execRun({ HOME: home })).toEqual(RAN);
      expect(existsSync(join(home, '.cache'))).toBe(false);
    });

    it('not in a cache folder others may write to: neither read nor written', () => {
      const home = newHome();
      const folder = join(home, '.cache', 'vaultenv');
      mkdirSync(folder, { recursive: true });
      chmodSync(folder, 0o777);
      writeFileSync(join(folder, CACHE_NAME), 'planted');
      expect(execRun({ HOME: home })).toEqual(RAN);
      expect(readFileSync(join(folder, CACHE_NAME), 'utf8')).toBe('planted');
    });

    it('not a cache file others may write to: replaced by its own', () => {
      const home = newHome();
      const folder = join(home, '.cache', 'vaultenv');
      execRun({ HOME: home });
      chmodSync(join(folder, CACHE_NAME), 0o666);
      const before = statSync(join(folder, CACHE_NAME));
      expect(execRun({ HOME: home })).toEqual(RAN);
      const after = statSync(join(folder, CACHE_NAME));
      expect(after.ino).not.toBe(before.ino);
      expect(after.mode & 0o777).toBe(0o600);
    });

    it('not through a symbolic link: the link is replaced by a file', () => {
      const home = newHome();
      const elsewhere = newHome();
      execRun({ HOME: elsewhere });
      const folder = join(home, '.cache', 'vaultenv');
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      symlinkSync(join(elsewhere, '.cache', 'vaultenv', CACHE_NAME), join(folder, CACHE_NAME));
      expect(execRun({ HOME: home })).toEqual(RAN);
      expect(lstatSync(join(folder, CACHE_NAME)).isFile()).toBe(true);
    });
  });

  it('does not stop a run when the cache folder cannot be written', () => {
    const home = newHome();
    writeFileSync(join(home, '.cache'), 'a file where the folder would go');
    expect(execRun({ HOME: home })).toEqual(RAN);
  });
});
