// Masking, end to end against the shared OpenBao dev servers (KV v1 and KV v2): inside GitHub Actions
// a run prints ::add-mask:: for every value before the program starts (not with --no-github-mask, nor
// outside Actions); --mask runs the program as a child and replaces each value in its output, also
// one written in two pieces, leaves binary bytes alone, and passes exit codes and signals through.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, cliCommand, runCli } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

/** Runs the CLI and keeps its stdout as bytes. */
function runRaw(args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const [file, argv] = cliCommand(args);
    const child = spawn(file, argv, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr });
    });
  });
}

describe.each([1, 2] as const)('masking on KV v%i mounts', (version) => {
  const server = kvServer(version);
  const prefix = uniqueName('mask');
  const password = `pw-${uniqueName('v')}`;
  const certificate = `-----BEGIN-----\nline-${uniqueName('a')}\nline-${uniqueName('b')}\n-----END-----`;
  let dir: string;
  let token: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vaultenv-mask-'));
    await server.api.writeSecret('secret', version, `${prefix}/app`, { password, certificate, short: 'abc' });
    const policy = uniqueName('read');
    await server.api.writePolicy(policy, `path "secret/${version === 2 ? 'data/' : ''}${prefix}/*" { capabilities = ["read"] }\n`);
    token = await server.api.createToken({ policies: [policy] });
    await writeFile(join(dir, 'app.secrets'), `PASSWORD=${prefix}/app#password\nCERT=${prefix}/app#certificate\nSHORT=${prefix}/app#short\n`);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => baseEnv({ VAULT_ADDR: server.address, VAULT_TOKEN: token, ...extra });

  describe('GitHub Actions', () => {
    const lines = certificate.split('\n');
    const expected = [
      `::add-mask::${password}`,
      `::add-mask::${certificate.replaceAll('\n', '%0A')}`,
      ...lines.map((line) => `::add-mask::${line}`),
      '::add-mask::abc',
    ];

    it('prints ::add-mask:: for every value, and each line of a multi-line one, before the program starts', async () => {
      const result = await runCli(['--secrets-file', 'app.secrets', '--', 'echo', 'program started'], { env: env({ GITHUB_ACTIONS: 'true' }), cwd: dir });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${expected.join('\n')}\nprogram started\n`);
    });

    it('prints them under --supervise too, before the program starts', async () => {
      const result = await runCli(['--supervise', '--secrets-file', 'app.secrets', '--', 'echo', 'program started'], { env: env({ GITHUB_ACTIONS: 'true' }), cwd: dir });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${expected.join('\n')}\nprogram started\n`);
    });

    it('prints nothing with --no-github-mask, nor outside GitHub Actions', async () => {
      const off = await runCli(['--no-github-mask', '--secrets-file', 'app.secrets', '--', 'echo', 'started'], { env: env({ GITHUB_ACTIONS: 'true' }), cwd: dir });
      expect(off.stdout).toBe('started\n');
      const outside = await runCli(['--secrets-file', 'app.secrets', '--', 'echo', 'started'], { env: env(), cwd: dir });
      expect(outside.stdout).toBe('started\n');
    });
  });

  describe('--mask', () => {
    it('replaces a value written in two pieces, and each value, but not one shorter than 4 characters', async () => {
      const half = Math.floor(password.length / 2);
      const script = 'printf %s "$FIRST"; sleep 0.3; printf "%s and %s and $SHORT\\n" "$SECOND" "$CERT"; printf "%s\\n" "$PASSWORD" >&2';
      const result = await runCli(['--mask', '--secrets-file', 'app.secrets', '--', 'sh', '-c', script], {
        env: env({ FIRST: password.slice(0, half), SECOND: password.slice(half) }),
        cwd: dir,
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('*** and *** and abc\n');
      expect(result.stderr).toBe('***\n');
    });

    it('leaves binary output alone apart from the replaced bytes', async () => {
      const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0xc3]);
      const script = `printf '\\000\\377\\376\\200\\n\\303'; printf %s "$PASSWORD"; printf '\\000\\377'`;
      const result = await runRaw(['--mask', '--secrets-file', 'app.secrets', '--', 'sh', '-c', script], env(), dir);
      expect(result.code).toBe(0);
      expect(result.stdout.equals(Buffer.concat([bytes, Buffer.from('***'), Buffer.from([0x00, 0xff])]))).toBe(true);
    });

    it('passes the exit code through', async () => {
      const result = await runCli(['--mask', '--secrets-file', 'app.secrets', '--', 'sh', '-c', 'echo "$PASSWORD"; exit 7'], { env: env(), cwd: dir });
      expect(result.stdout).toBe('***\n');
      expect(result.code).toBe(7);
    });

    it('dies by the signal that killed the program', async () => {
      const result = await runCli(['--mask', '--secrets-file', 'app.secrets', '--', 'sh', '-c', 'echo "$PASSWORD"; kill -TERM $$'], { env: env(), cwd: dir });
      expect(result.stdout).toBe('***\n');
      expect(result.signal).toBe('SIGTERM');
    });

    it('refuses --exec-mode execve (exit 2)', async () => {
      const result = await runCli(['--mask', '--exec-mode', 'execve', '--secrets-file', 'app.secrets', '--', 'true'], { env: env(), cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe('vaultenv: --mask needs the program to run as a child, and the exec mode is "execve" (--exec-mode / VAULTENV_EXEC_MODE). Drop --exec-mode execve (--mask runs the program in spawn mode), or drop --mask\n');
    });
  });
});
