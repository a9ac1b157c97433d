// The commander programs: `vaultenv [options] [--] CMD [ARGS...]` and `vaultenv renew [options]`, each
// built from the rows of the OPTIONS table its command reads. The only importer of commander. It
// neither prints nor exits: help and version come back as values, syntax errors as one ConfigError. It
// declares no defaults and reads no environment (config/ does both), so a flag that was not given stays
// absent from `flags`. Which credential wins is config/load.ts's rule, for flags as for every source.

import { Command, CommanderError, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { RENEW_USAGE, USAGE, optionRow, optionsFor, type CommandName, type OptionRow } from '../config/options.ts';
import type { CommandLine, FlagValues } from '../config/sources.ts';
import { ConfigError } from '../errors.ts';

export type { CommandLine, FlagValues } from '../config/sources.ts';

const HELP_WIDTH = 100; // fixed, so the help text does not depend on the terminal

const PRECEDENCE = `
Every option can also be set in the environment or in a config file, with the names shown above.
Precedence, highest first: flags, environment, ./.env, $XDG_CONFIG_HOME/vaultenv/vaultenv.conf
(else ~/.config/vaultenv/vaultenv.conf), /etc/vaultenv.conf, defaults.`;

const RUN_FOOTER = `${PRECEDENCE} The variables of these files
are also passed to CMD.

vaultenv renew [options] keeps a token alive (a sidecar); vaultenv renew --help lists its options.`;

const RENEW_FOOTER = `${PRECEDENCE}

vaultenv renew looks up the token every --interval seconds and renews it when its remaining TTL is
at most --renew-fraction of its creation TTL. Only renew as the first argument starts it.`;

/** Parses `argv` (without node and the script). Throws ConfigError on a syntax error. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  // Only the very first argument names the subcommand: `vaultenv -- renew` runs a program named renew.
  return argv[0] === 'renew' ? parseRenew(argv.slice(1)) : parseRun(argv);
}

function parseRun(argv: readonly string[]): CommandLine {
  let run: { command: string | undefined; args: string[] } | undefined;
  const parser = newParser('run', `vaultenv ${packageJson.version} - run programs with secrets from HashiCorp Vault or OpenBao`);
  parser.program
    .usage(USAGE.replace(/^vaultenv /, ''))
    .argument('[CMD]', optionDescription(optionRow('command')))
    .argument('[ARGS...]', optionDescription(optionRow('args')))
    .passThroughOptions()
    .addHelpText('after', RUN_FOOTER)
    .action((command: string | undefined, args: string[] | undefined) => {
      run = { command, args: args ?? [] };
    });
  const early = parser.parse(argv, 'vaultenv --help');
  if (early !== undefined) return early;
  if (run === undefined) throw new Error('commander returned without calling the action');
  return { kind: 'run', flags: parser.flags(), command: run.command, args: run.args };
}

function parseRenew(argv: readonly string[]): CommandLine {
  let called = false;
  const parser = newParser('renew', `vaultenv renew ${packageJson.version} - keep a Vault or OpenBao token alive`);
  parser.program
    .usage(RENEW_USAGE.replace(/^vaultenv /, ''))
    .allowExcessArguments(false)
    .addHelpText('after', RENEW_FOOTER)
    .action(() => {
      called = true;
    });
  const early = parser.parse(argv, 'vaultenv renew --help');
  if (early !== undefined) return early;
  if (!called) throw new Error('commander returned without calling the action');
  return { kind: 'renew', flags: parser.flags() };
}

interface Parser {
  program: Command;
  /** Runs commander: help, version, or undefined when the action ran. Throws ConfigError on a syntax error. */
  parse(argv: readonly string[], helpCommand: string): CommandLine | undefined;
  /** The flags given on the command line, keyed by option id. */
  flags(): FlagValues;
}

/** A commander program with the options `command` reads, its output captured. */
function newParser(command: CommandName, description: string): Parser {
  let output = '';
  const repeated: string[] = [];
  const idOfAttribute = new Map<string, string>();

  const program = new Command('vaultenv')
    .description(description)
    .helpOption('-h, --help', 'Show this help text.')
    .version(packageJson.version, '--version', 'Show the version.')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => (output += text),
      writeErr: () => {},
      outputError: () => {},
      getOutHelpWidth: () => HELP_WIDTH,
      getErrHelpWidth: () => HELP_WIDTH,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });

  for (const option of optionsFor(command)) {
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
          repeated.push(value);
          return repeated;
        });
      }
      program.addOption(definition);
      idOfAttribute.set(camelCase(flag), option.id);
    }
  }

  return {
    program,
    parse(argv, helpCommand) {
      try {
        program.parse([...argv], { from: 'user' });
      } catch (error) {
        if (!(error instanceof CommanderError)) throw error;
        if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return { kind: 'help', text: output };
        if (error.code === 'commander.version') return { kind: 'version', text: output };
        throw new ConfigError(syntaxMessage(command, error), { hint: `run ${helpCommand} for usage` });
      }
      return undefined;
    },
    flags() {
      const flags: FlagValues = {};
      for (const [attribute, id] of idOfAttribute) {
        const value: unknown = program.getOptionValue(attribute);
        if (program.getOptionValueSource(attribute) !== 'cli') continue;
        if (typeof value === 'string' || typeof value === 'boolean') flags[id] = value;
        else if (Array.isArray(value)) flags[id] = [...(value as string[])];
      }
      return flags;
    },
  };
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

/**
 * commander's message without its `error: ` prefix, without a value glued to an unknown flag, and
 * without the stray arguments of `vaultenv renew` (any of them could be a secret).
 */
function syntaxMessage(command: CommandName, error: CommanderError): string {
  if (error.code === 'commander.excessArguments') return 'vaultenv renew takes no arguments, only options';
  const message = error.message.replace(/^error: /, '').replace(/'(--[^'=\s]+)=[^']*'/g, "'$1=…'");
  const flag = /^unknown option '(--[^'=\s]+)/.exec(message)?.[1];
  if (command === 'renew' && flag !== undefined && RUN_ONLY_FLAGS.has(flag)) {
    return `unknown option '${flag}' (an option of the run command, not of vaultenv renew)`;
  }
  return message;
}

/** The flags only the run command has (`--secrets-file`, `--no-use-path`, …). */
const RUN_ONLY_FLAGS = new Set(
  optionsFor('run')
    .filter((row) => !row.commands.includes('renew'))
    .flatMap((row) => [...row.flags, ...(row.kind === 'boolean' ? row.flags.map((flag) => `no-${flag}`) : [])])
    .map((flag) => `--${flag}`),
);
