// The configuration pipeline: read the config files, parse every source to the same partial shape
// (sources.ts), resolve addresses per source (address.ts), merge per field by one precedence —
// defaults < /etc/vaultenv.conf < user config < ./.env < environment < flags — and build the one
// `Config` with the zod schema (schema.ts). Reads no process state: everything comes in `ConfigInputs`.

import { isAbsolute, join } from 'node:path';
import { ConfigError } from '../errors.ts';
import { resolveAddress } from './address.ts';
import { USAGE, type OptionValues } from './options.ts';
import { buildConfig } from './schema.ts';
import {
  parseConfigFileSource,
  parseEnvironmentSource,
  parseFlagSource,
  readConfigFile,
  type RunCommandLine,
  type Source,
} from './sources.ts';
import type { AuthSetting, Config } from './types.ts';

export interface ConfigFiles {
  system: string;
  user: string | undefined;
  local: string;
}

export interface ConfigInputs {
  commandLine: RunCommandLine;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Defaults to `defaultConfigFiles(env, cwd)`; tests point these at temporary files. */
  configFiles?: ConfigFiles;
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

export async function loadConfig(inputs: ConfigInputs): Promise<Config> {
  const files = inputs.configFiles ?? defaultConfigFiles(inputs.env, inputs.cwd);
  // Lowest precedence first.
  const paths = [files.system, files.user, files.local].filter((path): path is string => path !== undefined);
  const texts = await Promise.all(paths.map((path) => readConfigFile(path)));

  const fileSources = paths.flatMap((path, i) => {
    const text = texts[i];
    return text === undefined ? [] : [parseConfigFileSource(path, text)];
  });
  const sources = [
    ...fileSources.map((file) => file.source),
    parseEnvironmentSource(inputs.env),
    parseFlagSource(inputs.commandLine),
  ].map(resolveAddress);

  // The auth settings are not merged per field (pickAuth); addresses were resolved per source.
  const settings = mergeSources(sources);
  delete settings.token;
  delete settings.kubernetesRole;
  delete settings.githubToken;
  delete settings.addr;

  if (settings.command === undefined || settings.command === '') {
    throw new ConfigError('no command given', {
      hint: `Usage: ${USAGE} (or set CMD); run vaultenv --help for the options`,
    });
  }
  if (settings.secretsFiles === undefined || settings.secretsFiles.length === 0) {
    throw new ConfigError('no secrets file given', { hint: 'pass --secrets-file FILE or set VAULTENV_SECRETS_FILE' });
  }

  // ./.env first, then the user config, then /etc: a name keeps the value of the first file setting it.
  const configFileVariables = new Map<string, string>();
  for (const file of [...fileSources].reverse()) {
    for (const [name, value] of file.variables) if (!configFileVariables.has(name)) configFileVariables.set(name, value);
  }

  return buildConfig({ ...settings, auth: pickAuth(sources), configFileVariables: [...configFileVariables] });
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

/**
 * The auth method comes from the highest-precedence source that sets any of token, Kubernetes role
 * or GitHub token; within one source the token wins, then the role (as in vaultenv). vaultenv merged
 * with `max`, so any token beat a role given as a flag and the lexicographically larger token won.
 */
function pickAuth(sources: readonly Source[]): AuthSetting {
  for (const { values } of [...sources].reverse()) {
    if (values.token !== undefined) return { method: 'token', token: values.token };
    if (values.kubernetesRole !== undefined) return { method: 'kubernetes', role: values.kubernetesRole };
    if (values.githubToken !== undefined) return { method: 'github', token: values.githubToken };
  }
  return { method: 'none' };
}
