// What a command asks of the runtime's tuning (main.ts MainDeps `quickRegExps`), in this process
// against the real servers: the run, check and export each have Node's check of a host name
// compiled through it once, before the first connection, and of an IPv4 address not at all.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { ExecRequest } from '../../src/exec/run.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'vaultenv-tuning-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([1, 2] as const)('on a KV v%i mount', (version) => {
  const server = kvServer(version);
  const path = uniqueName('tuning');
  const value = `tuning-${uniqueName('v')}`;
  const secretsFile = join(dir, `v${version}.secrets`);

  beforeAll(async () => {
    await server.api.writeSecret('secret', version, path, { value });
    writeFileSync(secretsFile, `VERSION 2\nMOUNT secret\nAPP_VALUE=${path}#value\n`);
  });

  /** The command's exit code, the program it would start, and how often `quickRegExps` ran, against `address`. */
  async function command(argv: string[], address: string): Promise<{ code: number; request: ExecRequest | undefined; compiles: number; stderr: string }> {
    let request: ExecRequest | undefined;
    let compiles = 0;
    let stderr = '';
    const code = await main(argv, { PATH: process.env.PATH, HOME: dir, VAULT_ADDR: address, VAULT_TOKEN: server.rootToken }, {
      output: { stdout: () => {}, stderr: (text) => (stderr += text) },
      cwd: dir,
      configFiles: { system: join(dir, 'none.conf'), user: join(dir, 'none.conf'), local: join(dir, 'none.env') },
      wellKnownTokenFiles: [],
      run: (r) => ((request = r), Promise.resolve(0)),
      quickRegExps: (compile) => {
        compiles += 1;
        compile();
      },
    });
    return { code, request, compiles, stderr };
  }

  const byName = () => server.address.replace('127.0.0.1', 'localhost');

  it('a run to a host name compiles the address check once, and starts the program with the secret', async () => {
    const run = await command(['--secrets-file', secretsFile, '--', '/usr/bin/env'], byName());
    expect([run.code, run.stderr, run.compiles, run.request?.env.APP_VALUE]).toEqual([0, '', 1, value]);
  });

  it('a run to an IPv4 address compiles nothing', async () => {
    expect(server.address).toContain('//127.0.0.1:');
    const run = await command(['--secrets-file', secretsFile, '--', '/usr/bin/env'], server.address);
    expect([run.code, run.stderr, run.compiles, run.request?.env.APP_VALUE]).toEqual([0, '', 0, value]);
  });

  it.each(['check', 'export'])('vaultenv %s to a host name compiles it once too', async (name) => {
    const run = await command([name, '--secrets-file', secretsFile, ...(name === 'export' ? ['--output', join(dir, `out-${version}`)] : [])], byName());
    expect([run.code, run.compiles]).toEqual([0, 1]);
  });
});
