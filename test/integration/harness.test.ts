// Proves the integration harness itself against the real OpenBao dev servers: the shared servers
// really are KV v1 / KV v2 on `secret/` and `team/`, the API helpers write what a client reads,
// policies bite, the proxy records and injects faults, and servers stop, restart on the same port
// and never outlive the process that started them.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { httpRequest, startBao, startBaoOnPort } from '../helpers/bao.ts';
import type { BaoServer } from '../helpers/bao.ts';
import { freePort, isPortFree } from '../helpers/ports.ts';
import { startProxy } from '../helpers/proxy.ts';
import { KV_SERVERS, TEAM_MOUNT, kvServer, uniqueName } from '../helpers/servers.ts';

interface MountInfo {
  data?: { type?: string; path?: string; options?: { version?: string } | null };
}

/** Alive = exists and is not a zombie (a container's init may never reap). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

/** GET over a keep-alive agent limited to one socket: reuse is visible as one proxy connection. */
function getVia(agent: http.Agent, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function withServer<T>(server: BaoServer, body: (s: BaoServer) => Promise<T>): Promise<T> {
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

describe('shared servers', () => {
  it('are two distinct servers, one per KV version', () => {
    expect(KV_SERVERS.map((s) => s.version)).toEqual([1, 2]);
    const [v1, v2] = [kvServer(1), kvServer(2)];
    expect(v1.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(v2.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(v1.address).not.toBe(v2.address);
    expect(v1.rootToken).not.toBe(v2.rootToken);
  });
});

describe.each([1, 2] as const)('shared KV v%i server', (version) => {
  const s = kvServer(version);
  const mounts = ['secret', TEAM_MOUNT] as const;

  it.each(mounts)(`reports %s/ as a KV v${version} mount`, async (mount) => {
    const res = await s.api.request('GET', `sys/internal/ui/mounts/${mount}`);
    expect(res.status).toBe(200);
    const info = res.body as MountInfo;
    expect(info.data?.type).toBe('kv');
    expect(info.data?.path).toBe(`${mount}/`);
    expect(info.data?.options?.version).toBe(String(version));
  });

  it.each(mounts)('writes and reads a secret on %s/ at the version-specific path', async (mount) => {
    const p = `${uniqueName('harness')}/db`;
    const written = await s.api.writeSecret(mount, version, p, { user: 'app', password: 'pw-1' });
    expect(written).toBe(version === 2 ? 1 : 0);

    const right = version === 2 ? `${mount}/data/${p}` : `${mount}/${p}`;
    const wrong = version === 2 ? `${mount}/${p}` : `${mount}/data/${p}`;
    const res = await s.api.request('GET', right);
    expect(res.status).toBe(200);
    const body = res.body as { data: Record<string, unknown> & { data?: unknown } };
    expect(version === 2 ? body.data.data : body.data).toEqual({ user: 'app', password: 'pw-1' });
    expect((await s.api.request('GET', wrong)).status).toBe(404);

    expect(await s.api.readSecret(mount, version, p)).toEqual({ user: 'app', password: 'pw-1' });
    await s.api.deleteSecret(mount, version, p);
    expect(await s.api.readSecret(mount, version, p)).toBeUndefined();
  });

  it('gives a policy-limited token its path and nothing else', async () => {
    const base = uniqueName('harness-acl');
    const dataPrefix = version === 2 ? 'secret/data' : 'secret';
    await s.api.writeSecret('secret', version, `${base}/allowed`, { v: 'yes' });
    await s.api.writeSecret('secret', version, `${base}/denied`, { v: 'no' });
    await s.api.writeSecret(TEAM_MOUNT, version, `${base}/allowed`, { v: 'team' });
    const policy = uniqueName('harness-policy');
    await s.api.writePolicy(policy, `path "${dataPrefix}/${base}/allowed" {\n  capabilities = ["read"]\n}\n`);
    const token = await s.api.createToken({ policies: [policy], noDefaultPolicy: true, ttl: '10m' });
    expect(token).not.toBe(s.rootToken);
    const limited = s.api.withToken(token);

    expect(await limited.readSecret('secret', version, `${base}/allowed`)).toEqual({ v: 'yes' });
    const denied = await limited.request('GET', `${dataPrefix}/${base}/denied`);
    expect(denied.status).toBe(403);
    expect((denied.body as { errors: string[] }).errors.join(' ')).toContain('permission denied');
    const otherMount = await limited.request('GET', version === 2 ? `${TEAM_MOUNT}/data/${base}/allowed` : `${TEAM_MOUNT}/${base}/allowed`);
    expect(otherMount.status).toBe(403);
    // The denied secret exists: root reads it.
    expect(await s.api.readSecret('secret', version, `${base}/denied`)).toEqual({ v: 'no' });

    await s.api.revokeToken(token);
    expect((await limited.request('GET', `${dataPrefix}/${base}/allowed`)).status).toBe(403);
  });
});

describe('proxy', () => {
  const s = kvServer(2);

  it('records every request, injects a 503 once, then passes through on the same connection', async () => {
    const p = uniqueName('harness-proxy');
    await s.api.writeSecret('secret', 2, p, { k: 'v' });
    const proxy = await startProxy(s.address);
    try {
      const fault = proxy.inject({
        match: (r) => r.path.startsWith(`/v1/secret/data/${p}`),
        times: 1,
        respond: { status: 503, body: { errors: ['injected'] } },
      });
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const secretUrl = `${proxy.address}/v1/secret/data/${p}?version=1`;
      const auth = { 'X-Vault-Token': s.rootToken };

      const first = await getVia(agent, secretUrl, auth);
      expect(first).toEqual({ status: 503, body: { errors: ['injected'] } });
      const second = await getVia(agent, secretUrl, auth);
      expect(second.status).toBe(200);
      expect((second.body as { data: { data: unknown } }).data.data).toEqual({ k: 'v' });
      expect((await getVia(agent, `${proxy.address}/v1/sys/health`)).status).toBe(200);
      agent.destroy();

      expect(fault.hits()).toBe(1);
      expect(fault.remaining()).toBe(0);
      expect(proxy.requests()).toEqual([
        { method: 'GET', path: `/v1/secret/data/${p}?version=1` },
        { method: 'GET', path: `/v1/secret/data/${p}?version=1` },
        { method: 'GET', path: '/v1/sys/health' },
      ]);
      expect(proxy.count()).toBe(3);
      expect(proxy.count((r) => r.path.startsWith('/v1/secret/'))).toBe(2);
      expect(proxy.log().map((r) => [r.fault, r.status])).toEqual([
        ['respond', 503],
        [undefined, 200],
        [undefined, 200],
      ]);
      expect(proxy.log()[0]?.headers['x-vault-token']).toBe(s.rootToken);
      // The client kept its one connection alive and the proxy served all three requests on it.
      expect(new Set(proxy.log().map((r) => r.connection)).size).toBe(1);
      expect(proxy.connections()).toBe(1);

      proxy.reset();
      expect(proxy.count()).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it('drops a connection and delays a response when told to', async () => {
    const proxy = await startProxy(s.address);
    try {
      const drop = proxy.inject({ match: (r) => r.path === '/v1/sys/health', times: 1, dropConnection: true });
      await expect(fetch(`${proxy.address}/v1/sys/health`)).rejects.toThrow('fetch failed');
      expect(drop.hits()).toBe(1);

      proxy.inject({ times: 1, delayMs: 300 });
      const started = Date.now();
      const res = await fetch(`${proxy.address}/v1/sys/health`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(proxy.log().map((r) => r.fault)).toEqual(['drop', 'delay']);
      expect(proxy.count()).toBe(2);
    } finally {
      await proxy.close();
    }
  });
});

describe('server lifecycle', () => {
  it('stops, leaves the port, and comes back on the same port with fresh data', async () => {
    await withServer(await startBao(), async (server) => {
      const { port, address } = server;
      const pid = server.pid;
      expect(pid).toBeTypeOf('number');
      await server.api.writeSecret('secret', 2, 'restart/probe', { a: '1' });

      await server.stop();
      expect(server.running).toBe(false);
      expect(isAlive(pid ?? -1)).toBe(false);
      await expect(httpRequest(`${address}/v1/sys/health`)).rejects.toThrow(/ECONNREFUSED/);

      await server.start();
      expect(server.port).toBe(port);
      expect(server.address).toBe(address);
      expect(server.pid).not.toBe(pid);
      expect((await httpRequest(`${address}/v1/sys/health`)).status).toBe(200);
      // Dev mode is in memory: the old secret is gone, the root token is the same.
      expect(await server.api.readSecret('secret', 2, 'restart/probe')).toBeUndefined();
      expect((await server.api.request('GET', 'auth/token/lookup-self')).status).toBe(200);
    });
  });

  it('starts a new server on a given port with secret/ remounted as KV v1', async () => {
    const port = await freePort();
    await withServer(await startBaoOnPort(port, { kvV1Secret: true }), async (server) => {
      expect(server.address).toBe(`http://127.0.0.1:${port}`);
      const info = (await server.api.request('GET', 'sys/internal/ui/mounts/secret')).body as MountInfo;
      expect(info.data?.options?.version).toBe('1');
    });
    expect(await isPortFree(port)).toBe(true);
  });

  it('serves TLS with the CA it exposes', async () => {
    await withServer(await startBao({ tls: true }), async (server) => {
      expect(server.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = server.caCert ?? '';
      expect(existsSync(ca)).toBe(true);
      expect(readFileSync(ca, 'utf8')).toContain('BEGIN CERTIFICATE');
      expect((await httpRequest(`${server.address}/v1/sys/health`, { caFile: ca })).status).toBe(200);
      // Without the CA, Node does not trust the server's certificate.
      await expect(httpRequest(`${server.address}/v1/sys/health`)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    });
  });

  it.each(['exit', 'SIGKILL'] as const)('leaves no server behind when its process ends by %s', async (how) => {
    const baoModule = fileURLToPath(new URL('../helpers/bao.ts', import.meta.url));
    const script = `
      import { startBao } from ${JSON.stringify(baoModule)};
      const s = await startBao();
      process.stdout.write(JSON.stringify({ pid: s.pid, port: s.port, logFile: s.logFile }) + '\\n', () => {
        if (${JSON.stringify(how)} === 'exit') process.exit(0);
        else process.kill(process.pid, 'SIGKILL');
      });
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, sig) => resolve([c, sig])));
    expect({ code, signal, err: code === 0 || signal === 'SIGKILL' ? '' : err }).toEqual(
      how === 'exit' ? { code: 0, signal: null, err: '' } : { code: null, signal: 'SIGKILL', err: '' },
    );
    const { pid, port, logFile } = JSON.parse(out) as { pid: number; port: number; logFile: string };
    // After SIGKILL nobody removed the server's temp dir.
    if (how === 'SIGKILL') rmSync(path.dirname(logFile), { recursive: true, force: true });
    expect(pid).toBeGreaterThan(0);
    expect(await waitUntil(() => !isAlive(pid), 5_000)).toBe(true);
    expect(await waitUntil(() => isPortFree(port), 5_000)).toBe(true);
  });
});
