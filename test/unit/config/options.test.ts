import { describe, expect, it } from 'vitest';
import { OPTIONS, optionsFor, shownDefault } from '../../../src/config/options.ts';
import { loadConfig, loadExportConfig, loadRenewConfig, type ConfigFiles } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/types.ts';
import { ConfigError } from '../../../src/errors.ts';
import { thrown } from '../../helpers/thrown.ts';

/** Config files that do not exist: only the environment given, and the defaults. */
const NO_FILES: ConfigFiles = { system: '/nonexistent/vaultenv.conf', user: undefined, local: '/nonexistent/.env' };

/** The run command's configuration from `env` alone (plus a secrets file and a command unless `complete` is false). */
function loadRun(env: Record<string, string>, complete = true): Config {
  const base = complete ? { VAULTENV_SECRETS_FILE: 's', CMD: 'x' } : { CMD: 'x' };
  return loadConfig({ commandLine: { kind: 'run', flags: {}, command: undefined, args: [] }, env: { ...base, ...env }, cwd: '/', configFiles: NO_FILES });
}

describe('OPTIONS', () => {
  it('has unique ids, flags and environment names', () => {
    const ids = OPTIONS.map((row) => row.id);
    const flags = OPTIONS.flatMap((row) => [...row.flags, ...(row.kind === 'boolean' ? row.flags.map((f) => `no-${f}`) : [])]);
    const env = OPTIONS.flatMap((row) => row.env);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(env).size).toBe(env.length);
  });

  it("covers every flag and key of vaultenv 0.19, and ours", () => {
    const flags = OPTIONS.flatMap((row) => row.flags);
    expect(flags).toEqual(
      expect.arrayContaining([
        'host', 'port', 'addr', 'auth-backend', 'token', 'kubernetes-role', 'github-token', 'secrets-file', 'secret-file',
        'connect-tls', 'validate-certs', 'inherit-env', 'inherit-env-blacklist', 'retry-base-delay-milliseconds',
        'retry-attempts', 'log-level', 'use-path', 'max-concurrent-requests', 'duplicate-variable-behavior',
        'kv-version', 'request-timeout-milliseconds', 'exec-mode',
        'token-file', 'kubernetes-jwt-file', 'approle-role-id', 'approle-secret-id-file', 'approle-secret-id-wrapped',
        'jwt-role', 'jwt-file', 'jwt-env', 'export-token', 'ca-cert', 'ca-path', 'client-cert', 'client-key',
        'tls-server-name', 'namespace', 'interval', 'renew-fraction', 'once',
      ]),
    );
    const env = OPTIONS.flatMap((row) => row.env);
    expect(env).toEqual(
      expect.arrayContaining([
        'VAULT_HOST', 'VAULT_PORT', 'VAULT_ADDR', 'BAO_ADDR', 'VAULT_AUTH_BACKEND', 'VAULT_TOKEN', 'BAO_TOKEN',
        'VAULTENV_KUBERNETES_ROLE', 'VAULTENV_GITHUB_TOKEN', 'VAULTENV_SECRETS_FILE', 'CMD', 'ARGS...',
        'VAULTENV_CONNECT_TLS', 'VAULTENV_VALIDATE_CERTS', 'VAULTENV_INHERIT_ENV', 'VAULTENV_INHERIT_ENV_BLACKLIST',
        'VAULTENV_RETRY_BASE_DELAY', 'VAULTENV_RETRY_BASE_DELAY_MS', 'VAULTENV_RETRY_ATTEMPTS', 'VAULTENV_LOG_LEVEL',
        'VAULTENV_USE_PATH', 'VAULTENV_MAX_CONCURRENT_REQUESTS', 'VAULTENV_DUPLICATE_VARIABLE_BEHAVIOR',
        'VAULTENV_KV_VERSION', 'VAULTENV_REQUEST_TIMEOUT', 'VAULTENV_EXEC_MODE',
        'VAULTENV_TOKEN_FILE', 'VAULTENV_KUBERNETES_JWT_FILE', 'VAULTENV_APPROLE_ROLE_ID', 'VAULTENV_APPROLE_SECRET_ID_FILE',
        'VAULTENV_APPROLE_SECRET_ID_WRAPPED', 'VAULTENV_JWT_ROLE', 'VAULTENV_JWT_FILE', 'VAULTENV_JWT_ENV',
        'VAULTENV_EXPORT_TOKEN', 'VAULT_CACERT', 'BAO_CACERT', 'VAULT_CAPATH', 'BAO_CAPATH', 'VAULT_CLIENT_CERT',
        'BAO_CLIENT_CERT', 'VAULT_CLIENT_KEY', 'BAO_CLIENT_KEY', 'VAULT_TLS_SERVER_NAME', 'BAO_TLS_SERVER_NAME',
        'VAULT_SKIP_VERIFY', 'BAO_SKIP_VERIFY', 'VAULT_NAMESPACE', 'BAO_NAMESPACE', 'VAULTENV_RENEW_INTERVAL',
        'VAULTENV_RENEW_FRACTION', 'VAULTENV_RENEW_ONCE',
      ]),
    );
  });

  it('shows the defaults load.ts applies', () => {
    const config = loadRun({}) as unknown as Record<string, unknown>;
    const renew = loadRenewConfig({ commandLine: { kind: 'renew', flags: {} }, env: {}, cwd: '/', configFiles: NO_FILES }) as unknown as Record<string, unknown>;
    const exported = loadExportConfig({ commandLine: { kind: 'export', flags: {} }, env: { VAULTENV_SECRETS_FILE: 's' }, cwd: '/', configFiles: NO_FILES }) as unknown as Record<string, unknown>;
    // The login modifiers' defaults land in `auth`.
    const kubernetes = loadRun({ VAULTENV_KUBERNETES_ROLE: 'r' }).auth;
    const approle = loadRun({ VAULTENV_APPROLE_ROLE_ID: 'r', VAULTENV_APPROLE_SECRET_ID_FILE: '/s' }).auth;
    const elsewhere: Record<string, unknown> = {
      kubernetesJwtFile: kubernetes.method === 'kubernetes' ? kubernetes.jwtPath : undefined,
      approleSecretIdWrapped: approle.method === 'approle' ? approle.secretIdWrapped : undefined,
    };
    const shown = { tls: 'true', port: '8200', inheritEnvBlacklist: '', retryAttempts: '9', renewFraction: '0.5', renewIntervalSeconds: '10' };
    for (const row of OPTIONS) {
      if (row.default === undefined) continue;
      const value = Object.hasOwn(elsewhere, row.id)
        ? elsewhere[row.id]
        : row.commands.includes('run')
          ? config[row.id]
          : row.commands.includes('renew')
            ? renew[row.id]
            : exported[row.id];
      expect(value, row.id).toEqual(row.default);
      if (Object.hasOwn(shown, row.id)) expect(shownDefault(row), row.id).toBe(shown[row.id as keyof typeof shown]);
    }
  });

  it('gives a boolean at most one flag, and flags are lowercase words (src/cli/command-line.ts relies on both)', () => {
    for (const row of OPTIONS) {
      if (row.kind === 'boolean') expect(row.flags.length, row.id).toBeLessThanOrEqual(1);
      for (const flag of row.flags) expect(flag, row.id).toMatch(/^[a-z][a-z0-9-]*$/);
    }
  });

  it('tags every row with the commands that read it', () => {
    expect(optionsFor('run').map((row) => row.id)).toEqual([
      'host', 'port', 'addr', 'agentAddr', 'tls', 'validateCerts', 'caCert', 'caPath', 'clientCert', 'clientKey', 'tlsServerName',
      'namespace', 'trustDotenv', 'token', 'tokenFile', 'kubernetesRole', 'kubernetesJwtFile', 'githubToken', 'approleRoleId',
      'approleSecretIdFile', 'approleSecretIdWrapped', 'jwtRole', 'jwtFile', 'jwtEnv', 'jwtAudience', 'authBackend', 'exportToken',
      'revokeToken', 'secretsFiles', 'secretsDir', 'command', 'args', 'inheritEnv', 'inheritEnvBlacklist', 'retryBaseDelayMs', 'retryAttempts',
      'logLevel', 'usePath', 'maxConcurrentRequests', 'http2', 'duplicateVariableBehavior', 'kvVersion', 'requestTimeoutMs', 'deadlineSeconds',
      'execMode', 'mask', 'githubMask', 'supervise', 'watchIntervalSeconds', 'onChange', 'stopTimeoutSeconds', 'revoke',
    ]);
    // check reads the run's options and --format; export what a fetch needs, and where and how it writes.
    expect(optionsFor('check').map((row) => row.id)).toEqual([...optionsFor('run').map((row) => row.id), 'format']);
    expect(optionsFor('export').map((row) => row.id)).toEqual([
      'host', 'port', 'addr', 'agentAddr', 'tls', 'validateCerts', 'caCert', 'caPath', 'clientCert', 'clientKey', 'tlsServerName',
      'namespace', 'trustDotenv', 'token', 'tokenFile', 'kubernetesRole', 'kubernetesJwtFile', 'githubToken', 'approleRoleId',
      'approleSecretIdFile', 'approleSecretIdWrapped', 'jwtRole', 'jwtFile', 'jwtEnv', 'jwtAudience', 'authBackend',
      'revokeToken', 'secretsFiles', 'retryBaseDelayMs', 'retryAttempts', 'logLevel', 'maxConcurrentRequests', 'http2', 'kvVersion',
      'requestTimeoutMs', 'deadlineSeconds', 'format', 'output', 'force',
    ]);
    expect(optionsFor('renew').map((row) => row.id)).toEqual([
      'host', 'port', 'addr', 'agentAddr', 'tls', 'validateCerts', 'caCert', 'caPath', 'clientCert', 'clientKey', 'tlsServerName',
      'namespace', 'trustDotenv', 'token', 'tokenFile', 'retryBaseDelayMs', 'retryAttempts', 'logLevel', 'requestTimeoutMs',
      'renewIntervalSeconds', 'renewFraction', 'renewOnce',
    ]);
    for (const row of optionsFor('run')) expect(row.id).not.toMatch(/^renew/);
  });

  it('lists negated names among the environment names of their row', () => {
    for (const row of OPTIONS) {
      for (const name of row.negatedEnv ?? []) expect(row.env, row.id).toContain(name);
      if (row.negatedEnv !== undefined) expect(row.kind).toBe('boolean');
    }
  });

  it('takes every enum word of a row, from the environment, into the configuration', () => {
    for (const row of optionsFor('run').filter((r) => r.kind === 'enum')) {
      for (const word of row.values ?? []) {
        const config = (loadRun({ [row.env[0] ?? '']: word })) as unknown as Record<string, unknown>;
        expect(config[row.id], row.id).toBe(word);
      }
    }
  });
});

describe('values no source accepts', () => {
  const whole = (range: string): string => `Expected a whole number ${range}, written with the digits 0-9 only`;
  it.each<{ env: Record<string, string>; message: string; hint: string }>([
    { env: { VAULT_PORT: '0' }, message: 'invalid value for environment variable VAULT_PORT', hint: whole('from 1 to 65535') },
    { env: { VAULT_HOST: '' }, message: 'invalid value for environment variable VAULT_HOST', hint: 'It may not be empty' },
    { env: {}, message: 'no secrets file given', hint: 'pass --secrets-file FILE or set VAULTENV_SECRETS_FILE' },
    { env: { VAULTENV_LOG_LEVEL: 'debug' }, message: 'invalid value for environment variable VAULTENV_LOG_LEVEL', hint: 'Expected one of: error, info' },
    // Longer than a Node timer can wait: it would fire at once.
    { env: { VAULTENV_REQUEST_TIMEOUT: '2147483648' }, message: 'invalid value for environment variable VAULTENV_REQUEST_TIMEOUT', hint: whole('from 1 to 2147483647') },
    { env: { VAULTENV_RETRY_BASE_DELAY: '2147483648' }, message: 'invalid value for environment variable VAULTENV_RETRY_BASE_DELAY', hint: whole('from 0 to 2147483647') },
    { env: { VAULTENV_DEADLINE: '0' }, message: 'invalid value for environment variable VAULTENV_DEADLINE', hint: whole('from 1 to 2147483') },
    { env: { VAULTENV_DEADLINE: '2147484' }, message: 'invalid value for environment variable VAULTENV_DEADLINE', hint: whole('from 1 to 2147483') },
  ])('$message', ({ env, message, hint }) => {
    const error = thrown(() => loadRun(env, false));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(message);
    expect((error as ConfigError).hint).toBe(hint);
  });

  it('an empty TLS server name counts as not set', () => {
    expect(loadRun({ VAULT_TLS_SERVER_NAME: '' }).tlsServerName).toBeUndefined();
  });

  it('takes the longest timers Node can wait', () => {
    const config = loadRun({ VAULTENV_REQUEST_TIMEOUT: '2147483647', VAULTENV_RETRY_BASE_DELAY: '2147483647' });
    expect([config.requestTimeoutMs, config.retryBaseDelayMs]).toEqual([2_147_483_647, 2_147_483_647]);
    const renew = loadRenewConfig({ commandLine: { kind: 'renew', flags: {} }, env: { VAULTENV_RENEW_INTERVAL: '2147483' }, cwd: '/', configFiles: NO_FILES });
    expect(renew.renewIntervalSeconds).toBe(2_147_483);
    const tooLong = thrown(() =>
      loadRenewConfig({ commandLine: { kind: 'renew', flags: {} }, env: { VAULTENV_RENEW_INTERVAL: '2147484' }, cwd: '/', configFiles: NO_FILES }),
    );
    expect((tooLong as ConfigError).message).toBe('invalid value for environment variable VAULTENV_RENEW_INTERVAL');
  });

  it('vaultenv renew: a fraction above 1', () => {
    const error = thrown(() =>
      loadRenewConfig({ commandLine: { kind: 'renew', flags: {} }, env: { VAULTENV_RENEW_FRACTION: '2' }, cwd: '/', configFiles: NO_FILES }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('invalid value for environment variable VAULTENV_RENEW_FRACTION');
  });
});
