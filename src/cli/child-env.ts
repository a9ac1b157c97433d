// The program's environment as the run builds it, from a command's configuration: the run's
// exec stage and `vaultenv check`, which reports what the run would stop at, build it alike.

import type { Config } from '../config/types.ts';
import { buildChildEnvironment, type EnvEntry } from '../env/merge.ts';

type EnvironmentSettings = Pick<Config, 'configFileVariables' | 'inheritEnv' | 'inheritEnvBlacklist' | 'duplicateVariableBehavior'>;

export function assembleChildEnv(
  config: EnvironmentSettings,
  env: Readonly<Record<string, string | undefined>>,
  extra: EnvEntry[],
  secrets: EnvEntry[],
): Record<string, string> {
  return buildChildEnvironment({
    extra,
    secrets,
    processEnv: env,
    configFileVariables: config.configFileVariables,
    inheritEnv: config.inheritEnv,
    blacklist: config.inheritEnvBlacklist,
    duplicates: config.duplicateVariableBehavior,
  });
}
