// vaultenv through an outbound HTTP proxy (HTTPS_PROXY, HTTP_PROXY, VAULT_PROXY_ADDR, NO_PROXY), with
// a CONNECT proxy of the test's own (helpers/connect-proxy.ts) in front of real OpenBao servers, once
// per KV version: the address's host name resolves only at the proxy, so a run that reads its secret
// went through it; the token never reaches the proxy (for https://, not a byte of it); proxy
// credentials; a refusal. The built CLI.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBao, type BaoServer } from '../helpers/bao.ts';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.ts';
import { baseEnv, envFromOutput, expectNoLeak, runCli, type CliResult } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const ENV = '/usr/bin/env';
/** A name only the proxy resolves (to 127.0.0.1). */
const VAULT_HOST = 'vault.proxied.test';
const dir = mkdtempSync(join(tmpdir(), 'vaultenv-http-proxy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([1, 2] as const)('through a CONNECT proxy, KV v%i', (version) => {
  let tlsServer: BaoServer;
  const plainServer = kvServer(version);
  let proxy: ConnectProxy;
  const path = uniqueName('proxied');
  const value = `proxied-${uniqueName('v')}`;
  const secretsFile = join(dir, `v${version}.secrets`);
  let tlsToken: string;
  let plainToken: string;

  beforeAll(async () => {
    tlsServer = await startBao({ tls: true, kvV1Secret: version === 1 });
    proxy = await startConnectProxy({ hosts: [VAULT_HOST] });
    const policy = `path "${version === 2 ? `secret/data/${path}/*` : `secret/${path}/*`}" { capabilities = ["read"] }\n`;
    for (const server of [tlsServer.api, plainServer.api]) {
      await server.writeSecret('secret', version, `${path}/app`, { value });
      await server.writePolicy(`proxied-${path}`, policy);
    }
    tlsToken = await tlsServer.api.createToken({ policies: [`proxied-${path}`] });
    plainToken = await plainServer.api.createToken({ policies: [`proxied-${path}`] });
    writeFileSync(secretsFile, `APP_VALUE=${path}/app#value\n`);
  });
  afterAll(async () => {
    await proxy.close();
    await tlsServer.stop();
  });

  /** Through TLS: the address names the proxy-only host; the certificate is checked against localhost, which it names. */
  async function runTls(extra: Record<string, string>, args: string[] = []): Promise<CliResult> {
    const result = await runCli(['--log-level', 'info', ...args, '--secrets-file', secretsFile, '--', ENV], {
      env: baseEnv({
        VAULT_ADDR: `https://${VAULT_HOST}:${tlsServer.port}`,
        VAULT_TLS_SERVER_NAME: 'localhost',
        VAULT_CACERT: tlsServer.caCert,
        VAULT_TOKEN: tlsToken,
        ...extra,
      }),
      timeoutMs: 30_000,
    });
    expectNoLeak({ stdout: result.stderr, stderr: '' }, [value, tlsToken, tlsServer.rootToken, 'hunter2-proxy']);
    return result;
  }

  it('HTTPS_PROXY: the secret comes through a CONNECT tunnel; the proxy saw no byte of the token or the secret', async () => {
    const before = proxy.connects.length;
    const result = await runTls({ HTTPS_PROXY: proxy.url });
    expect(result.stderr).toContain(`vaultenv: info: through the proxy 127.0.0.1:${proxy.port} (HTTPS_PROXY), in a CONNECT tunnel\n`);
    expect(result.code).toBe(0);
    expect(envFromOutput(result.stdout).APP_VALUE).toBe(value);
    // One keep-alive connection carries the mount lookup and the read.
    expect(proxy.connects.slice(before).map(({ target }) => target)).toEqual([`${VAULT_HOST}:${tlsServer.port}`]);
    const received = proxy.received();
    expect(received.includes(tlsToken)).toBe(false);
    expect(received.includes(value)).toBe(false);
    expect(received.toString('latin1')).not.toMatch(/X-Vault-Token/i);
  });

  it('https_proxy (lower case) works the same; HTTP_PROXY alone is not for https://', async () => {
    const before = proxy.connects.length;
    const lower = await runTls({ https_proxy: proxy.url });
    expect(lower.code).toBe(0);
    expect(envFromOutput(lower.stdout).APP_VALUE).toBe(value);
    expect(proxy.connects.length).toBe(before + 1);

    const httpOnly = await runTls({ HTTP_PROXY: proxy.url }, ['--retry-attempts', '0']);
    expect(httpOnly.code).toBe(6);
    expect(httpOnly.stderr).toContain(`vaultenv: Vault request failed: host name not found (mount secret, ${secretsFile}:1).`);
    expect(proxy.connects.length).toBe(before + 1);
  });

  it('NO_PROXY exempts the host (by name, by domain, by *): vaultenv connects directly, and the proxy sees nothing', async () => {
    const before = proxy.connects.length;
    for (const noProxy of [VAULT_HOST, '.proxied.test', 'proxied.test', `other.example,${VAULT_HOST}:${tlsServer.port}`, '*']) {
      const result = await runTls({ HTTPS_PROXY: proxy.url, NO_PROXY: noProxy }, ['--retry-attempts', '0']);
      expect(result.code, noProxy).toBe(6);
      expect(result.stderr, noProxy).toContain('vaultenv: Vault request failed: host name not found');
    }
    // A NO_PROXY entry for another port does not exempt it.
    const otherPort = await runTls({ HTTPS_PROXY: proxy.url, NO_PROXY: `${VAULT_HOST}:1` });
    expect(otherPort.code).toBe(0);
    expect(proxy.connects.length).toBe(before + 1);
  });

  it('localhost is never proxied by HTTPS_PROXY (as in Go); VAULT_PROXY_ADDR proxies it, NO_PROXY notwithstanding', async () => {
    const before = proxy.connects.length;
    const direct = await runTls({ VAULT_ADDR: `https://localhost:${tlsServer.port}`, HTTPS_PROXY: proxy.url });
    expect(direct.code).toBe(0);
    expect(proxy.connects.length).toBe(before);

    const forced = await runTls({ VAULT_ADDR: `https://localhost:${tlsServer.port}`, VAULT_PROXY_ADDR: proxy.url, NO_PROXY: '*' });
    expect(forced.code).toBe(0);
    expect(envFromOutput(forced.stdout).APP_VALUE).toBe(value);
    expect(forced.stderr).toContain(`vaultenv: info: through the proxy 127.0.0.1:${proxy.port} (VAULT_PROXY_ADDR), in a CONNECT tunnel\n`);
    expect(proxy.connects.slice(before).map(({ target }) => target)).toEqual([`localhost:${tlsServer.port}`]);
  });

  it('a proxy that wants credentials: user:password@ in the URL works; without them, exit 6 at once naming the variable', async () => {
    const guarded = await startConnectProxy({ hosts: [VAULT_HOST], credentials: 'ci:hunter2-proxy' });
    try {
      const withCredentials = await runTls({ HTTPS_PROXY: `http://ci:hunter2-proxy@127.0.0.1:${guarded.port}` });
      expect(withCredentials.code).toBe(0);
      expect(envFromOutput(withCredentials.stdout).APP_VALUE).toBe(value);

      const started = Date.now();
      const without = await runTls({ HTTPS_PROXY: guarded.url });
      expect(without.code).toBe(6);
      expect(without.stderr).toContain(
        `vaultenv: Vault request failed: the proxy 127.0.0.1:${guarded.port} (HTTPS_PROXY) refused the tunnel: HTTP 407 ` +
          '(it wants credentials: user:password@ in the proxy URL) (environment variable HTTPS_PROXY). ' +
          "Check the proxy's credentials (user:password@ in its URL) and that it allows CONNECT to Vault's port, or add Vault's host to NO_PROXY\n",
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(guarded.received().includes(tlsToken)).toBe(false);
    } finally {
      await guarded.close();
    }
  });

  it('a proxy URL vaultenv cannot speak to: exit 2, naming the variable and not the URL', async () => {
    const result = await runTls({ HTTPS_PROXY: 'socks5://ci:hunter2-proxy@127.0.0.1:1080' });
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n').filter((line) => !line.startsWith('vaultenv: info:')).join('\n')).toBe(
      'vaultenv: invalid value for environment variable HTTPS_PROXY (environment variable HTTPS_PROXY). ' +
        'Only an http:// proxy is supported, not socks5://. Write it as http://HOST:PORT, with user:password@ before the host when the proxy asks for it\n',
    );
  });

  it('plain http:// through HTTP_PROXY: tunnelled too, so the proxy is never sent a request carrying the token', async () => {
    const before = proxy.connects.length;
    const port = new URL(plainServer.address).port;
    const result = await runCli(['--log-level', 'info', '--secrets-file', secretsFile, '--', ENV], {
      env: baseEnv({ VAULT_ADDR: `http://${VAULT_HOST}:${port}`, VAULT_TOKEN: plainToken, HTTP_PROXY: proxy.url }),
      timeoutMs: 30_000,
    });
    expect(result.stderr).toContain(
      `vaultenv: info: through the proxy 127.0.0.1:${proxy.port} (HTTP_PROXY), in a CONNECT tunnel: plain http, so the token crosses the proxy unencrypted inside the tunnel; use https://\n`,
    );
    expect(result.code).toBe(0);
    expect(envFromOutput(result.stdout).APP_VALUE).toBe(value);
    const connects = proxy.connects.slice(before);
    expect(connects.map(({ target }) => target)).toEqual([`${VAULT_HOST}:${port}`]);
    expect(connects.some(({ head }) => head.includes(plainToken))).toBe(false);
  });
});
