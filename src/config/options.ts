// The one table of vaultenv's options. Each row is every fact about one option: its flags, its
// environment and config-file names, how its value is written and checked, its default, and its help
// text. Everything else derives from it: the command-line reader (cli/command-line.ts), the help
// (cli/help.ts), the environment and config-file parsers (sources.ts, typed-values.ts), the defaults
// and the value types below, the `Config` type (types.ts), and the README's option reference.
// A row's `commands` says which commands read it: `vaultenv [options] CMD` (run) and `vaultenv renew`.
// The file is long because the table holds all of vaultenv's options (about forty), one row each:
// split up, the facts about one option would be spread over several files.

import { LOG_LEVELS } from '../log.ts';

/**
 * How a value is written in the environment, a config file or a flag:
 * - string: taken as is, except for the rows' `trim` and `chars` rules
 * - boolean: exactly `true` or `false` (flags: `--X` / `--no-X`)
 * - integer: one or more ASCII digits
 * - fraction: a decimal number greater than 0 and at most 1: digits, optionally `.` and digits (`0.5`, `.25`, `1`)
 * - list: split on `,`, no trimming (`""` gives `[""]`)
 * - enum: exactly one of `values`
 * - address: an `http://` or `https://` URL, split by address.ts, or a `unix:///path` socket
 * - words: split on whitespace (the `ARGS...` key)
 */
export type OptionKind = 'string' | 'boolean' | 'integer' | 'fraction' | 'list' | 'enum' | 'address' | 'words';

/**
 * The commands: `run` is `vaultenv [options] CMD [ARGS...]`, `renew` is `vaultenv renew [options]`,
 * `check` is `vaultenv check [options] [CMD [ARGS...]]` (a run up to the exec) and `export` is
 * `vaultenv export [options]` (the secrets in another form).
 */
export type CommandName = 'run' | 'renew' | 'check' | 'export';

/** What a row may say; the table below is checked against it and keeps its literal types. */
export interface OptionRow<Id extends string = string> {
  readonly id: Id;
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
  /** The value may not be an IP address (a TLS server name: SNI carries host names only). */
  readonly notIpAddress?: boolean;
  /** The accepted words of an enum. */
  readonly values?: readonly string[];
  /** Inclusive bounds of an integer. */
  readonly min?: number;
  readonly max?: number;
  /** The flag may be given several times; each adds to a list (env and files give one value). */
  readonly repeatable?: boolean;
  /** Read from flags and the environment only: a config file that names it sets nothing (trust.ts). */
  readonly notInFiles?: boolean;
  /**
   * The value is not a field of `Config` itself: load.ts folds it into the credential (`auth`, by the
   * rule of pickAuth) or, for an address, into host, port and TLS (address.ts).
   */
  readonly foldedInto?: 'auth' | 'address';
  /**
   * The value is a credential (a token): vaultenv hides it from every output, even from the message
   * about a command line or environment it cannot parse.
   */
  readonly secret?: boolean;
  /** The value when no source sets it (a row without one is undefined then). */
  readonly default?: string | number | boolean | readonly string[];
  readonly description: string;
}

/** The usage lines, shared by --help and the missing-command error. */
export const USAGE = 'vaultenv [options] [--] CMD [ARGS...]';
export const RENEW_USAGE = 'vaultenv renew [options]';
export const CHECK_USAGE = 'vaultenv check [options] [--] [CMD [ARGS...]]';
export const EXPORT_USAGE = 'vaultenv export [options]';

/**
 * The longest a Node timer waits (2^31 - 1 ms, about 24.8 days); a longer one fires at once. Bounds
 * the options that become timers (request timeout, retry delays, the renew interval).
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** Every command that talks to Vault. */
const ALL = ['run', 'renew', 'check', 'export'] as const;
/** The commands that fetch secrets: the run, and check and export, which share its configuration. */
const FETCH = ['run', 'check', 'export'] as const;
/** Options about the program and its environment: the run, and check, which checks them too. */
const EXEC = ['run', 'check'] as const;
const RENEW = ['renew'] as const;
const CHECK_EXPORT = ['check', 'export'] as const;
const EXPORT = ['export'] as const;

const TABLE = [
  {
    id: 'host',
    commands: ALL,
    flags: ['host'],
    metavar: 'HOST',
    env: ['VAULT_HOST'],
    kind: 'string',
    nonEmpty: true,
    default: 'localhost',
    description: 'Vault host name or IP address. A URL (https://host:port) is taken as --addr.',
  },
  {
    id: 'port',
    commands: ALL,
    flags: ['port'],
    metavar: 'PORT',
    env: ['VAULT_PORT'],
    kind: 'integer',
    min: 1,
    max: 65_535,
    default: 8200,
    description: 'Vault port.',
  },
  {
    id: 'addr',
    foldedInto: 'address',
    commands: ALL,
    flags: ['addr'],
    metavar: 'ADDR',
    env: ['VAULT_ADDR', 'BAO_ADDR'],
    kind: 'address',
    description:
      'Vault address: http:// or https://, the host, and optionally :PORT (default 443 or 80). Sets host, port and TLS; ' +
      'host, port or TLS settings in the same source must agree with it. unix:///PATH is a unix socket (plain HTTP, no host or port).',
  },
  {
    id: 'agentAddr',
    foldedInto: 'address',
    commands: ALL,
    flags: ['agent-addr'],
    metavar: 'ADDR',
    env: ['VAULT_AGENT_ADDR', 'BAO_AGENT_ADDR'],
    kind: 'address',
    emptyIsUnset: true,
    description:
      'Address of a Vault Agent or OpenBao Proxy (http://, https:// or unix:///PATH): as in the Vault CLI it wins over the Vault address ' +
      "of its source (--addr, host, port, TLS) and over a token file's vaultAddr. With no credential configured, no token file is probed.",
  },
  {
    id: 'tls',
    commands: ALL,
    flags: ['connect-tls'],
    env: ['VAULTENV_CONNECT_TLS'],
    kind: 'boolean',
    default: true,
    description: 'Connect to Vault with TLS (HTTPS).',
  },
  {
    id: 'validateCerts',
    commands: ALL,
    flags: ['validate-certs'],
    env: ['VAULTENV_VALIDATE_CERTS', 'VAULT_SKIP_VERIFY', 'BAO_SKIP_VERIFY'],
    negatedEnv: ['VAULT_SKIP_VERIFY', 'BAO_SKIP_VERIFY'],
    kind: 'boolean',
    default: true,
    description:
      "Verify Vault's TLS certificate. VAULT_SKIP_VERIFY and BAO_SKIP_VERIFY mean the opposite and, as in the Vault CLI, " +
      'also accept 1 and 0; in one source they must agree with VAULTENV_VALIDATE_CERTS.',
  },
  {
    id: 'caCert',
    commands: ALL,
    flags: ['ca-cert'],
    metavar: 'PATH',
    env: ['VAULT_CACERT', 'BAO_CACERT'],
    kind: 'string',
    emptyIsUnset: true,
    description: "PEM file of the CA certificates to verify Vault's certificate with.",
  },
  {
    id: 'caPath',
    commands: ALL,
    flags: ['ca-path'],
    metavar: 'DIR',
    env: ['VAULT_CAPATH', 'BAO_CAPATH'],
    kind: 'string',
    emptyIsUnset: true,
    description: "Directory of PEM files of CA certificates to verify Vault's certificate with.",
  },
  {
    id: 'clientCert',
    commands: ALL,
    flags: ['client-cert'],
    metavar: 'PATH',
    env: ['VAULT_CLIENT_CERT', 'BAO_CLIENT_CERT'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'PEM file of the TLS client certificate. Give it with --client-key, in the same source.',
  },
  {
    id: 'clientKey',
    commands: ALL,
    flags: ['client-key'],
    metavar: 'PATH',
    env: ['VAULT_CLIENT_KEY', 'BAO_CLIENT_KEY'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'PEM file of the private key of --client-cert.',
  },
  {
    id: 'tlsServerName',
    commands: ALL,
    flags: ['tls-server-name'],
    metavar: 'NAME',
    env: ['VAULT_TLS_SERVER_NAME', 'BAO_TLS_SERVER_NAME'],
    kind: 'string',
    emptyIsUnset: true,
    chars: 'word',
    notIpAddress: true,
    description: "Name sent as TLS SNI and expected in Vault's certificate, when it is not the host.",
  },
  {
    id: 'namespace',
    commands: ALL,
    flags: ['namespace'],
    metavar: 'NS',
    env: ['VAULT_NAMESPACE', 'BAO_NAMESPACE'],
    kind: 'string',
    emptyIsUnset: true,
    chars: 'header',
    description: 'Namespace of logins and reads (sent as X-Vault-Namespace).',
  },
  {
    id: 'trustDotenv',
    commands: ALL,
    flags: ['trust-dotenv'],
    env: ['VAULTENV_TRUST_DOTENV'],
    kind: 'boolean',
    notInFiles: true,
    default: false,
    description:
      'Let a Vault address from ./.env receive a credential from elsewhere (the environment, a token file, a login) ' +
      'without `vaultenv allow`. Read from flags and the environment only: no config file can set it.',
  },
  {
    id: 'token',
    foldedInto: 'auth',
    secret: true,
    commands: ALL,
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
    foldedInto: 'auth',
    commands: ALL,
    flags: ['token-file'],
    metavar: 'PATH',
    env: ['VAULTENV_TOKEN_FILE', 'BAO_TOKEN_PATH'],
    kind: 'string',
    emptyIsUnset: true,
    description:
      "File holding the Vault token: a kubernetes-vault JSON token file or a plain token (a Vault Agent sink). BAO_TOKEN_PATH is the OpenBao CLI's name. " +
      'A login method set in the same source wins over it.',
  },
  {
    id: 'kubernetesRole',
    foldedInto: 'auth',
    commands: FETCH,
    flags: ['kubernetes-role'],
    metavar: 'ROLE',
    env: ['VAULTENV_KUBERNETES_ROLE'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'Log in with the Kubernetes auth method and this role, with the service account token of --kubernetes-jwt-file.',
  },
  {
    id: 'kubernetesJwtFile',
    foldedInto: 'auth',
    commands: FETCH,
    flags: ['kubernetes-jwt-file'],
    metavar: 'PATH',
    env: ['VAULTENV_KUBERNETES_JWT_FILE'],
    kind: 'string',
    emptyIsUnset: true,
    // Where Kubernetes mounts a pod's service-account token.
    default: '/var/run/secrets/kubernetes.io/serviceaccount/token',
    description: 'The service account token (JWT) file for --kubernetes-role.',
  },
  {
    id: 'githubToken',
    foldedInto: 'auth',
    secret: true,
    commands: FETCH,
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
    foldedInto: 'auth',
    commands: FETCH,
    flags: ['approle-role-id'],
    metavar: 'ID',
    env: ['VAULTENV_APPROLE_ROLE_ID'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'Log in with the AppRole auth method and this role ID, with the secret ID of --approle-secret-id-file.',
  },
  {
    id: 'approleSecretIdFile',
    foldedInto: 'auth',
    commands: FETCH,
    flags: ['approle-secret-id-file'],
    metavar: 'PATH',
    env: ['VAULTENV_APPROLE_SECRET_ID_FILE'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'File holding the AppRole secret ID for --approle-role-id (required with it).',
  },
  {
    id: 'approleSecretIdWrapped',
    foldedInto: 'auth',
    commands: FETCH,
    flags: ['approle-secret-id-wrapped'],
    env: ['VAULTENV_APPROLE_SECRET_ID_WRAPPED'],
    kind: 'boolean',
    default: false,
    description:
      'The --approle-secret-id-file holds a response-wrapping token: unwrap it to get the secret ID. ' +
      'A wrapping response (JSON) in the file is recognised without this.',
  },
  {
    id: 'jwtRole',
    foldedInto: 'auth',
    commands: FETCH,
    flags: ['jwt-role'],
    metavar: 'ROLE',
    env: ['VAULTENV_JWT_ROLE'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'Log in with the JWT auth method and this role, with the JWT of --jwt-file or --jwt-env.',
  },
  {
    id: 'jwtFile',
    foldedInto: 'auth',
    commands: FETCH,
    flags: ['jwt-file'],
    metavar: 'PATH',
    env: ['VAULTENV_JWT_FILE'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'File holding the JWT for --jwt-role. Give this or --jwt-env; of the two, the highest source decides.',
  },
  {
    id: 'jwtEnv',
    foldedInto: 'auth',
    commands: FETCH,
    flags: ['jwt-env'],
    metavar: 'NAME',
    env: ['VAULTENV_JWT_ENV'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'Name of the environment variable holding the JWT for --jwt-role. Give this or --jwt-file.',
  },
  {
    id: 'jwtAudience',
    foldedInto: 'auth',
    commands: FETCH,
    flags: ['jwt-audience'],
    metavar: 'AUDIENCE',
    env: ['VAULTENV_JWT_AUDIENCE'],
    kind: 'string',
    emptyIsUnset: true,
    description:
      'Inside GitHub Actions, --jwt-role without --jwt-file or --jwt-env asks GitHub for the job\'s ID token itself, ' +
      'for this audience (the aud claim the Vault role binds). Default: GitHub\'s own, the URL of the repository owner (https://github.com/OWNER).',
  },
  {
    id: 'authBackend',
    commands: FETCH,
    flags: ['auth-backend'],
    metavar: 'AUTH_BACKEND',
    env: ['VAULT_AUTH_BACKEND'],
    kind: 'string',
    chars: 'word',
    description: 'Mount name of the auth method. Default: the method name (kubernetes, github, approle or jwt).',
  },
  {
    id: 'exportToken',
    commands: EXEC,
    flags: ['export-token'],
    env: ['VAULTENV_EXPORT_TOKEN'],
    kind: 'boolean',
    default: false,
    description: "Put the token a login obtained into CMD's environment as VAULT_TOKEN.",
  },
  {
    id: 'revokeToken',
    commands: FETCH,
    flags: ['revoke-token'],
    env: ['VAULTENV_REVOKE_TOKEN'],
    kind: 'boolean',
    default: true,
    description:
      'Revoke the token a login obtained (auth/token/revoke-self) once the secrets are fetched, unless --export-token hands it on. ' +
      'A failed revocation is a warning.',
  },
  {
    id: 'secretsFiles',
    commands: FETCH,
    flags: ['secrets-file', 'secret-file'],
    metavar: 'FILENAME',
    env: ['VAULTENV_SECRETS_FILE'],
    kind: 'string',
    repeatable: true,
    description: 'File naming the secrets to fetch (required), or a directory whose *.secrets files are read in name order. The flag may be repeated.',
  },
  {
    id: 'secretsDir',
    commands: EXEC,
    flags: ['secrets-dir'],
    metavar: 'DIR',
    env: ['VAULTENV_SECRETS_DIR'],
    kind: 'string',
    emptyIsUnset: true,
    description:
      'Folder for the files of FILE lines (version 3 secrets files), mode 0700, created when missing. Default: vaultenv-<uid> in $XDG_RUNTIME_DIR, else in /dev/shm.',
  },
  {
    id: 'command',
    commands: EXEC,
    flags: [],
    metavar: 'CMD',
    env: ['CMD'],
    kind: 'string',
    description: 'The command to run with the secrets in its environment (required).',
  },
  {
    id: 'args',
    commands: EXEC,
    flags: [],
    metavar: 'ARGS...',
    env: ['ARGS...'],
    kind: 'words',
    description: 'Arguments for CMD. The ARGS... key is split on whitespace and used only when none are given after CMD.',
  },
  {
    id: 'inheritEnv',
    commands: EXEC,
    flags: ['inherit-env'],
    env: ['VAULTENV_INHERIT_ENV'],
    kind: 'boolean',
    default: true,
    description: "Pass vaultenv's environment (and config-file variables) on to CMD, besides the secrets.",
  },
  {
    id: 'inheritEnvBlacklist',
    commands: EXEC,
    flags: ['inherit-env-blacklist'],
    metavar: 'COMMA_SEPARATED_NAMES',
    env: ['VAULTENV_INHERIT_ENV_BLACKLIST'],
    kind: 'list',
    default: [],
    description: "Names removed from CMD's environment, secrets included. No effect with --no-inherit-env.",
  },
  {
    id: 'retryBaseDelayMs',
    commands: ALL,
    flags: ['retry-base-delay-milliseconds'],
    metavar: 'MILLISECONDS',
    env: ['VAULTENV_RETRY_BASE_DELAY', 'VAULTENV_RETRY_BASE_DELAY_MS'],
    kind: 'integer',
    max: MAX_TIMER_MS,
    default: 40,
    description: 'Base delay of the exponential backoff between retries.',
  },
  {
    id: 'retryAttempts',
    commands: ALL,
    flags: ['retry-attempts'],
    metavar: 'NUM',
    env: ['VAULTENV_RETRY_ATTEMPTS'],
    kind: 'integer',
    default: 9,
    description: 'Maximum number of retries of a failed Vault request.',
  },
  {
    id: 'logLevel',
    commands: ALL,
    flags: ['log-level'],
    metavar: 'LEVEL',
    env: ['VAULTENV_LOG_LEVEL'],
    kind: 'enum',
    values: LOG_LEVELS,
    default: 'error',
    description: 'How much vaultenv reports: error, or info for progress lines.',
  },
  {
    id: 'usePath',
    commands: EXEC,
    flags: ['use-path'],
    env: ['VAULTENV_USE_PATH'],
    kind: 'boolean',
    default: true,
    description: 'Search PATH for CMD.',
  },
  {
    id: 'maxConcurrentRequests',
    commands: FETCH,
    flags: ['max-concurrent-requests'],
    metavar: 'NUM',
    env: ['VAULTENV_MAX_CONCURRENT_REQUESTS'],
    kind: 'integer',
    default: 8,
    description: 'Maximum number of secret requests in flight; 0 means no limit.',
  },
  {
    id: 'http2',
    commands: FETCH,
    flags: ['http2'],
    env: ['VAULTENV_HTTP2'],
    kind: 'boolean',
    default: false,
    description:
      'Over TLS, offer HTTP/2 to the server (npm package only; from two secrets on): every request on one connection, one handshake instead of one per request in flight. ' +
      'For a distant server, or one that limits connections; HTTP/1.1 is quicker from a few dozen secrets on.',
  },
  {
    id: 'duplicateVariableBehavior',
    commands: EXEC,
    flags: ['duplicate-variable-behavior'],
    metavar: 'BEHAVIOR',
    env: ['VAULTENV_DUPLICATE_VARIABLE_BEHAVIOR'],
    kind: 'enum',
    values: ['error', 'keep', 'overwrite'],
    default: 'error',
    description:
      'When a secret name is already in the environment: error stops, keep keeps the environment value, overwrite uses the secret.',
  },
  {
    id: 'kvVersion',
    commands: FETCH,
    flags: ['kv-version'],
    metavar: 'VERSION',
    env: ['VAULTENV_KV_VERSION'],
    kind: 'enum',
    values: ['auto', '1', '2'],
    default: 'auto',
    description: 'KV secrets engine version of the mounts: auto asks Vault, 1 or 2 skips the lookup.',
  },
  {
    id: 'requestTimeoutMs',
    commands: ALL,
    flags: ['request-timeout-milliseconds'],
    metavar: 'MILLISECONDS',
    env: ['VAULTENV_REQUEST_TIMEOUT'],
    kind: 'integer',
    min: 1,
    max: MAX_TIMER_MS,
    default: 30_000,
    description: 'Time limit of one Vault request.',
  },
  {
    id: 'deadlineSeconds',
    commands: FETCH,
    flags: ['deadline-seconds'],
    metavar: 'SECONDS',
    env: ['VAULTENV_DEADLINE'],
    kind: 'integer',
    min: 1,
    max: Math.floor(MAX_TIMER_MS / 1000),
    default: 60,
    description:
      'Time limit of everything vaultenv asks Vault before CMD starts: the login, the mount lookups, the reads and their retries together. ' +
      'Each request ends by it, and no retry waits past it.',
  },
  {
    id: 'execMode',
    commands: EXEC,
    flags: ['exec-mode'],
    metavar: 'MODE',
    env: ['VAULTENV_EXEC_MODE'],
    kind: 'enum',
    values: ['auto', 'execve', 'spawn'],
    default: 'auto',
    description: 'How CMD is started: execve replaces vaultenv, spawn runs it as a child, auto uses execve where available.',
  },
  {
    id: 'mask',
    commands: EXEC,
    flags: ['mask'],
    env: ['VAULTENV_MASK'],
    kind: 'boolean',
    default: false,
    description:
      "Run CMD as a child (spawn mode) and replace every fetched value of 4 or more characters in its stdout and stderr with ***, " +
      'for CI logs without a masking protocol.',
  },
  {
    id: 'githubMask',
    commands: EXEC,
    flags: ['github-mask'],
    env: ['VAULTENV_GITHUB_MASK'],
    kind: 'boolean',
    default: true,
    description: 'When GITHUB_ACTIONS=true, print ::add-mask:: for every fetched value (and each line of one) before CMD starts, so the job log hides them.',
  },
  {
    id: 'supervise',
    commands: EXEC,
    flags: ['supervise'],
    env: ['VAULTENV_SUPERVISE'],
    kind: 'boolean',
    default: false,
    description:
      'Stay the parent of CMD (spawn mode) while it runs: keep the token and the leases of dynamic secrets alive, watch the secrets for ' +
      'changes, apply --on-change, and revoke the leases and a login token when CMD ends.',
  },
  {
    id: 'watchIntervalSeconds',
    commands: EXEC,
    flags: ['watch-interval'],
    metavar: 'SECONDS',
    env: ['VAULTENV_WATCH_INTERVAL'],
    kind: 'integer',
    min: 1,
    max: Math.floor(MAX_TIMER_MS / 1000),
    default: 60,
    description:
      'With --supervise: seconds between two checks of the secrets (the version of a KV v2 secret, the value of a KV v1 one), ' +
      'less up to a tenth at random so that a fleet spreads out.',
  },
  {
    id: 'onChange',
    commands: EXEC,
    flags: ['on-change'],
    metavar: 'ACTION',
    env: ['VAULTENV_ON_CHANGE'],
    kind: 'enum',
    values: ['restart', 'exit', 'signal:HUP', 'signal:USR1', 'signal:USR2', 'signal:INT', 'signal:TERM', 'signal:QUIT', 'signal:WINCH'],
    default: 'restart',
    description:
      'With --supervise, when a secret changed or a lease can no longer be renewed: restart fetches every secret again and then ' +
      'restarts CMD with them, exit stops CMD and exits with 75, signal:NAME sends CMD that signal.',
  },
  {
    id: 'stopTimeoutSeconds',
    commands: EXEC,
    flags: ['stop-timeout'],
    metavar: 'SECONDS',
    env: ['VAULTENV_STOP_TIMEOUT'],
    kind: 'integer',
    min: 0,
    max: Math.floor(MAX_TIMER_MS / 1000),
    default: 10,
    description: 'With --supervise: how long CMD has to end after SIGTERM, on a restart or --on-change exit, before it gets SIGKILL.',
  },
  {
    id: 'revoke',
    commands: EXEC,
    flags: ['revoke'],
    env: ['VAULTENV_REVOKE'],
    kind: 'boolean',
    default: true,
    description: 'With --supervise: when CMD ends or is restarted, revoke the leases of its secrets and the token of a login.',
  },
  {
    id: 'format',
    commands: CHECK_EXPORT,
    flags: ['format'],
    metavar: 'FORMAT',
    env: ['VAULTENV_FORMAT'],
    kind: 'enum',
    values: ['text', 'json', 'dotenv', 'shell', 'github'],
    description: 'vaultenv check: text (default) or json. vaultenv export: dotenv (default), shell, json or github.',
  },
  {
    id: 'output',
    commands: EXPORT,
    flags: ['output'],
    metavar: 'FILE',
    env: ['VAULTENV_OUTPUT'],
    kind: 'string',
    emptyIsUnset: true,
    description: 'vaultenv export only: write to FILE (replaced atomically, created with mode 0600; a symbolic link is refused) instead of stdout.',
  },
  {
    id: 'force',
    commands: EXPORT,
    flags: ['force'],
    env: ['VAULTENV_EXPORT_FORCE'],
    kind: 'boolean',
    notInFiles: true,
    default: false,
    description: 'vaultenv export only: print the secrets even when stdout is a terminal. Read from flags and the environment only.',
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
    default: 10,
    description: 'vaultenv renew only: seconds between two checks of the token.',
  },
  {
    id: 'renewFraction',
    commands: RENEW,
    flags: ['renew-fraction'],
    metavar: 'FRACTION',
    env: ['VAULTENV_RENEW_FRACTION'],
    kind: 'fraction',
    default: 0.5,
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
    default: false,
    description: 'vaultenv renew only: check the token once (renewing it when due), then exit.',
  },
] as const satisfies readonly OptionRow[];

type Row = (typeof TABLE)[number];
export type OptionId = Row['id'];
type RowOf<I extends OptionId> = Extract<Row, { readonly id: I }>;

/** The type of a value of each kind; an enum's is the union of its words, a repeatable flag's a list. */
interface KindValues {
  string: string;
  boolean: boolean;
  integer: number;
  fraction: number;
  list: string[];
  enum: string;
  address: string;
  words: string[];
}
type ValueOfRow<R> = R extends { readonly values: readonly (infer Word)[] }
  ? Word
  : R extends { readonly repeatable: true }
    ? string[]
    : R extends { readonly kind: infer K extends OptionKind }
      ? KindValues[K]
      : never;

/** The typed value of option `I` once its source parsed it. */
export type OptionValue<I extends OptionId> = ValueOfRow<RowOf<I>>;

/** One source's typed values, keyed by option id; a missing key means the source does not set it. */
export type OptionValues = { [I in OptionId]?: OptionValue<I> };

/** The options with a flag, and what the command line gives for each: a word, a list of them, or on/off. */
export type FlagId = Exclude<Row, { readonly flags: readonly [] }>['id'];
export type FlagValues = {
  [I in FlagId]?: RowOf<I> extends { readonly kind: 'boolean' } ? boolean : RowOf<I> extends { readonly repeatable: true } ? string[] : string;
};

/** The ids of the rows `command` reads. */
export type IdOf<C extends CommandName> = Row extends infer R
  ? R extends { readonly id: infer I; readonly commands: readonly (infer Cs)[] }
    ? C extends Cs
      ? I
      : never
    : never
  : never;

/** The ids load.ts folds into the credential or the address instead of giving them a field of their own. */
export type FoldedId = Extract<Row, { readonly foldedInto: string }>['id'];

type DefaultedRow = Extract<Row, { readonly default: unknown }>;
type DefaultedId = DefaultedRow['id'];

/** The defaults, keyed by option id. */
export type Defaults = { [I in DefaultedId]: OptionValue<I> };

/** The options `ids` once the defaults fill in what no source set: a row without a default may stay undefined. */
export type Settled<I extends OptionId> = { [K in I]: K extends DefaultedId ? OptionValue<K> : OptionValue<K> | undefined };

// Compile-time check: every default is a value of its row's type (an enum's default one of its words).
type MistypedDefault = { [R in DefaultedRow as R['id']]: R['default'] extends Readonly<OptionValue<R['id']>> ? never : R['id'] }[DefaultedId];
const defaultsFitTheirRows: [MistypedDefault] extends [never] ? true : MistypedDefault = true;
void defaultsFitTheirRows;


/** The table, each row typed as a row of any option (the literal types above serve the derived types). */
export const OPTIONS: readonly OptionRow<OptionId>[] = TABLE;

export const DEFAULTS = Object.fromEntries(OPTIONS.flatMap((row) => (row.default === undefined ? [] : [[row.id, row.default]]))) as Defaults;

/** The row of an option id (every id has exactly one row). */
export function optionRow(id: OptionId): OptionRow<OptionId> {
  const row = OPTIONS.find((r) => r.id === id);
  if (row === undefined) throw new Error(`no option row for ${id}`);
  return row;
}

/** The rows a command reads, in table order. */
export function optionsFor(command: CommandName): readonly OptionRow<OptionId>[] {
  return OPTIONS.filter((row) => row.commands.includes(command));
}

/**
 * The options `command` reads, each from `merged` or else its default; lists are copies (the defaults
 * are shared). The one place where the table's defaults become values.
 */
export function settle<C extends CommandName>(merged: OptionValues, command: C): Settled<IdOf<C>> {
  const settled: Record<string, unknown> = {};
  for (const row of optionsFor(command)) {
    const value: unknown = merged[row.id] ?? row.default;
    settled[row.id] = Array.isArray(value) ? [...(value as readonly string[])] : value;
  }
  return settled as Settled<IdOf<C>>;
}

/** A default as help and the README show it, as it would be written: `true`, `8200`, a list joined with commas. */
export function shownDefault(row: OptionRow): string | undefined {
  const value = row.default;
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}
