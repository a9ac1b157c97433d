// The one final parse of the configuration: the per-field merge of every source (load.ts) goes through
// this zod schema, which fills in the defaults and yields the only `Config` type the program sees.
// The defaults and the accepted enum words live here; options.ts shows them in --help.

import { z } from 'zod';
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

const count = z.int().nonnegative();

const authSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('none') }),
  z.strictObject({ method: z.literal('token'), token: z.string().min(1) }),
  z.strictObject({ method: z.literal('kubernetes'), role: z.string() }),
  z.strictObject({ method: z.literal('github'), token: z.string() }),
]);

const configSchema = z.strictObject({
  host: z.string().min(1).default(DEFAULTS.host),
  port: z.int().min(1).max(65_535).default(DEFAULTS.port),
  tls: z.boolean().default(DEFAULTS.tls),
  validateCerts: z.boolean().default(DEFAULTS.validateCerts),
  auth: authSchema.default({ method: 'none' }),
  authBackend: z.string().optional(),
  secretsFiles: z.array(z.string()).min(1),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  inheritEnv: z.boolean().default(DEFAULTS.inheritEnv),
  inheritEnvBlacklist: z.array(z.string()).default([...DEFAULTS.inheritEnvBlacklist]),
  retryBaseDelayMs: count.default(DEFAULTS.retryBaseDelayMs),
  retryAttempts: count.default(DEFAULTS.retryAttempts),
  logLevel: z.enum(LOG_LEVELS).default(DEFAULTS.logLevel),
  usePath: z.boolean().default(DEFAULTS.usePath),
  maxConcurrentRequests: count.default(DEFAULTS.maxConcurrentRequests),
  duplicateVariableBehavior: z.enum(DUPLICATE_BEHAVIORS).default(DEFAULTS.duplicateVariableBehavior),
  kvVersion: z.enum(KV_VERSIONS).default(DEFAULTS.kvVersion),
  requestTimeoutMs: z.int().min(1).default(DEFAULTS.requestTimeoutMs),
  execMode: z.enum(EXEC_MODES).default(DEFAULTS.execMode),
  configFileVariables: z.array(z.tuple([z.string(), z.string()])).default([]),
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
