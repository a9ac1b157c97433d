// `vaultenv renew`, the built CLI, as a token-renewer sidecar runs it in a pod whose init container
// (kubernetes-vault) writes the token file into a shared volume: a token file shared with the app,
// re-read every cycle. The renew loop itself is covered in depth by test/integration/renew.test.ts;
// this proves the command wiring: token file, interval, SIGTERM, --once, exit codes, no token in output.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBao, type BaoServer } from '../helpers/bao.ts';
import { startProxy } from '../helpers/proxy.ts';
import { baseEnv, cliCommand, expectNoLeak, runCli } from '../helpers/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'vaultenv-renew-cli-'));
let server: BaoServer;
const tokens: string[] = [];

async function periodicToken(period: string): Promise<string> {
  const token = await server.api.createToken({ policies: ['default'], period });
  tokens.push(token);
  return token;
}

async function alive(token: string): Promise<boolean> {
  const answer = await server.api.request('POST', 'auth/token/lookup', { token });
  return answer.status === 200;
}

/** The token's remaining TTL in seconds, as the server sees it. */
async function ttl(token: string): Promise<number> {
  const answer = await server.api.request('POST', 'auth/token/lookup', { token });
  if (answer.status !== 200) throw new Error(`auth/token/lookup answered ${answer.status}`);
  return (answer.body as { data: { ttl: number } }).data.ttl;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  server = await startBao();
  tokens.push(server.rootToken);
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('vaultenv renew', () => {
  it('keeps a periodic token alive past its period while its sibling expires, and stops on SIGTERM', async () => {
    // A period of 8 s, renewed once the TTL is down to 4 s (the default fraction 0.5), checked every second.
    const kept = await periodicToken('8s');
    const sibling = await periodicToken('8s');
    const created = performance.now();
    const file = join(dir, 'vault-token');
    writeFileSync(file, JSON.stringify({ clientToken: kept, vaultAddr: server.address, renewable: true }));
    const child = spawn(...cliCommand(['renew', '--token-file', file, '--interval', '1']), { env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    // The exit is timed when the process ends; the output is complete once the pipes close.
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: performance.now() })));
    const closed = new Promise((resolve) => child.on('close', resolve));

    // More than 1.5 periods: the sibling expired 5 s ago; the kept token was renewed at about 4 s and 8 s.
    await sleep(13_000 - (performance.now() - created));
    expect(await alive(kept)).toBe(true);
    expect(await alive(sibling)).toBe(false);
    expect(output.match(/renewed token \(token file [^)]+\): ttl \ds -> 8s/g)?.length ?? 0).toBeGreaterThanOrEqual(2);

    const killedAt = performance.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    console.log(`vaultenv renew: SIGTERM to exit in ${(at - killedAt).toFixed(0)} ms`);
    expect(code).toBe(0);
    expect(at - killedAt).toBeLessThan(1000);
    await closed;
    expectNoLeak({ stdout: output, stderr: '' }, tokens);
  }, 40_000);

  it('--once renews and exits 0; a revoked token exits 4 with a clear message', async () => {
    const token = await periodicToken('8s');
    const file = join(dir, 'once-token');
    writeFileSync(file, `${token}\n`);
    const env = baseEnv({ VAULT_ADDR: server.address });
    // With --renew-fraction 0.95 the token is due once its TTL is down to 7 s, a second after it was
    // created: 7 s left for the CLI to start and renew it.
    while ((await ttl(token)) > 7) await sleep(100);
    const once = await runCli(['renew', '--once', '--renew-fraction', '0.95', '--token-file', file], { env });
    expect(once.code).toBe(0);
    expect(once.stderr).toMatch(/renewed token \(token file [^)]+\): ttl [0-7]s -> 8s/);

    await server.api.revokeToken(token);
    const revoked = await runCli(['renew', '--once', '--token-file', file], { env });
    expect(revoked.code).toBe(4);
    expect(revoked.stderr).toMatch(/^vaultenv: the token is expired or revoked/m);
    expectNoLeak(once, tokens);
    expectNoLeak(revoked, tokens);
  }, 30_000);

  it('no request waits longer than the interval: --once against a Vault that never answers ends with exit 6', async () => {
    const token = await periodicToken('60s');
    const file = join(dir, 'hang-token');
    writeFileSync(file, `${token}\n`);
    const proxy = await startProxy(server.address);
    try {
      proxy.inject({ hang: true });
      const args = ['renew', '--once', '--interval', '1', '--retry-attempts', '1', '--request-timeout-milliseconds', '30000', '--token-file', file];
      // Two requests of up to 30 s each without the cap; well under one with it.
      const result = await runCli(args, { env: baseEnv({ VAULT_ADDR: proxy.address }), timeoutMs: 25_000 });
      expect(result.code).toBe(6);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines.filter((line) => line.startsWith('vaultenv: warning: '))).toEqual([
        expect.stringMatching(/^vaultenv: warning: token lookup failed: no answer within 1000 ms; retry 1 of 1 in \d+ ms$/),
      ]);
      expect(lines.at(-1)).toMatch(/^vaultenv: token lookup failed: no answer within 1000 ms \(after 1 retry\)\. /);
      expect(proxy.count()).toBe(2);
      expectNoLeak(result, tokens);
    } finally {
      await proxy.close();
    }
  });

  it('is a subcommand only as the first argument: `vaultenv -- renew` runs a program named renew', async () => {
    const empty = join(dir, 'empty.secrets');
    writeFileSync(empty, '');
    const result = await runCli(['--secrets-file', empty, '--', 'renew'], { env: baseEnv() });
    expect(result.code).toBe(127);
    expect(result.stderr).toMatch(/command not found \(renew\)/);
  });
});
