import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseConfigFileSource,
  parseEnvironmentSource,
  parseFlagSource,
  readConfigFile,
} from '../../../src/config/sources.ts';
import { ConfigError } from '../../../src/errors.ts';

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnvironmentSource', () => {
  it('reads every option key with its kind', () => {
    const source = parseEnvironmentSource({
      VAULT_HOST: 'h',
      VAULT_PORT: '1234',
      VAULT_AUTH_BACKEND: 'b',
      VAULT_TOKEN: 't',
      VAULTENV_KUBERNETES_ROLE: 'r',
      VAULTENV_GITHUB_TOKEN: 'g',
      VAULTENV_SECRETS_FILE: 's',
      CMD: 'c',
      'ARGS...': 'a b',
      VAULTENV_CONNECT_TLS: 'false',
      VAULTENV_VALIDATE_CERTS: 'false',
      VAULTENV_INHERIT_ENV: 'true',
      VAULTENV_INHERIT_ENV_BLACKLIST: 'X,Y',
      VAULTENV_RETRY_BASE_DELAY: '5',
      VAULTENV_RETRY_ATTEMPTS: '6',
      VAULTENV_LOG_LEVEL: 'info',
      VAULTENV_USE_PATH: 'false',
      VAULTENV_MAX_CONCURRENT_REQUESTS: '7',
      VAULTENV_DUPLICATE_VARIABLE_BEHAVIOR: 'keep',
      VAULTENV_KV_VERSION: '2',
      VAULTENV_REQUEST_TIMEOUT: '100',
      VAULTENV_EXEC_MODE: 'spawn',
      UNRELATED: 'x',
    });
    expect(source.values).toEqual({
      host: 'h',
      port: 1234,
      authBackend: 'b',
      token: 't',
      kubernetesRole: 'r',
      githubToken: 'g',
      secretsFiles: ['s'],
      command: 'c',
      args: ['a', 'b'],
      tls: false,
      validateCerts: false,
      inheritEnv: true,
      inheritEnvBlacklist: ['X', 'Y'],
      retryBaseDelayMs: 5,
      retryAttempts: 6,
      logLevel: 'info',
      usePath: false,
      maxConcurrentRequests: 7,
      duplicateVariableBehavior: 'keep',
      kvVersion: '2',
      requestTimeoutMs: 100,
      execMode: 'spawn',
    });
    expect(source.origins.port?.name).toBe('VAULT_PORT');
  });

  it.each([
    [{ BAO_ADDR: 'https://v' }, { addr: 'https://v' }],
    [{ BAO_TOKEN: 't' }, { token: 't' }],
    [{ VAULTENV_RETRY_BASE_DELAY_MS: '9' }, { retryBaseDelayMs: 9 }],
    [{ VAULT_ADDR: 'https://v', BAO_ADDR: 'https://v' }, { addr: 'https://v' }],
    [{ VAULT_TOKEN: 't', BAO_TOKEN: 't' }, { token: 't' }],
    [{ VAULT_TOKEN: '' }, {}],
    [{ VAULT_TOKEN: '', BAO_TOKEN: 't' }, { token: 't' }],
  ])('aliases: %j → %j', (env, values) => {
    expect(parseEnvironmentSource(env).values).toEqual(values);
  });

  it('names the alias used in messages', () => {
    const error = thrown(() => parseEnvironmentSource({ VAULTENV_RETRY_BASE_DELAY_MS: 'x' }));
    expect(error.input).toBe('set in the environment');
  });

  it.each([
    [{ VAULT_ADDR: 'https://a', BAO_ADDR: 'https://b' }, 'VAULT_ADDR and BAO_ADDR'],
    [{ VAULT_TOKEN: 'token-one', BAO_TOKEN: 'token-two' }, 'VAULT_TOKEN and BAO_TOKEN'],
    [{ VAULTENV_RETRY_BASE_DELAY: '1', VAULTENV_RETRY_BASE_DELAY_MS: '2' }, 'VAULTENV_RETRY_BASE_DELAY and VAULTENV_RETRY_BASE_DELAY_MS'],
  ])('rejects aliases with different values: %j', (env, names) => {
    const error = thrown(() => parseEnvironmentSource(env));
    expect(error.message).toBe(`conflicting values for ${names}`);
    expect(error.input).toBe(`environment variables ${names}`);
    expect(`${error.message} ${error.hint}`).not.toMatch(/token-one|token-two/);
  });

  it('validates every set value, even ones a higher source would override (eager)', () => {
    const error = thrown(() => parseEnvironmentSource({ VAULTENV_USE_PATH: 'yes' }));
    expect(error.message).toBe('invalid value for environment variable VAULTENV_USE_PATH');
    expect(error.input).toBe('set in the environment');
  });
});

describe('parseConfigFileSource', () => {
  it('parses option keys and keeps every variable, in file order', () => {
    const text = '# comment\nVAULT_PORT="8300"\nexport OTHER=x # trailing\nVAULT_TOKEN=\'t\'\nEXPANDED=$HOME$(id)\n';
    const { source, variables } = parseConfigFileSource('/f.conf', text);
    expect(source.label).toBe('file /f.conf');
    expect(source.values).toEqual({ port: 8300, token: 't' });
    expect(variables).toEqual([
      ['VAULT_PORT', '8300'],
      ['OTHER', 'x'],
      ['VAULT_TOKEN', 't'],
      ['EXPANDED', '$HOME$(id)'],
    ]);
  });

  it('names the file and line of an invalid value', () => {
    const error = thrown(() => parseConfigFileSource('/etc/vaultenv.conf', 'A=1\n\nVAULT_PORT=80x\n'));
    expect(error.message).toBe('invalid value for VAULT_PORT');
    expect(error.input).toBe('file /etc/vaultenv.conf line 3');
  });

  it('rejects aliases with different values, naming the file', () => {
    const error = thrown(() => parseConfigFileSource('/f', 'VAULT_TOKEN=a\nBAO_TOKEN=b\n'));
    expect(error.message).toBe('conflicting values for VAULT_TOKEN and BAO_TOKEN');
    expect(error.input).toBe('file /f');
  });
});

describe('parseFlagSource', () => {
  const line = (flags: Record<string, string | boolean | string[]>, command?: string, args: string[] = []) =>
    ({ kind: 'run', flags, command, args }) as const;

  it('types flag values by the same rules', () => {
    expect(
      parseFlagSource(line({ port: '42', validateCerts: false, inheritEnvBlacklist: '', secretsFiles: ['a', 'b'] }, 'ls', ['-l'])).values,
    ).toEqual({ port: 42, validateCerts: false, inheritEnvBlacklist: [''], secretsFiles: ['a', 'b'], command: 'ls', args: ['-l'] });
  });

  it.each([
    [{ port: '-1' }, 'flag --port'],
    [{ port: 'abc' }, 'flag --port'],
    [{ retryAttempts: '1.5' }, 'flag --retry-attempts'],
    [{ logLevel: 'Info' }, 'flag --log-level'],
    [{ kvVersion: '3' }, 'flag --kv-version'],
  ])('rejects %j', (flags, input) => {
    const error = thrown(() => parseFlagSource(line(flags)));
    expect(error.message).toBe(`invalid value for ${input}`);
    expect(error.input).toBe('command line');
  });

  it('leaves args unset when none are given after the command', () => {
    expect(parseFlagSource(line({}, 'ls')).values).toEqual({ command: 'ls' });
  });

  it('treats an empty --token as not set', () => {
    expect(parseFlagSource(line({ token: '' })).values).toEqual({});
  });
});

describe('readConfigFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vaultenv-sources-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a regular file', async () => {
    await writeFile(join(dir, 'a.conf'), 'A=1\n');
    await expect(readConfigFile(join(dir, 'a.conf'))).resolves.toBe('A=1\n');
  });

  it('skips a missing file, a directory and a path below a file', async () => {
    await mkdir(join(dir, 'sub'));
    await expect(readConfigFile(join(dir, 'missing'))).resolves.toBeUndefined();
    await expect(readConfigFile(join(dir, 'sub'))).resolves.toBeUndefined();
    await expect(readConfigFile(join(dir, 'a.conf', 'x'))).resolves.toBeUndefined();
  });

  it('reports a file that cannot be read, naming it', async () => {
    await symlink('loop', join(dir, 'loop'));
    const error = await readConfigFile(join(dir, 'loop')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).input).toBe(`file ${join(dir, 'loop')}`);
    expect((error as ConfigError).message).toBe('cannot read config file');
  });
});
