// The npm package as a user gets it: `npm pack` of this folder (as built), installed from the tarball
// into an empty project with the registry out of reach (--offline: every dependency is inlined in
// dist/vaultenv.cjs, so the package has none), then run with `npx vaultenv`.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const dir = mkdtempSync(join(tmpdir(), 'vaultenv-package-'));
const project = join(dir, 'project');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Node 26 first on PATH (vitest runs under scripts/with-tools.sh); a private npm cache and HOME;
// offline, so any attempt to fetch a dependency fails the install instead of quietly succeeding.
const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: join(dir, 'home'),
  npm_config_cache: join(dir, 'npm-cache'),
  npm_config_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

function npm(command: 'npm' | 'npx', args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined) throw result.error;
  return result;
}

function npx(args: string[]): SpawnSyncReturns<string> {
  return npm('npx', args, project);
}

interface PackEntry {
  filename: string;
  files: { path: string }[];
}
let packed: PackEntry;

beforeAll(() => {
  mkdirSync(env.HOME);
  mkdirSync(project);
  const pack = npm('npm', ['pack', '--json', '--pack-destination', dir], ROOT);
  expect(pack.status, pack.stderr).toBe(0);
  [packed] = JSON.parse(pack.stdout) as [PackEntry];
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'vaultenv-user', version: '1.0.0', private: true }));
  const install = npm('npm', ['install', join(dir, packed.filename)], project);
  expect(install.status, install.stderr).toBe(0);
}, 90_000);

describe('the npm package', () => {
  it('holds the launcher, the bundle, the README and package.json: not the single executable', () => {
    expect(packed.files.map((f) => f.path).sort()).toEqual(['README.md', 'bin/package.json', 'bin/vaultenv', 'dist/vaultenv.cjs', 'package.json']);
  });

  it('has no dependencies to install', () => {
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/vaultenv/package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
    expect(readdirSync(join(project, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['vaultenv']);
    expect(existsSync(join(project, 'node_modules/.bin/vaultenv'))).toBe(true);
  });

  it('runs with npx: --version', () => {
    const result = npx(['vaultenv', '--version']);
    expect(result.stdout.trim()).toBe(VERSION);
    expect(result.status).toBe(0);
  });

  it('runs with npx: an empty secrets file, then execs the program', () => {
    writeFileSync(join(project, 'empty.secrets'), '');
    const result = npx(['vaultenv', '--secrets-file', 'empty.secrets', '--', '/bin/echo', 'ok']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('ok\n');
    expect(result.status).toBe(0);
  });
});
