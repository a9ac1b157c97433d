// TLS against `bao server -dev-tls` (the right CA, a wrong CA, skip verify, VAULT_SKIP_VERIFY=false)
// and namespaces (a secret in a child namespace read through --namespace and VAULT_NAMESPACE, on a
// KV v1 and a KV v2 mount). Real servers; the built CLI.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBao, type BaoServer } from '../helpers/bao.ts';
import { baseEnv, envFromOutput, expectNoLeak, runCli } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const ENV = '/usr/bin/env';
const dir = mkdtempSync(join(tmpdir(), 'vaultenv-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TLS', () => {
  let server: BaoServer;
  let other: BaoServer;
  const value = `tls-${uniqueName('v')}`;
  const secretsFile = join(dir, 'tls.secrets');

  beforeAll(async () => {
    [server, other] = await Promise.all([startBao({ tls: true }), startBao({ tls: true })]);
    await server.api.writeSecret('secret', 2, 'tls/app', { value });
    writeFileSync(secretsFile, 'TLS_VALUE=tls/app#value\n');
  });
  afterAll(async () => {
    await Promise.all([server.stop(), other.stop()]);
  });

  const run = (extra: Record<string, string | undefined>, args: string[] = []) =>
    runCli([...args, '--secrets-file', secretsFile, '--', ENV], { env: baseEnv({ VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken, ...extra }) });

  it('the right CA (VAULT_CACERT, and BAO_CACERT) works', async () => {
    for (const name of ['VAULT_CACERT', 'BAO_CACERT']) {
      const result = await run({ [name]: server.caCert });
      expect(result.stderr).toBe('');
      expect(envFromOutput(result.stdout).TLS_VALUE).toBe(value);
    }
  });

  it('a directory of CAs (VAULT_CAPATH) works', async () => {
    const caDir = mkdtempSync(join(dir, 'capath-'));
    writeFileSync(join(caDir, 'other.pem'), readPem(other.caCert));
    writeFileSync(join(caDir, 'vault.pem'), readPem(server.caCert));
    const result = await run({ VAULT_CAPATH: caDir });
    expect(result.stderr).toBe('');
    expect(envFromOutput(result.stdout).TLS_VALUE).toBe(value);
  });

  it('a wrong CA fails with a clear message, without retrying for ever', async () => {
    const result = await run({ VAULT_CACERT: other.caCert });
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/^vaultenv: [^\n]*certificate[^\n]*\n$/);
    expectNoLeak(result, [value, server.rootToken]);
  });

  it('no CA: the system store does not trust the dev CA', async () => {
    const result = await run({});
    expect(result.code).toBe(6);
    expectNoLeak(result, [value, server.rootToken]);
  });

  it('skip verify works: VAULT_SKIP_VERIFY=true, and --no-validate-certs', async () => {
    const bySkip = await run({ VAULT_SKIP_VERIFY: 'true' });
    expect(bySkip.stderr).toBe('');
    expect(envFromOutput(bySkip.stdout).TLS_VALUE).toBe(value);
    const byFlag = await run({}, ['--no-validate-certs']);
    expect(byFlag.stderr).toBe('');
    expect(envFromOutput(byFlag.stdout).TLS_VALUE).toBe(value);
  });

  it('VAULT_SKIP_VERIFY=false verifies', async () => {
    const result = await run({ VAULT_SKIP_VERIFY: 'false' });
    expect(result.code).toBe(6);
    const withCa = await run({ VAULT_SKIP_VERIFY: 'false', VAULT_CACERT: server.caCert });
    expect(withCa.code).toBe(0);
  });
});

describe.each([1, 2] as const)('namespaces, KV v%i', (version) => {
  const server = kvServer(2);
  const namespace = uniqueName('ns');
  const mount = `kv${version}`;
  const value = `ns-${uniqueName('v')}`;
  const secretsFile = join(dir, `ns-${version}.secrets`);

  beforeAll(async () => {
    await server.api.request('POST', `sys/namespaces/${namespace}`, {});
    const inNamespace = { headers: { 'X-Vault-Namespace': namespace } };
    const mounted = await server.api.request('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: String(version) } }, inNamespace);
    expect(mounted.status).toBe(204);
    // A fresh KV v2 mount needs a moment before it accepts writes.
    for (let i = 0; i < 50; i++) {
      const path = version === 2 ? `${mount}/data/app` : `${mount}/app`;
      const written = await server.api.request('POST', path, version === 2 ? { data: { value } } : { value }, inNamespace);
      if (written.status < 300) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    writeFileSync(secretsFile, `VERSION 2\nMOUNT ${mount}\nNS_VALUE=app#value\n`);
  });

  const run = (extra: Record<string, string | undefined>, args: string[] = []) =>
    runCli([...args, '--secrets-file', secretsFile, '--', ENV], { env: baseEnv({ VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken, ...extra }) });

  it('reads the secret through --namespace', async () => {
    const result = await run({}, ['--namespace', namespace]);
    expect(result.stderr).toBe('');
    expect(envFromOutput(result.stdout).NS_VALUE).toBe(value);
  });

  it('reads the secret through VAULT_NAMESPACE and BAO_NAMESPACE', async () => {
    for (const name of ['VAULT_NAMESPACE', 'BAO_NAMESPACE']) {
      const result = await run({ [name]: namespace });
      expect(result.stderr).toBe('');
      expect(envFromOutput(result.stdout).NS_VALUE).toBe(value);
    }
  });

  it('without the namespace the mount is not found', async () => {
    const result = await run({});
    expect(result.code).toBe(4);
    // Outside its namespace the token may not look the mount up: Vault answers 403.
    expect(result.stderr).toMatch(new RegExp(`^vaultenv: no access to the mount "${mount}", or nothing is mounted there: Vault says "`));
    expect(result.stderr).toContain(`(mount ${mount}, ${secretsFile}:3). Check the mount name`);
    expectNoLeak(result, [value, server.rootToken]);
  });
});

function readPem(path: string | undefined): string {
  if (path === undefined) throw new Error('server has no CA');
  return readFileSync(path, 'utf8');
}
