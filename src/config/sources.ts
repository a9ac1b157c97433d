// The configuration sources, each parsed to the same partial shape (`Source`): a config file, the
// process environment, the command line. Every value a source sets is validated here, with the
// source's name in the error, even when a higher source overrides it. Each command (run, renew) reads
// only its own options (options.ts `commands`): the others are ignored in the environment and files.
// Reading a config file is the only I/O; parsing uses Node's util.parseEnv (no command substitution,
// no variable expansion).

// Synchronous reads: a few small files at start-up do not need node:fs/promises, which would cost
// start-up time to load (docs/bench.md).
import { statSync } from 'node:fs';
import util from 'node:util';
import { ConfigError, describeFileError, errorCode } from '../errors.ts';
import { formatSize, readLimitedSync, type LimitedRead } from '../limited-read.ts';
import { optionsFor, type CommandName, type FlagId, type FlagValues, type OptionId, type OptionRow, type OptionValues } from './options.ts';
import { parseNegatedBoolean, parseOptionValue, type TypedValue, type ValueOrigin } from './typed-values.ts';

/** What the run command's command line gives the configuration: its flags (only those given), CMD and ARGS. */
export interface RunArguments {
  kind: 'run';
  flags: FlagValues;
  command: string | undefined;
  args: string[];
}

/** What `vaultenv check [options] [CMD [ARGS...]]` gives: the run's arguments, CMD optional. */
export interface CheckArguments {
  kind: 'check';
  flags: FlagValues;
  command: string | undefined;
  args: string[];
}

/** What `vaultenv export [options]` gives the configuration: its flags. */
export interface ExportArguments {
  kind: 'export';
  flags: FlagValues;
}

/** The arguments of any command that reads the configuration. */
export type CommandArguments = RunArguments | RenewArguments | CheckArguments | ExportArguments;

/** What `vaultenv renew [options]` gives the configuration: its flags. */
export interface RenewArguments {
  kind: 'renew';
  flags: FlagValues;
}

/** The label of the command-line source. */
export const FLAG_SOURCE_LABEL = 'the command line';

export interface NamedOrigin extends ValueOrigin {
  /** The variable, key or flag that set the value: `VAULT_PORT`, `BAO_ADDR`, `--port`. */
  readonly name: string;
}

export interface Source {
  /** For messages: `the environment`, `file /etc/vaultenv.conf`, `the command line`. */
  readonly label: string;
  readonly values: OptionValues;
  readonly origins: Partial<Record<OptionId, NamedOrigin>>;
  /** Set by address.ts resolveAddress when the source's address is a unix socket or an Agent address. */
  readonly endpoint?: SourceEndpoint;
}

/** A source's address beyond host and port: a unix socket, an Agent or Proxy address, or both. */
export interface SourceEndpoint {
  /** The socket's path, for a unix:// address; undefined for an Agent on TCP (its host and port are the source's). */
  readonly socket: string | undefined;
  /** The address is VAULT_AGENT_ADDR's, BAO_AGENT_ADDR's or --agent-addr's. */
  readonly agent: boolean;
  /** The variable or flag that set it. */
  readonly name: string;
}

export interface ConfigFileSource {
  source: Source;
  /** Every variable of the file, option keys included, in file order (vaultenv passes them to the child). */
  variables: Array<[string, string]>;
}

export function parseEnvironmentSource(env: Readonly<Record<string, string | undefined>>, command: CommandName = 'run'): Source {
  return parseKeyedSource({
    command,
    isFile: false,
    label: 'the environment',
    lookup: (name) => env[name],
    origin: (name) => ({ name, what: `environment variable ${name}`, input: 'set in the environment' }),
    aliasInput: (names) => `environment variables ${names.join(' and ')}`,
  });
}

export function parseConfigFileSource(path: string, text: string, command: CommandName = 'run'): ConfigFileSource {
  const parsed = util.parseEnv(text);
  const lines = text.split(/\r?\n/);
  const lineOf = (name: string): number | undefined => {
    const key = new RegExp(`^\\s*(?:export\\s+)?${escapeRegExp(name)}\\s*=`);
    for (let i = lines.length - 1; i >= 0; i--) if (key.test(lines[i] ?? '')) return i + 1;
    return undefined;
  };
  const source = parseKeyedSource({
    command,
    isFile: true,
    label: `file ${path}`,
    lookup: (name) => (Object.hasOwn(parsed, name) ? parsed[name] : undefined),
    origin: (name) => {
      const line = lineOf(name);
      return { name, what: name, input: line === undefined ? `file ${path}` : `file ${path} line ${line}` };
    },
    aliasInput: () => `file ${path}`,
  });
  // util.parseEnv returns the names sorted, not in file order: order them by the line that sets them.
  const variables = Object.entries(parsed)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map((entry) => ({ entry, line: lineOf(entry[0]) ?? Number.MAX_SAFE_INTEGER }))
    .sort((a, b) => a.line - b.line)
    .map(({ entry }) => entry);
  return { source, variables };
}

export function parseFlagSource(commandLine: CommandArguments): Source {
  const values: OptionValues = {};
  const origins: Source['origins'] = {};
  for (const row of optionsFor(commandLine.kind)) {
    const given = commandLine.flags[row.id as FlagId];
    const flag = row.flags[0];
    if (given === undefined || flag === undefined) continue;
    const name = row.kind === 'boolean' ? `--[no-]${flag}` : `--${flag}`;
    const origin: NamedOrigin = { name, what: `flag ${name}`, input: 'command line' };
    let value: TypedValue;
    if (typeof given === 'string') value = row.repeatable === true ? [given] : parseOptionValue(row, given, origin);
    else if (typeof given === 'boolean' && row.kind === 'boolean') value = given;
    else if (Array.isArray(given) && row.repeatable === true) value = [...given];
    else throw new Error(`flag value of ${row.id} has the wrong type`);
    if (isUnset(row, value)) continue;
    setValue(values, row.id, value);
    origins[row.id] = origin;
  }
  if (commandLine.kind === 'renew' || commandLine.kind === 'export') return { label: FLAG_SOURCE_LABEL, values, origins };
  const positional: NamedOrigin = { name: 'CMD', what: 'the command line', input: 'command line' };
  if (commandLine.command !== undefined) {
    values.command = commandLine.command;
    origins.command = positional;
  }
  if (commandLine.args.length > 0) {
    values.args = [...commandLine.args];
    origins.args = { ...positional, name: 'ARGS...' };
  }
  return { label: FLAG_SOURCE_LABEL, values, origins };
}

/**
 * The most a config file may hold: a few dozen settings take a few KiB, but its variables also go to
 * the program, and one of them may be as large as the 128 KiB Linux allows a `NAME=value`.
 */
const MAX_CONFIG_FILE_BYTES = 256 * 1024;

/** The text of a config file, or undefined when there is no regular file at `path`. */
export function readConfigFile(path: string): string | undefined {
  let read: LimitedRead;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) return undefined;
    read = readLimitedSync(path, MAX_CONFIG_FILE_BYTES);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ConfigError(`config file ${describeFileError(code)}`, {
      input: `file ${path}`,
      hint: 'make it readable by this user, or remove it',
      cause: error,
    });
  }
  if (read.tooLarge) {
    throw new ConfigError(`config file is larger than ${formatSize(MAX_CONFIG_FILE_BYTES)}`, {
      input: `file ${path}`,
      hint: 'it holds vaultenv settings and variables for the program: keep large data in a file of its own',
    });
  }
  return read.bytes.toString('utf8');
}

interface KeyedSourceShape {
  command: CommandName;
  /** A config file: rows marked notInFiles are not read from it. */
  isFile: boolean;
  label: string;
  lookup(name: string): string | undefined;
  origin(name: string): NamedOrigin;
  aliasInput(names: readonly string[]): string;
}

/** The environment and config files: the same keys, the same rules, the same alias check. */
function parseKeyedSource(shape: KeyedSourceShape): Source {
  const values: OptionValues = {};
  const origins: Source['origins'] = {};
  for (const row of optionsFor(shape.command)) {
    if (shape.isFile && row.notInFiles === true) continue;
    const set: Array<{ name: string; value: TypedValue }> = [];
    for (const name of row.env) {
      const raw = shape.lookup(name);
      const negated = row.negatedEnv?.includes(name) === true;
      // An empty negated name is unset, as in the Vault CLI (`export VAULT_SKIP_VERIFY=` clears it).
      if (raw === undefined || isUnset(row, raw) || (negated && raw === '')) continue;
      const origin = shape.origin(name);
      const value = negated ? parseNegatedBoolean(raw, origin) : parseOptionValue(row, raw, origin);
      // A value that trimming empties (a token of only whitespace) is empty only once parsed.
      if (isUnset(row, value)) continue;
      set.push({ name, value });
    }
    const primary = set[0];
    if (primary === undefined) continue;
    const differing = set.filter(({ value }) => !sameValue(value, primary.value)).map(({ name }) => name);
    if (differing.length > 0) {
      const names = [primary.name, ...differing];
      const negated = names.find((name) => row.negatedEnv?.includes(name) === true);
      const plain = names.find((name) => row.negatedEnv?.includes(name) !== true);
      throw new ConfigError(`conflicting values for ${names.join(' and ')}`, {
        input: shape.aliasInput(names),
        hint:
          negated !== undefined && plain !== undefined
            ? `${negated} means the opposite of ${plain} (${negated}=true is ${plain}=false): set only one, or make them agree`
            : 'They are aliases of each other: set only one, or give them the same value',
      });
    }
    setValue(values, row.id, row.repeatable === true && typeof primary.value === 'string' ? [primary.value] : primary.value);
    origins[row.id] = shape.origin(primary.name);
  }
  return { label: shape.label, values, origins };
}

/** An empty value of a row marked `emptyIsUnset` counts as not set (vaultenv 0.19 sends an empty X-Vault-Token header). */
function isUnset(row: OptionRow, value: TypedValue): boolean {
  return row.emptyIsUnset === true && value === '';
}

function sameValue(a: TypedValue, b: TypedValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => item === b[i]);
  return a === b;
}

function setValue(values: OptionValues, id: OptionId, value: TypedValue): void {
  // The row's kind decides the value's type (typed-values.ts), the one OptionValues declares for its id.
  (values as Record<OptionId, TypedValue>)[id] = value;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
