// The help of both commands, and suggestions for a mistyped flag, by commander: the only importer of
// commander, loaded only when a command line asks for help or names an unknown option (command-line.ts
// reads every command line itself). Each program is built from the rows of the options table its
// command reads, with its output captured: commander neither prints nor exits here.

import { Command, CommanderError, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { CHECK_USAGE, EXPORT_USAGE, RENEW_USAGE, USAGE, optionRow, optionsFor, shownDefault, type CommandName, type OptionRow } from '../config/options.ts';

const HELP_WIDTH = 100; // fixed, so the help text does not depend on the terminal

const PRECEDENCE = `
Every option can also be set in the environment or in a config file, with the names shown above.
Precedence, highest first: flags, environment, ./.env, $XDG_CONFIG_HOME/vaultenv/vaultenv.conf
(else ~/.config/vaultenv/vaultenv.conf), /etc/vaultenv.conf, defaults.`;

const RUN_FOOTER = `${PRECEDENCE} The variables of these files
are also passed to CMD.

vaultenv renew [options] keeps a token alive (a sidecar): vaultenv renew --help lists its options.
vaultenv check [options] [CMD] checks everything a run needs without starting anything, and
vaultenv export [options] writes the secrets for other tools: each has --help.`;

const CHECK_FOOTER = `${PRECEDENCE}

vaultenv check does what a run does before it starts CMD: the configuration, the secrets files, the
login, every mount, path and key, the environment and (when given) CMD. It starts nothing and prints
no value: one line per secret (ok, or the problem), then a summary. It exits with 0, or with the exit
code a run would end with, that of the most severe problem.`;

const EXPORT_FOOTER = `${PRECEDENCE}

vaultenv export prints the secrets alone (not the environment) as dotenv lines, shell export lines,
one JSON object, or, inside GitHub Actions, into $GITHUB_ENV after ::add-mask:: for each. It refuses
to print them to a terminal without --force.`;

const RENEW_FOOTER = `${PRECEDENCE}

vaultenv renew looks up the token every --interval seconds and renews it when its remaining TTL is
at most --renew-fraction of its creation TTL. Only renew as the first argument starts it.`;

/** The --help text of `vaultenv allow` and `vaultenv deny`, which take no options. */
export function trustHelpText(command: 'allow' | 'deny'): string {
  const what =
    command === 'allow'
      ? `Lets the Vault address that FILE (default ./.env) sets receive a credential from elsewhere: a token in
the environment, ~/.vault-token, a token file, a login. Records FILE's path and a digest of its
content in $XDG_CONFIG_HOME/vaultenv/allowed (else ~/.config/vaultenv/allowed): when the file
changes, vaultenv refuses it again until it is allowed again.`
      : `Removes FILE (default ./.env) from the allowed files: its Vault address no longer receives a
credential from elsewhere.`;
  return `Usage: vaultenv ${command} [FILE]\n\n${what}\n\nScripts and CI jobs that mean it set VAULTENV_TRUST_DOTENV=true (or --trust-dotenv) instead.\n`;
}

/** The --help text of `command`. */
export function helpText(command: CommandName): string {
  const { program, output } = newProgram(command);
  program.outputHelp();
  return output();
}

/**
 * commander's suggestion for an unknown long option `name` (the name alone, never a value): the
 * flags of `command` nearest to it, or none.
 */
export function suggestFlags(command: CommandName, name: string): string[] {
  const { program } = newProgram(command);
  program.showSuggestionAfterError(true);
  try {
    program.parse([name], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError) || error.code !== 'commander.unknownOption') return [];
    // `error: unknown option '--tokn'\n(Did you mean --token?)`, or `(Did you mean one of --a, --b?)`.
    const list = /\(Did you mean (?:one of )?(.*)\?\)/.exec(error.message)?.[1];
    return list === undefined ? [] : list.split(', ');
  }
  return [];
}

/** A commander program with the options `command` reads, its output captured. */
function newProgram(command: CommandName): { program: Command; output: () => string } {
  let output = '';
  const program = new Command('vaultenv')
    .helpOption('-h, --help', 'Show this help text.')
    .version(packageJson.version, '--version', 'Show the version.')
    .exitOverride()
    .showSuggestionAfterError(false)
    .configureOutput({
      writeOut: (text) => (output += text),
      writeErr: () => {},
      outputError: () => {},
      getOutHelpWidth: () => HELP_WIDTH,
      getErrHelpWidth: () => HELP_WIDTH,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    // An action, so that commander reports an unknown option instead of listing commands.
    .action(() => {});
  if (command === 'run' || command === 'check') {
    // The two commands that take CMD [ARGS...]: the run, and check, which checks it.
    const text =
      command === 'run'
        ? { description: `vaultenv ${packageJson.version} - run programs with secrets from HashiCorp Vault or OpenBao`, usage: USAGE, footer: RUN_FOOTER }
        : { description: `vaultenv check ${packageJson.version} - check everything a run needs, starting nothing`, usage: CHECK_USAGE, footer: CHECK_FOOTER };
    program
      .description(text.description)
      .usage(text.usage.replace(/^vaultenv /, ''))
      .argument('[CMD]', optionDescription(optionRow('command')))
      .argument('[ARGS...]', optionDescription(optionRow('args')))
      .passThroughOptions()
      .addHelpText('after', text.footer);
  } else if (command === 'export') {
    program
      .description(`vaultenv export ${packageJson.version} - write the secrets for another tool`)
      .usage(EXPORT_USAGE.replace(/^vaultenv /, ''))
      .addHelpText('after', EXPORT_FOOTER);
  } else {
    program
      .description(`vaultenv renew ${packageJson.version} - keep a Vault or OpenBao token alive`)
      .usage(RENEW_USAGE.replace(/^vaultenv /, ''))
      .addHelpText('after', RENEW_FOOTER);
  }

  for (const option of optionsFor(command)) {
    const [primary, ...aliases] = option.flags;
    if (primary === undefined) continue;
    if (option.kind === 'boolean') {
      program.addOption(new Option(`--${primary}`, optionDescription(option)));
      program.addOption(new Option(`--no-${primary}`, `Turn off --${primary}.`));
      continue;
    }
    for (const flag of [primary, ...aliases]) {
      program.addOption(new Option(`--${flag} <${option.metavar ?? 'VALUE'}>`, flag === primary ? optionDescription(option) : `Alias of --${primary}.`));
    }
  }
  return { program, output: () => output };
}

/** The table's description plus the accepted values, the environment names and the default. */
function optionDescription(option: OptionRow): string {
  const notes: string[] = [];
  if (option.values !== undefined) notes.push(`one of: ${option.values.join(', ')}`);
  if (option.env.length > 0) notes.push(`env: ${option.env.join(', ')}`);
  const shown = shownDefault(option);
  if (shown !== undefined) notes.push(`default: ${shown === '' ? '(empty)' : shown}`);
  return notes.length === 0 ? option.description : `${option.description} (${notes.join('; ')})`;
}
