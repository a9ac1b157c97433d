import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/cli/command-line.ts';
import { loadConfig, loadRenewConfig, type ConfigFiles } from '../../../src/config/load.ts';
import { allowListPath, digest, isAllowed, updateAllowList } from '../../../src/config/trust.ts';
import type { Config } from '../../../src/config/types.ts';
import { ConfigError, renderError } from '../../../src/errors.ts';
import { thrownAs } from '../../helpers/thrown.ts';

let dir: string;
let files: ConfigFiles;
let allowList: string;
const TOKEN = 's.token-from-the-environment';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vaultenv-trust-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  files = { system: join(dir, 'etc.conf'), user: join(dir, 'user.conf'), local: join(dir, '.env') };
  allowList = join(dir, 'config', 'vaultenv', 'allowed');
  await Promise.all([...Object.values(files), allowList].map((path) => rm(path as string, { force: true })));
});

interface Setup {
  local?: string;
  system?: string;
  env?: Record<string, string>;
  argv?: string[];
}

async function write(setup: Setup): Promise<void> {
  if (setup.local !== undefined) await writeFile(files.local, setup.local);
  if (setup.system !== undefined) await writeFile(files.system, setup.system);
}

function load(setup: Setup): Config {
  const commandLine = parseCommandLine([...(setup.argv ?? []), '--secrets-file', 's', 'cmd']);
  if (commandLine.kind !== 'run') throw new Error('expected a run');
  return loadConfig({ commandLine, env: setup.env ?? {}, cwd: dir, configFiles: files, allowList });
}

async function refusal(setup: Setup): Promise<ConfigError> {
  await write(setup);
  return thrownAs(ConfigError, () => load(setup));
}

const HINT =
  'a .env file that comes with a repository can send your credential anywhere: if you trust this one, run vaultenv allow LOCAL ' +
  '(it records the file as it is now), or give the address in the environment or a flag; scripts that mean it set VAULTENV_TRUST_DOTENV=true';

describe('an address from ./.env and a credential from elsewhere', () => {
  it.each<[string, Setup, string, string]>([
    ['VAULT_TOKEN in the environment', { local: 'VAULT_ADDR=https://evil.example\n', env: { VAULT_TOKEN: TOKEN } }, 'a token from the environment', 'VAULT_ADDR'],
    ['--token', { local: 'VAULT_HOST=evil.example\n', argv: ['--token', TOKEN] }, 'a token from the command line', 'VAULT_HOST'],
    ['~/.vault-token (no credential configured)', { local: 'VAULT_ADDR=http://evil.example:8200\n' }, 'a token from a well-known token file (~/.vault-token)', 'VAULT_ADDR'],
    ['a token file from /etc', { local: 'VAULT_PORT=9999\n', system: 'VAULTENV_TOKEN_FILE=/run/token\n' }, 'the token of /run/token', 'VAULT_PORT'],
    [
      'a JWT login whose JWT is in the environment, even when ./.env names the role',
      { local: 'VAULT_ADDR=https://evil.example\nVAULTENV_JWT_ROLE=ci\nVAULTENV_JWT_ENV=CI_JOB_JWT\n', env: { CI_JOB_JWT: 'eyJ.a.b' } },
      'the credential of a jwt login from file LOCAL',
      'VAULT_ADDR',
    ],
    ['TLS turned off by ./.env', { local: 'VAULTENV_CONNECT_TLS=false\n', env: { VAULT_TOKEN: TOKEN } }, 'a token from the environment', 'VAULTENV_CONNECT_TLS'],
    ['a unix socket in ./.env', { local: 'VAULT_ADDR=unix:///tmp/evil.sock\n', env: { VAULT_TOKEN: TOKEN } }, 'a token from the environment', 'VAULT_ADDR'],
    ['an agent address in ./.env', { local: 'VAULT_AGENT_ADDR=http://evil.example:8100\n', env: { VAULT_TOKEN: TOKEN } }, 'a token from the environment', 'VAULT_AGENT_ADDR'],
    ['BAO_TOKEN_PATH in the environment', { local: 'BAO_AGENT_ADDR=unix:///tmp/evil.sock\n', env: { BAO_TOKEN_PATH: '/run/token' } }, 'the token of /run/token', 'BAO_AGENT_ADDR'],
  ])('%s: refused before anything is sent', async (_name, setup, credential, names) => {
    const error = await refusal(setup);
    expect(error.message).toBe(`the Vault address in ${files.local} would receive ${credential.replace('LOCAL', files.local)}`);
    expect(error.input).toBe(`${names} in file ${files.local}`);
    expect(error.hint).toBe(HINT.replace('LOCAL', files.local));
    expect(error.exitCode).toBe(2);
    expect(renderError(error).text).not.toContain(TOKEN);
  });

  it('is not refused with --trust-dotenv or VAULTENV_TRUST_DOTENV=true, and refused when only ./.env says so', async () => {
    const setup = { local: 'VAULT_ADDR=https://v.example\nVAULTENV_TRUST_DOTENV=true\n', env: { VAULT_TOKEN: TOKEN } };
    await refusal(setup);
    expect(load({ ...setup, argv: ['--trust-dotenv'] }).host).toBe('v.example');
    expect(load({ ...setup, env: { ...setup.env, VAULTENV_TRUST_DOTENV: 'true' } }).host).toBe('v.example');
    // ./.env's variable still reaches the program, as every variable of a config file does.
    expect(load({ ...setup, argv: ['--trust-dotenv'] }).configFileVariables).toContainEqual(['VAULTENV_TRUST_DOTENV', 'true']);
  });

  it('is not refused for an agent or socket address with no credential: no token file is read for it', async () => {
    await write({ local: 'VAULT_ADDR=unix:///run/proxy.sock\n' });
    expect(load({}).socketPath).toBe('/run/proxy.sock');
    await write({ local: 'VAULT_AGENT_ADDR=http://127.0.0.1:8100\n' });
    expect(load({})).toMatchObject({ host: '127.0.0.1', port: 8100, agentAddress: true, auth: { method: 'none' } });
  });

  it('is not refused when the token is in ./.env itself', async () => {
    await write({ local: `VAULT_ADDR=https://v.example\nVAULT_TOKEN=${TOKEN}\n` });
    expect(load({}).auth).toEqual({ method: 'token', token: TOKEN });
  });

  it('is not refused when the address comes from elsewhere', async () => {
    await write({ local: 'VAULTENV_LOG_LEVEL=info\n', system: 'VAULT_ADDR=https://etc.example\n' });
    expect(load({ env: { VAULT_TOKEN: TOKEN } }).host).toBe('etc.example');
    await write({ local: 'VAULT_ADDR=https://evil.example\n' });
    // A higher source's address wins over ./.env's.
    expect(load({ env: { VAULT_TOKEN: TOKEN, VAULT_ADDR: 'https://env.example' } }).host).toBe('env.example');
  });

  it('applies to vaultenv renew too', async () => {
    await write({ local: 'VAULT_ADDR=https://evil.example\n' });
    const error = thrownAs(ConfigError, () =>
      loadRenewConfig({ commandLine: { kind: 'renew', flags: {} }, env: { VAULT_TOKEN: TOKEN }, cwd: dir, configFiles: files, allowList }),
    );
    expect(error.message).toBe(`the Vault address in ${files.local} would receive a token from the environment`);
  });

  it('is not refused once the file is allowed as it is, and is again when it changes or is denied', async () => {
    const text = 'VAULT_ADDR=https://v.example\n';
    await write({ local: text });
    const setup = { env: { VAULT_TOKEN: TOKEN } };
    updateAllowList(allowList, files.local, digest(text));
    expect(load(setup).host).toBe('v.example');
    await write({ local: 'VAULT_ADDR=https://evil.example\n' });
    await refusal(setup);
    await write({ local: text });
    expect(load(setup).host).toBe('v.example');
    updateAllowList(allowList, files.local, undefined);
    await refusal(setup);
  });
});

describe('the allow list', () => {
  it('lives in the XDG config folder, else ~/.config, else nowhere', () => {
    expect(allowListPath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/vaultenv/allowed');
    expect(allowListPath({ XDG_CONFIG_HOME: 'relative', HOME: '/h' })).toBe('/h/.config/vaultenv/allowed');
    expect(allowListPath({ HOME: '' })).toBeUndefined();
    expect(allowListPath({})).toBeUndefined();
  });

  it('records one entry per path, replacing the earlier digest, in a file only its user may read', async () => {
    expect(updateAllowList(allowList, '/a/.env', 'd1')).toEqual({ changed: true });
    expect(updateAllowList(allowList, '/b/.env', 'd2')).toEqual({ changed: true });
    expect(updateAllowList(allowList, '/a/.env', 'd3')).toEqual({ changed: true });
    expect(updateAllowList(allowList, '/a/.env', 'd3')).toEqual({ changed: false });
    const list = await readFile(allowList, 'utf8');
    expect(list).toBe('d2 /b/.env\nd3 /a/.env\n');
    expect(isAllowed(list, '/a/.env', 'd3')).toBe(true);
    expect(isAllowed(list, '/a/.env', 'd1')).toBe(false);
    expect(isAllowed(list, '/c/.env', 'd2')).toBe(false);
    expect((await stat(allowList)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'config', 'vaultenv'))).mode & 0o777).toBe(0o700);
    expect(updateAllowList(allowList, '/a/.env', undefined)).toEqual({ changed: true });
    expect(await readFile(allowList, 'utf8')).toBe('d2 /b/.env\n');
  });

  it('digests the file text with SHA-256', () => {
    expect(digest('VAULT_ADDR=https://v\n')).toMatch(/^[0-9a-f]{64}$/);
    expect(digest('a')).toBe('ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb');
  });
});
