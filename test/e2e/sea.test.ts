// The single executable (dist/vaultenv-linux-<arch>: scripts/build-bun.mjs, or scripts/build-sea.mjs
// with VAULTENV_SEA_RUNTIME=node) as it is shipped: copied
// alone into an empty folder, run with PATH=/usr/bin:/bin and nothing else from this project. The rest
// of the CLI's behaviour is covered by the e2e and CLI integration tests, which scripts/test.sh runs a
// second time against this executable (VAULTENV_TEST_CLI=sea).

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const BUILT = join(ROOT, 'dist', `vaultenv-${process.platform}-${process.arch}`);
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const dir = mkdtempSync(join(tmpdir(), 'vaultenv-sea-'));
const SEA = join(dir, 'vaultenv');
const home = mkdtempSync(join(tmpdir(), 'vaultenv-sea-home-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

/** The only environment the executable gets: no node, no node_modules, no project folder. */
const env = (extra: Record<string, string> = {}) => ({ PATH: '/usr/bin:/bin', HOME: home, ...extra });
const run = (args: string[], extra: Record<string, string> = {}) =>
  spawnSync(SEA, args, { cwd: dir, env: env(extra), encoding: 'utf8', timeout: 30_000 });

/** The runtime the executable was built with (scripts/build.mjs reads the same variable). */
const RUNTIME = process.env.VAULTENV_SEA_RUNTIME === 'node' ? 'node' : 'bun';

/**
 * The system libraries the executable may link, each with the Debian/Ubuntu package that has it:
 * glibc's own (all that Bun's binary links), and for a Node SEA also GCC's C++ runtime (the official
 * Node binary links libstdc++ dynamically) and libatomic, which the official Node 26 binary links.
 */
const PACKAGE_OF: Record<string, string | undefined> = {
  'linux-vdso': 'the kernel',
  'ld-linux-x86-64': 'libc6',
  'ld-linux-aarch64': 'libc6',
  libc: 'libc6',
  libm: 'libc6',
  libdl: 'libc6',
  libpthread: 'libc6',
  librt: 'libc6',
  libgcc_s: 'libgcc-s1',
  'libstdc++': 'libstdc++6',
  libatomic: 'libatomic1',
};
/** What every Debian and Ubuntu image has (apt needs them), the slim ones included; libatomic1 is not among them. */
const IN_EVERY_IMAGE = new Set(['the kernel', 'libc6', 'libgcc-s1', 'libstdc++6']);

let linked: string[] | undefined;
/** The libraries `ldd` lists for the executable, by name (libc, libstdc++, ...). */
function linkedLibraries(): string[] {
  linked ??= execFileSync('ldd', [SEA], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '')
    .map((name) => name.replace(/^.*\//, '').replace(/\.so.*$/, ''));
  return linked;
}

/** The packages that `apt-get install` names in a Dockerfile's last stage. */
function aptInstalledInFinalStage(text: string): string[] {
  const finalStage = text.replace(/\\\n/g, ' ').split(/^FROM\s/m).at(-1) ?? '';
  const packages: string[] = [];
  for (const match of finalStage.matchAll(/\bapt-get\s+install((?:\s+[^\s&;|]+)*)/g)) {
    packages.push(...(match[1] ?? '').trim().split(/\s+/).filter((word) => word !== '' && !word.startsWith('-')));
  }
  return packages;
}

/** TCP ports `pid` listens on, read from /proc (its sockets' inodes against the LISTEN table). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1] !== undefined) inodes.add(match[1]);
    } catch {
      // The descriptor closed meanwhile.
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      if (state === '0A' && local !== undefined && inode !== undefined && inodes.has(inode)) ports.push(parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How long SIGUSR1 is given to open an inspector: the control (a plain node) must show one within
 * this time, and the single executable must still have none after all of it.
 */
const INSPECTOR_WAIT_MS = 2000;

describe('the single executable, alone in an empty folder', () => {
  beforeAll(() => {
    // scripts/build-sea.mjs builds the executable on Linux only, and these checks read /proc: the
    // suite fails elsewhere rather than passing without having run.
    if (process.platform !== 'linux') {
      throw new Error(`the single-executable tests run on Linux only (the platform CI builds and ships the executable for); this is ${process.platform}`);
    }
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: build it first (node scripts/build.mjs)`);
    copyFileSync(BUILT, SEA);
    expect(readdirSync(dir)).toEqual(['vaultenv']);
  });

  it('prints its version', () => {
    const result = run(['--version']);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(VERSION);
    expect(result.status).toBe(0);
  });

  it('reads a secrets file, fetches from a real OpenBao and execs the program with the secret', async () => {
    const server = kvServer(2);
    const path = uniqueName('sea');
    const value = `sea-${uniqueName('v')}`;
    await server.api.writeSecret('secret', 2, `${path}/app`, { password: value });
    writeFileSync(join(dir, 'app.secrets'), `DB_PASSWORD=${path}/app#password\n`);
    const result = run(['--secrets-file', 'app.secrets', '--', '/usr/bin/env'], { VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')).toContain(`DB_PASSWORD=${value}`);
  });

  it('ignores NODE_OPTIONS (meant for the program it runs, not for vaultenv)', () => {
    const result = run(['--version'], { NODE_OPTIONS: '--require /nonexistent/hook.cjs' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(VERSION);
  });

  it('does not open the inspector on SIGUSR1 while it waits for Vault', async () => {
    // A "Vault" that accepts connections and never answers keeps vaultenv waiting (30 s request timeout).
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    writeFileSync(join(dir, 'wait.secrets'), 'X=some/path#key\n');
    const child = spawn(SEA, ['--secrets-file', 'wait.secrets', '--', '/bin/true'], {
      cwd: dir,
      env: env({ VAULT_ADDR: `http://127.0.0.1:${address.port}`, VAULT_TOKEN: 'sea-fake-token' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const closed = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('close', (code, signal) => resolve(signal ?? code)));
    try {
      for (let i = 0; i < 250 && sockets.length === 0; i++) await sleep(20);
      expect(sockets).toHaveLength(1);
      const pid = child.pid ?? -1;
      expect(listeningPorts(pid)).toEqual([]);
      child.kill('SIGUSR1');
      await sleep(INSPECTOR_WAIT_MS);
      expect(child.exitCode).toBe(null);
      expect(listeningPorts(pid)).toEqual([]);
      expect(stderr).not.toContain('Debugger listening');
    } finally {
      child.kill('SIGKILL');
      await closed;
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('control: the /proc check sees an inspector that SIGUSR1 opens in a plain node', async () => {
    const child = spawn(process.execPath, ['--inspect-port=127.0.0.1:0', '-e', 'console.log("ready"); setTimeout(() => {}, 20000)'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const closed = new Promise((resolve) => child.on('close', resolve));
    try {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      for (let i = 0; i < 250 && !out.includes('ready'); i++) await sleep(20);
      child.kill('SIGUSR1');
      let ports: number[] = [];
      const deadline = performance.now() + INSPECTOR_WAIT_MS;
      while (ports.length === 0 && performance.now() < deadline) {
        await sleep(20);
        ports = listeningPorts(child.pid ?? -1);
      }
      expect(ports.length).toBe(1);
    } finally {
      child.kill('SIGKILL');
      await closed;
    }
  });

  it('weighs about what its runtime\'s binary weighs', () => {
    const mib = statSync(SEA).size / 1024 / 1024;
    console.log(`single executable: ${mib.toFixed(1)} MiB`);
    expect(mib).toBeGreaterThan(40);
    expect(mib).toBeLessThan(160);
  });

  it(`links only ${RUNTIME === 'bun' ? 'glibc' : 'the C and C++ runtime libraries of the system, and libatomic'}`, () => {
    const libraries = linkedLibraries();
    expect(libraries.filter((name) => PACKAGE_OF[name] === undefined)).toEqual([]);
    if (RUNTIME === 'bun') expect(libraries.filter((name) => !['the kernel', 'libc6'].includes(PACKAGE_OF[name] ?? ''))).toEqual([]);
    expect(libraries).toContain('libc');
  });

  it.each(['Dockerfile', 'examples/docker/Dockerfile.logstash'])('%s installs each library it links that slim images lack', (path) => {
    const needed = [...new Set(linkedLibraries().map((name) => PACKAGE_OF[name] ?? name))].filter((name) => !IN_EVERY_IMAGE.has(name));
    const installed = aptInstalledInFinalStage(readFileSync(join(ROOT, path), 'utf8'));
    expect(needed.filter((name) => !installed.includes(name))).toEqual([]);
  });
});
