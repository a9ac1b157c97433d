// The commander program: `vaultenv [options] [--] CMD [ARGS...]`, built from the OPTIONS table. The only
// importer of commander. It neither prints nor exits: help and version come back as values, syntax
// errors as one ConfigError. It declares no defaults and reads no environment (config/ does both), so
// a flag that was not given stays absent from `flags`.

import { Command, CommanderError, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { OPTIONS, USAGE, optionRow, type OptionRow } from '../config/options.ts';
import type { CommandLine, FlagValues } from '../config/sources.ts';
import { ConfigError } from '../errors.ts';

export type { CommandLine, FlagValues } from '../config/sources.ts';

const HELP_WIDTH = 100; // fixed, so the help text does not depend on the terminal
const SYNTAX_HINT = 'run vaultenv --help for usage';
const AUTH_FLAGS = ['token', 'kubernetesRole', 'githubToken']; // commander attribute names; vaultenv's exclusive group

const HELP_FOOTER = `
Every option can also be set in the environment or in a config file, with the names shown above.
Precedence, highest first: flags, environment, ./.env, $XDG_CONFIG_HOME/vaultenv/vaultenv.conf
(else ~/.config/vaultenv/vaultenv.conf), /etc/vaultenv.conf, defaults. The variables of these files
are also passed to CMD.`;

/** Parses `argv` (without node and the script). Throws ConfigError on a syntax error. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let output = '';
  const secretsFiles: string[] = [];
  const idOfAttribute = new Map<string, string>();
  let run: { command: string | undefined; args: string[] } | undefined;

  const program = new Command('vaultenv')
    .description(`vaultenv ${packageJson.version} - run programs with secrets from HashiCorp Vault or OpenBao`)
    .usage(USAGE.replace(/^vaultenv /, ''))
    .helpOption('-h, --help', 'Show this help text.')
    .version(packageJson.version, '--version', 'Show the version.')
    .argument('[CMD]', optionDescription(optionRow('command')))
    .argument('[ARGS...]', optionDescription(optionRow('args')))
    .passThroughOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => (output += text),
      writeErr: () => {},
      outputError: () => {},
      getOutHelpWidth: () => HELP_WIDTH,
      getErrHelpWidth: () => HELP_WIDTH,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .addHelpText('after', HELP_FOOTER)
    .action((command: string | undefined, args: string[] | undefined) => {
      run = { command, args: args ?? [] };
    });

  for (const option of OPTIONS) {
    const [primary, ...aliases] = option.flags;
    if (primary === undefined) continue;
    if (option.kind === 'boolean') {
      program.addOption(new Option(`--${primary}`, optionDescription(option)));
      program.addOption(new Option(`--no-${primary}`, `Turn off --${primary}.`));
      idOfAttribute.set(camelCase(primary), option.id);
      continue;
    }
    for (const flag of [primary, ...aliases]) {
      const definition = new Option(
        `--${flag} <${option.metavar ?? 'VALUE'}>`,
        flag === primary ? optionDescription(option) : `Alias of --${primary}.`,
      );
      if (option.repeatable === true) {
        definition.argParser((value: string) => {
          secretsFiles.push(value);
          return secretsFiles;
        });
      }
      if (AUTH_FLAGS.includes(camelCase(flag))) {
        definition.conflicts(AUTH_FLAGS.filter((other) => other !== camelCase(flag)));
      }
      program.addOption(definition);
      idOfAttribute.set(camelCase(flag), option.id);
    }
  }

  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return { kind: 'help', text: output };
    if (error.code === 'commander.version') return { kind: 'version', text: output };
    throw new ConfigError(syntaxMessage(error.message), { hint: SYNTAX_HINT });
  }
  if (run === undefined) throw new Error('commander returned without calling the action');

  const flags: FlagValues = {};
  for (const [attribute, id] of idOfAttribute) {
    const value: unknown = program.getOptionValue(attribute);
    if (program.getOptionValueSource(attribute) !== 'cli') continue;
    if (typeof value === 'string' || typeof value === 'boolean') flags[id] = value;
    else if (Array.isArray(value)) flags[id] = [...(value as string[])];
  }
  return { kind: 'run', flags, command: run.command, args: run.args };
}

/** The table's description plus the accepted values, the environment names and the default. */
export function optionDescription(option: OptionRow): string {
  const notes: string[] = [];
  if (option.values !== undefined) notes.push(`one of: ${option.values.join(', ')}`);
  if (option.env.length > 0) notes.push(`env: ${option.env.join(', ')}`);
  if (option.default !== undefined) notes.push(`default: ${option.default === '' ? '(empty)' : option.default}`);
  return notes.length === 0 ? option.description : `${option.description} (${notes.join('; ')})`;
}

function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/** commander's message without its `error: ` prefix, and without a value glued to an unknown flag. */
function syntaxMessage(message: string): string {
  return message.replace(/^error: /, '').replace(/'(--[^'=\s]+)=[^']*'/g, "'$1=…'");
}
