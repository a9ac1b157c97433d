// A long secrets file, as the built CLI runs it: from MANY_SECRET_LINES lines on, the bundle turns
// V8's optimizing compilers off before it parses the file
// (src/cli/entry.ts). The run, export and check must not notice: every variable set, and nothing on
// stderr (V8 prints a flag it does not know there). The single executable (Bun) has no such flags
// and must pass the same.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANY_SECRET_LINES } from '../../src/cli/secrets-files.ts';
import { baseEnv, expectNoLeak, runCli } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'vaultenv-many-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PATHS = 10;
const LINES = MANY_SECRET_LINES + 50;

describe.each([1, 2] as const)('a secrets file of many lines, KV v%i', (version) => {
  const server = kvServer(version);
  const prefix = uniqueName('many');
  const values = Array.from({ length: PATHS }, (_, i) => `many-${i}-${uniqueName('v')}`);
  const file = join(dir, `many-${version}.secrets`);

  beforeAll(async () => {
    await Promise.all(values.map((value, i) => server.api.writeSecret('secret', version, `${prefix}/s${i}`, { value })));
    writeFileSync(file, Array.from({ length: LINES }, (_, j) => `V${j}=${prefix}/s${j % PATHS}#value\n`).join(''));
  });

  it(`sets all ${LINES} variables and prints nothing else`, async () => {
    const result = await runCli(['--secrets-file', file, '--', '/usr/bin/env'], { env: baseEnv({ VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken }) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const env = new Map(result.stdout.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    for (let j = 0; j < LINES; j++) expect(env.get(`V${j}`)).toBe(values[j % PATHS]);
  });

  it('reads them from a server named by host name, over several connections at once', async () => {
    const address = server.address.replace('127.0.0.1', 'localhost');
    expect(address).toMatch(/^http:\/\/localhost:\d+$/);
    const result = await runCli(['--secrets-file', file, '--', '/usr/bin/env'], { env: baseEnv({ VAULT_ADDR: address, VAULT_TOKEN: server.rootToken }) });
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain(`V${LINES - 1}=${values[(LINES - 1) % PATHS]}\n`);
  });

  it('vaultenv export and vaultenv check read it too, and print nothing on stderr', async () => {
    const env = baseEnv({ VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken });
    const exported = await runCli(['export', '--format', 'json', '--secrets-file', file], { env });
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const json = JSON.parse(exported.stdout) as Record<string, string>;
    expect(Object.keys(json)).toHaveLength(LINES);
    expect(json[`V${LINES - 1}`]).toBe(values[(LINES - 1) % PATHS]);
    const checked = await runCli(['check', '--format', 'json', '--secrets-file', file], { env });
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);
    expectNoLeak(checked, values);
  });

  it('fails as a short file does, with one line and no value in it', async () => {
    writeFileSync(join(dir, `broken-${version}.secrets`), Array.from({ length: LINES }, (_, j) => `V${j}=${prefix}/s${j % PATHS}#${j === LINES - 1 ? 'nokey' : 'value'}\n`).join(''));
    const result = await runCli(['--secrets-file', join(dir, `broken-${version}.secrets`), '--', '/usr/bin/env'], {
      env: baseEnv({ VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken }),
    });
    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`key "nokey" not found in secret secret/${prefix}/s${(LINES - 1) % PATHS}`);
    expectNoLeak(result, [...values, server.rootToken]);
  });
});
