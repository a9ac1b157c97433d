// bin/vaultenv's code cache: Node's own compile cache (module.enableCompileCache) in the user's cache
// folder, written by the exec stage just before process.execve (which fires no exit event), used only
// where nobody else may write, never in the shared temp folder, never a reason for a run to fail.
// (The bundle only: the single executable carries its code cache inside.)

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, PROJECT_ROOT } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'vaultenv-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const empty = join(dir, 'empty.secrets');
writeFileSync(empty, '');

let folders = 0;
/** A fresh, empty folder (a home, a temp folder), mode 700 like a home. */
function newFolder(): string {
  const folder = join(dir, `folder-${++folders}`);
  mkdirSync(folder, { mode: 0o700 });
  return folder;
}

/** The files under `folder` (paths relative to it), none when it does not exist. */
function filesIn(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(join(folder, name)).isFile())
    .sort();
}

/** The one cache file of the Node running the tests in `home`'s ~/.cache/vaultenv (Node names it: <Node version, arch, V8 tag, uid>/<hash of the path>). */
function cacheFile(home: string, base = join(home, '.cache')): string {
  const files = filesIn(join(base, 'vaultenv'));
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(new RegExp(`^${process.version.replace(/\./g, '\\.')}-${process.arch}-[0-9a-f]{8}-${process.getuid?.() ?? ''}/[0-9a-f]{8}$`));
  return join(base, 'vaultenv', files[0]!);
}

/** `vaultenv ARGS` through `launcher` (bin/vaultenv) with exactly `env` (plus PATH, and TMPDIR `tmp`). */
function vaultenv(args: string[], env: Record<string, string>, { launcher = CLI, cwd = dir, tmp = newFolder() } = {}) {
  const result = spawnSync(process.execPath, [launcher, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: tmp, ...env }, cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A run that execs `echo ran` (no secrets, no Vault). */
function execRun(env: Record<string, string>, options?: { launcher?: string; cwd?: string; tmp?: string }) {
  return vaultenv(['--secrets-file', empty, '--', 'echo', 'ran'], { VAULT_TOKEN: 'unused', ...env }, options);
}

const RAN = { status: 0, stdout: 'ran\n', stderr: '' };

describe('bin/vaultenv code cache', () => {
  it('is written in ~/.cache/vaultenv before the exec, readable by the user alone, not in the temp folder', () => {
    const home = newFolder();
    const tmp = newFolder();
    // The program finds the cache already written: the exec stage flushed it before execve (Node 24's
    // execve writes it itself; Node 26's does not, and without the flush no cache is ever written).
    const run = vaultenv(['--secrets-file', empty, '--', 'sh', '-c', 'find "$0" -type f | wc -l; echo "${NODE_COMPILE_CACHE-unset}"', join(home, '.cache', 'vaultenv')], { HOME: home, VAULT_TOKEN: 'unused' }, { tmp });
    // ...and its environment says nothing of it.
    expect(run).toEqual({ status: 0, stdout: '1\nunset\n', stderr: '' });
    const cache = statSync(cacheFile(home));
    // All of the bundle's code, compiled before it ran (bin/vaultenv turns V8's lazy compiling off for
    // it): larger than its source, where V8's lazy default leaves most functions out.
    expect(cache.size).toBeGreaterThan(statSync(join(PROJECT_ROOT, 'dist', 'vaultenv.cjs')).size);
    expect(cache.mode & 0o777).toBe(0o600);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('holds code, not data: written by a run that fetched a secret, it contains neither the secret nor the token', async () => {
    const server = kvServer(2);
    const path = uniqueName('cache');
    const value = `cached-secret-${uniqueName('v')}`;
    await server.api.writeSecret('secret', 2, `${path}/app`, { value });
    const secrets = join(dir, 'one.secrets');
    writeFileSync(secrets, `APP_SECRET=${path}/app#value\n`);
    const home = newFolder();
    const run = vaultenv(['--secrets-file', secrets, '--', 'sh', '-c', 'echo ${#APP_SECRET}'], {
      HOME: home,
      VAULT_ADDR: server.address,
      VAULT_TOKEN: server.rootToken,
    });
    expect(run).toEqual({ status: 0, stdout: `${value.length}\n`, stderr: '' });
    const cache = readFileSync(cacheFile(home));
    expect(cache.length).toBeGreaterThan(50_000);
    // The search finds what is there: a name of the code (the cache holds the bundle's code, all of
    // it compiled before it runs).
    expect(cache.includes(Buffer.from('fetchSecrets', 'latin1'))).toBe(true);
    for (const text of [value, server.rootToken]) {
      expect(cache.includes(Buffer.from(text, 'latin1'))).toBe(false);
      expect(cache.includes(Buffer.from(text, 'utf16le'))).toBe(false);
    }
  });

  it('is used by the runs after it: V8 accepts it, so it is not written again', () => {
    const home = newFolder();
    execRun({ HOME: home });
    const file = cacheFile(home);
    const before = statSync(file);
    expect(execRun({ HOME: home })).toEqual(RAN);
    const after = statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('costs a damaged cache a new one, not the run', () => {
    const home = newFolder();
    execRun({ HOME: home });
    const file = cacheFile(home);
    writeFileSync(file, 'not a code cache');
    expect(execRun({ HOME: home })).toEqual(RAN);
    expect(readFileSync(file).length).toBeGreaterThan(50_000);
  });

  it('belongs to one build: a rebuilt bundle of the same length runs its own code', () => {
    // A copy of the package whose bundle changes one word for another of the same length: V8 alone
    // would take the old cache for it (it checks the length of the source); Node checks a hash too.
    const copy = join(dir, 'copy');
    mkdirSync(join(copy, 'bin'), { recursive: true });
    mkdirSync(join(copy, 'dist'));
    copyFileSync(CLI, join(copy, 'bin', 'vaultenv'));
    copyFileSync(join(PROJECT_ROOT, 'bin', 'package.json'), join(copy, 'bin', 'package.json'));
    const original = readFileSync(join(PROJECT_ROOT, 'dist', 'vaultenv.cjs'), 'utf8');
    writeFileSync(join(copy, 'dist', 'vaultenv.cjs'), original);
    const launcher = join(copy, 'bin', 'vaultenv');
    const home = newFolder();
    const info = () => vaultenv(['--log-level', 'info', '--secrets-file', empty, '--', 'true'], { HOME: home, VAULT_TOKEN: 'unused' }, { launcher });
    expect(info().stderr).toContain('vaultenv: info: executing true');
    const before = readFileSync(cacheFile(home));

    const rebuilt = original.replace('`executing ${', '`EXECUTING ${');
    expect(rebuilt.length).toBe(original.length);
    writeFileSync(join(copy, 'dist', 'vaultenv.cjs'), rebuilt);
    expect(info().stderr).toContain('vaultenv: info: EXECUTING true');
    expect(readFileSync(cacheFile(home)).equals(before)).toBe(false); // replaced by the new build's
    expect(info().stderr).toContain('vaultenv: info: EXECUTING true');
  });

  it('goes to $XDG_CACHE_HOME when it is an absolute path', () => {
    const home = newFolder();
    const xdg = join(home, 'xdg-cache');
    mkdirSync(xdg, { mode: 0o700 });
    expect(execRun({ HOME: home, XDG_CACHE_HOME: xdg })).toEqual(RAN);
    expect(statSync(cacheFile(home, xdg)).isFile()).toBe(true);
    expect(existsSync(join(home, '.cache'))).toBe(false);
  });

  it.each([
    ['NODE_DISABLE_COMPILE_CACHE=1', (home: string) => ({ HOME: home, NODE_DISABLE_COMPILE_CACHE: '1' })],
    ['no HOME', () => ({})],
    ['an empty HOME', () => ({ HOME: '' })],
    ['a relative HOME', () => ({ HOME: 'home' })],
    ['a HOME that does not exist', (home: string) => ({ HOME: join(home, 'missing') })],
    ['a HOME that cannot exist (below a file)', () => ({ HOME: `${empty}/home` })],
  ])('is not used with %s, nor put in the temp folder instead', (_what, env: (home: string) => Record<string, string>) => {
    const home = newFolder();
    const tmp = newFolder();
    mkdirSync(join(home, 'home'));
    expect(execRun(env(home), { cwd: home, tmp })).toEqual(RAN);
    expect(readdirSync(home)).toEqual(['home']);
    expect(readdirSync(join(home, 'home'))).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('is not used in a home others may write to (HOME=/tmp, say)', () => {
    const home = newFolder();
    chmodSync(home, 0o777);
    const tmp = newFolder();
    expect(execRun({ HOME: home }, { tmp })).toEqual(RAN);
    expect(readdirSync(home)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('does not stop a run when the cache folder cannot be written', () => {
    const home = newFolder();
    writeFileSync(join(home, '.cache'), 'a file where the folder would go');
    expect(execRun({ HOME: home })).toEqual(RAN);
  });
});
