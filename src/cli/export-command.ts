// `vaultenv export`: the secrets alone (not the inherited environment), fetched as a run fetches them,
// written in the form another tool reads (export/formats.ts): to stdout, to a file (--output), or,
// for GitHub Actions, into $GITHUB_ENV after masking every value in the job log. Printing secrets is
// explicit: to a terminal only with --force.

import { loadExportConfig } from '../config/load.ts';
import type { ExportArguments } from '../config/sources.ts';
import type { ExportFormat } from '../config/types.ts';
import { ConfigError } from '../errors.ts';
import { formatDotenv, formatGithubEnv, formatJson, formatShell, type ExportEntry } from '../export/formats.ts';
import { addMaskCommands } from '../export/github.ts';
import { appendGithubEnv, writeOutputFile } from '../export/output-file.ts';
import { Logger } from '../log.ts';
import type { Redactor } from '../redact.ts';
import { readCommandSecretsFiles } from './secrets-files.ts';
import { fetchSecrets, type FetchedSecret } from '../vault/fetch.ts';
import type { CommandDeps } from './check-command.ts';
import { commandSession, withVaultSession } from './vault-session.ts';

const FORMATTERS: Record<ExportFormat, (entries: readonly ExportEntry[]) => string> = {
  dotenv: formatDotenv,
  shell: formatShell,
  json: formatJson,
  github: (entries) => formatGithubEnv(entries),
};

export async function runExport(commandLine: ExportArguments, env: Readonly<Record<string, string | undefined>>, deps: CommandDeps, redactor: Redactor): Promise<number> {
  const config = loadExportConfig({ commandLine, env, cwd: deps.cwd, configFiles: deps.configFiles });
  if (config.auth.method === 'token' || config.auth.method === 'github') redactor.add(config.auth.token);
  const log = new Logger(deps.output, config.logLevel, redactor);
  const githubEnv = env.GITHUB_ENV;
  if (config.format === 'github') {
    if (config.output !== undefined) {
      throw new ConfigError('--output does not go with --format github', { input: '--output / VAULTENV_OUTPUT', hint: 'the github format appends to the file $GITHUB_ENV names' });
    }
    if (githubEnv === undefined || githubEnv === '') {
      throw new ConfigError('--format github needs GITHUB_ENV, and it is not set', { input: 'GITHUB_ENV', hint: 'run it inside a GitHub Actions step, or use another --format' });
    }
  }
  // The github format prints only the masking commands, but they hold the values too.
  if (config.output === undefined && !config.force && deps.isTerminal?.(1) === true) {
    throw new ConfigError('vaultenv export would print secrets to a terminal', {
      input: 'stdout',
      hint: 'write them to a file with --output FILE, redirect stdout, or pass --force to print them',
    });
  }
  const refs = readCommandSecretsFiles(config, env, deps.cwd, deps.beforeManyRequests, false);
  const format = FORMATTERS[config.format];
  const entriesOf = (secrets: ReadonlyArray<Pick<FetchedSecret, 'ref' | 'variable' | 'value'>>): ExportEntry[] =>
    secrets.map(({ ref, variable, value }) => ({ name: variable, value, origin: `${ref.position.file}:${ref.position.line}` }));
  // Names the format cannot hold, and names given twice, fail before any request (a `#*` line's
  // names are known only from its secret).
  format(entriesOf(refs.flatMap((ref) => (ref.kind === 'key' ? [{ ref, variable: ref.variable, value: '' }] : []))));

  const fetched =
    refs.length === 0
      ? []
      : await withVaultSession(config, commandSession(deps, env, log, redactor, refs), false, ({ client, fetchOptions }) =>
          fetchSecrets(refs, client, fetchOptions),
        );
  for (const { value } of fetched) redactor.add(value);
  const text = format(entriesOf(fetched));
  if (config.format === 'github') {
    deps.output.stdout(addMaskCommands(fetched.map(({ value }) => value)));
    appendGithubEnv(githubEnv ?? '', text);
    log.info(`appended ${fetched.length} secrets to $GITHUB_ENV`);
  } else if (config.output !== undefined) {
    writeOutputFile(config.output, text);
    log.info(`wrote ${fetched.length} secrets to ${config.output}`);
  } else {
    deps.output.stdout(text);
  }
  return 0;
}
