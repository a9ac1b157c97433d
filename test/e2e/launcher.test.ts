// bin/vaultenv on the Node versions it meets: it refuses a Node older than 22.12 (package.json
// "engines") on one line with exit 2, before loading the bundle, which would fail somewhere inside
// with a stack trace; on Node 22.12 to 22.14, which lack process.execve, it runs the program as a
// child. The older Node is played by the test's own Node 26 with process.versions.node (and
// process.execve) changed by a preloaded script. (The bundle only: the single executable brings its
// Node.)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/run-cli.ts';
import packageJson from '../../package.json' with { type: 'json' };

const dir = mkdtempSync(join(tmpdir(), 'vaultenv-launcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const empty = join(dir, 'empty.secrets');
writeFileSync(empty, '');

/** Runs bin/vaultenv `args` on the test's Node made to say it is `version`, without process.execve when `execve` is false. */
function launch(version: string, args: readonly string[], execve = true) {
  const preload = join(dir, `as-${version}-${execve}.cjs`);
  writeFileSync(
    preload,
    `Object.defineProperty(process.versions, 'node', { value: ${JSON.stringify(version)} });\n${execve ? '' : 'delete process.execve;\n'}`,
  );
  const result = spawnSync(process.execPath, ['--require', preload, CLI, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, VAULT_TOKEN: 'unused' },
    cwd: dir,
    encoding: 'utf8',
  });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

describe('bin/vaultenv and the Node version', () => {
  it('runs on the Node of package.json engines', () => {
    expect(packageJson.engines.node).toBe('>=22.12');
  });

  it.each(['22.11.0', '20.20.2', '18.20.8', '16.0.0'])('refuses Node %s: one line, exit 2, nothing run', (version) => {
    const result = launch(version, ['--secrets-file', empty, '--', 'sh', '-c', 'echo ran']);
    expect(result).toEqual({
      status: 2,
      signal: null,
      stdout: '',
      stderr: `vaultenv: Node.js ${version} is too old for vaultenv (${process.execPath}). Run it with Node.js 22.12 or newer, or use the single executable, which needs no Node.js\n`,
    });
  });

  it.each(['22.12.0', '23.0.0', '26.10.0'])('runs on Node %s', (version) => {
    expect(launch(version, ['--version'])).toEqual({ status: 0, signal: null, stdout: `${packageJson.version}\n`, stderr: '' });
  });

  it('on Node 22.12 to 22.14 (no process.execve), runs the program as a child, and refuses --exec-mode execve', () => {
    const program = ['--secrets-file', empty, '--', 'sh', '-c', 'echo "$PPID"'];
    const child = launch('22.14.0', program, false);
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const replaced = launch('22.15.0', program);
    // Replaced, the program's parent is the test itself; as a child, its parent is vaultenv.
    expect(Number(replaced.stdout)).toBe(process.pid);
    expect(Number(child.stdout)).not.toBe(process.pid);
    const forced = launch('22.14.0', ['--exec-mode', 'execve', ...program], false);
    expect(forced.status).toBe(2);
    expect(forced.stderr).toMatch(/^vaultenv: exec mode "execve" is not available here \(--exec-mode \/ VAULTENV_EXEC_MODE\)\. [^\n]+\n$/);
  });
});
