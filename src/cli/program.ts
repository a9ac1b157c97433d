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
    // commander's suggestion is a second line and is computed on the whole argument (value included):
    // syntaxError makes its own, from the option name alone.
    .showSuggestionAfterError(false)
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
        throw syntaxError(command, error, program, helpCommand);
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
 * One ConfigError, one line, for a commander syntax error. Nothing of an argument past an option's
 * name is shown: `--token=VALUE`, `-tVALUE` and `-token=VALUE` show `--token`, `-t`; the stray
 * arguments of `vaultenv renew` are not shown at all (any of them could be a secret).
 */
function syntaxError(command: CommandName, error: CommanderError, program: Command, helpCommand: string): ConfigError {
  const usage = `run ${helpCommand} for usage`;
  const fail = (message: string, hint = usage): ConfigError => new ConfigError(message, { input: 'command line', hint });
  if (error.code === 'commander.excessArguments') return fail('vaultenv renew takes no arguments, only options');
  if (error.code === 'commander.optionMissingArgument') {
    // `option '--port <PORT>' argument missing`: built from our own option definitions only.
    return fail(error.message.replace(/^error: /, '').split('\n')[0] ?? 'an option is missing its value');
  }
  if (error.code !== 'commander.unknownOption') return fail(`the command line cannot be parsed (${error.code})`);

  // `error: unknown option 'ARG'`, ARG exactly as given (suggestions are off).
  const arg = error.message.replace(/^error: unknown option '/, '').replace(/'$/, '');
  const { name, rest } = optionName(arg);
  const longFlags = new Set([...program.options.flatMap((option) => option.long ?? []), '--help']);
  const known = longFlags.has(name) || program.options.some((option) => option.short === name) || name === '-h';
  if (command === 'renew' && RUN_ONLY_FLAGS.has(name)) {
    return fail(`unknown option '${name}' (an option of the run command, not of vaultenv renew)`);
  }
  if (command === 'run' && RENEW_ONLY_FLAGS.has(name)) {
    return fail(`unknown option '${name}' (an option of vaultenv renew, not of the run command)`, 'run vaultenv renew --help for usage');
  }
  if (known && rest.startsWith('=')) {
    const positive = name.replace(/^--no-/, '--');
    const hint = BOOLEAN_FLAGS.has(positive) ? `use --no-${positive.slice(2)} (or ${positive}) — boolean flags take no value` : usage;
    return fail(`option '${name}' takes no value`, hint);
  }
  const suggestion = name.startsWith('--') ? similarFlags(name, [...longFlags]) : exactLongFlag(arg, longFlags);
  const hint = suggestion.length === 0 ? usage : `did you mean ${suggestion.join(' or ')}? Run ${helpCommand} for usage`;
  // A long name cut short at an odd character gets an ellipsis; `-tVALUE` is the unknown option -t.
  const cut = name.startsWith('--') && rest !== '' && !rest.startsWith('=');
  return fail(`unknown option '${name}${cut ? '…' : ''}'`, hint);
}

/**
 * Splits an argument into the option name vaultenv may show and the rest, which it must not: a long
 * name ends at the first character that cannot be in one (`=`, a space, a quote, a control character),
 * a short option is the dash and one letter (`-tVALUE` is `-t` with a glued value).
 */
function optionName(arg: string): { name: string; rest: string } {
  const name = arg.startsWith('--') ? /^--[A-Za-z0-9_-]*/.exec(arg)?.[0] ?? '--' : /^-[A-Za-z0-9]?/.exec(arg)?.[0] ?? '-';
  return { name, rest: arg.slice(name.length) };
}

/** `-token=VALUE`: one dash short of a long option. Only the word up to `=` is compared. */
function exactLongFlag(arg: string, longFlags: ReadonlySet<string>): string[] {
  const word = /^-([A-Za-z0-9_-]+)(?:=|$)/.exec(arg)?.[1];
  return word !== undefined && longFlags.has(`--${word}`) ? [`--${word}`] : [];
}

/** commander's rule: the flags at the smallest edit distance (at most 2) that are more than 40% similar. */
function similarFlags(name: string, flags: readonly string[]): string[] {
  let best = 3;
  let similar: string[] = [];
  for (const flag of flags) {
    const distance = editDistance(name.slice(2), flag.slice(2));
    const length = Math.max(name.length, flag.length) - 2;
    if (length === 0 || (length - distance) / length <= 0.4) continue;
    if (distance < best) {
      best = distance;
      similar = [flag];
    } else if (distance === best) similar.push(flag);
  }
  return similar.sort((a, b) => a.localeCompare(b));
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment), as commander computes it. */
function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  const d = new Uint16Array((a.length + 1) * width);
  const at = (i: number, j: number): number => d[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i++) d[i * width] = i;
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      d[i * width + j] = value;
    }
  }
  return at(a.length, b.length);
}

/** `--X` and `--no-X` of the rows of `rows`. */
function flagsOf(rows: readonly OptionRow[]): string[] {
  return rows
    .flatMap((row) => [...row.flags, ...(row.kind === 'boolean' ? row.flags.map((flag) => `no-${flag}`) : [])])
    .map((flag) => `--${flag}`);
}

/** The positive flags of the boolean options (`--inherit-env`), of either command. */
const BOOLEAN_FLAGS = new Set(
  [...optionsFor('run'), ...optionsFor('renew')].filter((row) => row.kind === 'boolean').map((row) => `--${row.flags[0] ?? ''}`),
);

/** The flags only vaultenv renew has (`--interval`, `--no-once`, …). */
const RENEW_ONLY_FLAGS = new Set(flagsOf(optionsFor('renew').filter((row) => !row.commands.includes('run'))));

/** The flags only the run command has (`--secrets-file`, `--no-use-path`, …). */
const RUN_ONLY_FLAGS = new Set(flagsOf(optionsFor('run').filter((row) => !row.commands.includes('renew'))));
