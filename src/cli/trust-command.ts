// `vaultenv allow [FILE]` and `vaultenv deny [FILE]`: record, or remove, a ./.env file whose Vault
// address may receive a credential from elsewhere (config/trust.ts says why it asks).

import { resolve } from 'node:path';
import { readConfigFile } from '../config/sources.ts';
import { allowListPath, digest, updateAllowList } from '../config/trust.ts';
import { ConfigError } from '../errors.ts';
import type { Output } from '../log.ts';
import type { TrustArguments } from './command-line.ts';

export function runTrustCommand(
  commandLine: TrustArguments,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  output: Output,
): number {
  const path = resolve(cwd, commandLine.file ?? '.env');
  const list = allowListPath(env);
  if (list === undefined) {
    throw new ConfigError('there is no config folder to keep the list of allowed .env files in', {
      input: 'HOME, XDG_CONFIG_HOME',
      hint: 'set HOME (or XDG_CONFIG_HOME) to an absolute path',
    });
  }
  if (commandLine.kind === 'deny') {
    const { changed } = updateAllowList(list, path, undefined);
    output.stderr(changed ? `vaultenv: denied ${path}: its Vault address receives no credential from elsewhere\n` : `vaultenv: ${path} was not allowed\n`);
    return 0;
  }
  const text = readConfigFile(path);
  if (text === undefined) {
    throw new ConfigError('no such file to allow', { input: path, hint: 'give the path of the .env file (default: ./.env)' });
  }
  updateAllowList(list, path, digest(text));
  output.stderr(`vaultenv: allowed ${path} as it is now: its Vault address may receive a credential from elsewhere until the file changes\n`);
  return 0;
}
