// HTTP/2 (--http2) and HTTP/1.1 over TLS, with the built CLI against a real `bao server -dev-tls`: the server
// itself (which offers ALPN h2) and, where a fault is needed, a TLS proxy in front of it that offers
// one protocol, h2 or http/1.1 only (test/helpers/tls-proxy.ts). Each scenario runs on both
// protocols and on a KV v1 and a KV v2 mount: the protocol chosen in the info line, a connection cut
// in the middle of an answer, a server that never answers, a 503 with Retry-After, a 307 on the same
// origin and to another host, and many paths on one connection. And which of node:tls, node:http2
// and node:https a run loads: only what its address and its server's protocol need. And a client
// certificate Node's TLS refuses before connecting: a failure of the request, not retried.
// The bundle on Node only (runBundle): the single executable sends its requests with Bun's own
// clients, over HTTP/1.1 (test/integration/transports.test.ts).

import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBao, type BaoServer } from '../helpers/bao.ts';
import { makeTestPki, type TestPki } from '../helpers/certs.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { VaultFailure, isRetryable } from '../../src/vault/failure.ts';
import { createVaultHttp } from '../../src/vault/http.ts';
import { baseEnv, envFromOutput, expectNoLeak, runBundle, type CliResult } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';
import { rejected } from '../helpers/thrown.ts';
import { startTlsProxy, type AlpnProtocol, type TlsProxy } from '../helpers/tls-proxy.ts';

const ENV = '/usr/bin/env';
const MANY = 50;
const dir = mkdtempSync(join(tmpdir(), 'vaultenv-h2-'));
const base = uniqueName('h2');
let token: string;

let server: BaoServer;
let pki: TestPki;
const proxies = new Map<AlpnProtocol, TlsProxy>();

const MOUNTS = [
  { mount: 'kv1', version: 1 },
  { mount: 'kv2', version: 2 },
] as const;
type Mount = (typeof MOUNTS)[number];

/** The value of path `name` on `mount`. */
const valueOf = (mount: Mount, name: string) => `${mount.mount}-${name}-${base}`;
/** Its request path. */
const readPath = (mount: Mount, name: string) => (mount.version === 2 ? `/v1/${mount.mount}/data/${base}/${name}` : `/v1/${mount.mount}/${base}/${name}`);

beforeAll(async () => {
  pki = makeTestPki(['IP:127.0.0.1', 'DNS:localhost']);
  server = await startBao({ tls: true });
  const policy = uniqueName('h2-read');
  let rules = '';
  for (const mount of MOUNTS) {
    await server.api.enableKv(mount.mount, mount.version);
    const names = ['app', ...Array.from({ length: MANY }, (_, i) => `p${i}`)];
    await Promise.all(names.map((name) => server.api.writeSecret(mount.mount, mount.version, `${base}/${name}`, { value: valueOf(mount, name) })));
    rules += `path "${mount.mount}/${mount.version === 2 ? 'data/' : ''}${base}/*" { capabilities = ["read"] }\n`;
    // Two secrets: a run that reads one secret stays on HTTP/1.1 (vault-session.ts, HTTP2_FROM_SECRETS).
    writeFileSync(join(dir, `${mount.mount}-app.secrets`), `VERSION 2\nMOUNT ${mount.mount}\nAPP_VALUE=${base}/app#value\nAPP_OTHER=${base}/p0#value\n`);
    writeFileSync(join(dir, `${mount.mount}-one.secrets`), `VERSION 2\nMOUNT ${mount.mount}\nAPP_VALUE=${base}/app#value\n`);
    const many = Array.from({ length: MANY }, (_, i) => `P${i}=${base}/p${i}#value\n`).join('');
    writeFileSync(join(dir, `${mount.mount}-many.secrets`), `VERSION 2\nMOUNT ${mount.mount}\n${many}`);
  }
  // The mount lookup (sys/internal/ui/mounts) is allowed to every token.
  await server.api.writePolicy(policy, rules);
  token = await server.api.createToken({ policies: [policy] });
  for (const protocol of ['h2', 'http/1.1'] as const) {
    proxies.set(protocol, await startTlsProxy({ address: server.address, caCert: caOf(server) }, { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert }, protocol));
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([...proxies.values()].map((p) => p.close()));
  await server?.stop();
  pki?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function caOf(bao: BaoServer): string {
  if (bao.caCert === undefined) throw new Error('the TLS server has no CA file');
  return bao.caCert;
}

const UNREACHABLE_HINT = 'Check the address (VAULT_ADDR, --host, --port) and that Vault is running; vaultenv retried with backoff';
const TIMEOUT_HINT = 'Vault did not answer in time; raise --request-timeout-milliseconds or check the network';

const PROTOCOLS = [
  { name: 'HTTP/2', alpn: 'h2', chosen: 'HTTP/2 (ALPN h2)' },
  { name: 'HTTP/1.1', alpn: 'http/1.1', chosen: 'HTTP/1.1 (ALPN http/1.1)' },
] as const;

/** The value in a read's answer body, KV v1 or v2. */
function valueIn(mount: Mount, body: string): unknown {
  const { data } = JSON.parse(body) as { data: { value?: unknown; data?: { value?: unknown } } };
  return mount.version === 2 ? data.data?.value : data.value;
}

/** The info lines that name a connection and the protocol chosen on it. */
const connectedLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('vaultenv: info: connected to '));

describe.each(PROTOCOLS)('over $name', (protocol) => {
  const proxy = () => {
    const found = proxies.get(protocol.alpn);
    if (found === undefined) throw new Error(`no ${protocol.alpn} proxy`);
    return found;
  };

  /**
   * Runs the CLI at `target` (the proxy unless told) with the secrets file `file`; a failed run must
   * not show a secret. The two secrets of `app` are read one after the other, on one connection with
   * either protocol, so that the connections counted are the same for both.
   */
  async function run(mount: Mount, file: 'app' | 'one' | 'many', args: string[] = [], target: { address: string; caCert: string } = proxy()): Promise<CliResult> {
    const oneAtATime = file === 'app' ? ['--max-concurrent-requests', '1'] : [];
    const result = await runBundle(['--http2', '--log-level', 'info', '--retry-base-delay-milliseconds', '20', ...oneAtATime, ...args, '--secrets-file', join(dir, `${mount.mount}-${file}.secrets`), '--', ENV], {
      env: baseEnv({ VAULT_ADDR: target.address, VAULT_TOKEN: token, VAULT_CACERT: target.caCert }),
      timeoutMs: 30_000,
    });
    expectNoLeak({ stdout: '', stderr: result.stderr }, [token, server.rootToken, ...MOUNTS.map((m) => valueOf(m, 'app'))]);
    if (result.code !== 0) expectNoLeak(result, [token, server.rootToken, valueOf(mount, 'app')]);
    return result;
  }

  it('an answer larger than 32 MiB is cut off and reported, not retried', async () => {
    const p = proxy();
    p.reset();
    p.inject({ times: 1, respond: { status: 200, body: `{"data":"${'x'.repeat(33 * 1024 * 1024)}"}` } });
    const client = createVaultHttp({ host: '127.0.0.1', port: p.port, tls: true, validateCerts: true, token, timeoutMs: 10_000, maxSockets: 8, ca: readFileSync(p.caCert, 'utf8'), transport: 'node', http2: true });
    try {
      const failure = await rejected(client.request('GET', '/v1/sys/health'));
      expect(failure).toBeInstanceOf(VaultFailure);
      expect([(failure as VaultFailure).kind, (failure as VaultFailure).detail]).toEqual(['too-large', 'the answer is larger than 32 MiB']);
      expect(isRetryable('too-large')).toBe(false);
      // The connection stays usable (HTTP/2: only the stream was cancelled).
      expect((await client.request('GET', '/v1/sys/health')).status).toBe(200);
    } finally {
      client.close();
    }
  });

  describe.each(MOUNTS)('on a KV v$version mount', (mount) => {
    it('says in an info line which protocol the server chose, once per connection, and reads the secret', async () => {
      // HTTP/2: the server itself, which offers h2; HTTP/1.1: the proxy, which offers only http/1.1.
      const target = protocol.alpn === 'h2' ? { address: server.address, caCert: caOf(server) } : proxy();
      const result = await run(mount, 'app', [], target);
      expect(result.code).toBe(0);
      expect(envFromOutput(result.stdout).APP_VALUE).toBe(valueOf(mount, 'app'));
      expect(connectedLines(result.stderr)).toEqual([`vaultenv: info: connected to ${target.address} with ${protocol.chosen}`]);
      expect(result.stderr).toContain('vaultenv: info: fetched 2 secrets with 3 requests in ');
    });

    it('a run of one secret asks for HTTP/1.1 alone, and says so once', async () => {
      const target = protocol.alpn === 'h2' ? { address: server.address, caCert: caOf(server) } : proxy();
      const result = await run(mount, 'one', [], target);
      expect(result.code).toBe(0);
      expect(envFromOutput(result.stdout).APP_VALUE).toBe(valueOf(mount, 'app'));
      expect(connectedLines(result.stderr)).toEqual([`vaultenv: info: connected to ${target.address} with HTTP/1.1 (ALPN http/1.1)`]);
      expect(result.stderr).toContain('vaultenv: info: fetched 1 secret with 2 requests in ');
    });

    it('a connection cut in the middle of the answer: retried on a new connection, then the secret', async () => {
      const p = proxy();
      p.reset();
      const before = p.connections();
      const path = readPath(mount, 'app');
      p.inject({ times: 1, cutMidAnswer: true, match: (r) => r.path === path });
      const result = await run(mount, 'app');
      expect(result.code).toBe(0);
      expect(envFromOutput(result.stdout).APP_VALUE).toBe(valueOf(mount, 'app'));
      const reset = protocol.alpn === 'h2' ? 'connection reset (HTTP/2 CANCEL)' : 'connection reset';
      expect(result.stderr).toMatch(new RegExp(`vaultenv: info: ${path.replaceAll('/', '\\/')}: ${reset.replace(/[()]/g, '\\$&')}; retry 1 of 9 in \\d+ ms\\n`));
      expect(p.requests().filter((r) => r.path === path)).toHaveLength(2);
      // The mount lookup and the cut read on the first connection, the retry on a second one.
      expect(p.connections() - before).toBe(2);
      expect(connectedLines(result.stderr)).toEqual(Array(protocol.alpn === 'h2' ? 2 : 1).fill(`vaultenv: info: connected to ${p.address} with ${protocol.chosen}`));
    });

    it('a server that closes the connection after an answer (GOAWAY, or a keep-alive connection ended): the next request on a new one', async () => {
      const p = proxy();
      p.reset();
      const before = p.connections();
      p.inject({ times: 1, closeAfterAnswer: true, match: (r) => r.path.includes('sys/internal/ui/mounts') });
      const result = await run(mount, 'app');
      expect(result.code).toBe(0);
      expect(envFromOutput(result.stdout).APP_VALUE).toBe(valueOf(mount, 'app'));
      expect(p.log().map((r) => r.connection - before)).toEqual([1, 2, 2]);
      expect(result.stderr).toContain('vaultenv: info: fetched 2 secrets with 3 requests in ');
    });

    it('a connection cut in every answer: a clear failure once the retries are spent (exit 6)', async () => {
      const p = proxy();
      p.reset();
      const path = readPath(mount, 'app');
      p.inject({ cutMidAnswer: true, match: (r) => r.path === path });
      const result = await run(mount, 'app', ['--retry-attempts', '2']);
      expect(result.code).toBe(6);
      expect(result.stdout).toBe('');
      const reset = protocol.alpn === 'h2' ? 'connection reset (HTTP/2 CANCEL)' : 'connection reset';
      expect(result.stderr.split('\n').filter((l) => !l.startsWith('vaultenv: info: '))).toEqual([
        `vaultenv: Vault request failed: ${reset} (${path}, ${join(dir, `${mount.mount}-app.secrets`)}:3). ${UNREACHABLE_HINT}`,
        '',
      ]);
      expect(p.requests().filter((r) => r.path === path)).toHaveLength(3);
    });

    it('a server that never answers: the request timeout, retried, then exit 6', async () => {
      const p = proxy();
      p.reset();
      const path = readPath(mount, 'app');
      p.inject({ hang: true, match: (r) => r.path === path });
      const started = performance.now();
      const result = await run(mount, 'app', ['--request-timeout-milliseconds', '300', '--retry-attempts', '1']);
      expect(result.code).toBe(6);
      expect(result.stderr.split('\n').filter((l) => !l.startsWith('vaultenv: info: '))).toEqual([
        `vaultenv: Vault request failed: no answer within 300 ms (${path}, ${join(dir, `${mount.mount}-app.secrets`)}:3). ${TIMEOUT_HINT}`,
        '',
      ]);
      expect(p.requests().filter((r) => r.path === path)).toHaveLength(2);
      expect(performance.now() - started).toBeGreaterThanOrEqual(600);
    });

    it('a 503 with Retry-After: waited out, retried, then the secret', async () => {
      const p = proxy();
      p.reset();
      const path = readPath(mount, 'app');
      p.inject({ times: 1, match: (r) => r.path === path, respond: { status: 503, body: { errors: ['Vault is sealed'] }, headers: { 'Retry-After': '1' } } });
      const result = await run(mount, 'app');
      expect(result.code).toBe(0);
      expect(envFromOutput(result.stdout).APP_VALUE).toBe(valueOf(mount, 'app'));
      const reads = p.log().filter((r) => r.path === path);
      expect(reads.map((r) => r.status)).toEqual([503, 200]);
      // Retry-After: 1 asks for a second at least (retry.ts adds up to a second of jitter).
      expect((reads[1]?.at ?? 0) - (reads[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    });

    it('a 307 to the same origin is followed; one to another host is refused (exit 6)', async () => {
      const p = proxy();
      p.reset();
      const path = readPath(mount, 'app');
      p.inject({ times: 1, match: (r) => r.path === path, respond: { status: 307, headers: { Location: `${path}?moved=1` } } });
      const followed = await run(mount, 'app');
      expect(followed.code).toBe(0);
      expect(envFromOutput(followed.stdout).APP_VALUE).toBe(valueOf(mount, 'app'));
      expect(p.requests().filter((r) => r.path.startsWith(path)).map((r) => r.path)).toEqual([path, `${path}?moved=1`]);

      p.reset();
      p.inject({ times: 1, match: (r) => r.path === path, respond: { status: 307, headers: { Location: `https://192.0.2.1:8200${path}` } } });
      const elsewhere = await run(mount, 'app');
      expect(elsewhere.code).toBe(6);
      expect(elsewhere.stderr.split('\n').filter((l) => !l.startsWith('vaultenv: info: '))[0]).toBe(
        `vaultenv: Vault request failed: HTTP 307 to another host (${path}, ${join(dir, `${mount.mount}-app.secrets`)}:3). ` +
          'Point VAULT_ADDR at the active node; vaultenv does not send the token to another host',
      );
      expect(p.requests().filter((r) => r.path.startsWith(path))).toHaveLength(1);
    });

    it(`${MANY} paths: one request each, ${protocol.alpn === 'h2' ? 'all on one connection' : 'on at most --max-concurrent-requests connections'}`, async () => {
      const p = proxy();
      p.reset();
      const before = p.connections();
      const result = await run(mount, 'many', ['--max-concurrent-requests', '8']);
      expect(result.code).toBe(0);
      const env = envFromOutput(result.stdout);
      expect(Array.from({ length: MANY }, (_, i) => env[`P${i}`])).toEqual(Array.from({ length: MANY }, (_, i) => valueOf(mount, `p${i}`)));
      expect(result.stderr).toContain(`vaultenv: info: fetched ${MANY} secrets with ${MANY + 1} requests in `);
      expect(p.requests()).toHaveLength(MANY + 1);
      const opened = p.connections() - before;
      if (protocol.alpn === 'h2') expect(opened).toBe(1);
      else expect(opened).toBeGreaterThanOrEqual(2);
      expect(opened).toBeLessThanOrEqual(8);
      expect(new Set(p.log().map((r) => r.connection)).size).toBe(opened);
    });

    it('the client in this process: at most maxSockets requests in flight, a request with a body, and close() ends the connection at once', async () => {
      const p = proxy();
      p.reset();
      const openBefore = p.open();
      p.inject({ delayMs: 150 });
      const client = createVaultHttp({
        host: '127.0.0.1',
        port: p.port,
        tls: true,
        validateCerts: true,
        token,
        timeoutMs: 5000,
        maxSockets: 2,
        ca: readFileSync(p.caCert, 'utf8'),
        transport: 'node',
        http2: true,
      });
      try {
        const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => client.request('GET', readPath(mount, `p${i}`))));
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
        expect(answers.map((a) => valueIn(mount, a.body))).toEqual(Array.from({ length: 6 }, (_, i) => valueOf(mount, `p${i}`)));
        const log = p.log();
        const inFlight = log.map((r) => log.filter((o) => o.at <= r.at && r.at < (o.answeredAt ?? Infinity)).length);
        expect(Math.max(...inFlight)).toBe(2);
        expect(p.open() - openBefore).toBe(protocol.alpn === 'h2' ? 1 : 2);
        // Over HTTP/2 the token goes as a never-indexed field: no HPACK table on either side keeps it.
        const sensitive = (log[0]?.headers as Record<symbol, unknown> | undefined)?.[http2.sensitiveHeaders];
        expect(sensitive).toEqual(protocol.alpn === 'h2' ? ['x-vault-token'] : undefined);
        // A request with a body: the server reads it (hex, not its default base64).
        client.setToken(server.rootToken);
        const random = await client.request('POST', '/v1/sys/tools/random/8', { body: { format: 'hex' } });
        expect((JSON.parse(random.body) as { data: { random_bytes: string } }).data.random_bytes).toMatch(/^[0-9a-f]{16}$/);
      } finally {
        client.close();
      }
      const closedBy = performance.now() + 1000;
      while (p.open() > openBefore && performance.now() < closedBy) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(p.open()).toBe(openBefore);
    });
  });
});

describe('the modules a run loads', () => {
  // Printed when vaultenv exits (spawn mode: with execve no exit event would run).
  const hook = join(dir, 'modules-hook.cjs');
  // perf_hooks: the run's clock reads process.hrtime, and `performance` would load it (vault/clock.ts).
  // internal/fs/dir: only a secrets directory needs it (secrets-file/read.ts).
  const names = ['tls', 'http2', 'https', 'perf_hooks', 'internal/fs/dir'];
  // And zod, which only logins and token files need (vault/answers.ts): its module, once loaded, has
  // left its registry on globalThis.

  beforeAll(() => {
    writeFileSync(
      hook,
      `process.on('exit', () => require('node:fs').writeSync(2, 'loaded: ' + [...${JSON.stringify(names)}.filter((m) => process.moduleLoadList.includes('NativeModule ' + m)), ...('__zod_globalRegistry' in globalThis ? ['zod'] : [])].join(' ') + '\\n'));\n`,
    );
  });

  async function loaded(target: { address: string; caCert?: string | undefined; token: string }, secretsFile: string, value: string, args = ['--http2']): Promise<string> {
    const result = await runBundle([...args, '--exec-mode', 'spawn', '--secrets-file', secretsFile, '--', ENV], {
      env: baseEnv({ VAULT_ADDR: target.address, VAULT_TOKEN: target.token, VAULT_CACERT: target.caCert, NODE_OPTIONS: `--require ${hook}` }),
    });
    expect(result.code).toBe(0);
    expect(envFromOutput(result.stdout).APP_VALUE).toBe(value);
    return result.stderr;
  }

  describe.each(MOUNTS)('on a KV v$version mount', (mount) => {
    const appFile = () => join(dir, `${mount.mount}-app.secrets`);

    it('an http:// run loads none of node:tls, node:http2, node:https, node:perf_hooks, internal/fs/dir and zod', async () => {
      const plain = kvServer(mount.version);
      const file = join(dir, `plain-${mount.mount}.secrets`);
      await plain.api.writeSecret('secret', mount.version, `${base}/app`, { value: valueOf(mount, 'app') });
      writeFileSync(file, `VERSION 2\nMOUNT secret\nAPP_VALUE=${base}/app#value\n`);
      expect(await loaded({ address: plain.address, token: plain.rootToken }, file, valueOf(mount, 'app'))).toBe('loaded: \n');
    });

    it('a run whose token is in a kubernetes-vault token file loads zod, which checks that file', async () => {
      const plain = kvServer(mount.version);
      const file = join(dir, `zod-${mount.mount}.secrets`);
      const tokenFile = join(dir, `zod-${mount.mount}-token.json`);
      await plain.api.writeSecret('secret', mount.version, `${base}/app`, { value: valueOf(mount, 'app') });
      writeFileSync(file, `VERSION 2\nMOUNT secret\nAPP_VALUE=${base}/app#value\n`);
      writeFileSync(tokenFile, JSON.stringify({ clientToken: plain.rootToken }), { mode: 0o600 });
      const result = await runBundle(['--exec-mode', 'spawn', '--secrets-file', file, '--', ENV], {
        env: baseEnv({ VAULT_ADDR: plain.address, VAULTENV_TOKEN_FILE: tokenFile, NODE_OPTIONS: `--require ${hook}` }),
      });
      expect(result.code).toBe(0);
      expect(envFromOutput(result.stdout).APP_VALUE).toBe(valueOf(mount, 'app'));
      // (node:fs/promises, which reads the file, loads internal/fs/dir.)
      expect(result.stderr).toBe('loaded: internal/fs/dir zod\n');
    });

    it('an https:// run loads node:tls and node:http2 when the server speaks HTTP/2, and not node:https', async () => {
      // node:http2 loads internal/fs/dir itself (for its file responses).
      expect(await loaded({ address: server.address, caCert: caOf(server), token }, appFile(), valueOf(mount, 'app'))).toBe('loaded: tls http2 internal/fs/dir\n');
    });

    it('without --http2 (VAULTENV_HTTP2 unset), an https:// run of two secrets stays on HTTP/1.1: node:tls alone', async () => {
      expect(await loaded({ address: server.address, caCert: caOf(server), token }, appFile(), valueOf(mount, 'app'), [])).toBe('loaded: tls\n');
    });

    it('an https:// run that reads one secret stays on HTTP/1.1 although the server speaks HTTP/2: node:tls alone, its own HTTP/1.1', async () => {
      const one = join(dir, `${mount.mount}-one.secrets`);
      expect(await loaded({ address: server.address, caCert: caOf(server), token }, one, valueOf(mount, 'app'))).toBe('loaded: tls\n');
    });

    it('an https:// run whose server speaks only HTTP/1.1 loads node:tls and node:https, and not node:http2', async () => {
      const p = proxies.get('http/1.1');
      expect(await loaded({ address: p?.address ?? '', caCert: p?.caCert, token }, appFile(), valueOf(mount, 'app'))).toBe('loaded: tls https\n');
    });
  });
});

describe('TLS sessions over HTTP/1.1 (no --http2)', () => {
  describe.each(MOUNTS)('on a KV v$version mount', (mount) => {
    it(`the connections opened after the first resume its TLS session, as https.Agent's do`, async () => {
      const p = proxies.get('http/1.1');
      if (p === undefined) throw new Error('no http/1.1 proxy');
      const [connectionsBefore, resumedBefore] = [p.connections(), p.resumed()];
      const result = await runBundle(['--max-concurrent-requests', '8', '--secrets-file', join(dir, `${mount.mount}-many.secrets`), '--', ENV], {
        env: baseEnv({ VAULT_ADDR: p.address, VAULT_TOKEN: token, VAULT_CACERT: p.caCert }),
        timeoutMs: 30_000,
      });
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(envFromOutput(result.stdout)[`P${MANY - 1}`]).toBe(valueOf(mount, `p${MANY - 1}`));
      const opened = p.connections() - connectionsBefore;
      expect(opened).toBeGreaterThanOrEqual(2);
      expect(p.resumed() - resumedBefore).toBe(opened - 1);
    });
  });

  it('resumes a session only within 30 s of the handshake that checked the certificate, then checks it anew', async () => {
    const p = proxies.get('http/1.1');
    if (p === undefined) throw new Error('no http/1.1 proxy');
    let now = 0;
    const client = createVaultHttp({ host: '127.0.0.1', port: p.port, tls: true, validateCerts: true, token, timeoutMs: 10_000, maxSockets: 8, ca: readFileSync(p.caCert, 'utf8'), transport: 'node', now: () => now });
    const [connectionsBefore, resumedBefore] = [p.connections(), p.resumed()];
    const counts = () => [p.connections() - connectionsBefore, p.resumed() - resumedBefore];
    const health = () => client.request('GET', '/v1/sys/health');
    try {
      await health();
      expect(counts()).toEqual([1, 0]);
      // n requests at once: the idle connections carry n - 1, a new one the last.
      const atOnce = (n: number) => Promise.all(Array.from({ length: n }, health));
      // The new connection resumes the first one's session.
      await atOnce(2);
      expect(counts()).toEqual([2, 1]);
      // 20 s on, a new connection resumes it again; its ticket keeps the check made at 0 s.
      now = 20_000;
      await atOnce(3);
      expect(counts()).toEqual([3, 2]);
      // 35 s on: the session was checked more than 30 s ago, so a whole handshake checks the certificate again...
      now = 35_000;
      await atOnce(4);
      expect(counts()).toEqual([4, 2]);
      // ...and the next new connection resumes the session that handshake checked.
      await atOnce(5);
      expect(counts()).toEqual([5, 3]);
    } finally {
      client.close();
    }
  });
});

describe('TLS settings Node refuses before connecting', () => {
  it('a client certificate that does not parse: the request fails at once, not retried, naming the code', async () => {
    const { port } = new URL(server.address);
    const client = createVaultHttp({
      host: '127.0.0.1',
      port: Number(port),
      tls: true,
      validateCerts: true,
      token,
      timeoutMs: 5000,
      maxSockets: 1,
      ca: readFileSync(caOf(server), 'utf8'),
      clientCert: 'not a certificate',
      clientKey: 'not a key',
      transport: 'node',
    });
    try {
      const failure = await rejected(client.request('GET', '/v1/sys/health'));
      expect(failure).toBeInstanceOf(VaultFailure);
      expect([(failure as VaultFailure).kind, (failure as VaultFailure).detail]).toEqual(['invalid-request', 'the connection could not be set up (ERR_OSSL_PEM_NO_START_LINE)']);
      expect(isRetryable('invalid-request')).toBe(false);
      expect(client.requestsSent).toBe(1);
    } finally {
      client.close();
    }
  });
});
