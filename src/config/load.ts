// The configuration pipeline, one for both commands: read the config files, parse every source to the
// same partial shape (sources.ts), resolve addresses per source (address.ts), merge per field by one
// precedence — defaults < /etc/vaultenv.conf < user config < ./.env < environment < flags — pick the
// credential by level (pickAuth), and build `Config` (run) or `RenewConfig` (renew), with the table's
// defaults (options.ts settle) for what no source sets. Every value is checked by its source's parser
// (sources.ts, typed-values.ts, address.ts) before the merge, so the build only fills in. Reads no
// process state: everything comes in the inputs.

import { isAbsolute, join } from 'node:path';
import { ConfigError } from '../errors.ts';
import { addressSource, resolveAddress } from './address.ts';
import { allowListPath, checkDotenvAddress } from './trust.ts';
import { DEFAULTS, OPTIONS, USAGE, optionRow, settle, type CommandName, type FoldedId, type OptionId, type OptionValues } from './options.ts';
import {
  FLAG_SOURCE_LABEL,
  type CheckArguments,
  type CommandArguments,
  type ExportArguments,
  parseConfigFileSource,
  parseEnvironmentSource,
  parseFlagSource,
  readConfigFile,
  type ConfigFileSource,
  type RenewArguments,
  type RunArguments,
  type Source,
} from './sources.ts';
import type { AuthSetting, CheckConfig, Config, ConnectionConfig, ExportConfig, ExportFormat, JwtSource, RenewConfig } from './types.ts';

export interface ConfigFiles {
  system: string;
  user: string | undefined;
  local: string;
}

/** What both commands load from besides their command line. */
export interface LoadInputs {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Defaults to `defaultConfigFiles(env, cwd)`; tests point these at temporary files. */
  configFiles?: ConfigFiles;
  /** The list of allowed ./.env files; defaults to `allowListPath(env)`. */
  allowList?: string;
}

export interface ConfigInputs extends LoadInputs {
  commandLine: RunArguments;
}

export interface RenewConfigInputs extends LoadInputs {
  commandLine: RenewArguments;
}

export interface CheckConfigInputs extends LoadInputs {
  commandLine: CheckArguments;
}

export interface ExportConfigInputs extends LoadInputs {
  commandLine: ExportArguments;
}

/** /etc/vaultenv.conf; $XDG_CONFIG_HOME/vaultenv/vaultenv.conf, else $HOME/.config/…; <cwd>/.env. */
export function defaultConfigFiles(env: Readonly<Record<string, string | undefined>>, cwd: string): ConfigFiles {
  const xdg = env.XDG_CONFIG_HOME;
  const home = env.HOME;
  let configHome: string | undefined;
  // The XDG base directory spec says to ignore a relative XDG_CONFIG_HOME.
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) configHome = xdg;
  else if (home !== undefined && home !== '') configHome = join(home, '.config');
  return {
    system: '/etc/vaultenv.conf',
    user: configHome === undefined ? undefined : join(configHome, 'vaultenv', 'vaultenv.conf'),
    local: join(cwd, '.env'),
  };
}

/** The run command's configuration: the connection plus the secrets files, CMD and the child's environment. */
export function loadConfig(inputs: ConfigInputs): Config {
  // The run's sources set no format (check's option): it is left out.
  const { command, format, ...config } = loadRunLike('run', inputs, inputs.commandLine);
  void format;
  return { ...config, command: command ?? '' };
}

/** `vaultenv check`: the run's configuration, with CMD optional, and the report's format. */
export function loadCheckConfig(inputs: CheckConfigInputs): CheckConfig {
  const loaded = loadRunLike('check', inputs, inputs.commandLine);
  const format = loaded.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw formatError(format, 'check', 'text or json');
  return { ...loaded, command: loaded.command === '' ? undefined : loaded.command, format };
}

/** `vaultenv export`: the connection and the secrets files; where and how the secrets are written. */
export function loadExportConfig(inputs: ExportConfigInputs): ExportConfig {
  const loaded = loadSources('export', inputs, inputs.commandLine);
  const { secretsFiles, format, ...options } = withoutFolded(settle(loaded.merged, 'export'));
  if (secretsFiles === undefined || secretsFiles.length === 0) throw noSecretsFile();
  const chosen: ExportFormat | 'text' = format ?? 'dotenv';
  if (chosen === 'text') throw formatError(chosen, 'export', 'dotenv, shell, json or github');
  return { ...options, ...connectionFacts(loaded), secretsFiles, format: chosen };
}

function formatError(format: string, command: string, accepted: string): ConfigError {
  return new ConfigError(`vaultenv ${command} has no format "${format}"`, { input: '--format / VAULTENV_FORMAT', hint: `the formats of vaultenv ${command} are ${accepted}` });
}

function noSecretsFile(): ConfigError {
  return new ConfigError('no secrets file given', { hint: 'pass --secrets-file FILE or set VAULTENV_SECRETS_FILE' });
}

/**
 * The configuration of the run and of check, which reads the run's options and --format (CMD
 * optional there). Settled by check's rows: the run's sources set no format.
 */
function loadRunLike(command: 'run' | 'check', inputs: LoadInputs, commandLine: CommandArguments) {
  const loaded = loadSources(command, inputs, commandLine);
  const { merged, fileSources } = loaded;
  const { secretsFiles, command: program, args, ...options } = withoutFolded(settle(merged, 'check'));
  if (command === 'run' && (program === undefined || program === '')) {
    throw new ConfigError('no command given', {
      hint: `Usage: ${USAGE} (or set CMD); run vaultenv --help for the options`,
    });
  }
  if (secretsFiles === undefined || secretsFiles.length === 0) throw noSecretsFile();

  // ./.env first, then the user config, then /etc: a name keeps the value of the first file setting it.
  const configFileVariables = new Map<string, string>();
  for (const file of [...fileSources].reverse()) {
    for (const [name, value] of file.variables) if (!configFileVariables.has(name)) configFileVariables.set(name, value);
  }

  return {
    ...options,
    ...connectionFacts(loaded),
    secretsFiles,
    command: program,
    args: args ?? [],
    configFileVariables: [...configFileVariables],
  };
}

/** `vaultenv renew`: the same sources and precedence, config files included; no CMD or secrets file. */
export function loadRenewConfig(inputs: RenewConfigInputs): RenewConfig {
  const loaded = loadSources('renew', inputs, inputs.commandLine);
  return { ...withoutFolded(settle(loaded.merged, 'renew')), ...connectionFacts(loaded) };
}

interface LoadedSources {
  /** Every option merged per field (the credential options too: `auth` is built from them). */
  merged: OptionValues;
  /** Every source, lowest precedence first, each checked on its own (checkLevel). */
  sources: Source[];
  /** The config files that exist, lowest precedence first. */
  fileSources: ConfigFileSource[];
  /** The credential (pickAuth). */
  auth: AuthSetting;
}

/**
 * The shared core: every source of `command`, the per-source checks, the merge, and the check that
 * an address from ./.env does not receive a credential from elsewhere (trust.ts).
 */
function loadSources(command: CommandName, inputs: LoadInputs, commandLine: CommandArguments): LoadedSources {
  const files = inputs.configFiles ?? defaultConfigFiles(inputs.env, inputs.cwd);
  // The config files that exist, lowest precedence first.
  const existing = [files.system, files.user, files.local].flatMap((path) => {
    const text = path === undefined ? undefined : readConfigFile(path);
    return path === undefined || text === undefined ? [] : [{ path, text }];
  });
  const fileSources = existing.map(({ path, text }) => parseConfigFileSource(path, text, command));
  const sources = [
    ...fileSources.map((file) => file.source),
    parseEnvironmentSource(inputs.env, command),
    parseFlagSource(commandLine),
  ].map(resolveAddress);
  for (const source of sources) checkLevel(source);
  const merged = mergeSources(sources);
  const auth = pickAuth(sources, merged, inputs.env);

  // The sources start with the files', in the same order.
  const localIndex = existing.findIndex(({ path }) => path === files.local);
  const localSource = sources[localIndex];
  const localText = existing[localIndex]?.text;
  checkDotenvAddress({
    sources,
    local: localSource === undefined || localText === undefined ? undefined : { source: localSource, path: files.local, text: localText },
    auth,
    credentialSource: credentialSource(sources),
    trusted: merged.trustDotenv === true,
    allowList: inputs.allowList ?? allowListPath(inputs.env),
  });
  return { merged, sources, fileSources, auth };
}

/** The settings both commands build from several options: the credential, the address's origin and kind, the client key pair. */
function connectionFacts({ sources, auth }: LoadedSources): Pick<
  ConnectionConfig,
  'auth' | 'addressConfigured' | 'socketPath' | 'agentAddress' | 'clientCert' | 'clientKey'
> {
  // The certificate and its key come from one source, the highest that sets either.
  const clientPair = highestSetting(sources, ['clientCert', 'clientKey'])?.values;
  // An address sets host and port, or a socket (address.ts); connect-tls alone does not count.
  const address = addressSource(sources);
  return {
    auth,
    addressConfigured: address !== undefined,
    socketPath: address?.endpoint?.socket,
    agentAddress: address?.endpoint?.agent === true,
    clientCert: clientPair?.clientCert,
    clientKey: clientPair?.clientKey,
  };
}

const FOLDED: readonly string[] = OPTIONS.flatMap((row) => (row.foldedInto === undefined ? [] : [row.id]));

/** The settled options without those folded into `auth` and the address (options.ts `foldedInto`). */
function withoutFolded<T extends object>(settled: T): Omit<T, FoldedId> {
  const rest = { ...settled } as Record<string, unknown>;
  for (const id of FOLDED) delete rest[id];
  return rest as Omit<T, FoldedId>;
}

/** Each option from the highest-precedence source that sets it (`sources` lowest first). */
function mergeSources(sources: readonly Source[]): OptionValues {
  const merged: OptionValues = {};
  for (const source of sources) {
    for (const [id, value] of Object.entries(source.values)) {
      if (value !== undefined) (merged as Record<string, unknown>)[id] = value;
    }
  }
  return merged;
}

/** The highest source that sets any of `ids`: options that are used together come from one source. */
function highestSetting(sources: readonly Source[], ids: readonly OptionId[]): Source | undefined {
  return sources.findLast((source) => ids.some((id) => source.values[id] !== undefined));
}

/** Credentials that log in, in the order of the README; each is the option naming the role or token. */
const LOGINS = ['kubernetesRole', 'githubToken', 'approleRoleId', 'jwtRole'] as const satisfies readonly OptionId[];
/** Credentials that are a token. */
const TOKENS = ['token', 'tokenFile'] as const satisfies readonly OptionId[];

/**
 * The checks of one level (every source, also one a higher source overrides): at most one login
 * method, at most one token, not both --jwt-file and --jwt-env, and --client-cert with --client-key.
 */
function checkLevel(source: Source): void {
  const exclusive: Array<[readonly OptionId[], string]> = [
    [LOGINS, 'Configure one login method per source; a higher source overrides a lower one'],
    [TOKENS, 'Give the token or the token file, not both'],
    [['jwtFile', 'jwtEnv'], 'The JWT comes from a file or from an environment variable: give one of them'],
  ];
  for (const [ids, hint] of exclusive) {
    const given = ids.filter((id) => source.values[id] !== undefined);
    if (given.length > 1) {
      const names = given.map((id) => nameIn(source, id));
      const list = `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
      throw new ConfigError(`${list} are ${given.length === 2 ? 'both' : 'all'} given`, { input: source.label, hint });
    }
  }
  const { clientCert, clientKey } = source.values;
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    const [given, missing] = clientCert === undefined ? (['clientKey', 'clientCert'] as const) : (['clientCert', 'clientKey'] as const);
    throw new ConfigError(`${nameIn(source, given)} is given without ${nameIn(source, missing)}`, {
      input: source.label,
      hint: 'TLS client authentication needs the certificate and its key: set both, in the same source',
    });
  }
}

/**
 * The credential (README.md, section "Options", paragraph "Credentials"): the highest level that
 * configures any login or token decides; within it a login method wins over a token. vaultenv 0.19
 * merges with `max` instead, so any token beats a role given as a flag and the lexicographically
 * larger token wins. Each level has passed its own checks (checkLevel) before this.
 */
function pickAuth(sources: readonly Source[], merged: OptionValues, env: LoadInputs['env']): AuthSetting {
  const source = credentialSource(sources);
  if (source === undefined) return { method: 'none' };
  const { values } = source;
  const login = LOGINS.find((id) => values[id] !== undefined);
  if (login !== undefined) return loginSetting(login, source, sources, merged, env);
  if (values.token !== undefined) return { method: 'token', token: values.token };
  if (values.tokenFile !== undefined) return { method: 'token-file', path: values.tokenFile };
  return { method: 'none' };
}

/** The highest source that configures a login or a token: the one whose credential is used. */
function credentialSource(sources: readonly Source[]): Source | undefined {
  return sources.findLast(({ values }) => [...LOGINS, ...TOKENS].some((id) => values[id] !== undefined));
}

/** A login method with its modifiers, which are merged per field (the JWT's file-or-variable pair per level). */
function loginSetting(
  login: (typeof LOGINS)[number],
  source: Source,
  sources: readonly Source[],
  merged: OptionValues,
  env: LoadInputs['env'],
): AuthSetting {
  const { values } = source;
  const origin = source.origins[login];
  const input = origin?.input ?? source.label;
  switch (login) {
    case 'kubernetesRole':
      return { method: 'kubernetes', role: values.kubernetesRole ?? '', jwtPath: merged.kubernetesJwtFile ?? DEFAULTS.kubernetesJwtFile };
    case 'githubToken':
      return { method: 'github', token: values.githubToken ?? '' };
    case 'approleRoleId': {
      if (merged.approleSecretIdFile === undefined) {
        throw new ConfigError(`${nameIn(source, login)} is given without a secret ID file`, {
          input,
          hint: 'Set --approle-secret-id-file PATH or VAULTENV_APPROLE_SECRET_ID_FILE (in any source) to the file holding the secret ID',
        });
      }
      return {
        method: 'approle',
        roleId: values.approleRoleId ?? '',
        secretIdFile: merged.approleSecretIdFile,
        secretIdWrapped: merged.approleSecretIdWrapped ?? DEFAULTS.approleSecretIdWrapped,
      };
    }
    case 'jwtRole': {
      const jwtSource = highestSetting(sources, ['jwtFile', 'jwtEnv'])?.values;
      const role = values.jwtRole ?? '';
      if (jwtSource?.jwtFile !== undefined) return { method: 'jwt', role, jwt: { file: jwtSource.jwtFile } };
      if (jwtSource?.jwtEnv !== undefined) return { method: 'jwt', role, jwt: { env: jwtSource.jwtEnv } };
      const github = githubActionsJwt(env, merged.jwtAudience);
      if (github !== undefined) return { method: 'jwt', role, jwt: github };
      throw new ConfigError(`${nameIn(source, login)} is given without a JWT`, {
        input,
        hint: 'Set --jwt-file PATH (VAULTENV_JWT_FILE) or --jwt-env NAME (VAULTENV_JWT_ENV), in any source; inside GitHub Actions, give the job permissions: id-token: write',
      });
    }
  }
}

/**
 * A GitHub Actions job allowed to ask for an ID token (permissions: id-token: write) has both
 * variables; vaultenv then asks GitHub itself (auth/github-actions-token.ts).
 */
function githubActionsJwt(env: LoadInputs['env'], audience: string | undefined): JwtSource | undefined {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const token = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (url === undefined || url === '' || token === undefined || token === '') return undefined;
  return { githubActions: { audience } };
}

/** How `source` names an option: the name that set it, else the flag or the primary key. */
function nameIn(source: Source, id: OptionId): string {
  const origin = source.origins[id];
  if (origin !== undefined) return origin.name;
  const row = optionRow(id);
  const flag = row.flags[0];
  return source.label === FLAG_SOURCE_LABEL && flag !== undefined ? `--${flag}` : (row.env[0] ?? id);
}
