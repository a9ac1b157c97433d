// The configuration sources, each parsed to the same partial shape (`Source`): a config file, the
// process environment, the command line. Every value a source sets is validated here, with the
// source's name in the error, even when a higher source overrides it. Reading a config file is the
// only I/O; parsing uses Node's util.parseEnv (no command substitution, no variable expansion).

import { readFile, stat } from 'node:fs/promises';
import { parseEnv } from 'node:util';
import { ConfigError } from '../errors.ts';
import { OPTIONS, type OptionId, type OptionRow, type OptionValues } from './options.ts';
import { parseOptionValue, type TypedValue, type ValueOrigin } from './typed-values.ts';

/** Flag values keyed by option id (options.ts); only the flags actually given. */
export type FlagValues = Record<string, string | boolean | string[]>;

/** What the command line asks for (cli/program.ts builds it with commander). */
export type CommandLine =
  | { kind: 'run'; flags: FlagValues; command: string | undefined; args: string[] }
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string };

export type RunCommandLine = Extract<CommandLine, { kind: 'run' }>;

export interface NamedOrigin extends ValueOrigin {
  /** The variable, key or flag that set the value: `VAULT_PORT`, `BAO_ADDR`, `--port`. */
  readonly name: string;
}

export interface Source {
  /** For messages: `the environment`, `file /etc/vaultenv.conf`, `the command line`. */
  readonly label: string;
  readonly values: OptionValues;
  readonly origins: Partial<Record<OptionId, NamedOrigin>>;
}

export interface ConfigFileSource {
  source: Source;
  /** Every variable of the file, option keys included, in file order (vaultenv passes them to the child). */
  variables: Array<[string, string]>;
}

const KEYED_ROWS = OPTIONS.filter((row) => row.env.length > 0);

export function parseEnvironmentSource(env: Readonly<Record<string, string | undefined>>): Source {
  return parseKeyedSource({
    label: 'the environment',
    lookup: (name) => env[name],
    origin: (name) => ({ name, what: `environment variable ${name}`, input: 'set in the environment' }),
    aliasInput: (names) => `environment variables ${names.join(' and ')}`,
  });
}

export function parseConfigFileSource(path: string, text: string): ConfigFileSource {
  const parsed = parseEnv(text);
  const lines = text.split(/\r?\n/);
  const lineOf = (name: string): number | undefined => {
    const key = new RegExp(`^\\s*(?:export\\s+)?${escapeRegExp(name)}\\s*=`);
    for (let i = lines.length - 1; i >= 0; i--) if (key.test(lines[i] ?? '')) return i + 1;
    return undefined;
  };
  const source = parseKeyedSource({
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

export function parseFlagSource(commandLine: RunCommandLine): Source {
  const values: OptionValues = {};
  const origins: Source['origins'] = {};
  for (const row of OPTIONS) {
    const given = commandLine.flags[row.id];
    const flag = row.flags[0];
    if (given === undefined || flag === undefined) continue;
    const name = row.kind === 'boolean' ? `--[no-]${flag}` : `--${flag}`;
    const origin: NamedOrigin = { name, what: `flag ${name}`, input: 'command line' };
    let value: TypedValue;
    if (typeof given === 'string') value = row.repeatable === true ? [given] : parseOptionValue(row, given, origin);
    else if (typeof given === 'boolean' && row.kind === 'boolean') value = given;
    else if (Array.isArray(given) && row.repeatable === true) value = [...given];
    else throw new Error(`flag value of ${row.id} has the wrong type`);
    if (isUnsetToken(row, value)) continue;
    setValue(values, row.id, value);
    origins[row.id] = origin;
  }
  const positional: NamedOrigin = { name: 'CMD', what: 'the command line', input: 'command line' };
  if (commandLine.command !== undefined) {
    values.command = commandLine.command;
    origins.command = positional;
  }
  if (commandLine.args.length > 0) {
    values.args = [...commandLine.args];
    origins.args = { ...positional, name: 'ARGS...' };
  }
  return { label: 'the command line', values, origins };
}

/** The text of a config file, or undefined when there is no regular file at `path`. */
export async function readConfigFile(path: string): Promise<string | undefined> {
  try {
    const stats = await stat(path);
    if (!stats.isFile()) return undefined;
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ConfigError('cannot read config file', {
      input: `file ${path}`,
      hint: `${code ?? 'read error'}: make it readable by this user, or remove it`,
      cause: error,
    });
  }
}

interface KeyedSourceSpec {
  label: string;
  lookup(name: string): string | undefined;
  origin(name: string): NamedOrigin;
  aliasInput(names: readonly string[]): string;
}

/** The environment and config files: the same keys, the same rules, the same alias check. */
function parseKeyedSource(spec: KeyedSourceSpec): Source {
  const values: OptionValues = {};
  const origins: Source['origins'] = {};
  for (const row of KEYED_ROWS) {
    const set: Array<[string, string]> = [];
    for (const name of row.env) {
      const raw = spec.lookup(name);
      if (raw !== undefined && !isUnsetToken(row, raw)) set.push([name, raw]);
    }
    const primary = set[0];
    if (primary === undefined) continue;
    const differing = set.filter(([, raw]) => raw !== primary[1]);
    if (differing.length > 0) {
      const names = [primary[0], ...differing.map(([name]) => name)];
      throw new ConfigError(`conflicting values for ${names.join(' and ')}`, {
        input: spec.aliasInput(names),
        hint: 'They are aliases of each other: set only one, or give them the same value',
      });
    }
    const origin = spec.origin(primary[0]);
    const value = parseOptionValue(row, primary[1], origin);
    setValue(values, row.id, row.repeatable === true && typeof value === 'string' ? [value] : value);
    origins[row.id] = origin;
  }
  return { label: spec.label, values, origins };
}

/** An empty token counts as not set (vaultenv would send an empty X-Vault-Token header). */
function isUnsetToken(row: OptionRow, value: TypedValue): boolean {
  return row.id === 'token' && value === '';
}

function setValue(values: OptionValues, id: OptionId, value: TypedValue): void {
  // The row's kind decides the value's type (typed-values.ts); schema.ts checks the merged result.
  (values as Record<OptionId, TypedValue>)[id] = value;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
