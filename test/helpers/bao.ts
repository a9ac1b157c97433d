// A real OpenBao (or Vault) dev server for the integration tests, plus a small HTTP client for the
// setup calls tests make as root (mounts, secrets, policies, tokens). Never a fake: the server is
// `bao server -dev` listening on 127.0.0.1.
//
// Process hygiene: the server runs under a tiny sh watchdog in its own process group. The watchdog
// holds a pipe from this process on fd 3; when this process dies for any reason (even SIGKILL) the
// pipe reaches EOF and the watchdog SIGKILLs the server. On a normal exit a process 'exit' hook
// SIGKILLs every group still running. stop() sends SIGTERM (forwarded to the server and awaited),
// then SIGKILLs the whole group after 2 s.
//
// Written with erasable TypeScript only, so plain `node` (type stripping) can import it too.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePortRun } from './ports.ts';

// ---------------------------------------------------------------------------------------------
// HTTP client

export interface BaoResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, `undefined` for an empty body, the raw text when it is not JSON. */
  body: unknown;
  text: string;
}

export interface BaoRequestOptions {
  /** Token to send instead of the API's own; `null` sends no token at all. */
  token?: string | null;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export class BaoApiError extends Error {
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly errors: readonly string[];
  constructor(method: string, path: string, response: BaoResponse) {
    const errors = errorsOf(response.body);
    super(`bao ${method} /v1/${path} → ${response.status}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`);
    this.name = 'BaoApiError';
    this.status = response.status;
    this.method = method;
    this.path = path;
    this.errors = errors;
  }
}

function errorsOf(body: unknown): string[] {
  if (typeof body === 'object' && body !== null && 'errors' in body && Array.isArray(body.errors)) {
    return body.errors.map((e) => String(e));
  }
  return [];
}

/** One HTTP(S) request with a fresh connection (no pooled sockets survive a server restart). */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; caFile?: string | undefined; timeoutMs?: number } = {},
): Promise<BaoResponse> {
  const target = new URL(url);
  const isHttps = target.protocol === 'https:';
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(options.body));
  }
  return new Promise((resolve, reject) => {
    const requestOptions: https.RequestOptions = {
      method: options.method ?? 'GET',
      host: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      headers,
      agent: false,
      timeout: options.timeoutMs ?? 10_000,
    };
    if (isHttps && options.caFile !== undefined) requestOptions.ca = readFileSync(options.caFile);
    const req = (isHttps ? https : http).request(requestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = undefined;
        if (text.length > 0) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Encodes each segment of a secret path, keeping the slashes. */
function encodePath(p: string): string {
  return p
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => encodeURIComponent(s))
    .join('/');
}

export type KvVersion = 1 | 2;

export interface CreateTokenOptions {
  policies: readonly string[];
  ttl?: string;
  period?: string;
  numUses?: number;
  noDefaultPolicy?: boolean;
  renewable?: boolean;
  explicitMaxTtl?: string;
  displayName?: string;
}

export interface BaoApi {
  readonly address: string;
  readonly token: string;
  /** Generic call; `path` is relative to /v1/ (e.g. `sys/health` or `secret/data/a?version=1`). Never throws on HTTP status. */
  request(method: string, path: string, body?: unknown, options?: BaoRequestOptions): Promise<BaoResponse>;
  /** The same API with another token. */
  withToken(token: string): BaoApi;
  enableKv(mount: string, version: KvVersion): Promise<void>;
  disableMount(mount: string): Promise<void>;
  /** Writes `data` at `path`; v2 → POST <mount>/data/<path> {data}, returns the new version (v1 → 0). */
  writeSecret(mount: string, version: KvVersion, path: string, data: Record<string, unknown>): Promise<number>;
  /** The secret's data, or `undefined` on 404 (missing, or v2 latest version deleted). */
  readSecret(mount: string, version: KvVersion, path: string): Promise<Record<string, unknown> | undefined>;
  /** v1 → DELETE <mount>/<path>; v2 → DELETE <mount>/metadata/<path> (all versions), or with `soft` DELETE <mount>/data/<path> (latest version marked deleted). */
  deleteSecret(mount: string, version: KvVersion, path: string, options?: { soft?: boolean }): Promise<void>;
  writePolicy(name: string, hcl: string): Promise<void>;
  /** auth/token/create; returns the client token. */
  createToken(options: CreateTokenOptions): Promise<string>;
  revokeToken(token: string): Promise<void>;
  enableAuth(path: string, type: string): Promise<void>;
}

export function createBaoApi(address: string, token: string, options: { caFile?: string | (() => string | undefined) } = {}): BaoApi {
  const base = address.replace(/\/+$/, '');
  const caFile = (): string | undefined => (typeof options.caFile === 'function' ? options.caFile() : options.caFile);

  const request = async (method: string, p: string, body?: unknown, opts: BaoRequestOptions = {}): Promise<BaoResponse> => {
    const headers: Record<string, string> = { ...opts.headers };
    const useToken = opts.token === undefined ? token : opts.token;
    if (useToken !== null) headers['x-vault-token'] = useToken;
    const init: Parameters<typeof httpRequest>[1] = { method, headers, caFile: caFile() };
    if (opts.timeoutMs !== undefined) init.timeoutMs = opts.timeoutMs;
    if (body !== undefined) init.body = JSON.stringify(body);
    return httpRequest(`${base}/v1/${p.replace(/^\/+/, '')}`, init);
  };

  const ok = async (method: string, p: string, body?: unknown): Promise<BaoResponse> => {
    const res = await request(method, p, body);
    if (res.status < 200 || res.status > 299) throw new BaoApiError(method, p, res);
    return res;
  };

  const dataPath = (mount: string, version: KvVersion, p: string): string =>
    version === 2 ? `${encodePath(mount)}/data/${encodePath(p)}` : `${encodePath(mount)}/${encodePath(p)}`;

  return {
    address: base,
    token,
    request,
    withToken: (other) => createBaoApi(address, other, options),

    async enableKv(mount, version) {
      const m = encodePath(mount);
      await ok('POST', `sys/mounts/${m}`, { type: 'kv', options: { version: String(version) } });
      if (version === 2) {
        // A fresh KV v2 mount needs a moment before it serves data/ routes; wait until its config answers.
        const deadline = Date.now() + 10_000;
        for (;;) {
          const res = await request('GET', `${m}/config`);
          if (res.status === 200) break;
          if (Date.now() > deadline) throw new BaoApiError('GET', `${m}/config`, res);
          await sleep(20);
        }
      }
    },

    async disableMount(mount) {
      await ok('DELETE', `sys/mounts/${encodePath(mount)}`);
    },

    async writeSecret(mount, version, p, data) {
      const res = await ok('POST', dataPath(mount, version, p), version === 2 ? { data } : data);
      if (version === 1) return 0;
      const body = res.body as { data?: { version?: unknown } } | undefined;
      return typeof body?.data?.version === 'number' ? body.data.version : 0;
    },

    async readSecret(mount, version, p) {
      const target = dataPath(mount, version, p);
      const res = await request('GET', target);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw new BaoApiError('GET', target, res);
      const body = res.body as { data?: Record<string, unknown> & { data?: Record<string, unknown> | null } };
      if (version === 2) return body.data?.data ?? undefined;
      return body.data;
    },

    async deleteSecret(mount, version, p, opts = {}) {
      if (version === 1) await ok('DELETE', dataPath(mount, 1, p));
      else if (opts.soft === true) await ok('DELETE', dataPath(mount, 2, p));
      else await ok('DELETE', `${encodePath(mount)}/metadata/${encodePath(p)}`);
    },

    async writePolicy(name, hcl) {
      await ok('PUT', `sys/policies/acl/${encodeURIComponent(name)}`, { policy: hcl });
    },

    async createToken(o) {
      const body: Record<string, unknown> = { policies: o.policies };
      if (o.ttl !== undefined) body.ttl = o.ttl;
      if (o.period !== undefined) body.period = o.period;
      if (o.numUses !== undefined) body.num_uses = o.numUses;
      if (o.noDefaultPolicy !== undefined) body.no_default_policy = o.noDefaultPolicy;
      if (o.renewable !== undefined) body.renewable = o.renewable;
      if (o.explicitMaxTtl !== undefined) body.explicit_max_ttl = o.explicitMaxTtl;
      if (o.displayName !== undefined) body.display_name = o.displayName;
      const res = await ok('POST', 'auth/token/create', body);
      const created = (res.body as { auth?: { client_token?: unknown } } | undefined)?.auth?.client_token;
      if (typeof created !== 'string') throw new Error('auth/token/create answered without auth.client_token');
      return created;
    },

    async revokeToken(t) {
      await ok('POST', 'auth/token/revoke', { token: t });
    },

    async enableAuth(p, type) {
      await ok('POST', `sys/auth/${encodePath(p)}`, { type });
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Server process

export interface StartBaoOptions {
  /** Remount `secret/` as KV version 1 (default: the dev server's KV v2). */
  kvV1Secret?: boolean;
  /** Listen on this port (e.g. to come back on the port of a stopped server); default a free one. The cluster listener takes port + 1. */
  port?: number;
  /** `-dev-tls`: serve HTTPS with a generated CA (see `caCert`). */
  tls?: boolean;
  /** Root token id; default random. */
  rootToken?: string;
}

export interface BaoServer {
  /** `http://127.0.0.1:<port>` (or https with tls). Stable across stop()/start(). */
  readonly address: string;
  readonly rootToken: string;
  readonly port: number;
  /** Path of the CA certificate (PEM) when started with tls; regenerated by every start. */
  readonly caCert: string | undefined;
  readonly kvV1Secret: boolean;
  /** The server's output (stdout and stderr), for debugging; removed by stop() unless VAULTENV_KEEP_BAO_LOGS=1. */
  readonly logFile: string;
  /** pid of the bao process itself (not the watchdog), or undefined while stopped. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Root-token API client. */
  readonly api: BaoApi;
  /** Kills the server (SIGTERM, SIGKILL after 2 s) and waits until it is gone. Idempotent. */
  stop(): Promise<void>;
  /** After stop(): a fresh dev server on the same port with the same root token (dev data is lost; re-seed). */
  start(): Promise<void>;
  /** stop() then start(). */
  restart(): Promise<void>;
}

/** The server binary: $BAO_BIN, else `bao` on PATH, else `vault` on PATH. */
export function findBaoBinary(): string {
  const fromEnv = process.env.BAO_BIN;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  for (const name of ['bao', 'vault']) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // keep looking
      }
    }
  }
  throw new Error('neither `bao` nor `vault` found on PATH (run tests through scripts/with-tools.sh)');
}

// Runs "$@" (the server) in the background and forwards SIGTERM to it; fd 3 is a pipe from the
// Node process, and when it reaches EOF (Node died) the server is SIGKILLed. $1 is a pid file.
/** The watchdog script: `sh -c WATCHDOG name PIDFILE BINARY ARGS...`, with a pipe from this process on fd 3 (see the header). */
export const WATCHDOG = `
pidfile="$1"; shift
"$@" </dev/null 3<&- &
child=$!
echo "$child" > "$pidfile"
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
( while read -r _ <&3; do :; done; kill -KILL "$child" 2>/dev/null ) &
watcher=$!
exec 3<&-
wait "$child"; rc=$?
while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done
kill "$watcher" 2>/dev/null
exit $rc
`;

const liveGroups = new Set<number>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const g of liveGroups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const d of tempDirs) removeTempDir(d);
  });
}
/** Logs and generated TLS files go when the server stops, unless VAULTENV_KEEP_BAO_LOGS=1 keeps them for debugging. */
function removeTempDir(dir: string): void {
  if (process.env.VAULTENV_KEEP_BAO_LOGS === '1') return;
  rmSync(dir, { recursive: true, force: true });
}
/** Kills the process group `pgid` when this process exits (see the header). */
export function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  installExitHook();
}
function trackTempDir(dir: string): void {
  tempDirs.add(dir);
  installExitHook();
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  hasExited: () => boolean;
  serverPid: number | undefined;
}

const STOP_GRACE_MS = 2_000;
const START_TIMEOUT_MS = 30_000;

export async function startBao(options: StartBaoOptions = {}): Promise<BaoServer> {
  const binary = findBaoBinary();
  const rootToken = options.rootToken ?? `root-${randomBytes(12).toString('hex')}`;
  const tls = options.tls === true;
  const kvV1Secret = options.kvV1Secret === true;
  const dir = mkdtempSync(path.join(tmpdir(), 'vaultenv-bao-'));
  trackTempDir(dir);
  const logFile = path.join(dir, 'server.log');
  const certDir = path.join(dir, 'tls');
  const pidFile = path.join(dir, 'server.pid');
  let caCert: string | undefined;
  let port = options.port ?? 0;
  let current: Running | undefined;

  const scheme = tls ? 'https' : 'http';

  const launch = (listenPort: number): Running => {
    mkdirSync(dir, { recursive: true });
    rmSync(pidFile, { force: true });
    const args = [
      'server',
      '-dev',
      `-dev-root-token-id=${rootToken}`,
      `-dev-listen-address=127.0.0.1:${listenPort}`,
      '-dev-no-store-token',
    ];
    if (tls) {
      // Every start generates a new CA; drop the old files so the health check waits for the new ones.
      rmSync(certDir, { recursive: true, force: true });
      mkdirSync(certDir);
      args.push('-dev-tls', `-dev-tls-cert-dir=${certDir}`);
    }
    const logFd = openSync(logFile, 'a');
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', WATCHDOG, 'bao-watchdog', pidFile, binary, ...args], {
        detached: true,
        env,
        stdio: ['ignore', logFd, logFd, 'pipe'],
      });
    } finally {
      closeSync(logFd);
    }
    let done = false;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        done = true;
        if (child.pid !== undefined) liveGroups.delete(child.pid);
        resolve();
      });
      child.once('error', () => {
        done = true;
        resolve();
      });
    });
    if (child.pid !== undefined) trackGroup(child.pid);
    // Neither the process nor its watchdog pipe keeps the event loop alive.
    child.unref();
    const pipe = child.stdio[3] as unknown as { unref?: () => void } | null;
    pipe?.unref?.();
    return { child, exited, hasExited: () => done, serverPid: undefined };
  };

  const logTail = (): string => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n');
    } catch {
      return '(no log)';
    }
  };

  const waitHealthy = async (run: Running, listenPort: number): Promise<'ok' | 'exited'> => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    const url = `${scheme}://127.0.0.1:${listenPort}/v1/sys/health`;
    for (;;) {
      if (run.hasExited()) return 'exited';
      const ca = tls ? findCa(certDir) : undefined;
      if (!tls || ca !== undefined) {
        try {
          const res = await httpRequest(url, { caFile: ca, timeoutMs: 2_000 });
          if (res.status === 200) {
            caCert = ca;
            return 'ok';
          }
        } catch {
          // not listening yet
        }
      }
      if (Date.now() > deadline) {
        await killRun(run);
        throw new Error(`bao dev server on port ${listenPort} not healthy after ${START_TIMEOUT_MS} ms\n${logTail()}`);
      }
      await sleep(15);
    }
  };

  const readServerPid = (): number | undefined => {
    try {
      const n = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
      return Number.isFinite(n) ? n : undefined;
    } catch {
      return undefined;
    }
  };

  let apiRef = createBaoApi(`${scheme}://127.0.0.1:${port}`, rootToken, { caFile: () => caCert });

  const bringUp = async (): Promise<void> => {
    const fixedPort = port !== 0;
    for (let attempt = 1; ; attempt++) {
      const listenPort = fixedPort ? port : await freePortRun(1);
      const run = launch(listenPort);
      const outcome = await waitHealthy(run, listenPort);
      if (outcome === 'ok') {
        port = listenPort;
        run.serverPid = readServerPid();
        current = run;
        apiRef = createBaoApi(`${scheme}://127.0.0.1:${port}`, rootToken, { caFile: () => caCert });
        if (kvV1Secret) {
          await apiRef.disableMount('secret');
          await apiRef.enableKv('secret', 1);
        }
        return;
      }
      const log = logTail();
      const portClash = /address already in use/i.test(log);
      if (portClash && attempt < (fixedPort ? 20 : 8)) {
        // Someone took the port (or port + 1, the cluster listener) between our check and bao's bind.
        await sleep(fixedPort ? 250 : 10);
        continue;
      }
      throw new Error(`bao dev server exited during startup (port ${listenPort})\n${log}`);
    }
  };

  const killRun = async (run: Running): Promise<void> => {
    if (run.hasExited()) return;
    run.child.ref();
    const pid = run.child.pid;
    try {
      if (pid !== undefined) process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([run.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
    clearTimeout(timer);
    if (!run.hasExited() && pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await run.exited;
    }
    // The watchdog waits for the server, but make sure nothing of the group survives.
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // expected: group empty
      }
    }
  };

  await bringUp();

  const server: BaoServer = {
    get address() {
      return `${scheme}://127.0.0.1:${port}`;
    },
    rootToken,
    get port() {
      return port;
    },
    get caCert() {
      return caCert;
    },
    kvV1Secret,
    logFile,
    get pid() {
      return current?.hasExited() === false ? current.serverPid : undefined;
    },
    get running() {
      return current !== undefined && !current.hasExited();
    },
    get api() {
      return apiRef;
    },
    async stop() {
      const run = current;
      if (run === undefined) return;
      await killRun(run);
      current = undefined;
      removeTempDir(dir);
    },
    async start() {
      if (current !== undefined && !current.hasExited()) throw new Error('bao server is already running');
      current = undefined;
      await bringUp();
    },
    async restart() {
      await server.stop();
      await server.start();
    },
  };
  return server;
}

function findCa(certDir: string): string | undefined {
  for (const name of ['vault-ca.pem', 'bao-ca.pem', 'openbao-ca.pem']) {
    const candidate = path.join(certDir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Starts a server on a given port (e.g. the port of a stopped one). */
export function startBaoOnPort(port: number, options: Omit<StartBaoOptions, 'port'> = {}): Promise<BaoServer> {
  return startBao({ ...options, port });
}
