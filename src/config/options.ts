// The one table of vaultenv's options. Each row drives the commander definition (cli/program.ts), the
// parsing of environment variables and config-file keys (sources.ts, typed-values.ts), the --help text
// and the README. Defaults and enum words come from defaults.ts; load.ts applies the defaults.
// A row's `commands` says which commands read it: `vaultenv [options] CMD` (run) and `vaultenv renew`.

import { DEFAULTS, DUPLICATE_BEHAVIORS, EXEC_MODES, KV_VERSIONS, LOG_LEVELS, MAX_TIMER_MS } from './defaults.ts';
import type { DuplicateVariableBehavior, ExecMode, KvVersionSetting, LogLevel } from './types.ts';

/**
 * How a value is written in the environment, a config file or a flag:
 * - string: taken as is, except for the rows' `trim` and `chars` rules
 * - boolean: exactly `true` or `false` (flags: `--X` / `--no-X`)
 * - integer: one or more ASCII digits
 * - fraction: a decimal number greater than 0 and at most 1: digits, optionally `.` and digits (`0.5`, `.25`, `1`)
 * - list: split on `,`, no trimming (`""` gives `[""]`)
 * - enum: exactly one of `values`
 * - address: an `http://` or `https://` URL, split by address.ts
 * - words: split on whitespace (the `ARGS...` key)
 */
export type OptionKind = 'string' | 'boolean' | 'integer' | 'fraction' | 'list' | 'enum' | 'address' | 'words';

/** The commands: `run` is `vaultenv [options] CMD [ARGS...]`, `renew` is `vaultenv renew [options]`. */
export type CommandName = 'run' | 'renew';

/** One source's typed values, keyed by option id; a missing key means the source does not set it. */
export interface OptionValues {
  host?: string;
  port?: number;
  addr?: string;
  namespace?: string;
  authBackend?: string;
  token?: string;
  tokenFile?: string;
  kubernetesRole?: string;
  kubernetesJwtFile?: string;
  githubToken?: string;
  approleRoleId?: string;
  approleSecretIdFile?: string;
  approleSecretIdWrapped?: boolean;
  jwtRole?: string;
  jwtFile?: string;
  jwtEnv?: string;
  exportToken?: boolean;
  secretsFiles?: string[];
  command?: string;
  args?: string[];
  tls?: boolean;
  validateCerts?: boolean;
  caCert?: string;
  caPath?: string;
  clientCert?: string;
  clientKey?: string;
  tlsServerName?: string;
  inheritEnv?: boolean;
  inheritEnvBlacklist?: string[];
  retryBaseDelayMs?: number;
  retryAttempts?: number;
  logLevel?: LogLevel;
  usePath?: boolean;
  maxConcurrentRequests?: number;
  duplicateVariableBehavior?: DuplicateVariableBehavior;
  kvVersion?: KvVersionSetting;
  requestTimeoutMs?: number;
  execMode?: ExecMode;
  renewIntervalSeconds?: number;
  renewFraction?: number;
  renewOnce?: boolean;
}

export type OptionId = keyof OptionValues;

export interface OptionRow {
  readonly id: OptionId;
  /** The commands that read this option (flag, environment and config-file key alike). */
  readonly commands: readonly CommandName[];
  /** Long flag names without `--`, primary first. Booleans also get `--no-<primary>`. Empty: positional. */
  readonly flags: readonly string[];
  /** The placeholder shown in help (`--port PORT`); for positionals, their name. */
  readonly metavar?: string;
  /** Environment variable and config-file key names, primary first, then aliases. */
  readonly env: readonly string[];
  /**
   * Names in `env` that hold the negation of the value, written `true`/`false` or `1`/`0` (the Vault
   * CLI's VAULT_SKIP_VERIFY); empty counts as not set, as in the Vault CLI. They are aliases like the
   * others: in one source they must agree.
   */
  readonly negatedEnv?: readonly string[];
  readonly kind: OptionKind;
  /** An empty value (flag, environment or file) counts as not set. */
  readonly emptyIsUnset?: boolean;
  /**
   * Leading and trailing whitespace is removed (a token mounted from a Kubernetes secret into the
   * environment often ends in a newline). What is left empty counts as not set with `emptyIsUnset`.
   */
  readonly trim?: boolean;
  /** An empty value is an error (a host name: an empty one could only fail later, at the connection). */
  readonly nonEmpty?: boolean;
  /**
   * The value may not contain whitespace or control characters (after `trim`). `header`: printable
   * ASCII only (a token, or the namespace, which Node sends as an HTTP header); `word`: any other
   * character is fine (a mount path in a URL, the TLS server name).
   */
  readonly chars?: 'header' | 'word';
  /** The accepted words of an enum. */
  readonly values?: readonly string[];
  /** Inclusive bounds of an integer. */
  readonly min?: number;
  readonly max?: number;
  /** The flag may be given several times; each adds to a list (env and files give one value). */
  readonly repeatable?: boolean;
  /** The default as shown in help and README; undefined when there is none. */
  readonly default?: string;
  readonly description: string;
}

/** The usage lines, shared by --help and the missing-command error. */
export const USAGE = 'vaultenv [options] [--] CMD [ARGS...]';
export const RENEW_USAGE = 'vaultenv renew [options]';

const onOff = (value: boolean): string => (value ? 'true' : 'false');

const RUN = ['run'] as const;
const BOTH = ['run', 'renew'] as const;
const RENEW = ['renew'] as const;

export const OPTIONS: readonly OptionRow[] = [
  {
    id: 'host',
    commands: BOTH,
    flags: ['host'],
    metavar: 'HOST',
    env: ['VAULT_HOST'],
    kind: 'string',
    nonEmpty: true,
    default: DEFAULTS.host,
    description: 'Vault host name or IP address. A URL (https://host:port) is taken as --addr.',
  },
  {
    id: 'port',
    commands: BOTH,
    flags: ['port'],
    metavar: 'PORT',
    env: ['VAULT_PORT'],
    kind: 'integer',
    min: 1,
    max: 65_535,
    default: String(DEFAULTS.port),
    description: 'Vault port.',
  },
  {
    id: 'addr',
    commands: BOTH,
    flags: ['addr'],
    metavar: 'ADDR',
    env: ['VAULT_ADDR', 'BAO_ADDR'],
    kind: 'address',
    description:
      'Vault address: http:// or https://, the host, and optionally :PORT (default 443 or 80). Sets host, port and TLS; ' +
      'host, port or TLS settings in the same source must agree with it.',
  },
  {
    id: 'tls',
    commands: BOTH,
    flags: ['connect-tls'],
    env: ['VAULTENV_CONNECT_TLS'],
    kind: 'boolean',
    default: onOff(DEFAULTS.tls),
    description: 'Connect to Vault with TLS (HTTPS).',
  },
  {
    id: 'validateCerts',
    commands: BOTH,
    flags: ['validate-certs'],
    env: ['VAULTENV_VALIDATE_CERTS', 'VAULT_SKIP_VERIFY', 'BAO_SKIP_VERIFY'],
    negatedEnv: ['VAULT_SKIP_VERIFY', 'BAO_SKIP_VERIFY'],
    kind: 'boolean',
    default: onOff(DEFAULTS.validateCerts),
    description:
      "Verify Vault's TLS certificate. VAULT_SKIP_VERIFY and BAO_SKIP_VERIFY mean the opposite and, as in the Vault CLI, " +
      'also accept 1 and 0; in one source they must agree with VAULTENV_VALIDATE_CERTS.',
  },
  {
    id: 'caCert',
    commands: BOTH,
    flags: ['ca-cert'],
    metavar: 'PATH',
    env: ['VAULT_CACERT', 'BAO_CACERT'],
    kind: 'string',
    emptyIsUnset: true,
    description: "PEM file of the CA certificates to verify Vault's certificate with.",
  },
  {
    id: 'caPath',
    commands: BOTH,
    flags: ['ca-path'],
    metavar: 'DIR',
    env: ['VAULT_CAPATH', 'BAO_CAPATH'],
    kind: 'string',
    emptyIsUnset: true,
    description: "Directory of PEM files of CA certificates to verify Vault's certificate with.",
  },
  {
    id: 'clientCert',
    commands: BOTH,
    flags: ['client-cert'],
    metavar: 'PATH',
    env: ['VAULT_CLIENT_CERT', 'BAO_CLIENT_CERT'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'PEM file of the TLS client certificate. Give it with --client-key, in the same source.',
  },
  {
    id: 'clientKey',
    commands: BOTH,
    flags: ['client-key'],
    metavar: 'PATH',
    env: ['VAULT_CLIENT_KEY', 'BAO_CLIENT_KEY'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'PEM file of the private key of --client-cert.',
  },
  {
    id: 'tlsServerName',
    commands: BOTH,
    flags: ['tls-server-name'],
    metavar: 'NAME',
    env: ['VAULT_TLS_SERVER_NAME', 'BAO_TLS_SERVER_NAME'],
    kind: 'string',
    emptyIsUnset: true,
    chars: 'word',
    description: "Name sent as TLS SNI and expected in Vault's certificate, when it is not the host.",
  },
  {
    id: 'namespace',
    commands: BOTH,
    flags: ['namespace'],
    metavar: 'NS',
    env: ['VAULT_NAMESPACE', 'BAO_NAMESPACE'],
    kind: 'string',
    emptyIsUnset: true,
    chars: 'header',
    description: 'Namespace of logins and reads (sent as X-Vault-Namespace).',
  },
  {
    id: 'token',
    commands: BOTH,
    flags: ['token'],
    metavar: 'TOKEN',
    env: ['VAULT_TOKEN', 'BAO_TOKEN'],
    kind: 'string',
    emptyIsUnset: true,
    trim: true,
    chars: 'header',
    description:
      'Vault token to authenticate with; surrounding whitespace (a trailing newline) is removed. ' +
      'A login method set in the same source wins over it.',
  },
  {
    id: 'tokenFile',
    commands: BOTH,
    flags: ['token-file'],
    metavar: 'PATH',
    env: ['VAULTENV_TOKEN_FILE'],
    kind: 'string',
    emptyIsUnset: true,
    description:
      'File holding the Vault token: a kubernetes-vault JSON token file or a plain token (a Vault Agent sink). ' +
      'A login method set in the same source wins over it.',
  },
  {
    id: 'kubernetesRole',
    commands: RUN,
    flags: ['kubernetes-role'],
    metavar: 'ROLE',
    env: ['VAULTENV_KUBERNETES_ROLE'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'Log in with the Kubernetes auth method and this role, with the service account token of --kubernetes-jwt-file.',
  },
  {
    id: 'kubernetesJwtFile',
    commands: RUN,
    flags: ['kubernetes-jwt-file'],
    metavar: 'PATH',
    env: ['VAULTENV_KUBERNETES_JWT_FILE'],
    kind: 'string',
    emptyIsUnset: true,
    default: DEFAULTS.kubernetesJwtFile,
    description: 'The service account token (JWT) file for --kubernetes-role.',
  },
  {
    id: 'githubToken',
    commands: RUN,
    flags: ['github-token'],
    metavar: 'TOKEN',
    env: ['VAULTENV_GITHUB_TOKEN'],
    kind: 'string',
    emptyIsUnset: true,
    trim: true,
    chars: 'header',
    description:
      'Log in with the GitHub auth method and this personal access token; surrounding whitespace (a trailing newline) is removed.',
  },
  {
    id: 'approleRoleId',
    commands: RUN,
    flags: ['approle-role-id'],
    metavar: 'ID',
    env: ['VAULTENV_APPROLE_ROLE_ID'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'Log in with the AppRole auth method and this role ID, with the secret ID of --approle-secret-id-file.',
  },
  {
    id: 'approleSecretIdFile',
    commands: RUN,
    flags: ['approle-secret-id-file'],
    metavar: 'PATH',
    env: ['VAULTENV_APPROLE_SECRET_ID_FILE'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'File holding the AppRole secret ID for --approle-role-id (required with it).',
  },
  {
    id: 'approleSecretIdWrapped',
    commands: RUN,
    flags: ['approle-secret-id-wrapped'],
    env: ['VAULTENV_APPROLE_SECRET_ID_WRAPPED'],
    kind: 'boolean',
    default: onOff(DEFAULTS.approleSecretIdWrapped),
    description:
      'The --approle-secret-id-file holds a response-wrapping token: unwrap it to get the secret ID. ' +
      'A wrapping response (JSON) in the file is recognised without this.',
  },
  {
    id: 'jwtRole',
    commands: RUN,
    flags: ['jwt-role'],
    metavar: 'ROLE',
    env: ['VAULTENV_JWT_ROLE'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'Log in with the JWT auth method and this role, with the JWT of --jwt-file or --jwt-env.',
  },
  {
    id: 'jwtFile',
    commands: RUN,
    flags: ['jwt-file'],
    metavar: 'PATH',
    env: ['VAULTENV_JWT_FILE'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'File holding the JWT for --jwt-role. Give this or --jwt-env; of the two, the highest source decides.',
  },
  {
    id: 'jwtEnv',
    commands: RUN,
    flags: ['jwt-env'],
    metavar: 'NAME',
    env: ['VAULTENV_JWT_ENV'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'Name of the environment variable holding the JWT for --jwt-role. Give this or --jwt-file.',
  },
  {
    id: 'authBackend',
    commands: RUN,
    flags: ['auth-backend'],
    metavar: 'AUTH_BACKEND',
    env: ['VAULT_AUTH_BACKEND'],
    kind: 'string',
    chars: 'word',
    description: 'Mount name of the auth method. Default: the method name (kubernetes, github, approle or jwt).',
  },
  {
    id: 'exportToken',
    commands: RUN,
    flags: ['export-token'],
    env: ['VAULTENV_EXPORT_TOKEN'],
    kind: 'boolean',
    default: onOff(DEFAULTS.exportToken),
    description: "Put the token a login obtained into CMD's environment as VAULT_TOKEN.",
  },
  {
    id: 'secretsFiles',
    commands: RUN,
    flags: ['secrets-file', 'secret-file'],
    metavar: 'FILENAME',
    env: ['VAULTENV_SECRETS_FILE'],
    kind: 'string',
    repeatable: true,
    description: 'File naming the secrets to fetch (required). The flag may be repeated.',
  },
  {
    id: 'command',
    commands: RUN,
    flags: [],
    metavar: 'CMD',
    env: ['CMD'],
    kind: 'string',
    description: 'The command to run with the secrets in its environment (required).',
  },
  {
    id: 'args',
    commands: RUN,
    flags: [],
    metavar: 'ARGS...',
    env: ['ARGS...'],
    kind: 'words',
    description: 'Arguments for CMD. The ARGS... key is split on whitespace and used only when none are given after CMD.',
  },
  {
    id: 'inheritEnv',
    commands: RUN,
    flags: ['inherit-env'],
    env: ['VAULTENV_INHERIT_ENV'],
    kind: 'boolean',
    default: onOff(DEFAULTS.inheritEnv),
    description: "Pass vaultenv's environment (and config-file variables) on to CMD, besides the secrets.",
  },
  {
    id: 'inheritEnvBlacklist',
    commands: RUN,
    flags: ['inherit-env-blacklist'],
    metavar: 'COMMA_SEPARATED_NAMES',
    env: ['VAULTENV_INHERIT_ENV_BLACKLIST'],
    kind: 'list',
    default: '',
    description: "Names removed from CMD's environment, secrets included. No effect with --no-inherit-env.",
  },
  {
    id: 'retryBaseDelayMs',
    commands: BOTH,
    flags: ['retry-base-delay-milliseconds'],
    metavar: 'MILLISECONDS',
    env: ['VAULTENV_RETRY_BASE_DELAY', 'VAULTENV_RETRY_BASE_DELAY_MS'],
    kind: 'integer',
    max: MAX_TIMER_MS,
    default: String(DEFAULTS.retryBaseDelayMs),
    description: 'Base delay of the exponential backoff between retries.',
  },
  {
    id: 'retryAttempts',
    commands: BOTH,
    flags: ['retry-attempts'],
    metavar: 'NUM',
    env: ['VAULTENV_RETRY_ATTEMPTS'],
    kind: 'integer',
    default: String(DEFAULTS.retryAttempts),
    description: 'Maximum number of retries of a failed Vault request.',
  },
  {
    id: 'logLevel',
    commands: BOTH,
    flags: ['log-level'],
    metavar: 'LEVEL',
    env: ['VAULTENV_LOG_LEVEL'],
    kind: 'enum',
    values: LOG_LEVELS,
    default: DEFAULTS.logLevel,
    description: 'How much vaultenv reports: error, or info for progress lines.',
  },
  {
    id: 'usePath',
    commands: RUN,
    flags: ['use-path'],
    env: ['VAULTENV_USE_PATH'],
    kind: 'boolean',
    default: onOff(DEFAULTS.usePath),
    description: 'Search PATH for CMD.',
  },
  {
    id: 'maxConcurrentRequests',
    commands: RUN,
    flags: ['max-concurrent-requests'],
    metavar: 'NUM',
    env: ['VAULTENV_MAX_CONCURRENT_REQUESTS'],
    kind: 'integer',
    default: String(DEFAULTS.maxConcurrentRequests),
    description: 'Maximum number of secret requests in flight; 0 means no limit.',
  },
  {
    id: 'duplicateVariableBehavior',
    commands: RUN,
    flags: ['duplicate-variable-behavior'],
    metavar: 'BEHAVIOR',
    env: ['VAULTENV_DUPLICATE_VARIABLE_BEHAVIOR'],
    kind: 'enum',
    values: DUPLICATE_BEHAVIORS,
    default: DEFAULTS.duplicateVariableBehavior,
    description:
      'When a secret name is already in the environment: error stops, keep keeps the environment value, overwrite uses the secret.',
  },
  {
    id: 'kvVersion',
    commands: RUN,
    flags: ['kv-version'],
    metavar: 'VERSION',
    env: ['VAULTENV_KV_VERSION'],
    kind: 'enum',
    values: KV_VERSIONS,
    default: DEFAULTS.kvVersion,
    description: 'KV secrets engine version of the mounts: auto asks Vault, 1 or 2 skips the lookup.',
  },
  {
    id: 'requestTimeoutMs',
    commands: BOTH,
    flags: ['request-timeout-milliseconds'],
    metavar: 'MILLISECONDS',
    env: ['VAULTENV_REQUEST_TIMEOUT'],
    kind: 'integer',
    min: 1,
    max: MAX_TIMER_MS,
    default: String(DEFAULTS.requestTimeoutMs),
    description: 'Time limit of one Vault request.',
  },
  {
    id: 'execMode',
    commands: RUN,
    flags: ['exec-mode'],
    metavar: 'MODE',
    env: ['VAULTENV_EXEC_MODE'],
    kind: 'enum',
    values: EXEC_MODES,
    default: DEFAULTS.execMode,
    description: 'How CMD is started: execve replaces vaultenv, spawn runs it as a child, auto uses execve where available.',
  },
  {
    id: 'renewIntervalSeconds',
    commands: RENEW,
    flags: ['interval'],
    metavar: 'SECONDS',
    env: ['VAULTENV_RENEW_INTERVAL'],
    kind: 'integer',
    min: 1,
    max: Math.floor(MAX_TIMER_MS / 1000),
    default: String(DEFAULTS.renewIntervalSeconds),
    description: 'vaultenv renew only: seconds between two checks of the token.',
  },
  {
    id: 'renewFraction',
    commands: RENEW,
    flags: ['renew-fraction'],
    metavar: 'FRACTION',
    env: ['VAULTENV_RENEW_FRACTION'],
    kind: 'fraction',
    default: String(DEFAULTS.renewFraction),
    description:
      "vaultenv renew only: renew when the token's remaining TTL is at most this fraction of its creation TTL " +
      '(a decimal number greater than 0 and at most 1).',
  },
  {
    id: 'renewOnce',
    commands: RENEW,
    flags: ['once'],
    env: ['VAULTENV_RENEW_ONCE'],
    kind: 'boolean',
    default: onOff(DEFAULTS.renewOnce),
    description: 'vaultenv renew only: check the token once (renewing it when due), then exit.',
  },
];

/** The row of an option id (every id has exactly one row). */
export function optionRow(id: OptionId): OptionRow {
  const row = OPTIONS.find((r) => r.id === id);
  if (row === undefined) throw new Error(`no option row for ${id}`);
  return row;
}

/** The rows a command reads, in table order. */
export function optionsFor(command: CommandName): readonly OptionRow[] {
  return OPTIONS.filter((row) => row.commands.includes(command));
}
