// The built CLI and a ./.env that sets the Vault address: a token from outside the file is never sent
// there until `vaultenv allow`, a changed file is refused again, `vaultenv deny` takes the permission
// back, and VAULTENV_TRUST_DOTENV=true lets scripts say they mean it. Against a real OpenBao server,
// and a listener that counts the requests an untrusted address would get.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, expectNoLeak, runCli } from '../helpers/run-cli.ts';
import { scratchDir } from '../helpers/scratch.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

describe.each([1, 2] as const)('a Vault address in ./.env (KV v%i)', (version) => {
  const server = kvServer(version);
  const scratch = scratchDir(`vaultenv-dotenv-v${version}`);
  const project = join(scratch.dir, 'project');
  const home = join(scratch.dir, 'home');
  const dotenv = join(project, '.env');
  const value = `dotenv-secret-${uniqueName('v')}`;
  const path = uniqueName('dotenv');
  let trap: Server;
  let trapRequests = 0;
  let trapAddress = '';

  beforeAll(async () => {
    mkdirSync(project, { recursive: true });
    mkdirSync(home, { recursive: true });
    await server.api.writeSecret('secret', version, `${path}/app`, { value });
    writeFileSync(join(project, 'app.secrets'), `APP_SECRET=${path}/app#value\n`);
    // Counted only when the request names this file's secret: another test's client that happens to
    // try this port (one that expects nothing to listen there) is not ours.
    trap = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        if (chunk.toString('latin1').includes(path)) trapRequests++;
        socket.destroy();
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const address = trap.address();
    if (address === null || typeof address === 'string') throw new Error('no trap address');
    trapAddress = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => new Promise<void>((resolve) => trap.close(() => resolve())));

  const env = (extra: Record<string, string> = {}) => baseEnv({ HOME: home, VAULT_TOKEN: server.rootToken, VAULTENV_KV_VERSION: String(version), ...extra });
  const run = (extra: Record<string, string> = {}) =>
    runCli(['--secrets-file', 'app.secrets', '--', 'sh', '-c', 'echo ${#APP_SECRET}'], { cwd: project, env: env(extra) });
  const vaultenv = (args: string[]) => runCli(args, { cwd: project, env: env() });
  const refusal = `vaultenv: the Vault address in ${dotenv} would receive a token from the environment (VAULT_ADDR in file ${dotenv}). A .env file that comes with a repository`;

  it('sends nothing to an address in ./.env with a token from the environment: exit 2, one line', async () => {
    writeFileSync(dotenv, `VAULT_ADDR=${trapAddress}\n`);
    const result = await run();
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.startsWith(refusal)).toBe(true);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(trapRequests).toBe(0);
    expectNoLeak(result, [server.rootToken, value]);
  });

  it('sends it after vaultenv allow, refuses the file again once it changes, and after vaultenv deny', async () => {
    const text = `VAULT_ADDR=${server.address}\n`;
    writeFileSync(dotenv, text);
    expect((await run()).code).toBe(2);

    const allowed = await vaultenv(['allow']);
    expect(allowed).toMatchObject({ code: 0, stdout: '' });
    expect(allowed.stderr).toBe(`vaultenv: allowed ${dotenv} as it is now: its Vault address may receive a credential from elsewhere until the file changes\n`);
    const list = join(home, '.config', 'vaultenv', 'allowed');
    expect(readFileSync(list, 'utf8')).toMatch(new RegExp(`^[0-9a-f]{64} ${dotenv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`));
    const ran = await run();
    expect(ran).toMatchObject({ code: 0, stdout: `${value.length}\n`, stderr: '' });

    writeFileSync(dotenv, `${text}# one more line\n`);
    expect((await run()).code).toBe(2);
    writeFileSync(dotenv, text);
    expect((await run()).code).toBe(0);

    const denied = await vaultenv(['deny', '.env']);
    expect(denied).toMatchObject({ code: 0, stdout: '', stderr: `vaultenv: denied ${dotenv}: its Vault address receives no credential from elsewhere\n` });
    expect((await run()).code).toBe(2);
    expect((await vaultenv(['deny'])).stderr).toBe(`vaultenv: ${dotenv} was not allowed\n`);
    expect(existsSync(list)).toBe(true);
  });

  it('sends it with VAULTENV_TRUST_DOTENV=true in the environment, not when ./.env says so', async () => {
    writeFileSync(dotenv, `VAULT_ADDR=${server.address}\nVAULTENV_TRUST_DOTENV=true\n`);
    expect((await run()).code).toBe(2);
    expect(await run({ VAULTENV_TRUST_DOTENV: 'true' })).toMatchObject({ code: 0, stdout: `${value.length}\n`, stderr: '' });
  });

  it('needs nothing when the address comes from the environment', async () => {
    writeFileSync(dotenv, `VAULT_ADDR=${trapAddress}\n`);
    expect(await run({ VAULT_ADDR: server.address })).toMatchObject({ code: 0, stdout: `${value.length}\n`, stderr: '' });
    expect(trapRequests).toBe(0);
  });
});
