// Which of Node's built-in modules the bundle loads: start-up time is mostly the modules loaded, so a
// run must load only what it uses. On Node the bundle takes every built-in from
// process.getBuiltinModule (scripts/bundle-options.mjs); a module preloaded with --require records
// each one asked for. On Bun, the single executable's runtime, it takes them by `require`, which
// loads them sooner there: the same recorder, preloaded into the bundle under Bun (the executable
// itself refuses Bun's preloads), hears nothing.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, baseEnv } from '../helpers/run-cli.ts';

const BUNDLE = join(PROJECT_ROOT, 'dist', 'vaultenv.cjs');
const dir = mkdtempSync(join(tmpdir(), 'vaultenv-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const recorder = join(dir, 'record-builtins.cjs');
writeFileSync(
  recorder,
  `const fs = require('node:fs');
const asked = new Set();
const original = process.getBuiltinModule.bind(process);
process.getBuiltinModule = (name) => { asked.add(name.replace(/^node:/, '')); return original(name); };
process.on('exit', () => fs.writeFileSync(process.env.RECORD_TO, JSON.stringify([...asked].sort())));
`,
);
const empty = join(dir, 'empty.secrets');
writeFileSync(empty, '');

/** The built-ins `vaultenv ...args` asked process.getBuiltinModule for, on `runtime`. */
function askedFor(args: readonly string[], runtime: 'node' | 'bun' = 'node'): string[] {
  const out = join(dir, `asked-${Math.random().toString(36).slice(2)}.json`);
  const [file, preload] = runtime === 'node' ? [process.execPath, '--require'] : ['bun', '--preload'];
  const result = spawnSync(file, [preload, recorder, BUNDLE, ...args], {
    env: baseEnv({ RECORD_TO: out, VAULT_ADDR: 'http://127.0.0.1:1' }),
    cwd: dir, // no ./.env to read
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8')) as string[];
}

/** The built-ins `vaultenv ...args` asked for on Node, of those the bundle loads only on first use. */
function firstUseModulesLoaded(args: readonly string[]): string[] {
  const firstUse = ['child_process', 'crypto', 'fs/promises', 'http', 'http2', 'https', 'module', 'net', 'os', 'tls', 'tty', 'util', 'v8', 'worker_threads'];
  return askedFor(args).filter((name) => firstUse.includes(name));
}

describe('the built-in modules a run loads', () => {
  it('--version loads none of those loaded on first use', () => {
    expect(firstUseModulesLoaded(['--version'])).toEqual([]);
  });

  it('a run with nothing to fetch, in spawn mode, loads only what starting a child needs', () => {
    // No Vault connection (no http), no config file parsed (no util), no failed exec (no os).
    expect(firstUseModulesLoaded(['--secrets-file', empty, '--exec-mode', 'spawn', '--', '/bin/true'])).toEqual(['child_process', 'tty', 'worker_threads']);
  });

  it('on Bun, a run asks process.getBuiltinModule for none of them: it requires each', () => {
    // The run loads fs, path and the rest on Bun too (its secrets file is read, its child spawned).
    expect(askedFor(['--secrets-file', empty, '--exec-mode', 'spawn', '--', '/bin/true'], 'bun')).toEqual([]);
    expect(askedFor(['--secrets-file', empty, '--exec-mode', 'spawn', '--', '/bin/true']).length).toBeGreaterThan(0);
  });
});
