// The composition root and the one place that prints errors: every failure of either command reaches
// the one catch below. Data flows one way: command line + environment + config files → Config →
// secrets file → Vault → child environment → exec. main() returns an exit code; it reads no globals
// (entry.ts passes argv, env and the real output in).

import { describeEndpoint } from '../config/address.ts';
import { defaultConfigFiles, loadConfig, loadRenewConfig } from '../config/load.ts';
import type { AuthSetting, Config } from '../config/types.ts';
import type { EnvEntry } from '../env/merge.ts';
import { assembleChildEnv } from './child-env.ts';
import { ConfigError, renderError } from '../errors.ts';
import type { ExecRequest, ProgramHost } from '../exec/run.ts';
import { Logger, type Output } from '../log.ts';
import { Redactor } from '../redact.ts';
import { CREDENTIAL_VARIABLES, readCommandSecretsFiles } from './secrets-files.ts';
import type { SecretRef } from '../secrets-file/secret-ref.ts';
import type { SessionClock } from '../vault/clock.ts';
import type { QuickRegExps } from '../vault/http.ts';
import type { ManyRequestsRun } from './v8-tuning.ts';
import { OPTIONS } from '../config/options.ts';
import type { RenewArguments } from '../config/sources.ts';
import { readCommandLine } from './command-line.ts';
import { addMaskCommands } from '../export/github.ts';
import type { FetchSink } from './supervise-command.ts';
import type { SecretRead } from '../vault/fetch.ts';

/** The options that hold a credential: their environment names and flags. */
const SECRET_ROWS = OPTIONS.filter((row) => row.secret === true);
const CREDENTIAL_FLAGS = new Set(SECRET_ROWS.flatMap((row) => row.flags.map((flag) => `--${flag}`)));

export interface MainDeps {
  output: Output;
  cwd: string;
  /** Starts the command: the real one replaces the process (execve) or waits for the child (spawn). */
  run: (request: ExecRequest) => Promise<number>;
  clock?: SessionClock;
  /** Registers what to do on SIGTERM/SIGINT (only `vaultenv renew` asks; the run execs or relays). */
  onTerminate?: (handler: () => void) => void;
  /** Token files probed when no credential is configured; defaults to the kubernetes-vault file, then ~/.vault-token. */
  wellKnownTokenFiles?: readonly string[];
  /** Config file locations; defaults to /etc/vaultenv.conf, the XDG user file and ./.env. */
  configFiles?: ReturnType<typeof defaultConfigFiles>;
  /** Whether a file descriptor is a terminal: vaultenv export refuses to print secrets to one. */
  isTerminal?: (fd: number) => boolean;
  /** The JavaScript runtime vaultenv runs on: the single executable is Bun's, the npm package Node's. */
  runtime?: 'node' | 'bun';
  /** The user running vaultenv, who owns the folder of FILE secrets; undefined where there are no user ids. */
  uid?: number | undefined;
  /** The program as a child, for --supervise. */
  programs?: ProgramHost;
  /**
   * Called before a run, check or export parses secrets files of MANY_SECRET_LINES lines or more
   * (secrets-files.ts), so before it sends that many requests: the runtime may trade its code
   * optimizers for memory, once it has loaded what such a run needs (cli/v8-tuning.ts).
   */
  beforeManyRequests?: (run: ManyRequestsRun) => void;
  /** The runtime's compiling of the regular expressions a run uses a few times (vault/http.ts); none by default. */
  quickRegExps?: QuickRegExps;
}

/**
 * Bun's variables that its runtime takes before vaultenv's code runs: a preload in BUN_OPTIONS runs
 * code, and BUN_INSPECT opens an inspector, in the process that holds the token and the secrets.
 */
const BUN_RUNTIME_VARIABLE = /^(BUN_OPTIONS|BUN_INSPECT\w*)$/;

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, deps: MainDeps): Promise<number> {
  const redactor = new Redactor();
  // Credentials are known before anything is parsed, so even a configuration error cannot echo them.
  // Trimmed, as the config trims tokens: the trimmed value is also part of the untrimmed one.
  for (const name of CREDENTIAL_VARIABLES) redactor.add((env[name] ?? '').trim());
  argv.forEach((arg, i) => {
    if (CREDENTIAL_FLAGS.has(arg)) redactor.add(argv[i + 1] ?? '');
    const [flag, value] = arg.split(/=(.*)/s);
    if (flag !== undefined && value !== undefined && CREDENTIAL_FLAGS.has(flag)) redactor.add(value);
  });
  try {
    if (deps.runtime === 'bun') refuseBunRuntimeVariables(env);
    const commandLine = await readCommandLine(argv);
    if (commandLine.kind === 'help' || commandLine.kind === 'version') {
      deps.output.stdout(commandLine.text);
      return 0;
    }
    if (commandLine.kind === 'renew') return await renew(commandLine, env, deps, redactor);
    if (commandLine.kind === 'allow' || commandLine.kind === 'deny') {
      return (await import('./trust-command.ts')).runTrustCommand(commandLine, env, deps.cwd, deps.output);
    }
    if (commandLine.kind === 'check' || commandLine.kind === 'export') {
      const commandDeps = { ...deps, configFiles: deps.configFiles ?? defaultConfigFiles(env, deps.cwd) };
      if (commandLine.kind === 'check') return await (await import('./check-command.ts')).runCheck(commandLine, env, commandDeps, redactor);
      return await (await import('./export-command.ts')).runExport(commandLine, env, commandDeps, redactor);
    }
    const config = loadConfig({
      commandLine,
      env,
      cwd: deps.cwd,
      configFiles: deps.configFiles ?? defaultConfigFiles(env, deps.cwd),
    });
    if (config.auth.method === 'token' || config.auth.method === 'github') redactor.add(config.auth.token);
    const log = new Logger(deps.output, config.logLevel, redactor);
    log.info(describeConfig(config));

    // Inside GitHub Actions the job log hides what it was told to mask: tell it every value first.
    const announceMasks = (prepared: { childEnv: Record<string, string>; values: string[] }) => {
      if (config.githubMask && env.GITHUB_ACTIONS === 'true' && prepared.values.length > 0) deps.output.stdout(addMaskCommands(prepared.values));
      return prepared;
    };
    if (config.supervise) {
      const [{ runSupervised }, { defaultWellKnownTokenFiles }] = await Promise.all([import('./supervise-command.ts'), import('../auth/prepare.ts')]);
      return await runSupervised(config, {
        env,
        cwd: deps.cwd,
        wellKnownTokenFiles: deps.wellKnownTokenFiles ?? defaultWellKnownTokenFiles(env),
        log,
        redactor,
        programs: deps.programs,
        runtime: deps.runtime,
        // Each start of the program (a restart too) gets its values masked first.
        prepare: async (sink) => announceMasks(await prepareEnvironment(config, env, deps, redactor, log, sink)).childEnv,
      });
    }
    const { childEnv, values } = announceMasks(await prepareEnvironment(config, env, deps, redactor, log));
    log.info(`executing ${config.command}${config.usePath && !config.command.includes('/') ? ' (searching PATH)' : ''}`);
    return await deps.run({
      command: config.command,
      args: config.args,
      env: childEnv,
      usePath: config.usePath,
      searchPath: env.PATH,
      cwd: deps.cwd,
      mode: config.execMode,
      ...(config.mask ? { mask: values } : {}),
    });
  } catch (error) {
    const { text, exitCode } = renderError(error);
    deps.output.stderr(redactor.redact(text));
    return exitCode;
  }
}

/** `vaultenv renew`: the token-renewer sidecar. */
async function renew(
  commandLine: RenewArguments,
  env: Readonly<Record<string, string | undefined>>,
  deps: MainDeps,
  redactor: Redactor,
): Promise<number> {
  const config = loadRenewConfig({ commandLine, env, cwd: deps.cwd, configFiles: deps.configFiles ?? defaultConfigFiles(env, deps.cwd) });
  if (config.auth.method === 'token') redactor.add(config.auth.token);
  // The sidecar's job is to report: renewals are logged at any level; info adds the start-up lines.
  const log = new Logger(deps.output, 'info', redactor);
  const stop = new AbortController();
  deps.onTerminate?.(() => stop.abort());
  // Loaded on demand, like the Vault stages of a run: a run that needs no Vault does not pay for them.
  const [{ runRenewCommand }, { defaultWellKnownTokenFiles }] = await Promise.all([import('./renew-command.ts'), import('../auth/prepare.ts')]);
  await runRenewCommand(config, {
    env,
    wellKnownTokenFiles: deps.wellKnownTokenFiles ?? defaultWellKnownTokenFiles(env),
    log,
    redactor,
    signal: stop.signal,
    runtime: deps.runtime,
  });
  return 0;
}

/** The single executable runs on Bun: refuse to go on when Bun took a variable meant for a program. */
function refuseBunRuntimeVariables(env: Readonly<Record<string, string | undefined>>): void {
  const names = Object.keys(env).filter((name) => BUN_RUNTIME_VARIABLE.test(name) && env[name] !== undefined && env[name] !== '');
  if (names.length === 0) return;
  throw new ConfigError(`${names.join(' and ')} ${names.length === 1 ? 'is' : 'are'} set, and the Bun runtime of vaultenv's executable takes ${names.length === 1 ? 'it' : 'them'}`, {
    input: 'the environment',
    hint: `they would run code or open an inspector in the process that holds the token: unset them for vaultenv, and give them to the program alone (vaultenv … -- env ${names[0] ?? ''}=… CMD)`,
  });
}

/**
 * Secrets file → Vault → environment: everything that must succeed before the command may start.
 * Also answers the values the program gets from Vault (the secrets, an exported token), for masking.
 */
async function prepareEnvironment(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  deps: MainDeps,
  redactor: Redactor,
  log: Logger,
  sink?: FetchSink,
): Promise<{ childEnv: Record<string, string>; values: string[] }> {
  const refs = readCommandSecretsFiles(config, env, deps.cwd, deps.beforeManyRequests, true);
  log.info(`${refs.length} secret${refs.length === 1 ? '' : 's'} named in ${config.secretsFiles.join(', ')}`);

  let secrets: EnvEntry[] = [];
  const extra: EnvEntry[] = [];
  const isLogin = !['none', 'token', 'token-file'].includes(config.auth.method);
  // Nothing to fetch and no token to export: no connection at all (and no node:http to load).
  if (refs.length === 0 && !(isLogin && config.exportToken)) return { childEnv: assembleChildEnv(config, env, [], []), values: [] };
  // The names are known before any value: a duplicate fails here, before the first request (only
  // the error behaviour can fail; keep and overwrite take any names).
  if (config.duplicateVariableBehavior === 'error') {
    const named = refs.flatMap((ref) => (ref.kind === 'key' ? [secretEntry(ref, ref.variable, '')] : []));
    assembleChildEnv(config, env, isLogin && config.exportToken ? [exportedToken('')] : [], named);
  }
  // FILE lines: their folder is made and checked before the first request.
  const filesStage = refs.some(isFileRef) ? await import('../files/secrets-dir.ts') : undefined;
  const secretsDir = filesStage?.prepareSecretsDir({ configured: config.secretsDir, runtimeDir: env.XDG_RUNTIME_DIR, uid: deps.uid, cwd: deps.cwd });
  const files: Array<{ name: string; value: string }> = [];
  const values: string[] = [];
  const [{ withVaultSession, commandSession }, { fetchSecrets }] = await Promise.all([import('./vault-session.ts'), import('../vault/fetch.ts')]);
  const sessionDeps = commandSession(deps, env, log, redactor, refs);
  // A login's token stays alive when it is handed on, or when --supervise goes on using it.
  const keepToken = config.exportToken || config.supervise;
  await withVaultSession(config, sessionDeps, keepToken, async ({ client, prepared, loginToken, fetchOptions }) => {
    sink?.connected(prepared, loginToken);
    if (loginToken !== undefined && config.exportToken) extra.push(exportedToken(loginToken));
    const started = Date.now();
    const onRead = sink === undefined ? undefined : (read: SecretRead) => sink.onRead(read);
    const fetched = await fetchSecrets(refs, client, { ...fetchOptions, onRead });
    for (const { value } of fetched) redactor.add(value);
    log.info(`fetched ${fetched.length} secret${fetched.length === 1 ? '' : 's'} with ${client.requestsSent} requests in ${Date.now() - started} ms`);
    secrets = fetched.map(({ ref, variable, value }) => {
      values.push(value);
      if (!isFileRef(ref) || filesStage === undefined || secretsDir === undefined) return secretEntry(ref, variable, value);
      files.push({ name: variable, value });
      return secretEntry(ref, variable, filesStage.secretFilePath(secretsDir, variable));
    });
  });
  const childEnv = assembleChildEnv(config, env, extra, secrets);
  // Written last, once the environment is sure to be built: a run that fails leaves no new file.
  if (filesStage !== undefined && secretsDir !== undefined && files.length > 0) filesStage.writeSecretFiles(secretsDir, files);
  // The values the program gets from Vault, for masking: a FILE secret's content, not its path.
  return { childEnv, values: [...values, ...extra.map(({ value }) => value)] };
}

function isFileRef(ref: SecretRef): boolean {
  return ref.kind === 'key' && ref.asFile === true;
}

function secretEntry(ref: SecretRef, variable: string, value: string): EnvEntry {
  return { name: variable, value, origin: `the secret at ${ref.position.file}:${ref.position.line}` };
}

function exportedToken(value: string): EnvEntry {
  return { name: 'VAULT_TOKEN', value, origin: 'the token from the login (--export-token)' };
}


/** The effective configuration for --log-level info. Credentials are reported as set, never shown. */
function describeConfig(config: Config): string {
  const agent = config.auth.method === 'none' && (config.agentAddress || config.socketPath !== undefined);
  const auth = agent ? 'none configured (an agent or socket address: no token file is read)' : describeAuth(config.auth);
  return [
    `vault ${describeEndpoint(config)}`,
    `validate certs ${config.validateCerts}`,
    `auth ${auth}`,
    `secrets files ${config.secretsFiles.join(', ')}`,
    `inherit env ${config.inheritEnv}`,
    `blacklist [${config.inheritEnvBlacklist.join(',')}]`,
    `duplicates ${config.duplicateVariableBehavior}`,
    `kv version ${config.kvVersion}`,
    `retries ${config.retryAttempts} from ${config.retryBaseDelayMs} ms`,
    `deadline ${config.deadlineSeconds} s`,
    `concurrency ${config.maxConcurrentRequests}`,
    `use PATH ${config.usePath}`,
    ...(config.supervise ? [`supervise: watch every ${config.watchIntervalSeconds} s, on change ${config.onChange}, stop timeout ${config.stopTimeoutSeconds} s, revoke ${config.revoke}`] : []),
  ].join('; ');
}

function describeAuth(auth: AuthSetting): string {
  switch (auth.method) {
    case 'none':
      return 'none configured (well-known token files, else no token)';
    case 'token':
      return 'token (set)';
    case 'token-file':
      return `token file ${auth.path}`;
    case 'kubernetes':
      return `kubernetes login, role ${auth.role}, JWT from ${auth.jwtPath}`;
    case 'github':
      return 'github login (token set)';
    case 'approle':
      return `approle login, secret ID from ${auth.secretIdFile}`;
    case 'jwt':
      return `jwt login, role ${auth.role}, JWT from ${'file' in auth.jwt ? auth.jwt.file : 'env' in auth.jwt ? `$${auth.jwt.env}` : 'GitHub Actions'}`;
  }
}
