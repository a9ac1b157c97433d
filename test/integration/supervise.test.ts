// --supervise, the built CLI against real OpenBao dev servers (`secret/` as KV v1 on one, KV v2 on the
// other) whose database secrets engine issues PostgreSQL roles on a real PostgreSQL server, with a TTL
// of 4 s and a maximum TTL of 20 s. vaultenv logs in with AppRole (a token of 12 s, renewed by the
// renewer's rule). The program is a shell loop that logs in to PostgreSQL with its credentials every
// 300 ms and writes what it sees to a log file; the test reads that file.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBao, type BaoApi, type BaoServer } from '../helpers/bao.ts';
import { canLogIn, startPostgres, type PostgresServer } from '../helpers/postgres.ts';
import { baseEnv, cliCommand, expectNoLeak } from '../helpers/run-cli.ts';
import { scratchDir } from '../helpers/scratch.ts';
import { uniqueName } from '../helpers/servers.ts';

const TTL_S = 4;
const MAX_TTL_S = 20;
const WATCH_S = 1;
const scratch = scratchDir('vaultenv-supervise');
let pg: PostgresServer;
const servers = new Map<1 | 2, { bao: BaoServer; roleId: string; secretIdFile: string }>();
const seen: string[] = [];

const PROGRAM = scratch.write(
  'program.sh',
  `#!/bin/sh
# Logs its start (pid, the KV value, the database credentials), each SIGHUP and SIGTERM, and every 300 ms
# whether PostgreSQL accepts its credentials.
echo "start $$ $APP_KEY $DB_USER $DB_PASS \${VAULT_TOKEN:-}" >> "$LOG"
trap 'echo "hup $$" >> "$LOG"' HUP
trap 'echo "term $$" >> "$LOG"; exit 0' TERM
while :; do
  if PGPASSWORD="$DB_PASS" PGCONNECT_TIMEOUT=2 "$PSQL" -h 127.0.0.1 -p "$PGPORT" -U "$DB_USER" -d postgres -tAc 'select 1' >/dev/null 2>&1
  then echo "ok $$ $DB_USER" >> "$LOG"; else echo "fail $$ $DB_USER" >> "$LOG"; fi
  sleep 0.3 & wait $!
done
`,
  0o755,
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function setUpServer(version: 1 | 2): Promise<void> {
  const bao = await startBao({ kvV1Secret: version === 1 });
  const { api } = bao;
  await api.request('POST', 'sys/mounts/database', { type: 'database' }).then(expectOk);
  await api
    .request('POST', 'database/config/pg', {
      plugin_name: 'postgresql-database-plugin',
      connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${pg.port}/postgres?sslmode=disable`,
      username: pg.user,
      password: pg.password,
      allowed_roles: '*',
    })
    .then(expectOk);
  const creation = [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`];
  await api.request('POST', 'database/roles/app', { db_name: 'pg', creation_statements: creation, default_ttl: `${TTL_S}s`, max_ttl: `${MAX_TTL_S}s` }).then(expectOk);
  // Credentials that outlive every test but the first: only the test's own trigger restarts the program.
  await api.request('POST', 'database/roles/steady', { db_name: 'pg', creation_statements: creation, default_ttl: '120s', max_ttl: '600s' }).then(expectOk);
  await api.writePolicy(
    'supervised',
    'path "secret/*" { capabilities = ["read"] }\npath "database/creds/*" { capabilities = ["read"] }\npath "sys/leases/revoke" { capabilities = ["update"] }\n',
  );
  await api.enableAuth('approle', 'approle');
  await api.request('POST', 'auth/approle/role/sup', { token_policies: ['supervised'], token_ttl: '12s', token_max_ttl: '10m' }).then(expectOk);
  const roleId = ((await api.request('GET', 'auth/approle/role/sup/role-id')).body as { data: { role_id: string } }).data.role_id;
  const secretId = ((await api.request('POST', 'auth/approle/role/sup/secret-id', {})).body as { data: { secret_id: string } }).data.secret_id;
  seen.push(secretId, bao.rootToken, pg.password);
  servers.set(version, { bao, roleId, secretIdFile: scratch.write(`secret-id-${version}`, secretId, 0o600) });
}

function expectOk(response: { status: number; text: string }): void {
  if (response.status < 200 || response.status > 299) throw new Error(`setup request answered ${response.status}: ${response.text}`);
}

beforeAll(async () => {
  pg = await startPostgres();
  await Promise.all([setUpServer(1), setUpServer(2)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([...servers.values()].map(({ bao }) => bao.stop()));
  await pg?.stop();
});

interface Line {
  kind: string;
  pid: string;
  rest: string[];
  at: number;
}

/** One supervised run: vaultenv with the program, its output, and the program's log. */
class Supervised {
  readonly child: ChildProcess;
  readonly log: string;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly lines: Line[] = [];
  private read = 0;

  constructor(version: 1 | 2, options: { role: string; kvPath: string; args?: string[] }) {
    const server = servers.get(version)!;
    this.log = scratch.write(`${uniqueName('log')}.txt`, '');
    const secrets = scratch.write(
      `${uniqueName('s')}.secrets`,
      `VERSION 2\n\nMOUNT secret\nAPP_KEY=${options.kvPath}#key\n\nMOUNT database\nDB_USER=creds/${options.role}#username\nDB_PASS=creds/${options.role}#password\n`,
    );
    const args = [
      '--supervise',
      '--watch-interval', String(WATCH_S),
      '--stop-timeout', '3',
      '--log-level', 'info',
      '--approle-role-id', server.roleId,
      '--approle-secret-id-file', server.secretIdFile,
      '--secrets-file', secrets,
      ...(options.args ?? []),
      '--', PROGRAM,
    ];
    const env = baseEnv({ VAULT_ADDR: server.bao.address, LOG: this.log, PGPORT: String(pg.port), PSQL: pg.psql });
    this.child = spawn(...cliCommand(args), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  /** The program's log lines so far, each with the time the test first saw it. */
  all(): Line[] {
    const text = readFileSync(this.log, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    const now = performance.now();
    for (const line of complete.slice(this.read).split('\n').filter((l) => l !== '')) {
      const [kind = '', pid = '', ...rest] = line.split(' ');
      this.lines.push({ kind, pid, rest, at: now });
    }
    this.read = complete.length;
    return this.lines;
  }

  starts(): Line[] {
    return this.all().filter((line) => line.kind === 'start');
  }

  async waitFor(what: string, predicate: (lines: Line[]) => boolean, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate(this.all())) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; vaultenv said:\n${this.output}`);
      await sleep(50);
    }
  }

  /** SIGTERM to vaultenv, and its exit. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** The lease IDs the server holds under database/creds/<role>/. */
async function leases(api: BaoApi, role: string): Promise<string[]> {
  const answer = await api.request('GET', `sys/leases/lookup/database/creds/${role}/?list=true`);
  if (answer.status === 404) return [];
  const keys = (answer.body as { data?: { keys?: string[] } }).data?.keys ?? [];
  return keys.map((key) => `database/creds/${role}/${key}`);
}

async function leaseExists(api: BaoApi, id: string): Promise<boolean> {
  return (await api.request('PUT', 'sys/leases/lookup', { lease_id: id })).status === 200;
}

async function seedKv(version: 1 | 2, value: string): Promise<string> {
  const kvPath = uniqueName('app');
  await servers.get(version)!.bao.api.writeSecret('secret', version, kvPath, { key: value });
  seen.push(value);
  return kvPath;
}

describe.each([1, 2] as const)('--supervise on a KV v%i secret/ and a database lease', (version) => {
  const api = () => servers.get(version)!.bao.api;

  it(`keeps dynamic credentials working past their ${TTL_S} s TTL, restarts the program at the ${MAX_TTL_S} s maximum TTL with new ones, and revokes the old`, async () => {
    const kvPath = await seedKv(version, `kv-value-${uniqueName()}`);
    const run = new Supervised(version, { role: 'app', kvPath });
    await run.waitFor('the program to start', (lines) => lines.some((l) => l.kind === 'start'), 15_000);
    const [first] = run.starts();
    const [, firstUser = '', firstPass = ''] = first!.rest;
    seen.push(firstPass);

    // Three TTLs later the first credentials still work: their lease was renewed, and nothing restarted.
    await sleep(3 * TTL_S * 1000);
    const recent = run.all().filter((l) => l.pid === first!.pid && l.at > first!.at + 2 * TTL_S * 1000);
    expect(recent.filter((l) => l.kind === 'ok').length).toBeGreaterThanOrEqual(5);
    expect(recent.filter((l) => l.kind === 'fail')).toEqual([]);
    expect(run.starts()).toHaveLength(1);
    expect(run.output).toMatch(/renewed lease database\/creds\/app\/\w{4}… of \/v1\/database\/creds\/app \(DB_USER, DB_PASS\): ttl \ds -> 4s/);

    // Near the maximum TTL: a new program with new credentials that work; the old ones are revoked.
    await run.waitFor('the restart', (lines) => lines.filter((l) => l.kind === 'start').length === 2, MAX_TTL_S * 1000);
    const second = run.starts()[1]!;
    const [, secondUser = '', secondPass = ''] = second.rest;
    seen.push(secondPass);
    const lived = second.at - first!.at;
    expect(lived).toBeGreaterThan((MAX_TTL_S - 2 * TTL_S) * 1000);
    expect(lived).toBeLessThan(MAX_TTL_S * 1000);
    expect(second.pid).not.toBe(first!.pid);
    expect(secondUser).not.toBe(firstUser);
    expect(run.all().some((l) => l.kind === 'term' && l.pid === first!.pid)).toBe(true);
    await run.waitFor('the new credentials to work', (lines) => lines.some((l) => l.kind === 'ok' && l.pid === second.pid), 5_000);
    expect(canLogIn(pg, firstUser, firstPass)).toBe(false);
    expect(canLogIn(pg, secondUser, secondPass)).toBe(true);
    expect(run.output).toMatch(/change: lease database\/creds\/app\/\w{4}… of \/v1\/database\/creds\/app \(DB_USER, DB_PASS\) reaches its maximum TTL in \ds; on-change restart/);
    expect(run.output).toMatch(/restarted the program: pid \d+ -> \d+/);
    expect(run.output).toMatch(/renewed token \(the token of the approle login, accessor \S+…\): ttl \d+s -> 12s/);

    expect(await run.stop()).toEqual({ code: 0, signal: null });
    expectNoLeak({ stdout: run.output, stderr: '' }, seen);
  }, 60_000);

  it('restarts the program with a KV value written while it runs, within one interval', async () => {
    const kvPath = await seedKv(version, `kv-before-${uniqueName()}`);
    const before = new Set(await leases(api(), 'steady'));
    const run = new Supervised(version, { role: 'steady', kvPath });
    await run.waitFor('the program to start', (lines) => lines.some((l) => l.kind === 'start'), 15_000);
    const mine = (await leases(api(), 'steady')).filter((id) => !before.has(id));
    expect(mine).toHaveLength(1);
    const after = `kv-after-${uniqueName()}`;
    seen.push(after);
    const written = performance.now();
    await api().writeSecret('secret', version, kvPath, { key: after });
    await run.waitFor('the restart', (lines) => lines.some((l) => l.kind === 'start' && l.rest[0] === after), 10_000);
    const second = run.starts()[1]!;
    // One interval, and the time a restart takes: a fetch, the old program's end, the new one's start.
    expect(second.at - written).toBeLessThan(WATCH_S * 1000 + 1500);
    expect(run.starts()).toHaveLength(2);
    expect(run.output).toContain(version === 2 ? `/v1/secret/data/${kvPath} (APP_KEY): version 1 -> 2; on-change restart` : `/v1/secret/${kvPath} (APP_KEY): its value changed; on-change restart`);
    // The first program's lease is revoked.
    expect(await leaseExists(api(), mine[0]!)).toBe(false);
    expect(await run.stop()).toEqual({ code: 0, signal: null });
    expectNoLeak({ stdout: run.output, stderr: '' }, seen);
  }, 30_000);

  it('--on-change exit stops the program and exits with 75 when a KV value changes, revoking its lease', async () => {
    const kvPath = await seedKv(version, `kv-before-${uniqueName()}`);
    const before = new Set(await leases(api(), 'steady'));
    const run = new Supervised(version, { role: 'steady', kvPath, args: ['--on-change', 'exit'] });
    await run.waitFor('the program to start', (lines) => lines.some((l) => l.kind === 'start'), 15_000);
    const mine = (await leases(api(), 'steady')).filter((id) => !before.has(id));
    expect(mine).toHaveLength(1);
    await api().writeSecret('secret', version, kvPath, { key: `kv-after-${uniqueName()}` });
    expect(await run.exited).toEqual({ code: 75, signal: null });
    const [first] = run.starts();
    expect(run.all().filter((l) => l.kind === 'term').map((l) => l.pid)).toEqual([first!.pid]);
    expect(run.starts()).toHaveLength(1);
    expect(await leaseExists(api(), mine[0]!)).toBe(false);
    expect(run.output).toMatch(/on-change exit/);
    expectNoLeak({ stdout: run.output, stderr: '' }, seen);
  }, 30_000);

  it('--on-change signal:HUP sends the program SIGHUP and keeps it running', async () => {
    const kvPath = await seedKv(version, `kv-before-${uniqueName()}`);
    const run = new Supervised(version, { role: 'steady', kvPath, args: ['--on-change', 'signal:HUP'] });
    await run.waitFor('the program to start', (lines) => lines.some((l) => l.kind === 'start'), 15_000);
    await api().writeSecret('secret', version, kvPath, { key: `kv-after-${uniqueName()}` });
    await run.waitFor('the SIGHUP', (lines) => lines.some((l) => l.kind === 'hup'), 5_000);
    // One more interval: the change is signalled once, and the program is the one that started.
    await sleep(WATCH_S * 1500);
    const [first] = run.starts();
    expect(run.all().filter((l) => l.kind === 'hup').map((l) => l.pid)).toEqual([first!.pid]);
    expect(run.starts()).toHaveLength(1);
    expect(run.output).toMatch(/on-change signal SIGHUP/);
    expect(await run.stop()).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('keeps the program running through a Vault outage longer than an interval, and restarts nothing', async () => {
    const kvPath = await seedKv(version, `kv-${uniqueName()}`);
    const { bao } = servers.get(version)!;
    const run = new Supervised(version, { role: 'steady', kvPath });
    await run.waitFor('the program to start', (lines) => lines.some((l) => l.kind === 'start'), 15_000);
    const pid = bao.pid!;
    // The server stops answering (SIGSTOP keeps its in-memory data, unlike a dev server's restart).
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(WATCH_S * 2500);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await sleep(WATCH_S * 2000);
    const [first] = run.starts();
    expect(run.starts()).toHaveLength(1);
    expect(run.child.exitCode).toBe(null);
    expect(run.all().filter((l) => l.pid === first!.pid && l.kind === 'ok' && l.at > performance.now() - 1000).length).toBeGreaterThanOrEqual(1);
    expect(run.output).toContain(`checking /v1/secret/${version === 2 ? 'data/' : ''}${kvPath} failed: no answer within 1000 ms`);
    expect(run.output).not.toMatch(/change:|restarted/);
    expect(await run.stop()).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('on SIGTERM stops the program, revokes its leases and the token of its login, and ends with its status', async () => {
    const kvPath = await seedKv(version, `kv-${uniqueName()}`);
    const before = new Set(await leases(api(), 'steady'));
    const run = new Supervised(version, { role: 'steady', kvPath, args: ['--export-token'] });
    await run.waitFor('the program to log in to PostgreSQL', (lines) => lines.some((l) => l.kind === 'ok'), 15_000);
    const mine = (await leases(api(), 'steady')).filter((id) => !before.has(id));
    expect(mine).toHaveLength(1);
    expect(await leaseExists(api(), mine[0]!)).toBe(true);
    const [first] = run.starts();
    const [, user = '', pass = '', token = ''] = first!.rest;
    seen.push(pass, token);
    expect((await api().request('POST', 'auth/token/lookup', { token })).status).toBe(200);

    expect(await run.stop()).toEqual({ code: 0, signal: null });
    expect(run.all().filter((l) => l.kind === 'term').map((l) => l.pid)).toEqual([first!.pid]);
    expect(await leaseExists(api(), mine[0]!)).toBe(false);
    expect(canLogIn(pg, user, pass)).toBe(false);
    expect((await api().request('POST', 'auth/token/lookup', { token })).status).toBe(403);
    expect(run.output).toMatch(/revoked lease database\/creds\/steady\/\w{4}… of \/v1\/database\/creds\/steady/);
    expect(run.output).toContain('revoked the token of the login');
    expectNoLeak({ stdout: run.output, stderr: '' }, seen);
  }, 30_000);

  it('--no-revoke leaves the lease and the token of its login to their TTL', async () => {
    const kvPath = await seedKv(version, `kv-${uniqueName()}`);
    const before = new Set(await leases(api(), 'steady'));
    const run = new Supervised(version, { role: 'steady', kvPath, args: ['--export-token', '--no-revoke'] });
    await run.waitFor('the program to log in to PostgreSQL', (lines) => lines.some((l) => l.kind === 'ok'), 15_000);
    const mine = (await leases(api(), 'steady')).filter((id) => !before.has(id));
    expect(mine).toHaveLength(1);
    const [, user = '', pass = '', token = ''] = run.starts()[0]!.rest;
    seen.push(pass, token);
    expect(await run.stop()).toEqual({ code: 0, signal: null });
    expect(await leaseExists(api(), mine[0]!)).toBe(true);
    expect(canLogIn(pg, user, pass)).toBe(true);
    expect((await api().request('POST', 'auth/token/lookup', { token })).status).toBe(200);
    expect(run.output).not.toMatch(/revoked/);
    await api().request('PUT', 'sys/leases/revoke', { lease_id: mine[0] });
    expectNoLeak({ stdout: run.output, stderr: '' }, seen);
  }, 30_000);
});
