// Reads a command's secrets files (the run's, check's, export's) with what `${NAME}` in a version 3
// file may read: vaultenv's own environment without its credentials, nor the variable that
// --jwt-env names (it holds a JWT). Tells a caller that asks when the files are long.

import { OPTIONS } from '../config/options.ts';
import type { FetchConfig } from '../config/types.ts';
import { readSecretsFiles } from '../secrets-file/read.ts';
import type { SecretRef } from '../secrets-file/secret-ref.ts';
import type { ManyRequestsRun } from './v8-tuning.ts';

/** The environment variables that hold a credential. */
export const CREDENTIAL_VARIABLES = OPTIONS.filter((row) => row.secret === true).flatMap((row) => row.env);

/** From this many lines in all (line breaks), the files are long: `beforeManyLines` is called. */
export const MANY_SECRET_LINES = 100;

/**
 * The refs of the command's secrets files. `beforeManyLines` is called once, before the parsing of
 * the file that brings the lines read to MANY_SECRET_LINES: a run that long may prepare its runtime
 * for hundreds of requests before its hot code is compiled. It is told the address's protocol and
 * whether the command `execs` (starts the program), which decide the modules it goes on to load.
 */
export function readCommandSecretsFiles(
  config: FetchConfig,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  beforeManyLines: ((run: ManyRequestsRun) => void) | undefined,
  execs: boolean,
): SecretRef[] {
  const withheld = new Set<string>(CREDENTIAL_VARIABLES);
  if (config.auth.method === 'jwt' && 'env' in config.auth.jwt) withheld.add(config.auth.jwt.env);
  let lines = 0;
  const onText =
    beforeManyLines === undefined
      ? undefined
      : (text: string) => {
          if (lines >= MANY_SECRET_LINES) return;
          lines += text.split('\n').length - 1;
          if (lines >= MANY_SECRET_LINES) beforeManyLines({ tls: config.tls, execs });
        };
  return readSecretsFiles(config.secretsFiles, cwd, { env, withheld }, onText);
}
