// The one Config type the rest of the program sees: every option merged from its sources (defaults <
// /etc/vaultenv.conf < user config < ./.env < environment < flags) and validated.

export type DuplicateVariableBehavior = 'error' | 'keep' | 'overwrite';
export type KvVersionSetting = 'auto' | '1' | '2';
export type ExecMode = 'auto' | 'execve' | 'spawn';
export type LogLevel = 'error' | 'info';

/**
 * The credential vaultenv authenticates with, picked by one rule (config/load.ts, README "Credentials"):
 * the highest level that configures one wins (flags > environment > ./.env > user file > /etc file);
 * within a level a login method beats a plain token; two logins, or two tokens, in one level are an
 * error. `none` means nothing is configured: auth/ then looks for the well-known token files
 * (/var/run/secrets/boostport.com/vault-token, then ~/.vault-token) and otherwise sends no token.
 */
export type AuthSetting =
  | { method: 'none' }
  | { method: 'token'; token: string }
  /** A kubernetes-vault JSON token file or a plain token (an Agent sink), re-read when needed. */
  | { method: 'token-file'; path: string }
  | { method: 'kubernetes'; role: string; jwtPath: string }
  | { method: 'github'; token: string }
  | { method: 'approle'; roleId: string; secretIdFile: string; secretIdWrapped: boolean }
  | { method: 'jwt'; role: string; jwt: { file: string } | { env: string } };

/** TLS settings beyond on/off (VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_CERT/KEY, VAULT_TLS_SERVER_NAME). */
export interface TlsFiles {
  caCert: string | undefined;
  caPath: string | undefined;
  clientCert: string | undefined;
  clientKey: string | undefined;
  serverName: string | undefined;
}

/** What every command that talks to Vault needs: the run command and `vaultenv renew`. */
export interface ConnectionConfig {
  host: string;
  port: number;
  tls: boolean;
  validateCerts: boolean;
  tlsFiles: TlsFiles;
  /** VAULT_NAMESPACE: sent as X-Vault-Namespace on logins and reads. */
  namespace: string | undefined;
  /** Whether any source set the address (host, port, addr): a token file's vaultAddr fills in only when not. */
  addressConfigured: boolean;
  auth: AuthSetting;
  /** The auth method's mount (`--auth-backend`); undefined means the method's default. */
  authBackend: string | undefined;
  retryBaseDelayMs: number;
  retryAttempts: number;
  requestTimeoutMs: number;
  logLevel: LogLevel;
}

/** `vaultenv renew`: the token-renewer sidecar. */
export interface RenewConfig extends ConnectionConfig {
  intervalMs: number;
  /** Renew when the remaining TTL is at most this fraction of the creation TTL (default 0.5). */
  renewFraction: number;
  once: boolean;
}

export interface Config extends ConnectionConfig {
  secretsFiles: string[];
  command: string;
  args: string[];
  inheritEnv: boolean;
  inheritEnvBlacklist: string[];
  usePath: boolean;
  maxConcurrentRequests: number;
  duplicateVariableBehavior: DuplicateVariableBehavior;
  kvVersion: KvVersionSetting;
  execMode: ExecMode;
  /** Put a token obtained by a login into the program's environment as VAULT_TOKEN (vaultenv always did). */
  exportToken: boolean;
  /**
   * Variables from the config files, passed to the child below the process environment (vaultenv
   * does this): ./.env first, then the user config, then /etc/vaultenv.conf; a name appears once,
   * from the first file that sets it.
   */
  configFileVariables: Array<[string, string]>;
}
