// `vaultenv renew`, the built CLI, as the article's sidecar runs it: a token file shared with the app,
// re-read every cycle. The renew loop itself is covered in depth by test/integration/renew.test.ts;
// this proves the command wiring: token file, interval, SIGTERM, --once, exit codes, no token in output.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBao, type BaoServer } from '../helpers/bao.ts';
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
    const kept = await periodicToken('4s');
    const sibling = await periodicToken('4s');
    const file = join(dir, 'vault-token');
    writeFileSync(file, JSON.stringify({ clientToken: kept, vaultAddr: server.address, renewable: true }));
    const child = spawn(...cliCommand(['renew', '--token-file', file, '--interval', '1']), { env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('close', (code) => resolve({ code, at: Date.now() })));

    await new Promise((resolve) => setTimeout(resolve, 9000));
    expect(await alive(kept)).toBe(true);
    expect(await alive(sibling)).toBe(false);
    expect(output).toMatch(/renewed token \(token file [^)]+\): ttl \ds -> 4s/);

    const killedAt = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(at - killedAt).toBeLessThan(1000);
    expectNoLeak({ stdout: output, stderr: '' }, tokens);
  }, 30_000);

  it('--once renews and exits 0; a revoked token exits 4 with a clear message', async () => {
    const token = await periodicToken('4s');
    const file = join(dir, 'once-token');
    writeFileSync(file, `${token}\n`);
    const env = baseEnv({ VAULT_ADDR: server.address });
    await new Promise((resolve) => setTimeout(resolve, 2500)); // below half of the period: due for renewal
    const once = await runCli(['renew', '--once', '--token-file', file], { env });
    expect(once.code).toBe(0);
    expect(once.stderr).toMatch(/renewed token/);

    await server.api.revokeToken(token);
    const revoked = await runCli(['renew', '--once', '--token-file', file], { env });
    expect(revoked.code).toBe(4);
    expect(revoked.stderr).toMatch(/^vaultenv: the token is expired or revoked/m);
    expectNoLeak(once, tokens);
    expectNoLeak(revoked, tokens);
  }, 30_000);

  it('is a subcommand only as the first argument: `vaultenv -- renew` runs a program named renew', async () => {
    const empty = join(dir, 'empty.secrets');
    writeFileSync(empty, '');
    const result = await runCli(['--secrets-file', empty, '--', 'renew'], { env: baseEnv() });
    expect(result.code).toBe(127);
    expect(result.stderr).toMatch(/command not found \(renew\)/);
  });
});
