// The one final parse of the configuration: the merge of every source (load.ts) goes through these zod
// schemas, which fill in the defaults and yield the `Config` (run) and `RenewConfig` (renew) types.
// The defaults and the accepted enum words live here; options.ts shows them in --help.

// zod/mini: the same validation as zod's chained API at a tenth of the bundle (start-up time).
import * as z from 'zod/mini';
import { ConfigError } from '../errors.ts';
import type { Config, ConnectionConfig, RenewConfig, TlsFiles } from './types.ts';

export const LOG_LEVELS = ['error', 'info'] as const;
export const DUPLICATE_BEHAVIORS = ['error', 'keep', 'overwrite'] as const;
export const KV_VERSIONS = ['auto', '1', '2'] as const;
export const EXEC_MODES = ['auto', 'execve', 'spawn'] as const;

export const DEFAULTS = {
  host: 'localhost',
  port: 8200,
  tls: true,
  validateCerts: true,
  kubernetesJwtFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
  approleSecretIdWrapped: false,
  exportToken: false,
  inheritEnv: true,
  inheritEnvBlacklist: [] as string[],
  retryBaseDelayMs: 40,
  retryAttempts: 9,
  logLevel: 'error',
  usePath: true,
  maxConcurrentRequests: 8,
  duplicateVariableBehavior: 'error',
  kvVersion: 'auto',
  requestTimeoutMs: 30_000,
  execMode: 'auto',
  renewIntervalSeconds: 10,
  renewFraction: 0.5,
  renewOnce: false,
} as const;

const count = z.int().check(z.nonnegative());
const nonEmpty = z.string().check(z.minLength(1));
const optionalPath = z.optional(nonEmpty);

const authSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('none') }),
  z.strictObject({ method: z.literal('token'), token: nonEmpty }),
  z.strictObject({ method: z.literal('token-file'), path: nonEmpty }),
  z.strictObject({ method: z.literal('kubernetes'), role: nonEmpty, jwtPath: nonEmpty }),
  z.strictObject({ method: z.literal('github'), token: nonEmpty }),
  z.strictObject({
    method: z.literal('approle'),
    roleId: nonEmpty,
    secretIdFile: nonEmpty,
    secretIdWrapped: z.boolean(),
  }),
  z.strictObject({
    method: z.literal('jwt'),
    role: nonEmpty,
    jwt: z.union([z.strictObject({ file: nonEmpty }), z.strictObject({ env: nonEmpty })]),
  }),
]);

const tlsFilesSchema = z.strictObject({
  caCert: optionalPath,
  caPath: optionalPath,
  clientCert: optionalPath,
  clientKey: optionalPath,
  serverName: optionalPath,
});

/** ConnectionConfig: what the run command and `vaultenv renew` share. */
const connectionShape = {
  host: z._default(nonEmpty, DEFAULTS.host),
  port: z._default(z.int().check(z.minimum(1), z.maximum(65_535)), DEFAULTS.port),
  tls: z._default(z.boolean(), DEFAULTS.tls),
  validateCerts: z._default(z.boolean(), DEFAULTS.validateCerts),
  tlsFiles: z._default(tlsFilesSchema, {}),
  namespace: z.optional(nonEmpty),
  addressConfigured: z._default(z.boolean(), false),
  auth: z._default(authSchema, { method: 'none' as const }),
  authBackend: z.optional(z.string()),
  retryBaseDelayMs: z._default(count, DEFAULTS.retryBaseDelayMs),
  retryAttempts: z._default(count, DEFAULTS.retryAttempts),
  requestTimeoutMs: z._default(z.int().check(z.minimum(1)), DEFAULTS.requestTimeoutMs),
  logLevel: z._default(z.enum(LOG_LEVELS), DEFAULTS.logLevel),
};

const configSchema = z.strictObject({
  ...connectionShape,
  secretsFiles: z.array(z.string()).check(z.minLength(1)),
  command: nonEmpty,
  args: z._default(z.array(z.string()), []),
  inheritEnv: z._default(z.boolean(), DEFAULTS.inheritEnv),
  inheritEnvBlacklist: z._default(z.array(z.string()), [...DEFAULTS.inheritEnvBlacklist]),
  usePath: z._default(z.boolean(), DEFAULTS.usePath),
  maxConcurrentRequests: z._default(count, DEFAULTS.maxConcurrentRequests),
  duplicateVariableBehavior: z._default(z.enum(DUPLICATE_BEHAVIORS), DEFAULTS.duplicateVariableBehavior),
  kvVersion: z._default(z.enum(KV_VERSIONS), DEFAULTS.kvVersion),
  execMode: z._default(z.enum(EXEC_MODES), DEFAULTS.execMode),
  exportToken: z._default(z.boolean(), DEFAULTS.exportToken),
  configFileVariables: z._default(z.array(z.tuple([z.string(), z.string()])), []),
});

const renewConfigSchema = z.strictObject({
  ...connectionShape,
  intervalMs: z._default(z.int().check(z.minimum(1000)), DEFAULTS.renewIntervalSeconds * 1000),
  renewFraction: z._default(z.number().check(z.positive(), z.maximum(1)), DEFAULTS.renewFraction),
  once: z._default(z.boolean(), DEFAULTS.renewOnce),
});

/**
 * Applies the defaults to the merged values of all sources and checks them. Every source was validated on its own already
 * (with its name in the message), so a failure here is a gap in that validation; the message names
 * the field and what zod expected, never the value.
 */
export function buildConfig(input: unknown): Config {
  const parsed = parseWith(configSchema, input);
  return { ...parsed, ...connectionFields(parsed) };
}

/** The same for `vaultenv renew`. */
export function buildRenewConfig(input: unknown): RenewConfig {
  const parsed = parseWith(renewConfigSchema, input);
  return { ...parsed, ...connectionFields(parsed) };
}

interface ParsedConnection {
  authBackend?: string | undefined;
  namespace?: string | undefined;
  tlsFiles: Partial<TlsFiles>;
}

/** zod leaves optional keys out; the types list them (as undefined), so every key is always there. */
function connectionFields(parsed: ParsedConnection): Pick<ConnectionConfig, 'authBackend' | 'namespace' | 'tlsFiles'> {
  const { caCert, caPath, clientCert, clientKey, serverName } = parsed.tlsFiles;
  return {
    authBackend: parsed.authBackend,
    namespace: parsed.namespace,
    tlsFiles: { caCert, caPath, clientCert, clientKey, serverName },
  };
}

function parseWith<T>(schema: z.ZodMiniType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue === undefined ? '' : issue.path.map(String).join('.');
    throw new ConfigError(`invalid configuration value for ${field || 'the configuration'}`, {
      input: field === '' ? 'the merged configuration' : `${field} in the merged configuration`,
      hint: issue?.message ?? 'Check the flags, environment variables and config files',
    });
  }
  return result.data;
}
