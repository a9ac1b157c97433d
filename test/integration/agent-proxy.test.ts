// vaultenv behind a real OpenBao Proxy (`bao proxy`, auto-auth from a token file, its own token forced
// onto every request) in front of the shared dev servers, once per KV version: no credential, reads
// through the unix socket (VAULT_ADDR, --addr) and through TCP (VAULT_AGENT_ADDR, BAO_AGENT_ADDR); no
// token file probed; an AppRole login through the socket; a stopped proxy, a missing socket and a
// path that is not a socket. The built CLI.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeProxyDir, startBaoProxy, type BaoProxy } from '../helpers/bao-proxy.ts';
import { baseEnv, envFromOutput, expectNoLeak, runCli, type CliResult } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const ENV = '/usr/bin/env';
const dir = mkdtempSync(join(tmpdir(), 'vaultenv-agent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const personalToken = `personal-${uniqueName('t')}`;

const NO_TOKEN_LINE =
  'requests go without a token for the Agent or Proxy to add its own; ~/.vault-token and the kubernetes-vault token file are not read';
const DEADLINE_HINT = 'Raise --deadline-seconds (VAULTENV_DEADLINE) if Vault needs longer, or check that Vault is up, unsealed and reachable';
const SOCKET_HINT =
  'Check the path in the address, and that the Vault Agent or OpenBao Proxy runs and shares its socket with this container ' +
  '(in Kubernetes, the same emptyDir volume mounted in both)';

describe.each([1, 2] as const)('behind bao proxy, KV v%i', (version) => {
  const server = kvServer(version);
  const path = uniqueName('agent');
  const value = `agent-${uniqueName('v')}`;
  const secretsFile = join(dir, `v${version}.secrets`);
  const homeDir = mkdtempSync(join(dir, `home-v${version}-`));
  let proxyToken: string;
  let proxy: BaoProxy;
  let approleMount: string;
  let roleId: string;
  let secretIdFile: string;

  beforeAll(async () => {
    await server.api.writeSecret('secret', version, `${path}/app`, { value });
    const policy = uniqueName('agent-read');
    const dataPath = (mount: string) => (version === 2 ? `${mount}/data/${path}/*` : `${mount}/${path}/*`);
    await server.api.writePolicy(policy, `path "${dataPath('secret')}" { capabilities = ["read"] }\n`);
    proxyToken = await server.api.createToken({ policies: [policy] });
    proxy = await startBaoProxy(server.address, proxyToken);
    // A developer's own token file, malformed (two lines): a run that read it would fail, so one that succeeds did not.
    writeFileSync(join(homeDir, '.vault-token'), `${personalToken}\nsecond line\n`);
    writeFileSync(secretsFile, `APP_VALUE=${path}/app#value\n`);
    approleMount = uniqueName('approle');
    await server.api.enableAuth(approleMount, 'approle');
    await server.api.request('POST', `auth/${approleMount}/role/app`, { token_policies: [policy], token_ttl: '5m' });
    roleId = ((await server.api.request('GET', `auth/${approleMount}/role/app/role-id`)).body as { data: { role_id: string } }).data.role_id;
    const secretId = ((await server.api.request('POST', `auth/${approleMount}/role/app/secret-id`, {})).body as { data: { secret_id: string } }).data.secret_id;
    secretIdFile = join(dir, `secret-id-v${version}`);
    writeFileSync(secretIdFile, secretId, { mode: 0o600 });
  });
  afterAll(async () => {
    await proxy.stop();
    removeProxyDir(proxy);
  });

  async function run(env: Record<string, string>, args: string[] = []): Promise<CliResult> {
    const result = await runCli(['--log-level', 'info', ...args, '--secrets-file', secretsFile, '--', ENV], {
      env: { ...baseEnv(env), HOME: homeDir },
      timeoutMs: 30_000,
    });
    expectNoLeak({ stdout: result.stderr, stderr: '' }, [value, proxyToken, server.rootToken, personalToken]);
    return result;
  }

  const expectSecrets = (result: CliResult): void => {
    expect(result.code).toBe(0);
    expect(envFromOutput(result.stdout).APP_VALUE).toBe(value);
  };

  it('no credential, VAULT_ADDR=unix:///…: reads through the socket, probing no token file', async () => {
    const result = await run({ VAULT_ADDR: proxy.socketAddress });
    expectSecrets(result);
    expect(result.stderr).toContain(`vaultenv: info: no credential configured and the address is a unix socket: ${NO_TOKEN_LINE}\n`);
    expect(result.stderr).toContain(`vaultenv: info: vault ${proxy.socketAddress}; credential: none\n`);
  });

  it('no credential, --addr unix:///… (BAO_ADDR elsewhere in the environment is overridden by the flag)', async () => {
    const result = await run({ BAO_ADDR: 'https://vault.invalid:8200' }, ['--addr', proxy.socketAddress]);
    expectSecrets(result);
  });

  it('no credential, VAULT_AGENT_ADDR over TCP wins over VAULT_ADDR and VAULT_HOST of the same source', async () => {
    const result = await run({ VAULT_AGENT_ADDR: proxy.tcpAddress, VAULT_ADDR: 'https://vault.invalid:8200', VAULT_HOST: 'vault.invalid' });
    expectSecrets(result);
    expect(result.stderr).toContain(`vaultenv: info: no credential configured and the address is an agent address: ${NO_TOKEN_LINE}\n`);
    expect(result.stderr).toContain(`vaultenv: info: vault ${proxy.tcpAddress} (agent address); credential: none\n`);
  });

  it('BAO_AGENT_ADDR as a unix socket, and --agent-addr over TCP', async () => {
    expectSecrets(await run({ BAO_AGENT_ADDR: proxy.socketAddress }));
    expectSecrets(await run({ VAULT_ADDR: proxy.socketAddress }, ['--agent-addr', proxy.tcpAddress]));
  });

  it('a login (AppRole) goes through the socket too', async () => {
    const result = await run({ VAULT_ADDR: proxy.socketAddress }, [
      '--approle-role-id',
      roleId,
      '--approle-secret-id-file',
      secretIdFile,
      '--auth-backend',
      approleMount,
    ]);
    expectSecrets(result);
    expect(result.stderr).toContain('vaultenv: info: login succeeded\n');
  });

  it('a stopped proxy whose socket file is left behind (killed): refused connections are retried until the deadline, exit 6', async () => {
    const stopped = await startBaoProxy(server.address, proxyToken);
    await stopped.stop('SIGKILL');
    try {
      const result = await run({ VAULT_ADDR: stopped.socketAddress }, ['--deadline-seconds', '2']);
      expect(result.code).toBe(6);
      expect(result.stderr.split('\n').filter((line) => !line.startsWith('vaultenv: info:'))).toEqual([
        `vaultenv: Vault request failed: the 2 s start-up deadline leaves no time to retry after connection refused (mount secret, ${secretsFile}:1). ${DEADLINE_HINT}`,
        '',
      ]);
      // The backoff (base 40 ms, full jitter) fits at least five retries in 2 s whatever the jitter
      // draws: the first five waits add up to 1240 ms at most. (Elapsed time is no bound: the last
      // wait is skipped as soon as it would pass the deadline, which can be well before it.)
      const retries = result.stderr.split('\n').filter((line) => /^vaultenv: info: mount secret: connection refused; retry \d+ of \d+ in \d+ ms$/.test(line));
      expect(retries.length).toBeGreaterThanOrEqual(5);
      expect(result.stdout).toBe('');
    } finally {
      removeProxyDir(stopped);
    }
  });

  it('a stopped proxy on TCP (VAULT_AGENT_ADDR): the same, after the deadline', async () => {
    const stopped = await startBaoProxy(server.address, proxyToken);
    await stopped.stop('SIGTERM');
    try {
      const result = await run({ VAULT_AGENT_ADDR: stopped.tcpAddress }, ['--deadline-seconds', '2']);
      expect(result.code).toBe(6);
      expect(result.stderr).toContain(
        `vaultenv: Vault request failed: the 2 s start-up deadline leaves no time to retry after connection refused (mount secret, ${secretsFile}:1). ${DEADLINE_HINT}\n`,
      );
    } finally {
      removeProxyDir(stopped);
    }
  });

  it('a proxy stopped cleanly removes its socket: "does not exist", exit 6 at once', async () => {
    const stopped = await startBaoProxy(server.address, proxyToken);
    await stopped.stop('SIGTERM');
    try {
      const started = Date.now();
      const result = await run({ VAULT_ADDR: stopped.socketAddress }, ['--deadline-seconds', '30']);
      expect(result.code).toBe(6);
      expect(result.stderr).toContain(`vaultenv: the unix socket does not exist (${stopped.socketAddress}). ${SOCKET_HINT}\n`);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      removeProxyDir(stopped);
    }
  });

  it('a path that is not a socket: exit 6 at once', async () => {
    const notSocket = join(dir, `not-a-socket-v${version}`);
    writeFileSync(notSocket, '');
    const result = await run({ VAULT_ADDR: `unix://${notSocket}` }, ['--deadline-seconds', '30']);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain(`vaultenv: the path of the unix socket is not a socket (unix://${notSocket}). ${SOCKET_HINT}\n`);
  });
});
