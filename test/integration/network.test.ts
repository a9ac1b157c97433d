// What the network and the server can do to a start, with the built CLI against real OpenBao servers
// (a fault-injecting proxy in front where a fault is needed): a server that never answers meets the
// start-up deadline; an address whose scheme the server does not speak is named at once; an oversize
// answer is read once, and a long error string quoted in part. Each failure is one line with its
// exit code, and no output holds a secret or a token.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBao, type BaoServer } from '../helpers/bao.ts';
import { startProxy, type Proxy } from '../helpers/proxy.ts';
import { baseEnv, expectNoLeak, runCli, type CliResult } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const ENV = '/usr/bin/env';
const dir = mkdtempSync(join(tmpdir(), 'vaultenv-net-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const server = kvServer(2);
const path = uniqueName('net');
const value = `net-${uniqueName('v')}`;
const secretsFile = join(dir, 'app.secrets');
const secretIdFile = join(dir, 'secret-id');
const secretId = `secret-id-${uniqueName('v')}`;
let token: string;

beforeAll(async () => {
  await server.api.writeSecret('secret', 2, `${path}/app`, { value });
  const policy = uniqueName('net-read');
  await server.api.writePolicy(policy, `path "secret/data/${path}/*" { capabilities = ["read"] }\n`);
  token = await server.api.createToken({ policies: [policy] });
  writeFileSync(secretsFile, `APP_VALUE=${path}/app#value\n`);
  writeFileSync(secretIdFile, `${secretId}\n`);
});

/** Runs the CLI against `address` (the program prints its environment); a failed run must not show a secret. */
async function run(address: string, args: string[] = [], extra: Record<string, string> = {}): Promise<CliResult> {
  const result = await runCli([...args, '--secrets-file', secretsFile, '--', ENV], {
    env: baseEnv({ VAULT_ADDR: address, VAULT_TOKEN: token, ...extra }),
    // Far beyond every deadline below, far below what the failures took before they had one.
    timeoutMs: 30_000,
  });
  if (result.code !== 0) expectNoLeak(result, [value, token, server.rootToken, secretId]);
  return result;
}

/**
 * A port whose listener never accepts and whose queue is full, so the kernel drops every new SYN: a
 * connection to it stays "being attempted", as with a firewall that drops packets. Node accepts every
 * connection of its servers by itself, so Python holds the socket.
 */
async function unansweredPort(): Promise<{ port: number; close: () => void }> {
  const script = [
    'import socket, sys, time',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'port = s.getsockname()[1]; held = []',
    'for _ in range(4):',
    '    c = socket.socket(); c.setblocking(False)',
    '    try: c.connect(("127.0.0.1", port))',
    '    except BlockingIOError: pass',
    '    held.append(c)',
    'time.sleep(0.3); print(port, flush=True); time.sleep(120)',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('error', reject);
  });
  return { port, close: () => child.kill('SIGKILL') };
}

async function withProxy(test: (proxy: Proxy) => Promise<void>): Promise<void> {
  const proxy = await startProxy(server.address);
  try {
    await test(proxy);
  } finally {
    await proxy.close();
  }
}

const DEADLINE_HINT = 'Raise --deadline-seconds (VAULTENV_DEADLINE) if Vault needs longer, or check that Vault is up, unsealed and reachable';

describe('the start-up deadline', () => {
  it('a server that accepts and never answers the mount lookup: exit 6 by the deadline, naming it and the lookup in flight', async () => {
    await withProxy(async (proxy) => {
      proxy.inject({ hang: true });
      const result = await run(proxy.address, ['--deadline-seconds', '2']);
      expect(result.code).toBe(6);
      expect(result.stderr).toBe(
        `vaultenv: Vault request failed: no answer within the 2 s start-up deadline (mount secret, ${secretsFile}:1). ${DEADLINE_HINT}\n`,
      );
      expect(proxy.count()).toBe(1);
    });
  });

  it('a server that never answers the read (VAULTENV_DEADLINE, --kv-version 2): exit 6, naming the request path in flight', async () => {
    await withProxy(async (proxy) => {
      proxy.inject({ hang: true });
      const result = await run(proxy.address, ['--kv-version', '2'], { VAULTENV_DEADLINE: '1' });
      expect(result.code).toBe(6);
      expect(result.stderr).toBe(
        `vaultenv: Vault request failed: no answer within the 1 s start-up deadline (/v1/secret/data/${path}/app, ${secretsFile}:1). ${DEADLINE_HINT}\n`,
      );
      expect(result.stdout).toBe('');
    });
  });

  it('no retry waits past it: a sealed Vault is reported as soon as the next wait would end after the deadline', async () => {
    await withProxy(async (proxy) => {
      proxy.inject({ respond: { status: 503, body: { errors: ['Vault is sealed'] } } });
      // Backoff from 400 ms: waits of 200-400, 400-800, 800-1600, 1600-3200 ms: within 2 s at most four attempts fit.
      const result = await run(proxy.address, ['--deadline-seconds', '2', '--retry-base-delay-milliseconds', '400']);
      expect(result.code).toBe(6);
      expect(result.stderr).toBe(
        'vaultenv: Vault request failed: the 2 s start-up deadline leaves no time to retry after HTTP 503: Vault says "Vault is sealed" ' +
          `(mount secret, ${secretsFile}:1). ${DEADLINE_HINT}\n`,
      );
      expect(proxy.count()).toBeGreaterThanOrEqual(2);
      expect(proxy.count()).toBeLessThanOrEqual(4);
    });
  });

  it('a server that never completes the TCP handshake: exit 6 by the deadline, and the process ends then', async () => {
    const silent = await unansweredPort();
    try {
      const started = performance.now();
      const result = await run(`http://127.0.0.1:${silent.port}`, ['--deadline-seconds', '2']);
      const seconds = (performance.now() - started) / 1000;
      expect(result.code).toBe(6);
      expect(result.stderr).toBe(
        `vaultenv: Vault request failed: no answer within the 2 s start-up deadline (mount secret, ${secretsFile}:1). ${DEADLINE_HINT}\n`,
      );
      // Not the kernel's connect timeout (two minutes) of a connection still being attempted.
      expect(seconds).toBeLessThan(10);
    } finally {
      silent.close();
    }
  });

  it('a start that needs less time than the deadline is not affected', async () => {
    const result = await run(server.address, ['--deadline-seconds', '1']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`APP_VALUE=${value}\n`);
  });
});

describe('an address whose scheme the server does not speak: exit 6 at once, naming the address', () => {
  let tlsServer: BaoServer;
  beforeAll(async () => {
    tlsServer = await startBao({ tls: true });
  });
  afterAll(async () => {
    await tlsServer.stop();
  });

  /** The lines of a run with --log-level info that announce a retry: there must be none. */
  const retries = (result: CliResult) => result.stderr.split('\n').filter((line) => /retry/.test(line));

  it('https:// to a plain-HTTP server (bao server -dev)', async () => {
    const address = server.address.replace(/^http:/, 'https:');
    const result = await run(address, ['--log-level', 'info']);
    expect(result.code).toBe(6);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(
      `vaultenv: Vault request failed: the server speaks plain HTTP: use http:// (${address}). ` +
        'Write the address with http:// (VAULT_ADDR, --addr), or give --no-connect-tls with --host and --port',
    );
    expect(retries(result)).toEqual([]);
  });

  it('http:// to a TLS server (bao server -dev-tls), which answers a plain request with HTTP 400', async () => {
    const address = tlsServer.address.replace(/^https:/, 'http:');
    const result = await run(address, ['--log-level', 'info']);
    expect(result.code).toBe(6);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(
      `vaultenv: Vault request failed: the server expects TLS: use https:// (${address}). ` +
        'Write the address with https:// (VAULT_ADDR, --addr), or drop --no-connect-tls (VAULTENV_CONNECT_TLS=false) given with --host and --port',
    );
    expect(retries(result)).toEqual([]);
    expectNoLeak(result, [tlsServer.rootToken]);
  });

  it('a login over the wrong scheme says the same, not "login refused"', async () => {
    const address = tlsServer.address.replace(/^https:/, 'http:');
    const result = await run(address, ['--approle-role-id', 'some-role', '--approle-secret-id-file', secretIdFile]);
    expect(result.code).toBe(6);
    expect(result.stderr).toBe(
      `vaultenv: login failed: the server expects TLS: use https:// (${address}). ` +
        'Write the address with https:// (VAULT_ADDR, --addr), or drop --no-connect-tls (VAULTENV_CONNECT_TLS=false) given with --host and --port\n',
    );
  });
});

describe('what the server sends is bounded', () => {
  it('an answer larger than 32 MiB is read once, not retried: exit 6 in one short line', async () => {
    await withProxy(async (proxy) => {
      const isRead = (req: { path: string }) => req.path === `/v1/secret/data/${path}/app`;
      proxy.inject({ match: isRead, respond: { status: 200, body: `{"data":{"data":{"value":"${'x'.repeat(33 * 1024 * 1024)}"}}}` } });
      const result = await run(proxy.address);
      expect(result.code).toBe(6);
      expect(result.stderr).toBe(
        `vaultenv: Vault request failed: the answer is larger than 32 MiB (/v1/secret/data/${path}/app, ${secretsFile}:1). ` +
          'Check that the address points at Vault or OpenBao itself (a proxy or load balancer in between may answer instead), and the size of the secret\n',
      );
      expect(proxy.count(isRead)).toBe(1);
    });
  });

  it('a huge error string is quoted as a 200-character excerpt: the error stays one short line', async () => {
    await withProxy(async (proxy) => {
      const isRead = (req: { path: string }) => req.path === `/v1/secret/data/${path}/app`;
      const sentence = 'the backend is on fire and it will keep saying so ';
      proxy.inject({ match: isRead, respond: { status: 400, body: { errors: [sentence.repeat(20_000)] } } });
      const result = await run(proxy.address);
      expect(result.code).toBe(6);
      // Four sentences are 200 characters: the cut falls on the space that ends the fourth.
      expect(result.stderr).toBe(
        `vaultenv: Vault request failed: HTTP 400: Vault says "${sentence.repeat(4).trimEnd()} …" ` +
          `(/v1/secret/data/${path}/app, ${secretsFile}:1). Vaultenv retried transient failures with backoff; check the Vault server\n`,
      );
      expect(result.stderr.length).toBeLessThan(500);
      expect(proxy.count(isRead)).toBe(1);
    });
  });
});

describe('a rate-limit quota (a server of its own: the quota covers every path)', () => {
  let limited: BaoServer;
  let proxy: Proxy;
  const quotaValue = `quota-${uniqueName('v')}`;
  const quotaFile = join(dir, 'quota.secrets');

  beforeAll(async () => {
    limited = await startBao();
    await limited.api.writeSecret('secret', 2, 'quota/a', { value: quotaValue });
    await limited.api.writeSecret('secret', 2, 'quota/b', { value: quotaValue });
    writeFileSync(quotaFile, 'A=quota/a#value\nB=quota/b#value\n');
    // OpenBao sends Retry-After only with the rate-limit headers on. One request per 3 s window: a
    // request refused early in a window is told to come back in 2 s (Retry-After counts whole
    // seconds, rounded down).
    for (const [path, body] of [
      ['sys/quotas/config', { enable_rate_limit_response_headers: true }],
      ['sys/quotas/rate-limit/net-test', { rate: 1, interval: '3s' }],
    ] as const) {
      const answer = await limited.api.request('POST', path, body);
      if (answer.status !== 204 && answer.status !== 200) throw new Error(`${path}: HTTP ${answer.status}`);
    }
    proxy = await startProxy(limited.address);
  });
  afterAll(async () => {
    await proxy.close();
    await limited.stop();
  });

  it("waits out the server's 429s, each at least as long as its Retry-After says, and starts the program", async () => {
    // One request at a time, so that the request after a 429 is the retry that waited.
    const result = await runCli(['--max-concurrent-requests', '1', '--secrets-file', quotaFile, '--', ENV], {
      env: baseEnv({ VAULT_ADDR: proxy.address, VAULT_TOKEN: limited.rootToken }),
      timeoutMs: 45_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`A=${quotaValue}\nB=${quotaValue}\n`);
    const log = proxy.log();
    const refused = log.filter((request) => request.status === 429);
    // The mount lookup takes the first window; the reads are refused at least once.
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(Number(refused[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    for (const request of refused) {
      expect(request.retryAfter).toMatch(/^\d+$/);
      const next = log.find((later) => later.seq > request.seq);
      expect(next!.at - request.answeredAt!).toBeGreaterThanOrEqual(Number(request.retryAfter) * 1000);
    }
    expect(log.filter((request) => request.status === 200)).toHaveLength(3); // the lookup and two reads
  });
});
