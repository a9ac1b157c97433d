// Reads every command line: `vaultenv [options] [--] CMD [ARGS...]`, `vaultenv renew [options]`,
// `vaultenv check [options] [--] [CMD [ARGS...]]`, `vaultenv export [options]` and
// `vaultenv allow|deny [FILE]`, by the rows of the options table each command reads. The grammar is commander's, so that what help
// (help.ts, commander) shows is what is read: long options only (`--name VALUE`, `--name=VALUE`,
// `--flag`, `--no-flag`), an option's value is the next argument whatever it looks like, `--help`
// and `-h` ask for help, `--version` answers at once. The run command stops reading options at `--`
// or at the first argument that is not an option (a negative number counts as one), which starts
// CMD [ARGS...] (so does check); `renew` and `export` take options only. Only the very first argument names a subcommand.
//
// commander itself is loaded only to render help and to suggest a flag for a mistyped one. Syntax
// errors are one ConfigError line that shows nothing of an argument past an option's name: a value
// glued to it could be a token.

import packageJson from '../../package.json' with { type: 'json' };
import { optionsFor, type CommandName, type FlagId, type FlagValues, type OptionRow } from '../config/options.ts';
import type { CheckArguments, ExportArguments, RenewArguments, RunArguments } from '../config/sources.ts';
import { ConfigError } from '../errors.ts';

/** `vaultenv allow [FILE]` and `vaultenv deny [FILE]`: trust a ./.env's Vault address, or stop to (config/trust.ts). */
export type TrustCommand = 'allow' | 'deny';
/** `file` as given; undefined means ./.env. */
export type TrustArguments = { kind: 'allow'; file: string | undefined } | { kind: 'deny'; file: string | undefined };

/** What a command line asks for. */
export type CommandLine =
  | RunArguments
  | RenewArguments
  | CheckArguments
  | ExportArguments
  | TrustArguments
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string };

/**
 * What a command line says, read without commander: the arguments of a command, a request for help
 * or the version, or a mistake. `suggestFor` names an unknown long option for which commander may
 * know a flag to suggest.
 */
export type Reading =
  | RunArguments
  | RenewArguments
  | CheckArguments
  | ExportArguments
  | TrustArguments
  | { kind: 'help'; command: CommandName | TrustCommand }
  | { kind: 'version' }
  | { kind: 'mistake'; error: ConfigError; command: CommandName; suggestFor?: string };

/** What a long flag of a command means. */
type FlagMeaning =
  | { takes: 'value'; id: FlagId; row: OptionRow }
  | { takes: 'repeated'; id: FlagId; row: OptionRow }
  | { takes: 'nothing'; id: FlagId; value: boolean }
  | { takes: 'version' };

/**
 * Reads `argv` (without node and the script) into what it asks for; throws the ConfigError of a
 * mistake. commander renders the help and suggests a flag for a mistyped one, loaded only then.
 */
export async function readCommandLine(argv: readonly string[]): Promise<CommandLine> {
  const reading = parseCommandLine(argv);
  switch (reading.kind) {
    case 'run':
    case 'renew':
    case 'check':
    case 'export':
    case 'allow':
    case 'deny':
      return reading;
    case 'version':
      return { kind: 'version', text: `${packageJson.version}\n` };
    case 'help': {
      const { command } = reading;
      const help = await import('./help.ts');
      return { kind: 'help', text: command === 'allow' || command === 'deny' ? help.trustHelpText(command) : help.helpText(command) };
    }
    case 'mistake': {
      if (reading.suggestFor === undefined) throw reading.error;
      const suggestion = (await import('./help.ts')).suggestFlags(reading.command, reading.suggestFor);
      throw suggestion.length === 0 ? reading.error : withSuggestion(reading.error, reading.command, suggestion);
    }
  }
}

/** The pure reading of `argv` (see the top of this file). */
export function parseCommandLine(argv: readonly string[]): Reading {
  // Only the very first argument names the subcommand: `vaultenv -- renew` runs a program named renew.
  if (argv[0] === 'renew' || argv[0] === 'check' || argv[0] === 'export') return parseArguments(argv[0], argv.slice(1));
  if (argv[0] === 'allow' || argv[0] === 'deny') return parseTrust(argv[0], argv.slice(1));
  return parseArguments('run', argv);
}

/** `vaultenv allow|deny [--] [FILE]`: no options but help, at most one file. */
function parseTrust(command: TrustCommand, args: readonly string[]): Reading {
  const dashes = args.indexOf('--');
  const options = dashes === -1 ? args : args.slice(0, dashes);
  if (options.some((arg) => arg === '--help' || arg === '-h')) return { kind: 'help', command };
  const hint = `run vaultenv ${command} --help for usage`;
  const option = options.find(looksLikeOption);
  if (option !== undefined) return trustMistake(`unknown option '${optionName(option).name}' (vaultenv ${command} takes no options)`, hint);
  const files = dashes === -1 ? args : [...options, ...args.slice(dashes + 1)];
  if (files.length > 1) return trustMistake(`vaultenv ${command} takes one file at most`, hint);
  return command === 'allow' ? { kind: 'allow', file: files[0] } : { kind: 'deny', file: files[0] };
}

function trustMistake(message: string, hint: string): Reading {
  // A stray argument is not shown: it could be a secret. No flag to suggest: the command has none.
  return { kind: 'mistake', error: new ConfigError(message, { input: 'command line', hint }), command: 'run' };
}

/** The reading of one command's arguments. */
function parseArguments(command: CommandName, args: readonly string[]): Reading {
  const table = flagTable(command);
  const flags: FlagValues = {};
  // Written by id: each meaning's `takes` comes from its row's kind (flagTable), so each value has the
  // type FlagValues gives that id.
  const set = flags as Record<FlagId, string | boolean | string[]>;
  // One list for a repeatable flag and its aliases together, in the order given.
  const repeated: string[] = [];
  const operands: string[] = [];
  const unknown: string[] = [];
  let into = operands;
  for (let i = 0; i < args.length; ) {
    const arg = args[i++] ?? '';
    if (arg === '--') {
      if (into === unknown) into.push(arg);
      into.push(...args.slice(i));
      break;
    }
    let meaning = looksLikeOption(arg) ? table.get(arg) : undefined;
    let value: string | undefined;
    if (meaning !== undefined && (meaning.takes === 'value' || meaning.takes === 'repeated')) {
      value = args[i++];
      if (value === undefined) return mistake(command, `option '${arg} <${meaning.row.metavar ?? 'VALUE'}>' argument missing`);
    } else if (meaning === undefined && /^--[^=]+=/.test(arg)) {
      // --name=VALUE, for a flag that takes a value (a boolean given one is an unknown option below).
      const equals = arg.indexOf('=');
      const named = table.get(arg.slice(0, equals));
      if (named?.takes === 'value' || named?.takes === 'repeated') [meaning, value] = [named, arg.slice(equals + 1)];
    }
    if (meaning !== undefined) {
      if (meaning.takes === 'version') return { kind: 'version' };
      if (meaning.takes === 'nothing') set[meaning.id] = meaning.value;
      else if (meaning.takes === 'value') set[meaning.id] = value ?? '';
      else {
        repeated.push(value ?? '');
        set[meaning.id] = [...repeated];
      }
      continue;
    }
    // Anything else that looks like an option is unknown, and so is everything after it.
    if (into === operands && looksLikeOption(arg) && !NEGATIVE_NUMBER.test(arg)) into = unknown;
    if (takesCommand(command)) {
      into.push(arg, ...args.slice(i));
      break;
    }
    into.push(arg);
  }

  if (unknown.some((arg) => arg === '--help' || arg === '-h')) return { kind: 'help', command };
  const [first] = unknown;
  if (first !== undefined) return unknownOption(command, first);
  if (command === 'renew' || command === 'export') {
    // Not even a stray argument is shown: it could be a secret.
    if (operands.length > 0) return mistake(command, `vaultenv ${command} takes no arguments, only options`);
    return { kind: command, flags };
  }
  const [program, ...programArgs] = operands;
  return { kind: command, flags, command: program, args: programArgs };
}

/** The commands whose first argument that is not an option starts CMD [ARGS...]. */
function takesCommand(command: CommandName): command is 'run' | 'check' {
  return command === 'run' || command === 'check';
}

/** An argument of two or more characters starting with `-`. */
function looksLikeOption(arg: string): boolean {
  return arg.length > 1 && arg.startsWith('-');
}

/** A negative number (`-5`, `-.5`, `-1e3`) is an argument, not an option. */
const NEGATIVE_NUMBER = /^-(\d+|\d*\.\d+)([eE][+-]?\d+)?$/;

const flagTables = new Map<CommandName, ReadonlyMap<string, FlagMeaning>>();

/** `--X` (and `--no-X` for a boolean) of each row `command` reads, and `--version`. */
function flagTable(command: CommandName): ReadonlyMap<string, FlagMeaning> {
  const known = flagTables.get(command);
  if (known !== undefined) return known;
  const table = new Map<string, FlagMeaning>([['--version', { takes: 'version' }]]);
  for (const row of optionsFor(command)) {
    const [primary] = row.flags;
    if (primary === undefined) continue;
    const id = row.id as FlagId;
    if (row.kind === 'boolean') {
      // Booleans have no aliases on the command line: only --X and --no-X.
      table.set(`--${primary}`, { takes: 'nothing', id, value: true });
      table.set(`--no-${primary}`, { takes: 'nothing', id, value: false });
      continue;
    }
    for (const flag of row.flags) table.set(`--${flag}`, { takes: row.repeatable === true ? 'repeated' : 'value', id, row });
  }
  flagTables.set(command, table);
  return table;
}

function mistake(command: CommandName, message: string, hint = usageHint(command), suggestFor?: string): Reading {
  return { kind: 'mistake', error: new ConfigError(message, { input: 'command line', hint }), command, suggestFor };
}

function usageHint(command: CommandName): string {
  return `run ${helpCommand(command)} for usage`;
}

function helpCommand(command: CommandName): string {
  return command === 'run' ? 'vaultenv --help' : `vaultenv ${command} --help`;
}

/** The hint that suggests `flags`, on the error's one line. */
function suggestionHint(command: CommandName, flags: readonly string[]): string {
  return `did you mean ${flags.join(' or ')}? Run ${helpCommand(command)} for usage`;
}

/** The error with commander's suggestion in its hint. */
function withSuggestion(error: ConfigError, command: CommandName, flags: readonly string[]): ConfigError {
  return new ConfigError(error.message, { input: error.input, hint: suggestionHint(command, flags) });
}

/**
 * The mistake of an unknown option. Nothing of the argument past the option's name is shown:
 * `--token=VALUE`, `-tVALUE` and `-token=VALUE` show `--token`, `-t`.
 */
function unknownOption(command: CommandName, arg: string): Reading {
  const { name, rest } = optionName(arg);
  const table = flagTable(command);
  const known = table.has(name) || name === '--help' || name === '-h';
  const other = COMMANDS.find((candidate) => candidate !== command && flagTable(candidate).has(name));
  if (!known && other !== undefined) {
    // The renew help lists what renew takes, so it says what belongs where between run and renew.
    return mistake(command, `unknown option '${name}' (an option of ${commandTitle(other)}, not of ${commandTitle(command)})`, usageHint(command === 'run' ? 'renew' : command));
  }
  if (known && rest.startsWith('=')) {
    const positive = name.replace(/^--no-/, '--');
    const isBoolean = BOOLEAN_FLAGS.has(positive);
    const hint = isBoolean ? `use --no-${positive.slice(2)} (or ${positive}) — boolean flags take no value` : usageHint(command);
    return mistake(command, `option '${name}' takes no value`, hint);
  }
  // A long name cut short at an odd character gets an ellipsis; `-tVALUE` is the unknown option -t.
  const cut = name.startsWith('--') && rest !== '' && !rest.startsWith('=');
  const message = `unknown option '${name}${cut ? '…' : ''}'`;
  // A known name cut short (`--token'…`): that very flag is the suggestion.
  if (known) return name.startsWith('--') ? mistake(command, message, suggestionHint(command, [name])) : mistake(command, message);
  // A long name: commander suggests the nearest flags.
  if (name.startsWith('--')) return mistake(command, message, usageHint(command), name === '--' ? undefined : name);
  // `-token=VALUE`: one dash short of a long option. Only the word up to `=` is compared.
  const word = /^-([A-Za-z0-9_-]+)(?:=|$)/.exec(arg)?.[1];
  return word !== undefined && table.has(`--${word}`) ? mistake(command, message, suggestionHint(command, [`--${word}`])) : mistake(command, message);
}

/**
 * Splits an argument into the option name vaultenv may show and the rest, which it must not: a long
 * name ends at the first character that cannot be in one (`=`, a space, a quote, a control character),
 * a short option is the dash and one letter (`-tVALUE` is `-t` with a glued value).
 */
function optionName(arg: string): { name: string; rest: string } {
  const name = arg.startsWith('--') ? (/^--[A-Za-z0-9_-]*/.exec(arg)?.[0] ?? '--') : (/^-[A-Za-z0-9]?/.exec(arg)?.[0] ?? '-');
  return { name, rest: arg.slice(name.length) };
}

const COMMANDS: readonly CommandName[] = ['run', 'renew', 'check', 'export'];

function commandTitle(command: CommandName): string {
  return command === 'run' ? 'the run command' : `vaultenv ${command}`;
}

/** The positive flags of the boolean options (`--inherit-env`), of any command. */
const BOOLEAN_FLAGS = new Set(
  COMMANDS.flatMap((command) => optionsFor(command)).filter((row) => row.kind === 'boolean').map((row) => `--${row.flags[0] ?? ''}`),
);
