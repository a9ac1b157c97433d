// bin/vaultenv's code cache: written in the user's cache folder just before the first exec, used by
// the runs after it, replaced when V8 refuses it, never a reason for a run to fail. (The bundle only:
// the single executable carries its code cache inside.)

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'vaultenv-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const empty = join(dir, 'empty.secrets');
writeFileSync(empty, '');
const CACHE_NAME = `code-cache-node${process.version}-${process.arch}.bin`;

let homes = 0;
/** A fresh, empty home folder. */
function newHome(): string {
  const home = join(dir, `home-${++homes}`);
  mkdirSync(home);
  return home;
}

/** `vaultenv ARGS` through bin/vaultenv with exactly `env` (plus PATH). */
function vaultenv(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A run that execs `echo ran` (no secrets, no Vault). */
function execRun(env: Record<string, string>) {
  return vaultenv(['--secrets-file', empty, '--', 'echo', 'ran'], { VAULT_TOKEN: 'unused', ...env });
}

describe('bin/vaultenv code cache', () => {
  it('is written just before the first exec, in ~/.cache/vaultenv, readable by the user alone', () => {
    const home = newHome();
    expect(vaultenv(['--version'], { HOME: home }).status).toBe(0);
    expect(() => statSync(join(home, '.cache'))).toThrow(); // --version writes none

    const run = execRun({ HOME: home });
    expect(run).toMatchObject({ status: 0, stdout: 'ran\n', stderr: '' });
    const cache = statSync(join(home, '.cache', 'vaultenv', CACHE_NAME));
    expect(cache.size).toBeGreaterThan(50_000);
    expect(cache.mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.cache', 'vaultenv')).mode & 0o777).toBe(0o700);
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
    expect(run).toMatchObject({ status: 0, stdout: `${value.length}\n`, stderr: '' });
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
    expect(execRun({ HOME: home })).toMatchObject({ status: 0, stdout: 'ran\n' });
    const after = statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('is replaced when V8 refuses it, and the run goes on', () => {
    const home = newHome();
    const folder = join(home, '.cache', 'vaultenv');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, CACHE_NAME), 'not a code cache');
    expect(execRun({ HOME: home })).toMatchObject({ status: 0, stdout: 'ran\n', stderr: '' });
    expect(readFileSync(join(folder, CACHE_NAME)).length).toBeGreaterThan(50_000);
  });

  it('goes to $XDG_CACHE_HOME when it is an absolute path', () => {
    const home = newHome();
    const xdg = join(home, 'xdg-cache');
    execRun({ HOME: home, XDG_CACHE_HOME: xdg });
    expect(statSync(join(xdg, 'vaultenv', CACHE_NAME)).isFile()).toBe(true);
    expect(() => statSync(join(home, '.cache'))).toThrow();
  });

  it.each([
    ['NODE_DISABLE_COMPILE_CACHE=1', { NODE_DISABLE_COMPILE_CACHE: '1' }],
    ['no HOME', { HOME: '' }],
  ])('is not used with %s', (_what, extra) => {
    const home = newHome();
    expect(execRun({ HOME: home, ...extra })).toMatchObject({ status: 0, stdout: 'ran\n', stderr: '' });
    expect(() => statSync(join(home, '.cache'))).toThrow();
  });

  it('does not stop a run when the cache folder cannot be written', () => {
    const home = newHome();
    writeFileSync(join(home, '.cache'), 'a file where the folder would go');
    expect(execRun({ HOME: home })).toMatchObject({ status: 0, stdout: 'ran\n', stderr: '' });
  });
});
