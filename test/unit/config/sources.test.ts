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
import { thrownAs } from '../../helpers/thrown.ts';

const thrown = (fn: () => unknown): ConfigError => thrownAs(ConfigError, fn);

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
      VAULT_NAMESPACE: 'ns',
      VAULTENV_TOKEN_FILE: '/t',
      VAULTENV_KUBERNETES_JWT_FILE: '/kj',
      VAULTENV_APPROLE_ROLE_ID: 'id',
      VAULTENV_APPROLE_SECRET_ID_FILE: '/s',
      VAULTENV_APPROLE_SECRET_ID_WRAPPED: 'true',
      VAULTENV_JWT_ROLE: 'j',
      VAULTENV_JWT_FILE: '/jf',
      VAULTENV_JWT_ENV: 'JE',
      VAULTENV_EXPORT_TOKEN: 'true',
      VAULT_CACERT: '/ca',
      VAULT_CAPATH: '/cas',
      VAULT_CLIENT_CERT: '/c',
      VAULT_CLIENT_KEY: '/k',
      VAULT_TLS_SERVER_NAME: 'n',
      VAULTENV_RENEW_INTERVAL: '5',
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
      namespace: 'ns',
      tokenFile: '/t',
      kubernetesJwtFile: '/kj',
      approleRoleId: 'id',
      approleSecretIdFile: '/s',
      approleSecretIdWrapped: true,
      jwtRole: 'j',
      jwtFile: '/jf',
      jwtEnv: 'JE',
      exportToken: true,
      caCert: '/ca',
      caPath: '/cas',
      clientCert: '/c',
      clientKey: '/k',
      tlsServerName: 'n',
    });
    expect(source.origins.port?.name).toBe('VAULT_PORT');
  });

  it('reads only the options of the command: vaultenv renew', () => {
    const source = parseEnvironmentSource(
      {
        VAULT_ADDR: 'https://v',
        BAO_TOKEN: 't',
        VAULTENV_TOKEN_FILE: '/t',
        VAULTENV_KUBERNETES_ROLE: 'r',
        VAULTENV_SECRETS_FILE: 's',
        VAULTENV_USE_PATH: 'not checked',
        VAULTENV_RENEW_INTERVAL: '5',
        VAULTENV_RENEW_FRACTION: '0.75',
        VAULTENV_RENEW_ONCE: 'true',
        BAO_SKIP_VERIFY: '1',
      },
      'renew',
    );
    expect(source.values).toEqual({
      addr: 'https://v',
      token: 't',
      tokenFile: '/t',
      validateCerts: false,
      renewIntervalSeconds: 5,
      renewFraction: 0.75,
      renewOnce: true,
    });
  });

  it.each([
    [{ BAO_ADDR: 'https://v' }, { addr: 'https://v' }],
    [{ BAO_TOKEN: 't' }, { token: 't' }],
    [{ VAULTENV_RETRY_BASE_DELAY_MS: '9' }, { retryBaseDelayMs: 9 }],
    [{ VAULT_ADDR: 'https://v', BAO_ADDR: 'https://v' }, { addr: 'https://v' }],
    [{ VAULT_TOKEN: 't', BAO_TOKEN: 't' }, { token: 't' }],
    [{ VAULT_TOKEN: '' }, {}],
    [{ VAULT_TOKEN: '', BAO_TOKEN: 't' }, { token: 't' }],
    [{ BAO_CACERT: '/ca', BAO_CAPATH: '/d', BAO_CLIENT_CERT: '/c', BAO_CLIENT_KEY: '/k' }, { caCert: '/ca', caPath: '/d', clientCert: '/c', clientKey: '/k' }],
    [{ BAO_TLS_SERVER_NAME: 'n', BAO_NAMESPACE: 'ns' }, { tlsServerName: 'n', namespace: 'ns' }],
    [{ VAULT_SKIP_VERIFY: 'true' }, { validateCerts: false }],
    [{ BAO_SKIP_VERIFY: '0' }, { validateCerts: true }],
    [{ VAULT_SKIP_VERIFY: 'false', BAO_SKIP_VERIFY: '0', VAULTENV_VALIDATE_CERTS: 'true' }, { validateCerts: true }],
    [{ VAULT_SKIP_VERIFY: '' }, {}],
    [{ VAULT_CACERT: '', VAULT_NAMESPACE: '', VAULTENV_TOKEN_FILE: '', VAULTENV_JWT_ROLE: '', VAULTENV_APPROLE_ROLE_ID: '' }, {}],
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
    [{ VAULT_CACERT: '/a', BAO_CACERT: '/b' }, 'VAULT_CACERT and BAO_CACERT'],
    [{ VAULTENV_VALIDATE_CERTS: 'true', VAULT_SKIP_VERIFY: '1' }, 'VAULTENV_VALIDATE_CERTS and VAULT_SKIP_VERIFY'],
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

  it('reads only the options of the command', () => {
    const text = 'VAULTENV_TOKEN_FILE=/t\nVAULTENV_GITHUB_TOKEN=g\nVAULTENV_RENEW_ONCE=true\nVAULTENV_EXEC_MODE=bogus\n';
    expect(parseConfigFileSource('/f', text, 'renew').source.values).toEqual({ tokenFile: '/t', renewOnce: true });
    expect(() => parseConfigFileSource('/f', text)).toThrow(ConfigError);
  });

  it('reads VAULT_SKIP_VERIFY as the negation of validate-certs', () => {
    expect(parseConfigFileSource('/f', 'VAULT_SKIP_VERIFY=1\n').source.values).toEqual({ validateCerts: false });
    const error = thrown(() => parseConfigFileSource('/f', 'VAULTENV_VALIDATE_CERTS=true\nVAULT_SKIP_VERIFY=true\n'));
    expect(error.message).toBe('conflicting values for VAULTENV_VALIDATE_CERTS and VAULT_SKIP_VERIFY');
    expect(error.hint).toMatch(/VAULT_SKIP_VERIFY=true is VAULTENV_VALIDATE_CERTS=false/);
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

  it('treats empty credentials, paths and names as not set', () => {
    const empty = { tokenFile: '', kubernetesRole: '', approleRoleId: '', jwtRole: '', jwtEnv: '', caCert: '', namespace: '' };
    expect(parseFlagSource(line(empty)).values).toEqual({});
  });

  it('types renew flags, without positionals', () => {
    const source = parseFlagSource({ kind: 'renew', flags: { renewIntervalSeconds: '7', renewFraction: '1', renewOnce: false, tokenFile: '/t' } });
    expect(source.values).toEqual({ renewIntervalSeconds: 7, renewFraction: 1, renewOnce: false, tokenFile: '/t' });
    expect(source.label).toBe('the command line');
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
    expect(readConfigFile(join(dir, 'a.conf'))).toBe('A=1\n');
  });

  it('skips a missing file, a directory and a path below a file', async () => {
    await mkdir(join(dir, 'sub'));
    expect(readConfigFile(join(dir, 'missing'))).toBeUndefined();
    expect(readConfigFile(join(dir, 'sub'))).toBeUndefined();
    expect(readConfigFile(join(dir, 'a.conf', 'x'))).toBeUndefined();
  });

  it('reports a file that cannot be read, naming it', async () => {
    await symlink('loop', join(dir, 'loop'));
    const error = thrown(() => readConfigFile(join(dir, 'loop')));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error).input).toBe(`file ${join(dir, 'loop')}`);
    expect((error).message).toBe('config file cannot be read (too many levels of symbolic links)');
  });

  it('reads a file of 256 KiB and refuses one byte more', async () => {
    const full = `A=${'x'.repeat(256 * 1024 - 3)}\n`;
    await writeFile(join(dir, 'full.conf'), full);
    await writeFile(join(dir, 'over.conf'), `${full}\n`);
    expect(readConfigFile(join(dir, 'full.conf'))).toBe(full);
    const error = thrownAs(ConfigError, () => readConfigFile(join(dir, 'over.conf')));
    expect(error.message).toBe('config file is larger than 256 KiB');
    expect(error.input).toBe(`file ${join(dir, 'over.conf')}`);
    expect(error.hint).toBe('it holds vaultenv settings and variables for the program: keep large data in a file of its own');
  });
});
