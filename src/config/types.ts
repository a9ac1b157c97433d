// The one Config type the rest of the program sees: every option merged from its sources (defaults <
// /etc/vaultenv.conf < user config < ./.env < environment < flags) and validated.

export type DuplicateVariableBehavior = 'error' | 'keep' | 'overwrite';
export type KvVersionSetting = 'auto' | '1' | '2';
export type ExecMode = 'auto' | 'execve' | 'spawn';
export type LogLevel = 'error' | 'info';

export type AuthSetting =
  | { method: 'none' }
  | { method: 'token'; token: string }
  | { method: 'kubernetes'; role: string }
  | { method: 'github'; token: string };

export interface Config {
  host: string;
  port: number;
  tls: boolean;
  validateCerts: boolean;
  auth: AuthSetting;
  /** The auth method's mount (`--auth-backend`); undefined means the method's default. */
  authBackend: string | undefined;
  secretsFiles: string[];
  command: string;
  args: string[];
  inheritEnv: boolean;
  inheritEnvBlacklist: string[];
  retryBaseDelayMs: number;
  retryAttempts: number;
  logLevel: LogLevel;
  usePath: boolean;
  maxConcurrentRequests: number;
  duplicateVariableBehavior: DuplicateVariableBehavior;
  kvVersion: KvVersionSetting;
  requestTimeoutMs: number;
  execMode: ExecMode;
  /**
   * Variables from the config files, passed to the child below the process environment (vaultenv
   * does this): ./.env first, then the user config, then /etc/vaultenv.conf; a name appears once,
   * from the first file that sets it.
   */
  configFileVariables: Array<[string, string]>;
}
