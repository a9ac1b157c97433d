// The app container of a pod whose init container (kubernetes-vault) writes the token file into a
// shared emptyDir, as a whole run: vaultenv reads that token file itself (no jq, no token in argv),
// takes the address from its vaultAddr and the CA from the ca.crt beside it; an Agent sink file works
// the same way; a malformed file fails clearly. Also: a login's token reaches the program only with
// --export-token. The built CLI against a real OpenBao server.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { ExecRequest } from '../../src/exec/run.ts';
import { startBao, type BaoServer } from '../helpers/bao.ts';
import { baseEnv, envFromOutput, expectNoLeak, runCli } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const ENV = '/usr/bin/env';
const dir = mkdtempSync(join(tmpdir(), 'vaultenv-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([1, 2] as const)('token files, KV v%i', (version) => {
  const server = kvServer(version);
  const value = `tf-${uniqueName('v')}`;
  const path = uniqueName('tf');
  const secretsFile = join(dir, `tf-${version}.secrets`);
  let token: string;

  beforeAll(async () => {
    await server.api.writeSecret('secret', version, `${path}/db`, { password: value });
    const policy = uniqueName('tf');
    await server.api.writePolicy(policy, `path "secret/${version === 2 ? 'data/' : ''}${path}/*" { capabilities = ["read"] }\n`);
    token = await server.api.createToken({ policies: [policy] });
    writeFileSync(secretsFile, `DB_PASSWORD=${path}/db#password\n`);
  });

  it('a kubernetes-vault JSON file is the only credential, and its vaultAddr the only address', async () => {
    const tokenDir = mkdtempSync(join(dir, 'boostport-'));
    const file = join(tokenDir, 'vault-token');
    writeFileSync(file, JSON.stringify({ clientToken: token, accessor: 'acc', leaseDuration: 3600, renewable: true, vaultAddr: server.address }));
    const result = await runCli(['--secrets-file', secretsFile, '--', ENV], { env: baseEnv({ VAULTENV_TOKEN_FILE: file }) });
    expect(result.stderr).toBe('');
    expect(envFromOutput(result.stdout).DB_PASSWORD).toBe(value);
    expect(result.stdout).not.toContain(token);
  });

  it('found at the well-known path when nothing is configured', async () => {
    const file = join(mkdtempSync(join(dir, 'wk-')), 'vault-token');
    writeFileSync(file, JSON.stringify({ clientToken: token, vaultAddr: server.address }));
    let request: ExecRequest | undefined;
    let stderr = '';
    const code = await main(['--secrets-file', secretsFile, '--', ENV], { PATH: process.env.PATH, HOME: dir }, {
      output: { stdout: () => {}, stderr: (t) => (stderr += t) },
      cwd: dir,
      wellKnownTokenFiles: [file, join(dir, '.vault-token')],
      run: (r) => ((request = r), Promise.resolve(0)),
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(request?.env.DB_PASSWORD).toBe(value);
  });

  it('a plain Agent sink file (trailing newline) works with VAULT_ADDR', async () => {
    const file = join(dir, `sink-${version}`);
    writeFileSync(file, `${token}\n`);
    const result = await runCli(['--token-file', file, '--secrets-file', secretsFile, '--', ENV], { env: baseEnv({ VAULT_ADDR: server.address }) });
    expect(result.stderr).toBe('');
    expect(envFromOutput(result.stdout).DB_PASSWORD).toBe(value);
  });

  it.each([
    [0o644, true],
    [0o600, false],
  ])('a token file of mode %o: an info line when others may read it, never a failure', async (mode, noted) => {
    const file = join(dir, `sink-${version}-${mode.toString(8)}`);
    writeFileSync(file, `${token}\n`, { mode });
    const result = await runCli(['--log-level', 'info', '--token-file', file, '--secrets-file', secretsFile, '--', ENV], { env: baseEnv({ VAULT_ADDR: server.address }) });
    expect(result.code).toBe(0);
    expect(envFromOutput(result.stdout).DB_PASSWORD).toBe(value);
    const note = `vaultenv: info: token file ${file} is readable by other users (mode 0644): chmod 600 where you can (in Kubernetes, the volume's defaultMode)`;
    expect(result.stderr.split('\n').filter((line) => line.includes('readable by other users'))).toEqual(noted ? [note] : []);
    expectNoLeak({ stdout: '', stderr: result.stderr }, [token, value]);
  });

  it('a malformed file fails clearly and shows none of its content', async () => {
    const file = join(dir, `bad-${version}`);
    writeFileSync(file, `{"accessor": "x", "token": "${token}"}`);
    const result = await runCli(['--secrets-file', secretsFile, '--', ENV], { env: baseEnv({ VAULT_ADDR: server.address, VAULTENV_TOKEN_FILE: file }) });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^vaultenv: malformed token file/);
    expect(result.stderr).toContain(file);
    expectNoLeak(result, [token, value]);
  });
});

describe('the CA beside a kubernetes-vault token file', () => {
  let server: BaoServer;
  beforeAll(async () => {
    server = await startBao({ tls: true });
    await server.api.writeSecret('secret', 2, 'pod/app', { key: 'from-tls-server' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('is trusted when no CA is configured', async () => {
    const tokenDir = mkdtempSync(join(dir, 'ca-'));
    writeFileSync(join(tokenDir, 'vault-token'), JSON.stringify({ clientToken: server.rootToken, vaultAddr: server.address }));
    writeFileSync(join(tokenDir, 'ca.crt'), readFileSync(server.caCert ?? ''));
    const secretsFile = join(tokenDir, 'app.secrets');
    writeFileSync(secretsFile, 'APP_KEY=pod/app#key\n');
    const result = await runCli(['--token-file', join(tokenDir, 'vault-token'), '--secrets-file', secretsFile, '--', ENV], { env: baseEnv() });
    expect(result.stderr).toBe('');
    expect(envFromOutput(result.stdout).APP_KEY).toBe('from-tls-server');
  });
});

describe('--export-token', () => {
  let server: BaoServer;
  let roleId: string;
  let secretIdFile: string;
  const secretsFile = join(dir, 'approle.secrets');

  beforeAll(async () => {
    server = await startBao();
    await server.api.enableAuth('approle', 'approle');
    await server.api.writePolicy('app', 'path "secret/data/app/*" { capabilities = ["read"] }\n');
    await server.api.request('POST', 'auth/approle/role/app', { token_policies: ['app'] });
    roleId = ((await server.api.request('GET', 'auth/approle/role/app/role-id')).body as { data: { role_id: string } }).data.role_id;
    const secretId = ((await server.api.request('POST', 'auth/approle/role/app/secret-id', {})).body as { data: { secret_id: string } }).data.secret_id;
    secretIdFile = join(dir, 'secret-id');
    mkdirSync(dir, { recursive: true });
    writeFileSync(secretIdFile, secretId);
    await server.api.writeSecret('secret', 2, 'app/db', { user: 'app-user' });
    writeFileSync(secretsFile, 'DB_USER=app/db#user\n');
  });
  afterAll(async () => {
    await server.stop();
  });

  const run = (extra: string[]) =>
    runCli([...extra, '--approle-role-id', roleId, '--approle-secret-id-file', secretIdFile, '--secrets-file', secretsFile, '--', ENV], {
      env: baseEnv({ VAULT_ADDR: server.address }),
    });

  it('without it, the login token stays out of the program\'s environment', async () => {
    const result = await run([]);
    expect(result.stderr).toBe('');
    expect(envFromOutput(result.stdout).DB_USER).toBe('app-user');
    expect(envFromOutput(result.stdout)).not.toHaveProperty('VAULT_TOKEN');
  });

  it('with it, the program gets VAULT_TOKEN, a token that works', async () => {
    const result = await run(['--export-token']);
    const token = envFromOutput(result.stdout).VAULT_TOKEN ?? '';
    const lookup = await server.api.request('GET', 'auth/token/lookup-self', undefined, { token });
    expect(lookup.status).toBe(200);
    // The token of the AppRole login, not the root token or anything else.
    expect(lookup.body).toMatchObject({ data: { id: token, path: 'auth/approle/login', policies: ['app', 'default'], meta: { role_name: 'app' } } });
  });
});
