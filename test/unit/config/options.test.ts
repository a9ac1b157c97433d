import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../../src/config/options.ts';
import { buildConfig } from '../../../src/config/schema.ts';

describe('OPTIONS', () => {
  it('has unique ids, flags and environment names', () => {
    const ids = OPTIONS.map((row) => row.id);
    const flags = OPTIONS.flatMap((row) => [...row.flags, ...(row.kind === 'boolean' ? row.flags.map((f) => `no-${f}`) : [])]);
    const env = OPTIONS.flatMap((row) => row.env);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(env).size).toBe(env.length);
  });

  it("covers every vaultenv flag and key (compat §1.2) and ours", () => {
    const flags = OPTIONS.flatMap((row) => row.flags);
    expect(flags).toEqual(
      expect.arrayContaining([
        'host', 'port', 'addr', 'auth-backend', 'token', 'kubernetes-role', 'github-token', 'secrets-file', 'secret-file',
        'connect-tls', 'validate-certs', 'inherit-env', 'inherit-env-blacklist', 'retry-base-delay-milliseconds',
        'retry-attempts', 'log-level', 'use-path', 'max-concurrent-requests', 'duplicate-variable-behavior',
        'kv-version', 'request-timeout-milliseconds', 'exec-mode',
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
      ]),
    );
  });

  it('shows the defaults the schema applies', () => {
    const config = buildConfig({ command: 'x', secretsFiles: ['s'] }) as unknown as Record<string, unknown>;
    for (const row of OPTIONS) {
      if (row.default === undefined) continue;
      const value = config[row.id];
      expect(Array.isArray(value) ? value.join(',') : String(value), row.id).toBe(row.default);
    }
  });

  it('lists the enum words the schema accepts', () => {
    for (const row of OPTIONS.filter((r) => r.kind === 'enum')) {
      for (const word of row.values ?? []) {
        expect(() => buildConfig({ command: 'x', secretsFiles: ['s'], [row.id]: word })).not.toThrow();
      }
    }
  });
});
