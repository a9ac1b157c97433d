import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/cli/program.ts';
import { defaultConfigFiles, loadConfig, type ConfigFiles } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/types.ts';
import { ConfigError } from '../../../src/errors.ts';

let dir: string;
let files: ConfigFiles;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vaultenv-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  files = { system: join(dir, 'etc.conf'), user: join(dir, 'user.conf'), local: join(dir, '.env') };
  await Promise.all(Object.values(files).map((path) => rm(path as string, { force: true })));
});

interface Setup {
  argv?: string[];
  env?: Record<string, string>;
  system?: string;
  user?: string;
  local?: string;
}

async function load(setup: Setup): Promise<Config> {
  if (setup.system !== undefined) await writeFile(files.system, setup.system);
  if (setup.user !== undefined && files.user !== undefined) await writeFile(files.user, setup.user);
  if (setup.local !== undefined) await writeFile(files.local, setup.local);
  const commandLine = parseCommandLine(setup.argv ?? ['--secrets-file', 's', 'cmd']);
  if (commandLine.kind !== 'run') throw new Error('expected a run');
  return loadConfig({ commandLine, env: setup.env ?? {}, cwd: dir, configFiles: files });
}

async function loadError(setup: Setup): Promise<ConfigError> {
  const error = await load(setup).catch((e: unknown) => e);
  if (error instanceof ConfigError) return error;
  throw new Error(`expected a ConfigError, got ${String(error)}`);
}

describe('loadConfig: defaults', () => {
  it('fills every default', async () => {
    expect(await load({})).toEqual({
      host: 'localhost',
      port: 8200,
      tls: true,
      validateCerts: true,
      auth: { method: 'none' },
      authBackend: undefined,
      secretsFiles: ['s'],
      command: 'cmd',
      args: [],
      inheritEnv: true,
      inheritEnvBlacklist: [],
      retryBaseDelayMs: 40,
      retryAttempts: 9,
      logLevel: 'error',
      usePath: true,
      maxConcurrentRequests: 8,
      duplicateVariableBehavior: 'error',
      kvVersion: 'auto',
      requestTimeoutMs: 30000,
      execMode: 'auto',
      configFileVariables: [],
    } satisfies Config);
  });
});

describe('loadConfig: precedence defaults < /etc < user < ./.env < environment < flags', () => {
  const levels = {
    system: 'VAULTENV_RETRY_ATTEMPTS=1\nVAULTENV_MAX_CONCURRENT_REQUESTS=1\nVAULTENV_RETRY_BASE_DELAY=1\nVAULTENV_LOG_LEVEL=info\nVAULT_PORT=1\n',
    user: 'VAULTENV_MAX_CONCURRENT_REQUESTS=2\nVAULTENV_RETRY_BASE_DELAY=2\nVAULTENV_LOG_LEVEL=error\nVAULT_PORT=2\n',
    local: 'VAULTENV_RETRY_BASE_DELAY=3\nVAULTENV_LOG_LEVEL=info\nVAULT_PORT=3\n',
    env: { VAULTENV_LOG_LEVEL: 'error', VAULT_PORT: '4' },
    argv: ['--port', '5', '--secrets-file', 's', 'cmd'],
  };

  it('takes each field from the highest source that sets it', async () => {
    const config = await load(levels);
    expect(config.requestTimeoutMs).toBe(30000); // default
    expect(config.retryAttempts).toBe(1); // /etc
    expect(config.maxConcurrentRequests).toBe(2); // user
    expect(config.retryBaseDelayMs).toBe(3); // ./.env
    expect(config.logLevel).toBe('error'); // environment
    expect(config.port).toBe(5); // flags
  });

  it.each([
    ['system', 1],
    ['user', 2],
    ['local', 3],
  ] as const)('a field set only in the %s file', async (level, port) => {
    expect((await load({ [level]: `VAULT_PORT=${port}\n` })).port).toBe(port);
  });

  it('skips a missing user file (no HOME)', async () => {
    files.user = undefined;
    expect((await load({ system: 'VAULT_PORT=1\n', local: 'VAULT_HOST=h\n' })).port).toBe(1);
  });

  it('lists and secrets files from a higher source replace the lower ones', async () => {
    const config = await load({
      system: 'VAULTENV_INHERIT_ENV_BLACKLIST=A,B\nVAULTENV_SECRETS_FILE=etc.secrets\n',
      env: { VAULTENV_INHERIT_ENV_BLACKLIST: '', VAULTENV_SECRETS_FILE: 'env.secrets' },
      argv: ['--secrets-file', 'a', '--secret-file', 'b', 'cmd'],
    });
    expect(config.inheritEnvBlacklist).toEqual(['']);
    expect(config.secretsFiles).toEqual(['a', 'b']);
  });

  it('takes the secrets file from a config file when no flag names one', async () => {
    expect((await load({ local: 'VAULTENV_SECRETS_FILE=./config/project.secrets\n', argv: ['cmd'] })).secretsFiles).toEqual([
      './config/project.secrets',
    ]);
  });

  it('validates a value even when a higher source overrides it', async () => {
    const error = await loadError({ system: 'VAULTENV_USE_PATH=yes\n', argv: ['--use-path', '--secrets-file', 's', 'cmd'] });
    expect(error.message).toBe('invalid value for VAULTENV_USE_PATH');
    expect(error.input).toBe(`file ${files.system} line 1`);
  });
});

describe('loadConfig: booleans', () => {
  it('--no-validate-certs really turns verification off (vaultenv kept it on)', async () => {
    const config = await load({ argv: ['--no-validate-certs', '--secrets-file', 's', 'cmd'] });
    expect(config.validateCerts).toBe(false);
  });

  it('--validate-certs overrides VAULTENV_VALIDATE_CERTS=false', async () => {
    expect((await load({ env: { VAULTENV_VALIDATE_CERTS: 'false' } })).validateCerts).toBe(false);
    expect((await load({ env: { VAULTENV_VALIDATE_CERTS: 'false' }, argv: ['--validate-certs', '--secrets-file', 's', 'x'] })).validateCerts).toBe(true);
  });

  it('--no-use-path and VAULTENV_USE_PATH=false', async () => {
    expect((await load({ argv: ['--no-use-path', '--secrets-file', 's', 'x'] })).usePath).toBe(false);
    expect((await load({ local: 'VAULTENV_USE_PATH=false\n' })).usePath).toBe(false);
  });
});

describe('loadConfig: address', () => {
  it('README example: VAULT_ADDR in a file, --port on the command line', async () => {
    const config = await load({ system: 'VAULT_ADDR=http://example.com:8200\n', argv: ['--port', '42', '--secrets-file', 's', 'x'] });
    expect(config).toMatchObject({ host: 'example.com', port: 42, tls: false });
  });

  it('an address in a higher source overrides host, port and TLS of lower ones', async () => {
    const config = await load({ system: 'VAULT_HOST=a\nVAULT_PORT=1\n', env: { BAO_ADDR: 'https://b' } });
    expect(config).toMatchObject({ host: 'b', port: 443, tls: true });
  });

  it('--host https://… is an address', async () => {
    const config = await load({ argv: ['--host', 'https://vault.example:8443', '--secrets-file', 's', 'x'] });
    expect(config).toMatchObject({ host: 'vault.example', port: 8443, tls: true });
  });

  it('a VAULT_HOST URL in a file is an address of that file', async () => {
    const config = await load({ local: 'VAULT_HOST=http://h\n' });
    expect(config).toMatchObject({ host: 'h', port: 80, tls: false });
  });

  it.each([
    [{ env: { VAULT_ADDR: 'https://v:1', VAULT_PORT: '2' } }, 'the environment'],
    [{ local: 'VAULT_ADDR=https://v\nVAULTENV_CONNECT_TLS=false\n' }, 'file LOCAL'],
    [{ argv: ['--addr', 'https://v', '--host', 'w', '--secrets-file', 's', 'x'] }, 'the command line'],
  ])('conflicting settings in one source: %j', async (setup, label) => {
    const error = await loadError(setup);
    expect(error.message).toBe(`conflicting Vault address settings in ${label.replace('LOCAL', files.local)}`);
  });

  it('settings in different sources do not conflict', async () => {
    const config = await load({ env: { VAULT_ADDR: 'https://v:1' }, argv: ['--no-connect-tls', '--secrets-file', 's', 'x'] });
    expect(config).toMatchObject({ host: 'v', port: 1, tls: false });
  });

  it('an --addr that does not parse is an error', async () => {
    const error = await loadError({ argv: ['--addr', 'localhost:8200', '--secrets-file', 's', 'x'] });
    expect(error.message).toBe('invalid value for flag --addr');
  });

  it('an alias conflict is an error', async () => {
    const error = await loadError({ env: { VAULT_ADDR: 'https://a', BAO_ADDR: 'https://b' } });
    expect(error.message).toBe('conflicting values for VAULT_ADDR and BAO_ADDR');
  });
});

describe('loadConfig: auth', () => {
  it.each<[Setup, Config['auth']]>([
    [{}, { method: 'none' }],
    [{ env: { VAULT_TOKEN: 't' } }, { method: 'token', token: 't' }],
    [{ env: { BAO_TOKEN: 't' } }, { method: 'token', token: 't' }],
    [{ env: { VAULT_TOKEN: '' } }, { method: 'none' }],
    [{ env: { VAULT_TOKEN: 't', VAULTENV_KUBERNETES_ROLE: 'r', VAULTENV_GITHUB_TOKEN: 'g' } }, { method: 'token', token: 't' }],
    [{ env: { VAULTENV_KUBERNETES_ROLE: 'r', VAULTENV_GITHUB_TOKEN: 'g' } }, { method: 'kubernetes', role: 'r' }],
    [{ env: { VAULTENV_GITHUB_TOKEN: 'g' } }, { method: 'github', token: 'g' }],
    // The highest source that sets any auth setting decides (vaultenv: any token beat everything).
    [{ system: 'VAULT_TOKEN=etc-token\n', argv: ['--kubernetes-role', 'r', '--secrets-file', 's', 'x'] }, { method: 'kubernetes', role: 'r' }],
    [{ system: 'VAULT_TOKEN=zzz\n', env: { VAULT_TOKEN: 'aaa' } }, { method: 'token', token: 'aaa' }],
    [{ local: 'VAULTENV_GITHUB_TOKEN=g\n', env: { VAULT_TOKEN: '' } }, { method: 'github', token: 'g' }],
    [{ user: 'VAULTENV_KUBERNETES_ROLE=r\n', system: 'VAULT_TOKEN=t\n' }, { method: 'kubernetes', role: 'r' }],
  ])('%j → %j', async (setup, auth) => {
    expect((await load(setup)).auth).toEqual(auth);
  });

  it('merges the auth backend per field', async () => {
    expect((await load({ system: 'VAULT_AUTH_BACKEND=k8s-prod\n' })).authBackend).toBe('k8s-prod');
  });
});

describe('loadConfig: command and arguments', () => {
  it('takes CMD and ARGS... from the environment when not given', async () => {
    const config = await load({ env: { CMD: '/bin/echo', 'ARGS...': ' a  b\tc ' }, argv: ['--secrets-file', 's'] });
    expect(config.command).toBe('/bin/echo');
    expect(config.args).toEqual(['a', 'b', 'c']);
  });

  it('takes CMD from a config file', async () => {
    expect((await load({ local: 'CMD=env\n', argv: ['--secrets-file', 's'] })).command).toBe('env');
  });

  it('positional arguments beat ARGS..., and ARGS... is used only when none are given', async () => {
    const env = { 'ARGS...': 'from env' };
    expect((await load({ env, argv: ['--secrets-file', 's', 'cmd', 'x'] })).args).toEqual(['x']);
    expect((await load({ env, argv: ['--secrets-file', 's', 'cmd'] })).args).toEqual(['from', 'env']);
  });

  it('reports a missing command', async () => {
    const error = await loadError({ argv: ['--secrets-file', 's'] });
    expect(error.message).toBe('no command given');
    expect(error.hint).toMatch(/vaultenv \[options\] \[--\] CMD \[ARGS\.\.\.\]/);
  });

  it('reports a missing secrets file', async () => {
    const error = await loadError({ argv: ['cmd'] });
    expect(error.message).toBe('no secrets file given');
    expect(error.hint).toBe('pass --secrets-file FILE or set VAULTENV_SECRETS_FILE');
  });

  it('reports the command first when both are missing', async () => {
    expect((await loadError({ argv: [] })).message).toBe('no command given');
  });
});

describe('loadConfig: config-file variables', () => {
  it('./.env first, then the user file, then /etc; the first file naming a variable wins', async () => {
    const config = await load({
      system: 'SHARED=etc\nETC_ONLY=1\nVAULT_PORT=1\n',
      user: 'USER_ONLY=2\nSHARED=user\n',
      local: 'LOCAL_ONLY=3\nSHARED=local\n',
    });
    expect(config.configFileVariables).toEqual([
      ['LOCAL_ONLY', '3'],
      ['SHARED', 'local'],
      ['USER_ONLY', '2'],
      ['ETC_ONLY', '1'],
      ['VAULT_PORT', '1'],
    ]);
  });

  it('does not expand variables or run commands', async () => {
    const config = await load({ local: 'A=$(touch /tmp/vaultenv-should-not-exist)\nB=${HOME}\n' });
    expect(config.configFileVariables).toEqual([
      ['A', '$(touch /tmp/vaultenv-should-not-exist)'],
      ['B', '${HOME}'],
    ]);
  });
});

describe('loadConfig: secrets stay out of errors', () => {
  const token = 'hvs.TOKEN-VALUE-never-printed';

  it.each<Setup>([
    { env: { VAULT_TOKEN: token, BAO_TOKEN: 'other' } },
    { env: { VAULT_TOKEN: token, VAULT_PORT: 'x' } },
    { env: { VAULT_TOKEN: token, VAULT_ADDR: 'nonsense' } },
    { env: { VAULT_TOKEN: token }, argv: ['--secrets-file', 's'] },
    { env: { VAULTENV_GITHUB_TOKEN: token, VAULTENV_LOG_LEVEL: token } },
    { local: `VAULT_TOKEN=${token}\nBAO_TOKEN=x\n` },
  ])('%j', async (setup) => {
    const error = await loadError(setup);
    expect([error.message, error.input, error.hint, ...error.context].join(' ')).not.toContain('TOKEN-VALUE');
  });
});

describe('defaultConfigFiles', () => {
  it.each([
    [{ XDG_CONFIG_HOME: '/x', HOME: '/h' }, '/x/vaultenv/vaultenv.conf'],
    [{ HOME: '/h' }, '/h/.config/vaultenv/vaultenv.conf'],
    [{ XDG_CONFIG_HOME: '', HOME: '/h' }, '/h/.config/vaultenv/vaultenv.conf'],
    [{ XDG_CONFIG_HOME: 'relative', HOME: '/h' }, '/h/.config/vaultenv/vaultenv.conf'],
    [{}, undefined],
  ])('%j → %s', (env, user) => {
    expect(defaultConfigFiles(env, '/work')).toEqual({ system: '/etc/vaultenv.conf', user, local: '/work/.env' });
  });
});
