// The composition root and the one place that prints errors. Data flows one way:
// command line + environment + config files → Config → secrets spec → Vault → child environment → exec.
// main() returns an exit code; it reads no globals (entry.ts passes argv, env and the real output in).

import { login } from '../auth/login.ts';
import { defaultConfigFiles, loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { buildChildEnvironment, type EnvEntry } from '../env/merge.ts';
import { renderError } from '../errors.ts';
import { runCommand, type ExecRequest } from '../exec/run.ts';
import { Logger, type Output } from '../log.ts';
import { Redactor } from '../redact.ts';
import { readSecretsFiles } from '../spec/read.ts';
import { fetchSecrets } from '../vault/fetch.ts';
import { createVaultHttp, type VaultHttp } from '../vault/http.ts';
import { realClock, type RetryClock } from '../vault/retry.ts';
import { parseCommandLine } from './program.ts';

const CREDENTIAL_VARIABLES = ['VAULT_TOKEN', 'BAO_TOKEN', 'VAULTENV_GITHUB_TOKEN'] as const;
const CREDENTIAL_FLAGS = new Set(['--token', '--github-token']);

export interface MainDeps {
  output: Output;
  cwd: string;
  /** Replaced in tests; the real one replaces the process (execve) or waits for the child (spawn). */
  run?: (request: ExecRequest) => Promise<number>;
  clock?: RetryClock;
  /** Config file locations; defaults to /etc/vaultenv.conf, the XDG user file and ./.env. */
  configFiles?: ReturnType<typeof defaultConfigFiles>;
}

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, deps: MainDeps): Promise<number> {
  const redactor = new Redactor();
  // Credentials are known before anything is parsed, so even a configuration error cannot echo them.
  for (const name of CREDENTIAL_VARIABLES) redactor.add(env[name] ?? '');
  argv.forEach((arg, i) => {
    if (CREDENTIAL_FLAGS.has(arg)) redactor.add(argv[i + 1] ?? '');
    const [flag, value] = arg.split(/=(.*)/s);
    if (flag !== undefined && value !== undefined && CREDENTIAL_FLAGS.has(flag)) redactor.add(value);
  });
  try {
    const commandLine = parseCommandLine(argv);
    if (commandLine.kind !== 'run') {
      deps.output.stdout(commandLine.text);
      return 0;
    }
    const config = await loadConfig({
      commandLine,
      env,
      cwd: deps.cwd,
      configFiles: deps.configFiles ?? defaultConfigFiles(env, deps.cwd),
    });
    if (config.auth.method === 'token' || config.auth.method === 'github') redactor.add(config.auth.token);
    const log = new Logger(deps.output, config.logLevel, redactor);
    log.info(describeConfig(config));

    const childEnv = await prepareEnvironment(config, env, deps, redactor, log);
    log.info(`executing ${config.command}${config.usePath && !config.command.includes('/') ? ' (searching PATH)' : ''}`);
    return await (deps.run ?? runCommand)({
      command: config.command,
      args: config.args,
      env: childEnv,
      usePath: config.usePath,
      searchPath: env.PATH,
      cwd: deps.cwd,
      mode: config.execMode,
    });
  } catch (error) {
    const { text, exitCode } = renderError(error);
    deps.output.stderr(redactor.redact(text));
    return exitCode;
  }
}

/** Secrets file → Vault → environment: everything that must succeed before the command may start. */
async function prepareEnvironment(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  deps: MainDeps,
  redactor: Redactor,
  log: Logger,
): Promise<Record<string, string>> {
  const refs = await readSecretsFiles(config.secretsFiles, deps.cwd);
  log.info(`${refs.length} secret${refs.length === 1 ? '' : 's'} named in ${config.secretsFiles.join(', ')}`);

  let secrets: EnvEntry[] = [];
  if (refs.length > 0 || config.auth.method === 'kubernetes' || config.auth.method === 'github') {
    const clock = deps.clock ?? realClock;
    const retry = { baseDelayMs: config.retryBaseDelayMs, retries: config.retryAttempts };
    const client: VaultHttp = await createVaultHttp({
      host: config.host,
      port: config.port,
      tls: config.tls,
      validateCerts: config.validateCerts,
      token: config.auth.method === 'token' ? config.auth.token : undefined,
      timeoutMs: config.requestTimeoutMs,
      maxSockets: config.maxConcurrentRequests,
    });
    try {
      if (config.auth.method === 'kubernetes' || config.auth.method === 'github') {
        log.info(`logging in with ${config.auth.method} auth`);
        const token = await login(config.auth, client, { backend: config.authBackend, retry, clock });
        redactor.add(token);
        client.setToken(token);
        log.info('login succeeded');
      }
      const started = Date.now();
      const fetched = await fetchSecrets(refs, client, {
        kvVersion: config.kvVersion,
        concurrency: config.maxConcurrentRequests,
        retry,
        clock,
        log: (message) => log.info(message),
        hasToken: config.auth.method !== 'none',
      });
      for (const { value } of fetched) redactor.add(value);
      log.info(`fetched ${fetched.length} secrets with ${client.requestsSent} requests in ${Date.now() - started} ms`);
      secrets = fetched.map(({ ref, value }) => ({
        name: ref.variable,
        value,
        origin: `the secret at ${ref.position.file}:${ref.position.line}`,
      }));
    } finally {
      client.close();
    }
  }
  return buildChildEnvironment({
    extra: [],
    secrets,
    processEnv: env,
    configFileVariables: config.configFileVariables,
    inheritEnv: config.inheritEnv,
    blacklist: config.inheritEnvBlacklist,
    duplicates: config.duplicateVariableBehavior,
  });
}

/** The effective configuration for --log-level info. Credentials are reported as set, never shown. */
function describeConfig(config: Config): string {
  const auth =
    config.auth.method === 'none'
      ? 'none'
      : config.auth.method === 'kubernetes'
        ? `kubernetes login, role ${config.auth.role}`
        : config.auth.method === 'github'
          ? 'github login (token set)'
          : 'token (set)';
  return [
    `vault ${config.tls ? 'https' : 'http'}://${config.host}:${config.port}`,
    `validate certs ${config.validateCerts}`,
    `auth ${auth}`,
    `secrets files ${config.secretsFiles.join(', ')}`,
    `inherit env ${config.inheritEnv}`,
    `blacklist [${config.inheritEnvBlacklist.join(',')}]`,
    `duplicates ${config.duplicateVariableBehavior}`,
    `kv version ${config.kvVersion}`,
    `retries ${config.retryAttempts} from ${config.retryBaseDelayMs} ms`,
    `concurrency ${config.maxConcurrentRequests}`,
    `use PATH ${config.usePath}`,
  ].join('; ');
}
