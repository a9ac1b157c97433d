// The one table of vaultenv's options. Each row drives the commander definition (cli/program.ts), the
// parsing of environment variables and config-file keys (sources.ts, typed-values.ts), the --help text
// and the README. Defaults and enum words come from schema.ts, where the final parse applies them.

import { DEFAULTS, DUPLICATE_BEHAVIORS, EXEC_MODES, KV_VERSIONS, LOG_LEVELS } from './schema.ts';

/**
 * How a value is written in the environment, a config file or a flag:
 * - string: taken as is
 * - boolean: exactly `true` or `false` (flags: `--X` / `--no-X`)
 * - integer: one or more ASCII digits
 * - list: split on `,`, no trimming (`""` gives `[""]`)
 * - enum: exactly one of `values`
 * - address: an `http://` or `https://` URL, split by address.ts
 * - words: split on whitespace (the `ARGS...` key)
 */
export type OptionKind = 'string' | 'boolean' | 'integer' | 'list' | 'enum' | 'address' | 'words';

/** One source's typed values, keyed by option id; a missing key means the source does not set it. */
export interface OptionValues {
  host?: string;
  port?: number;
  addr?: string;
  authBackend?: string;
  token?: string;
  kubernetesRole?: string;
  githubToken?: string;
  secretsFiles?: string[];
  command?: string;
  args?: string[];
  tls?: boolean;
  validateCerts?: boolean;
  inheritEnv?: boolean;
  inheritEnvBlacklist?: string[];
  retryBaseDelayMs?: number;
  retryAttempts?: number;
  logLevel?: string;
  usePath?: boolean;
  maxConcurrentRequests?: number;
  duplicateVariableBehavior?: string;
  kvVersion?: string;
  requestTimeoutMs?: number;
  execMode?: string;
}

export type OptionId = keyof OptionValues;

export interface OptionRow {
  readonly id: OptionId;
  /** Long flag names without `--`, primary first. Booleans also get `--no-<primary>`. Empty: positional. */
  readonly flags: readonly string[];
  /** The placeholder shown in help (`--port PORT`); for positionals, their name. */
  readonly metavar?: string;
  /** Environment variable and config-file key names, primary first, then aliases. */
  readonly env: readonly string[];
  readonly kind: OptionKind;
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

/** The usage line, shared by --help and the missing-command error. */
export const USAGE = 'vaultenv [options] [--] CMD [ARGS...]';

const onOff = (value: boolean): string => (value ? 'true' : 'false');

export const OPTIONS: readonly OptionRow[] = [
  {
    id: 'host',
    flags: ['host'],
    metavar: 'HOST',
    env: ['VAULT_HOST'],
    kind: 'string',
    default: DEFAULTS.host,
    description: 'Vault host name or IP address. A URL (https://host:port) is taken as --addr.',
  },
  {
    id: 'port',
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
    flags: ['addr'],
    metavar: 'ADDR',
    env: ['VAULT_ADDR', 'BAO_ADDR'],
    kind: 'address',
    description:
      'Vault address: http:// or https://, the host, and optionally :PORT (default 443 or 80). Sets host, port and TLS; ' +
      'host, port or TLS settings in the same source must agree with it.',
  },
  {
    id: 'authBackend',
    flags: ['auth-backend'],
    metavar: 'AUTH_BACKEND',
    env: ['VAULT_AUTH_BACKEND'],
    kind: 'string',
    description: "Mount name of the auth method. Default: 'kubernetes' or 'github', after the chosen method.",
  },
  {
    id: 'token',
    flags: ['token'],
    metavar: 'TOKEN',
    env: ['VAULT_TOKEN', 'BAO_TOKEN'],
    kind: 'string',
    description: 'Vault token to authenticate with. An empty value counts as not set.',
  },
  {
    id: 'kubernetesRole',
    flags: ['kubernetes-role'],
    metavar: 'ROLE',
    env: ['VAULTENV_KUBERNETES_ROLE'],
    kind: 'string',
    description: 'Log in with the Kubernetes service account token, with this role.',
  },
  {
    id: 'githubToken',
    flags: ['github-token'],
    metavar: 'TOKEN',
    env: ['VAULTENV_GITHUB_TOKEN'],
    kind: 'string',
    description: 'Log in with this GitHub personal access token.',
  },
  {
    id: 'secretsFiles',
    flags: ['secrets-file', 'secret-file'],
    metavar: 'FILENAME',
    env: ['VAULTENV_SECRETS_FILE'],
    kind: 'string',
    repeatable: true,
    description: 'File naming the secrets to fetch (required). The flag may be repeated.',
  },
  {
    id: 'command',
    flags: [],
    metavar: 'CMD',
    env: ['CMD'],
    kind: 'string',
    description: 'The command to run with the secrets in its environment (required).',
  },
  {
    id: 'args',
    flags: [],
    metavar: 'ARGS...',
    env: ['ARGS...'],
    kind: 'words',
    description: 'Arguments for CMD. The ARGS... key is split on whitespace and used only when none are given after CMD.',
  },
  {
    id: 'tls',
    flags: ['connect-tls'],
    env: ['VAULTENV_CONNECT_TLS'],
    kind: 'boolean',
    default: onOff(DEFAULTS.tls),
    description: 'Connect to Vault with TLS (HTTPS).',
  },
  {
    id: 'validateCerts',
    flags: ['validate-certs'],
    env: ['VAULTENV_VALIDATE_CERTS'],
    kind: 'boolean',
    default: onOff(DEFAULTS.validateCerts),
    description: "Verify Vault's TLS certificate.",
  },
  {
    id: 'inheritEnv',
    flags: ['inherit-env'],
    env: ['VAULTENV_INHERIT_ENV'],
    kind: 'boolean',
    default: onOff(DEFAULTS.inheritEnv),
    description: "Pass vaultenv's environment (and config-file variables) on to CMD, besides the secrets.",
  },
  {
    id: 'inheritEnvBlacklist',
    flags: ['inherit-env-blacklist'],
    metavar: 'COMMA_SEPARATED_NAMES',
    env: ['VAULTENV_INHERIT_ENV_BLACKLIST'],
    kind: 'list',
    default: '',
    description: "Names removed from CMD's environment, secrets included. No effect with --no-inherit-env.",
  },
  {
    id: 'retryBaseDelayMs',
    flags: ['retry-base-delay-milliseconds'],
    metavar: 'MILLISECONDS',
    env: ['VAULTENV_RETRY_BASE_DELAY', 'VAULTENV_RETRY_BASE_DELAY_MS'],
    kind: 'integer',
    default: String(DEFAULTS.retryBaseDelayMs),
    description: 'Base delay of the exponential backoff between retries.',
  },
  {
    id: 'retryAttempts',
    flags: ['retry-attempts'],
    metavar: 'NUM',
    env: ['VAULTENV_RETRY_ATTEMPTS'],
    kind: 'integer',
    default: String(DEFAULTS.retryAttempts),
    description: 'Maximum number of retries of a failed Vault request.',
  },
  {
    id: 'logLevel',
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
    flags: ['use-path'],
    env: ['VAULTENV_USE_PATH'],
    kind: 'boolean',
    default: onOff(DEFAULTS.usePath),
    description: 'Search PATH for CMD.',
  },
  {
    id: 'maxConcurrentRequests',
    flags: ['max-concurrent-requests'],
    metavar: 'NUM',
    env: ['VAULTENV_MAX_CONCURRENT_REQUESTS'],
    kind: 'integer',
    default: String(DEFAULTS.maxConcurrentRequests),
    description: 'Maximum number of secret requests in flight; 0 means no limit.',
  },
  {
    id: 'duplicateVariableBehavior',
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
    flags: ['request-timeout-milliseconds'],
    metavar: 'MILLISECONDS',
    env: ['VAULTENV_REQUEST_TIMEOUT'],
    kind: 'integer',
    min: 1,
    default: String(DEFAULTS.requestTimeoutMs),
    description: 'Time limit of one Vault request.',
  },
  {
    id: 'execMode',
    flags: ['exec-mode'],
    metavar: 'MODE',
    env: ['VAULTENV_EXEC_MODE'],
    kind: 'enum',
    values: EXEC_MODES,
    default: DEFAULTS.execMode,
    description: 'How CMD is started: execve replaces vaultenv, spawn runs it as a child, auto uses execve where available.',
  },
];

/** The row of an option id (every id has exactly one row). */
export function optionRow(id: OptionId): OptionRow {
  const row = OPTIONS.find((r) => r.id === id);
  if (row === undefined) throw new Error(`no option row for ${id}`);
  return row;
}
