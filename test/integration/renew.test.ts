// The token renewer against a real OpenBao dev server of its own (so it can be stopped and
// restarted): `vaultenv renew`'s wiring runs as a separate Node process (test/fixtures/renew/run-renewer.ts:
// a RenewConfig handed to runRenewCommand, so prepareConnection, prepareAuth re-reading the token
// file, the real VaultHttp, the real clock and the Redactor; SIGTERM → abort) and is watched from
// outside through its output, its exit and what the server says about its tokens. Periods are 8 s
// and renewals leave seconds of slack: CI runs on a loaded 2-core machine.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBao } from '../helpers/bao.ts';
import type { BaoServer } from '../helpers/bao.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/renew/run-renewer.ts', import.meta.url));
const PERIOD_S = 8;
const PERIOD = `${PERIOD_S}s`;
const INTERVAL_MS = 1000;
/** With this fraction a fresh token is due once its TTL is down to 7 s: a second after it is created, with 7 s to spare. */
const EARLY = '0.95';

/** Every token the tests create: none may appear in any output. */
const tokens: string[] = [];
/** Every line any renewer wrote. */
const outputs: string[] = [];

let server: BaoServer;
let dir: string;

beforeAll(async () => {
  server = await startBao();
  dir = mkdtempSync(path.join(tmpdir(), 'vaultenv-renew-'));
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function periodicToken(options: { id?: string } = {}): Promise<string> {
  const body: Record<string, unknown> = { policies: ['default'], period: PERIOD };
  if (options.id !== undefined) body.id = options.id;
  const res = await server.api.request('POST', 'auth/token/create', body);
  const token = (res.body as { auth?: { client_token?: string } } | undefined)?.auth?.client_token;
  if (res.status !== 200 || token === undefined) throw new Error(`auth/token/create answered ${res.status}: ${res.text}`);
  tokens.push(token);
  return token;
}

/** The server's view of a token, looked up with the root token; undefined once it is expired or revoked. */
async function lookup(token: string): Promise<{ ttl: number; accessor: string; last_renewal_time?: number } | undefined> {
  const res = await server.api.request('POST', 'auth/token/lookup', { token });
  if (res.status !== 200) return undefined;
  return (res.body as { data: { ttl: number; accessor: string; last_renewal_time?: number } }).data;
}

let fileCount = 0;
/** Writes a token file atomically (write aside, rename), as kubernetes-vault and Vault Agent do. */
function writeTokenFile(file: string, token: string): void {
  const aside = `${file}.${++fileCount}.tmp`;
  writeFileSync(aside, `${token}\n`, { mode: 0o600 });
  renameSync(aside, file);
}

interface Renewer {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves when the output matches `pattern` (from `from` on), rejects after `timeoutMs` or if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<void>;
  /** SIGTERM; resolves with the milliseconds from the kill to the exit, and the exit code. */
  terminate(): Promise<{ ms: number; code: number | null }>;
}

function startRenewer(tokenFile: string, env: Record<string, string> = {}): Renewer {
  const child = spawn(process.execPath, [FIXTURE], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      VAULT_ADDR: server.address,
      RENEW_TOKEN_FILE: tokenFile,
      RENEW_INTERVAL_MS: String(INTERVAL_MS),
      RENEW_FRACTION: '0.5',
      RENEW_RETRY_BASE_MS: '100',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (d: string) => {
    text += d;
    for (const l of listeners) l();
  };
  child.stdout?.setEncoding('utf8').on('data', onData);
  child.stderr?.setEncoding('utf8').on('data', onData);
  const killer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('exit', (code, signal) => {
      const at = performance.now();
      clearTimeout(killer);
      // Collect what is still in the pipes before reporting.
      child.on('close', () => {
        done = true;
        outputs.push(text);
        for (const l of listeners) l();
        resolve({ code, signal, at });
      });
    });
  });
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = 10_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text.slice(from))) {
            finish();
            resolve();
          } else if (done) {
            finish();
            reject(new Error(`renewer exited before printing ${String(pattern)}:\n${text}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async terminate() {
      const t0 = performance.now();
      child.kill('SIGTERM');
      const { code, at } = await exited;
      return { ms: at - t0, code };
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
const prefix = (accessor: string) => `accessor ${accessor.slice(0, 8)}…`;

describe('vaultenv renew against a real OpenBao', () => {
  it(`keeps a periodic token (period ${PERIOD}) alive well past its period, while an unrenewed sibling expires`, async () => {
    const kept = await periodicToken();
    const sibling = await periodicToken();
    const keptAccessor = (await lookup(kept))!.accessor;
    const file = path.join(dir, 'keep-alive');
    writeTokenFile(file, kept);
    const renewer = startRenewer(file);
    const started = performance.now();
    await renewer.waitFor(/ttl \d+s of 8s, renewing at 4s or less; checking every 1s/);
    // More than 1.5 periods: the sibling expired 4 s ago, the kept token was renewed twice.
    await sleep(12_500 - (performance.now() - started));

    expect((await lookup(kept))?.accessor).toBe(keptAccessor);
    expect(await lookup(sibling)).toBeUndefined();
    const out = renewer.output();
    // About one renewal per 4 s (ttl 8 s, renewed once it is down to 4 s), at about 4 s and 8 s.
    expect(count(out, /renewed token \(token file [^)]*, accessor [^)]*…\): ttl [0-4]s -> 8s/)).toBeGreaterThanOrEqual(2);
    expect(out).not.toMatch(/warning|MaxListeners/);

    const { ms, code } = await renewer.terminate();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(1000);
  }, 30_000);

  it('exits 0 within a second of SIGTERM, even in a long sleep', async () => {
    const token = await periodicToken();
    const file = path.join(dir, 'sigterm');
    writeTokenFile(file, token);
    const renewer = startRenewer(file, { RENEW_INTERVAL_MS: '30000' });
    await renewer.waitFor(/checking every 30s/);
    await sleep(300); // well into the 30 s sleep
    const { ms, code } = await renewer.terminate();
    console.log(`renewer: SIGTERM to exit in ${ms.toFixed(0)} ms`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(1000);
  });

  it('exits 4 with a clear message when its token is revoked', async () => {
    const token = await periodicToken();
    const file = path.join(dir, 'revoked');
    writeTokenFile(file, token);
    const renewer = startRenewer(file);
    await renewer.waitFor(/checking every/);
    const revokedAt = performance.now();
    await server.api.revokeToken(token);
    const { code, at } = await renewer.exited;
    expect(code).toBe(4);
    expect(at - revokedAt).toBeLessThan(INTERVAL_MS + 3000);
    expect(renewer.output()).toMatch(/^vaultenv: the token is expired or revoked \(token file [^)]*\)\. .*restart the pod/m);
  });

  it('picks up a replaced token file: the new token is renewed, the old one left to expire', async () => {
    const first = await periodicToken();
    const second = await periodicToken();
    const [a, b] = [await lookup(first), await lookup(second)];
    const file = path.join(dir, 'replaced');
    writeTokenFile(file, first);
    // Renewed from 7 s on: the first token is renewed within a second or two.
    const renewer = startRenewer(file, { RENEW_FRACTION: EARLY });
    await renewer.waitFor(new RegExp(`renewed token \\([^)]*${prefix(a!.accessor)}\\)`), 10_000);

    const mark = renewer.output().length;
    writeTokenFile(file, second);
    const switched = performance.now();
    await renewer.waitFor(new RegExp(`the token changed \\([^)]*${prefix(b!.accessor)}\\)`), 6000, mark);
    await renewer.waitFor(new RegExp(`renewed token \\([^)]*${prefix(b!.accessor)}\\)`), 10_000, mark);
    // The first token, renewed last before the switch, expires at most a period after it.
    while ((await lookup(first)) !== undefined) {
      expect(performance.now() - switched, 'the old token is still alive more than a period after the switch').toBeLessThan(PERIOD_S * 1000 + 6000);
      await sleep(250);
    }
    expect((await lookup(second))?.accessor).toBe(b!.accessor);
    // A check of the first token may still have been under way when the file changed: only what comes
    // after the switch was noticed must be free of it.
    const noticed = renewer.output().indexOf('the token changed', mark);
    const changed = `the token changed (token file ${file}, ${prefix(b!.accessor)})`;
    expect(renewer.output().slice(noticed, noticed + changed.length)).toBe(changed);
    expect(renewer.output().slice(noticed)).not.toContain(prefix(a!.accessor));
    expect((await renewer.terminate()).code).toBe(0);
  }, 40_000);

  it('keeps renewing the token read before while the token file cannot be read', async () => {
    const token = await periodicToken();
    const file = path.join(dir, 'removed');
    writeTokenFile(file, token);
    const renewer = startRenewer(file, { RENEW_FRACTION: EARLY });
    await renewer.waitFor(/renewed token/, 10_000);
    unlinkSync(file);
    const mark = renewer.output().length;
    await renewer.waitFor(/^vaultenv: warning: could not read the token: token file not found; renewing the one read before$/m, 6000, mark);
    await renewer.waitFor(/renewed token/, 10_000, mark);
    expect(renewer.child.exitCode).toBeNull();
    expect((await renewer.terminate()).code).toBe(0);
  }, 30_000);

  it('--once renews a token that is due, once, and exits 0', async () => {
    const token = await periodicToken();
    const file = path.join(dir, 'once');
    writeTokenFile(file, token);
    // Due from 7 s on: once the TTL is there, the token has 7 s left for the renewer to start and renew it.
    while ((await lookup(token))!.ttl > 7) await sleep(100);
    expect((await lookup(token))!.last_renewal_time).toBeUndefined();
    const startedS = Math.floor(Date.now() / 1000);
    const renewer = startRenewer(file, { RENEW_ONCE: '1', RENEW_FRACTION: EARLY });
    const { code } = await renewer.exited;
    expect(code).toBe(0);
    const out = renewer.output();
    expect(count(out, /renewed token/)).toBe(1);
    expect(out).toMatch(/renewed token \([^)]*\): ttl [0-7]s -> 8s/);
    const renewedAt = (await lookup(token))!.last_renewal_time;
    expect(renewedAt).toBeGreaterThanOrEqual(startedS);
    expect(renewedAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });

  it('--once exits 0 without renewing a token that is not due', async () => {
    const token = await periodicToken();
    const file = path.join(dir, 'once-not-due');
    writeTokenFile(file, token);
    const renewer = startRenewer(file, { RENEW_ONCE: '1' });
    expect((await renewer.exited).code).toBe(0);
    expect(renewer.output()).toMatch(/ttl [5-8]s of 8s, renewing at 4s or less\n/);
    expect((await lookup(token))!.last_renewal_time).toBeUndefined();
    expect(renewer.output()).not.toMatch(/renewed token/);
  });

  it('renews a token up to its maximum TTL without flooding, then exits 4 saying so', async () => {
    const token = await server.api.createToken({ policies: ['default'], ttl: '4s', explicitMaxTtl: '8s' });
    tokens.push(token);
    const file = path.join(dir, 'max-ttl');
    writeTokenFile(file, token);
    const started = performance.now();
    const renewer = startRenewer(file, { RENEW_INTERVAL_MS: '500' });
    const { code, at } = await renewer.exited;
    const out = renewer.output();
    expect(code).toBe(4);
    expect(at - started).toBeGreaterThan(6000); // kept past its 4 s TTL
    expect(out).toMatch(/^vaultenv: warning: the token \([^)]*\) (was renewed for \ds only, less than its 4s: a maximum TTL limits it|reached its maximum TTL)/m);
    expect(out).toMatch(/^vaultenv: the token expired: it reached its maximum TTL \(token file [^)]*\)\. No renewal can extend it/m);
    // About one renewal per 1.5 s, not one at each of the ~20 checks (every 0.5 s).
    expect(count(out, /renewed token/)).toBeLessThanOrEqual(9);
    expect(count(out, /warning/)).toBe(1);
  }, 20_000);

  it('exits 4 with a clear message when its token file is missing', async () => {
    const file = path.join(dir, 'no-such-file');
    const renewer = startRenewer(file);
    expect((await renewer.exited).code).toBe(4);
    expect(renewer.output()).toMatch(new RegExp(`^vaultenv: token file not found \\(${file}\\)\\. Check the path$`, 'm'));
  });

  it('exits 4 with a clear message when its token file is empty', async () => {
    const file = path.join(dir, 'empty');
    writeFileSync(file, '\n', { mode: 0o600 });
    const renewer = startRenewer(file);
    expect((await renewer.exited).code).toBe(4);
    expect(renewer.output()).toMatch(new RegExp(`^vaultenv: malformed token file \\(${file}\\)\\. The file is empty; `, 'm'));
  });

  it('survives the server going away and renews the token again once it is back', async () => {
    // Dev servers lose their data on restart: the token is created with a fixed id so that the same
    // token can exist again afterwards.
    const id = `renewer-${randomBytes(12).toString('hex')}`;
    await periodicToken({ id });
    const before = await lookup(id);
    const file = path.join(dir, 'restart');
    writeTokenFile(file, id);
    const renewer = startRenewer(file, { RENEW_FRACTION: EARLY });
    await renewer.waitFor(/renewed token/, 10_000);

    let mark = renewer.output().length;
    await server.stop();
    await renewer.waitFor(/(warning: token (lookup|renewal) failed: connection (refused|reset); retrying in \d+ ms\n[^]*){3}/, 10_000, mark);
    await sleep(1500); // down for a while: the renewer keeps retrying, it never gives up
    expect(renewer.child.exitCode).toBeNull();
    const down = renewer.output().slice(mark);
    expect(down).not.toMatch(/^vaultenv: (?!warning)/m);
    // Backoff capped at the interval.
    for (const m of down.matchAll(/retrying in (\d+) ms/g)) expect(Number(m[1])).toBeLessThanOrEqual(INTERVAL_MS);

    // Hold the renewer while the server comes back and the token is recreated, so that it cannot look
    // the token up in the moment between the two (that would be a correct exit 4: the token is gone).
    renewer.child.kill('SIGSTOP');
    // Everything from here on is read: the renewer may log the new token the moment it continues.
    mark = renewer.output().length;
    try {
      await server.start();
      await periodicToken({ id });
    } finally {
      renewer.child.kill('SIGCONT');
    }
    const after = await lookup(id);
    await renewer.waitFor(/Vault answered again after \d+ failed attempts/, 10_000, mark);
    await renewer.waitFor(new RegExp(`renewed token \\([^)]*${prefix(after!.accessor)}\\)`), 10_000, mark);
    expect(after!.accessor).not.toBe(before!.accessor);
    expect(renewer.output().slice(mark)).toContain(`the token changed (token file ${file}, ${prefix(after!.accessor)})`);
    expect((await lookup(id))?.accessor).toBe(after!.accessor);
    expect((await renewer.terminate()).code).toBe(0);
  }, 45_000);

  it('never prints a token', () => {
    // One output per renewer the tests above started.
    expect(outputs).toHaveLength(11);
    for (const out of outputs) {
      for (const token of tokens) expect(out.includes(token), 'a token leaked into the renewer output').toBe(false);
      expect(out).not.toContain(server.rootToken);
      // The Redactor knows every token read, but no message should have needed it.
      expect(out).not.toContain('<redacted>');
    }
  });
});
