// The Vault HTTP client's transports side by side against real OpenBao servers (plain and -dev-tls,
// a fault-injecting proxy in front where a fault is needed): Node's http modules, which the npm
// package uses (HTTP/2 with the -dev-tls server: test/integration/http2.test.ts has the rest of it),
// and Bun's own clients, which the single executable uses (run under Bun by the driver): its TCP
// sockets for plain HTTP, its fetch for TLS.
// Each scenario must end alike on both: the same status and body, or the same failure kind, detail
// and address, after the same number of requests.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBao, type BaoServer } from '../helpers/bao.ts';
import { startProxy, type Proxy } from '../helpers/proxy.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';
import { exercise, type Exercise, type Outcome } from '../helpers/transport-driver.ts';

const DRIVER = fileURLToPath(new URL('../helpers/transport-driver.ts', import.meta.url));
const TRANSPORTS = ['node', 'bun'] as const;
type TransportName = (typeof TRANSPORTS)[number];

/** The outcomes of `spec` on `transport`: in this process for Node, in a Bun process for Bun's. */
async function outcomes(transport: TransportName, spec: Exercise): Promise<Outcome[]> {
  const withTransport: Exercise = { ...spec, options: { ...spec.options, transport } };
  if (transport === 'node') return exercise(withTransport);
  // Not execFileSync: the fault proxy runs in this process and must go on answering meanwhile.
  const { stdout } = await promisify(execFile)('bun', [DRIVER, JSON.stringify(withTransport)], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '' } });
  return JSON.parse(stdout) as Outcome[];
}

const plain = kvServer(2);
let tlsServer: BaoServer;
let proxy: Proxy;
/** Closes a connection idle for 2 s (and Node's second of grace), as a server's keep-alive timeout does. */
let quickProxy: Proxy;
const path = uniqueName('transport');
const value = `transport-${uniqueName('v')}`;
const read = { method: 'GET', path: `/v1/secret/data/${path}` } as const;
// Larger than the buffer of Go's HTTP server: the answer comes in chunks, without a length.
const bigPath = uniqueName('transport-big');
const bigValue = `big-${'x'.repeat(100_000)}-${uniqueName('v')}`;

beforeAll(async () => {
  tlsServer = await startBao({ tls: true });
  await plain.api.writeSecret('secret', 2, path, { value });
  await tlsServer.api.writeSecret('secret', 2, path, { value });
  await plain.api.writeSecret('secret', 2, bigPath, { value: bigValue });
  proxy = await startProxy(plain.address);
  quickProxy = await startProxy(plain.address, { keepAliveTimeoutMs: 2000 });
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await quickProxy?.close();
  await tlsServer?.stop();
});

function endpoint(address: string): { host: string; port: number; tls: boolean } {
  const url = new URL(address);
  return { host: url.hostname, port: Number(url.port), tls: url.protocol === 'https:' };
}

function spec(address: string, token: string, extra: Partial<Exercise['options']> = {}, requests: Exercise['requests'] = [read]): Exercise {
  return { options: { ...endpoint(address), validateCerts: true, token, timeoutMs: 5000, maxSockets: 8, ...extra }, requests };
}

/** The value of `key` in a KV v2 read's body. */
const secretOf = (outcome: Outcome | undefined) => (outcome !== undefined && 'body' in outcome ? (JSON.parse(outcome.body) as { data: { data: Record<string, string> } }).data.data.value : undefined);

describe.each(TRANSPORTS)('the %s transport', (transport) => {
  it('reads a secret over plain HTTP, and twice on one client', async () => {
    const result = await outcomes(transport, spec(plain.address, plain.rootToken, {}, [read, read]));
    expect(result.map((o) => ('status' in o ? [o.status, secretOf(o), o.sent] : o))).toEqual([
      [200, value, 1],
      [200, value, 2],
    ]);
  });

  it('reads an answer the server sends in chunks, whole', async () => {
    const [result] = await outcomes(transport, spec(plain.address, plain.rootToken, {}, [{ method: 'GET', path: `/v1/secret/data/${bigPath}` }]));
    expect(result && 'status' in result ? [result.status, secretOf(result)] : result).toEqual([200, bigValue]);
  });

  it('keeps a connection for the next request, and opens a new one once the server closed it', async () => {
    const before = quickProxy.connections();
    const result = await outcomes(transport, spec(quickProxy.address, plain.rootToken, {}, [read, read, { ...read, pauseBeforeMs: 4000 }, read]));
    expect(result.map((o) => ('status' in o ? [o.status, secretOf(o), o.sent] : o))).toEqual([
      [200, value, 1],
      [200, value, 2],
      [200, value, 3],
      [200, value, 4],
    ]);
    expect(quickProxy.connections() - before).toBe(2);
  });

  it('reads a secret over TLS, the certificate checked against the CA given', async () => {
    const [result] = await outcomes(transport, spec(tlsServer.address.replace('127.0.0.1', 'localhost'), tlsServer.rootToken, { caFile: tlsServer.caCert }));
    expect(result && 'status' in result ? [result.status, secretOf(result)] : result).toEqual([200, value]);
  });

  it('a certificate from a CA not given: a TLS failure that names it, no answer read', async () => {
    const [result] = await outcomes(transport, spec(tlsServer.address, tlsServer.rootToken));
    expect(result).toMatchObject({ kind: 'tls', detail: 'the TLS certificate is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)', sent: 1 });
  });

  it('https:// to a plain-HTTP server, and http:// to a TLS server: the scheme is named, with the address', async () => {
    const [toPlain] = await outcomes(transport, spec(plain.address, plain.rootToken, { tls: true }));
    expect(toPlain).toMatchObject({ kind: 'plain-http', detail: 'the server speaks plain HTTP: use http://', input: `https://127.0.0.1:${endpoint(plain.address).port}` });
    const [toTls] = await outcomes(transport, spec(tlsServer.address, tlsServer.rootToken, { tls: false }));
    expect(toTls).toMatchObject({ kind: 'expects-tls', detail: 'the server expects TLS: use https://', input: `http://127.0.0.1:${tlsServer.port}` });
  });

  it('follows a 307 to the same origin, and refuses one to another host', async () => {
    proxy.reset();
    proxy.inject({ times: 1, respond: { status: 307, headers: { Location: `/v1/secret/data/${path}?moved=1` } } });
    const [followed] = await outcomes(transport, spec(proxy.address, plain.rootToken));
    expect(followed && 'status' in followed ? [followed.status, secretOf(followed), followed.sent] : followed).toEqual([200, value, 2]);
    expect(proxy.requests().map((r) => r.path)).toEqual([`/v1/secret/data/${path}`, `/v1/secret/data/${path}?moved=1`]);
    proxy.inject({ times: 1, respond: { status: 307, headers: { Location: `http://192.0.2.1:8200/v1/secret/data/${path}` } } });
    const [elsewhere] = await outcomes(transport, spec(proxy.address, plain.rootToken));
    expect(elsewhere).toMatchObject({ kind: 'redirect-elsewhere', detail: 'HTTP 307 to another host', sent: 1 });
  });

  it('a server that never answers: a timeout after the time limit', async () => {
    proxy.reset();
    proxy.inject({ times: 1, hang: true });
    const [result] = await outcomes(transport, spec(proxy.address, plain.rootToken, { timeoutMs: 300 }));
    expect(result).toMatchObject({ kind: 'timeout', detail: 'no answer within 300 ms', sent: 1 });
  });

  it('a request its caller cancels: cancelled, in flight or before it is sent; the next one on the client is answered', async () => {
    proxy.reset();
    proxy.inject({ times: 1, hang: true });
    const result = await outcomes(
      transport,
      spec(proxy.address, plain.rootToken, {}, [
        { ...read, cancelAfterMs: 200 },
        { ...read, cancelAfterMs: 0 },
        { ...read, cancelAfterMs: 4000 },
      ]),
    );
    expect(result.map((o) => ('status' in o ? [o.status, secretOf(o)] : [o.kind, o.detail]))).toEqual([
      ['cancelled', 'request cancelled'],
      ['cancelled', 'request cancelled'],
      [200, value],
    ]);
  });

  it('a connection dropped without an answer: unreachable (retried by the caller)', async () => {
    proxy.reset();
    proxy.inject({ times: 1, dropConnection: true });
    const [result] = await outcomes(transport, spec(proxy.address, plain.rootToken));
    expect(result).toMatchObject({ kind: 'unreachable', detail: 'connection reset', sent: 1 });
  });

  it('a 503 with Retry-After: the failure carries the wait it asks for', async () => {
    proxy.reset();
    proxy.inject({ times: 1, respond: { status: 503, body: { errors: ['Vault is sealed'] }, headers: { 'Retry-After': '2' } } });
    const [result] = await outcomes(transport, spec(proxy.address, plain.rootToken));
    expect(result).toMatchObject({ kind: 'unavailable', retryAfterMs: 2000, sent: 1 });
  });

  it('an answer larger than 32 MiB is cut off and reported', async () => {
    proxy.reset();
    proxy.inject({ times: 1, respond: { status: 200, body: `{"data":"${'x'.repeat(33 * 1024 * 1024)}"}` } });
    const [result] = await outcomes(transport, spec(proxy.address, plain.rootToken));
    expect(result).toMatchObject({ kind: 'too-large', detail: 'the answer is larger than 32 MiB', sent: 1 });
  });

  it('an answer larger than 32 MiB sent without a length (chunked) is cut off and reported too', async () => {
    proxy.reset();
    proxy.inject({ times: 1, respond: { status: 200, body: `{"data":"${'x'.repeat(33 * 1024 * 1024)}"}`, chunked: true } });
    const [result] = await outcomes(transport, spec(proxy.address, plain.rootToken));
    expect(result).toMatchObject({ kind: 'too-large', detail: 'the answer is larger than 32 MiB', sent: 1 });
  });

  it('a token with a line break is refused before anything is sent, and never echoed', async () => {
    proxy.reset();
    const [result] = await outcomes(transport, spec(proxy.address, `${plain.rootToken}\n`));
    expect(result).toMatchObject({ kind: 'invalid-request', detail: 'invalid character in a request header (token or namespace)', sent: 0 });
    expect(JSON.stringify(result)).not.toContain(plain.rootToken);
    expect(proxy.requests()).toEqual([]);
  });
});
