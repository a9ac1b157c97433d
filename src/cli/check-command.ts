// `vaultenv check`: everything a run does before the exec (configuration, secrets files, login, every
// mount's KV version, every path and key, the program's environment and the command), starting
// nothing and printing no value, with every problem reported instead of the first (check-report.ts).

import type { ConfigFiles } from '../config/load.ts';
import { loadCheckConfig } from '../config/load.ts';
import type { CheckArguments } from '../config/sources.ts';
import type { CheckConfig } from '../config/types.ts';
import type { EnvEntry } from '../env/merge.ts';
import { assembleChildEnv } from './child-env.ts';
import { VaultenvError } from '../errors.ts';
import { resolveCommand } from '../exec/path-search.ts';
import { Logger, type Output } from '../log.ts';
import type { Redactor } from '../redact.ts';
import type { SecretRef } from '../secrets-file/secret-ref.ts';
import { readCommandSecretsFiles } from './secrets-files.ts';
import type { ManyRequestsRun } from './v8-tuning.ts';
import { checkSecrets, type SecretOutcome } from '../vault/fetch.ts';
import { checkExitCode, renderCheckJson, renderCheckText, type CheckReport, type CheckedLine, type OtherProblem } from './check-report.ts';
import { commandSession, withVaultSession, type RuntimeDeps } from './vault-session.ts';

/** What check and export take of main's dependencies. */
export interface CommandDeps extends RuntimeDeps {
  output: Output;
  cwd: string;
  configFiles: ConfigFiles;
  /** Whether a file descriptor is a terminal (export refuses to print secrets to one). */
  isTerminal?: ((fd: number) => boolean) | undefined;
  /** Called before long secrets files are parsed (main.ts MainDeps). */
  beforeManyRequests?: ((run: ManyRequestsRun) => void) | undefined;
}

const LOGINS = ['kubernetes', 'github', 'approle', 'jwt'];

export async function runCheck(commandLine: CheckArguments, env: Readonly<Record<string, string | undefined>>, deps: CommandDeps, redactor: Redactor): Promise<number> {
  const config = loadCheckConfig({ commandLine, env, cwd: deps.cwd, configFiles: deps.configFiles });
  if (config.auth.method === 'token' || config.auth.method === 'github') redactor.add(config.auth.token);
  const log = new Logger(deps.output, config.logLevel, redactor);
  const refs = readCommandSecretsFiles(config, env, deps.cwd, deps.beforeManyRequests, false);
  log.info(`checking ${refs.length} secret${refs.length === 1 ? '' : 's'} named in ${config.secretsFiles.join(', ')}`);

  let outcomes: SecretOutcome[] = [];
  // A login is checked even when no secret is named: a run that exports its token needs it.
  if (refs.length > 0 || LOGINS.includes(config.auth.method)) {
    outcomes = await withVaultSession(config, commandSession(deps, env, log, redactor, refs), false, ({ client, fetchOptions }) =>
      checkSecrets(refs, client, fetchOptions),
    );
  }
  for (const outcome of outcomes) if ('picked' in outcome) for (const { value } of outcome.picked) redactor.add(value);
  const lines: CheckedLine[] = outcomes.map((outcome) => ('picked' in outcome ? { ref: outcome.ref, status: 'ok' } : { ref: outcome.ref, status: outcome.problem, error: outcome.error }));
  const report: CheckReport = { lines, others: otherProblems(config, env, outcomes, deps.cwd) };
  deps.output.stdout(config.format === 'json' ? renderCheckJson(report) : renderCheckText(report));
  return checkExitCode(report);
}

/** What a run would stop at after the secrets: the program's environment, and the command. */
function otherProblems(config: CheckConfig, env: Readonly<Record<string, string | undefined>>, outcomes: readonly SecretOutcome[], cwd: string): OtherProblem[] {
  const found: OtherProblem[] = [];
  // Every name a run would set: a line's variables, or, for a line with a problem, its one name.
  const origin = (ref: SecretRef) => `the secret at ${ref.position.file}:${ref.position.line}`;
  const secrets: EnvEntry[] = outcomes.flatMap((outcome) => {
    if ('picked' in outcome) return outcome.picked.map(({ ref, variable, value }) => ({ name: variable, value, origin: origin(ref) }));
    return outcome.ref.kind === 'key' ? [{ name: outcome.ref.variable, value: '', origin: origin(outcome.ref) }] : [];
  });
  const problem = (what: OtherProblem['what'], check: () => void): void => {
    try {
      check();
    } catch (error) {
      if (!(error instanceof VaultenvError)) throw error;
      found.push({ what, error });
    }
  };
  problem('environment', () => assembleChildEnv(config, env, [], secrets));
  const { command } = config;
  if (command !== undefined) problem('command', () => resolveCommand(command, { usePath: config.usePath, searchPath: env.PATH, cwd }));
  return found;
}
