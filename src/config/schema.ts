// The one final parse of the configuration: the per-field merge of every source (load.ts) goes through
// this zod schema, which fills in the defaults and yields the only `Config` type the program sees.
// The defaults and the accepted enum words live here; options.ts shows them in --help.

// zod/mini: the same validation as zod's chained API at a tenth of the bundle (start-up time).
import * as z from 'zod/mini';
import { ConfigError } from '../errors.ts';
import type { Config } from './types.ts';

export const LOG_LEVELS = ['error', 'info'] as const;
export const DUPLICATE_BEHAVIORS = ['error', 'keep', 'overwrite'] as const;
export const KV_VERSIONS = ['auto', '1', '2'] as const;
export const EXEC_MODES = ['auto', 'execve', 'spawn'] as const;

export const DEFAULTS = {
  host: 'localhost',
  port: 8200,
  tls: true,
  validateCerts: true,
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
} as const satisfies Partial<Config>;

const count = z.int().check(z.nonnegative());

const authSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('none') }),
  z.strictObject({ method: z.literal('token'), token: z.string().check(z.minLength(1)) }),
  z.strictObject({ method: z.literal('kubernetes'), role: z.string() }),
  z.strictObject({ method: z.literal('github'), token: z.string() }),
]);

const configSchema = z.strictObject({
  host: z._default(z.string().check(z.minLength(1)), DEFAULTS.host),
  port: z._default(z.int().check(z.minimum(1), z.maximum(65_535)), DEFAULTS.port),
  tls: z._default(z.boolean(), DEFAULTS.tls),
  validateCerts: z._default(z.boolean(), DEFAULTS.validateCerts),
  auth: z._default(authSchema, { method: 'none' as const }),
  authBackend: z.optional(z.string()),
  secretsFiles: z.array(z.string()).check(z.minLength(1)),
  command: z.string().check(z.minLength(1)),
  args: z._default(z.array(z.string()), []),
  inheritEnv: z._default(z.boolean(), DEFAULTS.inheritEnv),
  inheritEnvBlacklist: z._default(z.array(z.string()), [...DEFAULTS.inheritEnvBlacklist]),
  retryBaseDelayMs: z._default(count, DEFAULTS.retryBaseDelayMs),
  retryAttempts: z._default(count, DEFAULTS.retryAttempts),
  logLevel: z._default(z.enum(LOG_LEVELS), DEFAULTS.logLevel),
  usePath: z._default(z.boolean(), DEFAULTS.usePath),
  maxConcurrentRequests: z._default(count, DEFAULTS.maxConcurrentRequests),
  duplicateVariableBehavior: z._default(z.enum(DUPLICATE_BEHAVIORS), DEFAULTS.duplicateVariableBehavior),
  kvVersion: z._default(z.enum(KV_VERSIONS), DEFAULTS.kvVersion),
  requestTimeoutMs: z._default(z.int().check(z.minimum(1)), DEFAULTS.requestTimeoutMs),
  execMode: z._default(z.enum(EXEC_MODES), DEFAULTS.execMode),
  configFileVariables: z._default(z.array(z.tuple([z.string(), z.string()])), []),
});

/**
 * Applies the defaults to the merged values of all sources and checks them. Every source was validated on its own already
 * (with its name in the message), so a failure here is a gap in that validation; the message names
 * the field and what zod expected, never the value.
 */
export function buildConfig(input: unknown): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue === undefined ? '' : issue.path.map(String).join('.');
    throw new ConfigError(`invalid configuration value for ${field || 'the configuration'}`, {
      hint: issue?.message ?? 'Check the flags, environment variables and config files',
    });
  }
  const parsed = result.data;
  return { ...parsed, authBackend: parsed.authBackend };
}
