// A real PostgreSQL server for the tests of dynamic secrets (OpenBao's database secrets engine), from
// Debian's postgresql package (scripts/setup.sh installs it): a scratch cluster made by initdb, on a
// port of its own on 127.0.0.1, with password (SCRAM) authentication, stopped and removed by stop().
// PostgreSQL refuses to run as root, so as root the cluster belongs to the package's `postgres` user.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, isListening } from './ports.ts';

export interface PostgresServer {
  port: number;
  /** The superuser OpenBao manages roles with. */
  user: string;
  password: string;
  /** psql, to connect as a program would. */
  psql: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/** The folder of the server's programs: $PG_BIN, else the newest /usr/lib/postgresql/<version>/bin. */
export function findPostgresBin(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'postgres'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions[0] === undefined) throw new Error('PostgreSQL is not installed (scripts/setup.sh installs Debian\'s postgresql package)');
  return path.join(root, versions[0], 'bin');
}

function findPsql(bin: string): string {
  for (const candidate of [path.join(bin, 'psql'), '/usr/bin/psql']) if (existsSync(candidate)) return candidate;
  throw new Error('psql not found (Debian package postgresql-client)');
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? ownerIds('postgres') : undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'vaultenv-pg-'));
  const data = path.join(dir, 'data');
  const user = 'vaultadmin';
  const password = randomBytes(12).toString('hex');
  const pwfile = path.join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner !== undefined) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  const as = (program: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args]);

  const [initFile, initArgs] = as(path.join(bin, 'initdb'), ['-D', data, '-U', user, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync']);
  const init = spawnSync(initFile, initArgs, { encoding: 'utf8', timeout: START_TIMEOUT_MS });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr}`);

  const port = await freePort();
  const [file, args] = as(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', dir, '-c', 'fsync=off']);
  const server: ChildProcess = spawn(file, args, { stdio: 'ignore', detached: true });
  server.unref();
  let exited = false;
  const gone = new Promise<void>((resolve) => server.once('exit', () => ((exited = true), resolve())));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await isListening(port))) {
    if (exited || Date.now() > deadline) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const psql = findPsql(bin);
  return {
    port,
    user,
    password,
    psql,
    async stop() {
      if (!exited && server.pid !== undefined) {
        // SIGINT: PostgreSQL's fast shutdown (runuser passes it on to its child).
        process.kill(server.pid, 'SIGINT');
        const timer = setTimeout(() => server.pid !== undefined && process.kill(-server.pid, 'SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether `user` with `password` may log in now (a dynamic role that was revoked or expired may not). */
export function canLogIn(pg: PostgresServer, user: string, password: string): boolean {
  const result = spawnSync(pg.psql, ['-h', '127.0.0.1', '-p', String(pg.port), '-U', user, '-d', 'postgres', '-tAc', 'select 1'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' },
    encoding: 'utf8',
    timeout: 10_000,
  });
  return result.status === 0 && result.stdout.trim() === '1';
}

function ownerIds(name: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error(`no user ${name}: PostgreSQL refuses to run as root (Debian's postgresql package creates that user)`);
  return { uid, gid };
}
