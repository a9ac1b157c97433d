// TLS client certificates and the TLS server name against a real OpenBao: `bao server -dev` with its
// plain HTTP dev listener (for seeding) plus a second listener from a -config file that serves a
// certificate for DNS:vault.test only (no IP SAN) and requires a client certificate signed by the
// test CA (test/helpers/certs.ts). The built CLI connects to https://127.0.0.1:<port>, so it needs the
// client certificate to get past the handshake and the server name to accept the server's certificate.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaoApi, findBaoBinary, httpRequest } from '../helpers/bao.ts';
import type { BaoApi } from '../helpers/bao.ts';
import { makeTestPki } from '../helpers/certs.ts';
import type { TestPki } from '../helpers/certs.ts';
import { freePortRun, isListening, isPortFree } from '../helpers/ports.ts';
import { baseEnv, envFromOutput, expectNoLeak, runCli } from '../helpers/run-cli.ts';
import type { CliResult } from '../helpers/run-cli.ts';

const ENV = '/usr/bin/env';
const SERVER_NAME = 'vault.test';
const START_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));


/** GET /v1/sys/health on the TLS listener with Node's own client: SNI and name check vault.test, optional client certificate. */
function tlsHealth(address: string, pki: TestPki, withClientCert: boolean): Promise<number> {
  const url = new URL(address);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: url.hostname,
        port: url.port,
        path: '/v1/sys/health',
        servername: SERVER_NAME,
        ca: readFileSync(pki.caCert),
        ...(withClientCert ? { cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) } : {}),
        agent: false,
        timeout: 5_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

// The server runs in its own process group; every group still alive when this worker exits is killed.
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const g of liveGroups) killGroup(g);
});
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
  liveGroups.delete(pgid);
}

interface MtlsBao {
  /** http://127.0.0.1:<port>, the dev listener. */
  plainAddress: string;
  /** https://127.0.0.1:<port>, the listener that requires a client certificate. */
  tlsAddress: string;
  api: BaoApi;
  stop(): Promise<void>;
}

async function startMtlsBao(pki: TestPki, rootToken: string, workDir: string): Promise<MtlsBao> {
  const binary = findBaoBinary();
  const logFile = join(workDir, 'server.log');
  for (let attempt = 1; ; attempt++) {
    // Each listener binds its port and port + 1 (cluster): four free ports, two adjacent pairs.
    const devPort = await freePortRun(1);
    let tlsPort = await freePortRun(1);
    while (Math.abs(tlsPort - devPort) <= 1) tlsPort = await freePortRun(1);
    if (!(await isPortFree(devPort + 1))) continue;
    const hcl = join(workDir, 'listener.hcl');
    writeFileSync(
      hcl,
      `listener "tcp" {
  address = "127.0.0.1:${tlsPort}"
  cluster_address = "127.0.0.1:${tlsPort + 1}"
  tls_cert_file = ${JSON.stringify(pki.serverCert)}
  tls_key_file = ${JSON.stringify(pki.serverKey)}
  tls_client_ca_file = ${JSON.stringify(pki.caCert)}
  tls_require_and_verify_client_cert = true
}
`,
    );
    const logFd = openSync(logFile, 'w');
    let child: ChildProcess;
    try {
      child = spawn(
        binary,
        ['server', '-dev', `-dev-root-token-id=${rootToken}`, '-dev-no-store-token', `-dev-listen-address=127.0.0.1:${devPort}`, `-config=${hcl}`],
        { detached: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workDir }, stdio: ['ignore', logFd, logFd] },
      );
    } finally {
      closeSync(logFd);
    }
    const pgid = child.pid;
    if (pgid === undefined) throw new Error('could not spawn bao');
    liveGroups.add(pgid);
    let exited = false;
    const exitedPromise = new Promise<void>((resolve) =>
      child.once('exit', () => {
        exited = true;
        resolve();
      }),
    );
    child.unref();

    const stop = async (): Promise<void> => {
      if (!exited) {
        try {
          process.kill(pgid, 'SIGTERM');
        } catch {
          // already gone
        }
        await Promise.race([exitedPromise, sleep(2_000)]);
      }
      killGroup(pgid);
    };

    const plainAddress = `http://127.0.0.1:${devPort}`;
    const deadline = Date.now() + START_TIMEOUT_MS;
    let healthy = false;
    while (!exited && Date.now() < deadline) {
      try {
        const res = await httpRequest(`${plainAddress}/v1/sys/health`, { timeoutMs: 2_000 });
        if (res.status === 200 && (await isListening(tlsPort))) {
          healthy = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    if (healthy) {
      return { plainAddress, tlsAddress: `https://127.0.0.1:${tlsPort}`, api: createBaoApi(plainAddress, rootToken), stop };
    }
    await stop();
    const log = readFileSync(logFile, 'utf8');
    if (/address already in use/i.test(log) && attempt < 8) continue;
    throw new Error(`bao with the mTLS listener did not start\n${log.split('\n').slice(-25).join('\n')}`);
  }
}

describe('TLS client certificate and server name (real OpenBao, mTLS listener)', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'vaultenv-mtls-'));
  const rootToken = `root-${randomBytes(12).toString('hex')}`;
  const value = `mtls-${randomBytes(12).toString('hex')}`;
  const secretsFile = join(workDir, 'app.secrets');
  let pki: TestPki | undefined;
  let bao: MtlsBao | undefined;

  beforeAll(async () => {
    pki = makeTestPki([`DNS:${SERVER_NAME}`]);
    bao = await startMtlsBao(pki, rootToken, workDir);
    // `secret/` (KV v2) of a fresh dev server may need a moment before it accepts writes.
    for (let i = 0; ; i++) {
      const res = await bao.api.request('POST', 'secret/data/mtls/app', { data: { value } });
      if (res.status < 300) break;
      if (i >= 100) throw new Error(`seeding failed: ${res.status} ${res.text}`);
      await sleep(50);
    }
    writeFileSync(secretsFile, 'APP_VALUE=mtls/app#value\n');
  });

  afterAll(async () => {
    await bao?.stop();
    pki?.cleanup();
    rmSync(workDir, { recursive: true, force: true });
  });

  const certs = (): TestPki => {
    if (pki === undefined) throw new Error('no PKI');
    return pki;
  };
  const secrets = (): string[] => [rootToken, value, ...certs().clientKeyBodyLines];

  const run = (extra: Record<string, string | undefined>, args: string[] = []): Promise<CliResult> => {
    if (bao === undefined) throw new Error('no server');
    return runCli([...args, '--secrets-file', secretsFile, '--', ENV], {
      env: baseEnv({ VAULT_ADDR: bao.tlsAddress, VAULT_TOKEN: rootToken, VAULT_CACERT: certs().caCert, ...extra }),
    });
  };

  const expectSuccess = (result: CliResult): void => {
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(envFromOutput(result.stdout).APP_VALUE).toBe(value);
  };

  const expectFailure = (result: CliResult, message: RegExp): void => {
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/^vaultenv: [^\n]*\n$/);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    expect(result.stdout + result.stderr).not.toContain('APP_VALUE');
    expectNoLeak(result, secrets());
  };

  it('the mTLS listener really requires a client certificate and serves only vault.test', async () => {
    // The server itself, without vaultenv: the plain listener answers, the TLS one refuses a client without a certificate.
    const health = await httpRequest(`${bao?.plainAddress}/v1/sys/health`);
    expect(health.status).toBe(200);
    const tlsAddress = bao?.tlsAddress ?? '';
    expect(await tlsHealth(tlsAddress, certs(), true)).toBe(200);
    await expect(tlsHealth(tlsAddress, certs(), false)).rejects.toMatchObject({ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
  });

  it('VAULT_CACERT + VAULT_CLIENT_CERT/KEY + VAULT_TLS_SERVER_NAME read the secret', async () => {
    const result = await run({ VAULT_CLIENT_CERT: certs().clientCert, VAULT_CLIENT_KEY: certs().clientKey, VAULT_TLS_SERVER_NAME: SERVER_NAME });
    expectSuccess(result);
  });

  it('without a client certificate the handshake is refused: exit 6, one line', async () => {
    const result = await run({ VAULT_TLS_SERVER_NAME: SERVER_NAME });
    expectFailure(result, /the server requires a client certificate it accepts/);
  });

  it('--client-cert/--client-key work like the environment variables', async () => {
    const result = await run({ VAULT_TLS_SERVER_NAME: SERVER_NAME }, ['--client-cert', certs().clientCert, '--client-key', certs().clientKey]);
    expectSuccess(result);
  });

  it('without the server name the certificate does not match 127.0.0.1: exit 6; --tls-server-name fixes it', async () => {
    const client = { VAULT_CLIENT_CERT: certs().clientCert, VAULT_CLIENT_KEY: certs().clientKey };
    const failed = await run(client);
    expectFailure(failed, /certificate does not match the host name/i);
    const fixed = await run(client, ['--tls-server-name', SERVER_NAME]);
    expectSuccess(fixed);
  });

  it('BAO_TLS_SERVER_NAME works too; a wrong server name fails', async () => {
    const client = { VAULT_CLIENT_CERT: certs().clientCert, VAULT_CLIENT_KEY: certs().clientKey };
    expectSuccess(await run({ ...client, BAO_TLS_SERVER_NAME: SERVER_NAME }));
    const wrong = await run({ ...client, VAULT_TLS_SERVER_NAME: 'other.test' });
    expectFailure(wrong, /certificate does not match the host name/i);
  });

  it('BAO_CLIENT_CERT/BAO_CLIENT_KEY aliases work', async () => {
    const result = await run({ BAO_CLIENT_CERT: certs().clientCert, BAO_CLIENT_KEY: certs().clientKey, VAULT_TLS_SERVER_NAME: SERVER_NAME });
    expectSuccess(result);
  });
});
