// The defaults and the accepted enum words of the options. options.ts shows them in --help and the
// README; load.ts applies them when no source sets an option.

import type { DuplicateVariableBehavior, ExecMode, KvVersionSetting, LogLevel } from './types.ts';

export const LOG_LEVELS = ['error', 'info'] as const satisfies readonly LogLevel[];
export const DUPLICATE_BEHAVIORS = ['error', 'keep', 'overwrite'] as const satisfies readonly DuplicateVariableBehavior[];
export const KV_VERSIONS = ['auto', '1', '2'] as const satisfies readonly KvVersionSetting[];
export const EXEC_MODES = ['auto', 'execve', 'spawn'] as const satisfies readonly ExecMode[];

/**
 * The longest a Node timer waits (2^31 - 1 ms, about 24.8 days); a longer one fires at once. Bounds
 * the options that become timers (request timeout, retry delays, the renew interval).
 */
export const MAX_TIMER_MS = 2_147_483_647;

export const DEFAULTS = {
  host: 'localhost',
  port: 8200,
  tls: true,
  validateCerts: true,
  kubernetesJwtFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
  approleSecretIdWrapped: false,
  exportToken: false,
  inheritEnv: true,
  inheritEnvBlacklist: [] as readonly string[],
  retryBaseDelayMs: 40,
  retryAttempts: 9,
  logLevel: 'error' as LogLevel,
  usePath: true,
  maxConcurrentRequests: 8,
  duplicateVariableBehavior: 'error' as DuplicateVariableBehavior,
  kvVersion: 'auto' as KvVersionSetting,
  requestTimeoutMs: 30_000,
  execMode: 'auto' as ExecMode,
  renewIntervalSeconds: 10,
  renewFraction: 0.5,
  renewOnce: false,
} as const;
