// The configuration the rest of the program sees: every option merged from its sources (defaults <
// /etc/vaultenv.conf < user config < ./.env < environment < flags), defaults applied. Each field is
// an option of the table in options.ts, under its id and with its type, except the options folded
// into `auth` and the address; so a new row is a new field here without a line written for it.

import type { FoldedId, IdOf, OptionValue, Settled } from './options.ts';

export type DuplicateVariableBehavior = OptionValue<'duplicateVariableBehavior'>;
export type KvVersionSetting = OptionValue<'kvVersion'>;
export type ExecMode = OptionValue<'execMode'>;

/**
 * The credential vaultenv authenticates with, picked by one rule (config/load.ts; README.md, section
 * "Options", paragraph "Credentials"): the highest level that configures one wins (flags >
 * environment > ./.env > user file > /etc file); within a level a login method beats a plain token;
 * two logins, or two tokens, in one level are an error. `none` means nothing is configured: auth/
 * then looks for the well-known token files (/var/run/secrets/boostport.com/vault-token, then
 * ~/.vault-token) and otherwise sends no token.
 */
export type AuthSetting =
  | { method: 'none' }
  | { method: 'token'; token: string }
  /** A kubernetes-vault JSON token file or a plain token (an Agent sink), re-read when needed. */
  | { method: 'token-file'; path: string }
  | { method: 'kubernetes'; role: string; jwtPath: string }
  | { method: 'github'; token: string }
  | { method: 'approle'; roleId: string; secretIdFile: string; secretIdWrapped: boolean }
  | { method: 'jwt'; role: string; jwt: JwtSource };

/**
 * Where a JWT login's token comes from: a file, a variable, or (inside GitHub Actions, with neither
 * given) GitHub's ID-token endpoint, asked for `audience` (undefined: GitHub's default audience).
 */
export type JwtSource = { file: string } | { env: string } | { githubActions: { audience: string | undefined } };

/** The options both commands read. */
type SharedId = IdOf<'run'> & IdOf<'renew'>;

/** What every command that talks to Vault needs: the run command and `vaultenv renew`. */
export type ConnectionConfig = Omit<Settled<SharedId>, FoldedId> & {
  auth: AuthSetting;
  /** Whether any source set the address (host, port, addr, agent address): a token file's vaultAddr fills in only when not. */
  addressConfigured: boolean;
  /** The unix socket of a `unix:///path` address: requests go over it, and host, port and TLS do not apply. */
  socketPath: string | undefined;
  /** The address is an Agent's or Proxy's (VAULT_AGENT_ADDR, BAO_AGENT_ADDR, --agent-addr). */
  agentAddress: boolean;
};

/** `vaultenv renew`: the token-renewer sidecar. */
export type RenewConfig = ConnectionConfig & Settled<Exclude<IdOf<'renew'>, SharedId>>;

/** What every command that fetches secrets reads (run, check, export): the connection, the login, the fetch. */
export type FetchConfig = ConnectionConfig &
  Omit<Settled<Exclude<IdOf<'run'> & IdOf<'export'>, SharedId>>, FoldedId | 'secretsFiles'> & { secretsFiles: string[] };

/** The formats of `vaultenv check` and of `vaultenv export`. */
export type CheckFormat = 'text' | 'json';
export type ExportFormat = 'dotenv' | 'shell' | 'json' | 'github';

/** `vaultenv check`: the run's configuration, CMD optional, and the report's format. */
export type CheckConfig = Omit<Config, 'command'> & { command: string | undefined; format: CheckFormat };

/** `vaultenv export`: what it fetches, and where and how it writes the secrets. */
export type ExportConfig = ConnectionConfig &
  Omit<Settled<Exclude<IdOf<'export'>, SharedId>>, FoldedId | 'secretsFiles' | 'format'> & { secretsFiles: string[]; format: ExportFormat };

/** The run command: the connection, the secrets files, CMD and the child's environment. */
export type Config = ConnectionConfig &
  Omit<Settled<Exclude<IdOf<'run'>, SharedId>>, FoldedId | 'secretsFiles' | 'command' | 'args'> & {
    secretsFiles: string[];
    command: string;
    args: string[];
    /**
     * Variables from the config files, passed to the child below the process environment (as vaultenv
     * 0.19 does): ./.env first, then the user config, then /etc/vaultenv.conf; a name appears once,
     * from the first file that sets it.
     */
    configFileVariables: Array<[string, string]>;
  };
