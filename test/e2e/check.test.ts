// `vaultenv check` against the shared OpenBao dev servers, on KV v1 and KV v2 mounts: a file with a
// good line, a missing key, a missing secret, a denied path and a non-string value reports all five,
// prints no value, starts nothing and exits with the code of the most severe problem.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, expectNoLeak, runCli } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

describe.each([1, 2] as const)('vaultenv check on KV v%i mounts', (version) => {
  const server = kvServer(version);
  const prefix = uniqueName('check');
  const denied = uniqueName('denied');
  const good = `good-${uniqueName('v')}`;
  const other = `other-${uniqueName('v')}`;
  const hidden = `hidden-${uniqueName('v')}`;
  let dir: string;
  let token: string;
  let secretsFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vaultenv-check-'));
    await server.api.writeSecret('secret', version, `${prefix}/app`, { key: good, other, count: 3 });
    await server.api.writeSecret('secret', version, `${denied}/app`, { key: hidden });
    const policy = uniqueName('read');
    await server.api.writePolicy(policy, `path "secret/${version === 2 ? 'data/' : ''}${prefix}/*" { capabilities = ["read"] }\n`);
    token = await server.api.createToken({ policies: [policy] });
    secretsFile = join(dir, 'app.secrets');
    await writeFile(
      secretsFile,
      [
        `GOOD=${prefix}/app#key`,
        `NO_KEY=${prefix}/app#nokey`,
        `NO_SECRET=${prefix}/nothing#key`,
        `DENIED=${denied}/app#key`,
        `COUNT=${prefix}/app#count`,
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const check = (args: string[], env: Record<string, string> = {}) =>
    runCli(['check', ...args], { env: baseEnv({ VAULT_ADDR: server.address, VAULT_TOKEN: token, ...env }), cwd: dir });

  it('reports every line, one line each, then a summary, and exits with the most severe code (4: denied)', async () => {
    const result = await check(['--secrets-file', 'app.secrets']);
    expectNoLeak(result, [good, other, hidden, token, server.rootToken]);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(`GOOD ← secret/${prefix}/app#key: ok`);
    expect(lines[1]).toBe(`NO_KEY ← secret/${prefix}/app#nokey: missing key (app.secrets:2). Check the key name after # (keys are case-sensitive) or add the key to the secret`);
    expect(lines[2]).toMatch(new RegExp(`^NO_SECRET ← secret/${prefix}/nothing#key: missing secret \\(${version === 2 ? `/v1/secret/data/${prefix}` : `/v1/secret/${prefix}`}/nothing, app\\.secrets:3\\)\\. Check the path`));
    expect(lines[3]).toMatch(new RegExp(`^DENIED ← secret/${denied}/app#key: denied \\(.*app\\.secrets:4\\)\\. The token is invalid or expired, or its policies do not allow reading this path$`));
    expect(lines[4]).toBe(`COUNT ← secret/${prefix}/app#count: not a string (app.secrets:5). Store the value as a string in Vault; environment variables can only hold strings`);
    expect(lines[5]).toBe('check: 5 secrets, 1 ok, 4 problems; a run would stop with exit code 4');
    expect(result.code).toBe(4);
  });

  it('--format json: one object with each line’s status and exit code, and no value', async () => {
    const result = await check(['--secrets-file', 'app.secrets', '--format', 'json']);
    expectNoLeak(result, [good, other, hidden, token]);
    expect(result.code).toBe(4);
    const report = JSON.parse(result.stdout) as { ok: boolean; exitCode: number; secrets: Array<{ name: string; status: string; exitCode?: number; line: number }> };
    expect(report.ok).toBe(false);
    expect(report.exitCode).toBe(4);
    expect(report.secrets.map(({ name, status, exitCode, line }) => [name, status, exitCode ?? 0, line])).toEqual([
      ['GOOD', 'ok', 0, 1],
      ['NO_KEY', 'missing-key', 5, 2],
      ['NO_SECRET', 'missing-secret', 5, 3],
      ['DENIED', 'denied', 4, 4],
      ['COUNT', 'not-a-string', 5, 5],
    ]);
  });

  it('without the denied line exits 5, and a clean file exits 0 without starting the command', async () => {
    await writeFile(join(dir, 'missing.secrets'), `GOOD=${prefix}/app#key\nNO_KEY=${prefix}/app#nokey\n`);
    const missing = await check(['--secrets-file', 'missing.secrets']);
    expect(missing.code).toBe(5);
    await writeFile(join(dir, 'clean.secrets'), `GOOD=${prefix}/app#key\nOTHER=${prefix}/app#other\n`);
    const marker = join(dir, 'started');
    const clean = await check(['--secrets-file', 'clean.secrets', '--', 'sh', '-c', `touch ${marker}`]);
    expectNoLeak(clean, [good, other, token]);
    expect(clean.stdout).toBe(`GOOD ← secret/${prefix}/app#key: ok\nOTHER ← secret/${prefix}/app#other: ok\ncheck: 2 secrets, 2 ok; a run would start the command\n`);
    expect(clean.code).toBe(0);
    await expect(import('node:fs/promises').then((fs) => fs.stat(marker))).rejects.toThrow(/ENOENT/);
  });

  it('reports a duplicate name and a command that does not exist after the secrets', async () => {
    await writeFile(join(dir, 'dup.secrets'), `HOME=${prefix}/app#key\n`);
    const result = await check(['--secrets-file', 'dup.secrets', '--', 'no-such-command-here']);
    expectNoLeak(result, [good, token]);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`HOME ← secret/${prefix}/app#key: ok`);
    expect(lines[1]).toMatch(/^environment: duplicate environment variable "HOME"/);
    expect(lines[2]).toMatch(/^command: command not found/);
    expect(lines[3]).toBe('check: 1 secret, 1 ok, 2 problems; a run would stop with exit code 7');
    expect(result.code).toBe(7);
  });

  it('a refused token is each line’s problem, with the token in the hint (exit 4)', async () => {
    const result = await check(['--secrets-file', 'clean.secrets'], { VAULT_TOKEN: 'not-a-valid-token' });
    expect(result.code).toBe(4);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        `GOOD ← secret/${prefix}/app#key: denied (mount secret, clean.secrets:1). The token is invalid, expired or revoked: check VAULT_TOKEN or --token`,
        `OTHER ← secret/${prefix}/app#other: denied (mount secret, clean.secrets:2). The token is invalid, expired or revoked: check VAULT_TOKEN or --token`,
        'check: 2 secrets, 0 ok, 2 problems; a run would stop with exit code 4',
        '',
      ].join('\n'),
    );
  });
});
