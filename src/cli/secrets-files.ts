// Reads a command's secrets files (the run's, check's, export's) with what `${NAME}` in a version 3
// file may read: vaultenv's own environment without its credentials, nor the variable that
// --jwt-env names (it holds a JWT).

import { OPTIONS } from '../config/options.ts';
import type { FetchConfig } from '../config/types.ts';
import { readSecretsFiles } from '../secrets-file/read.ts';
import type { SecretRef } from '../secrets-file/secret-ref.ts';

/** The environment variables that hold a credential. */
export const CREDENTIAL_VARIABLES = OPTIONS.filter((row) => row.secret === true).flatMap((row) => row.env);

export function readCommandSecretsFiles(config: FetchConfig, env: Readonly<Record<string, string | undefined>>, cwd: string): SecretRef[] {
  const withheld = new Set<string>(CREDENTIAL_VARIABLES);
  if (config.auth.method === 'jwt' && 'env' in config.auth.jwt) withheld.add(config.auth.jwt.env);
  return readSecretsFiles(config.secretsFiles, cwd, { env, withheld });
}
