// The text `vaultenv export` writes, one function per format: dotenv (read back byte for byte by the
// dotenv package, Node's util.parseEnv and so vaultenv's own config reader), shell (`export NAME='…'`
// lines that any POSIX shell evaluates back to the value), json (one object) and GitHub's $GITHUB_ENV
// entries. Pure: entries in, text out; a name or a value a format cannot carry exactly is an error
// naming the secret's line, never showing the value.

import { EnvironmentError } from '../errors.ts';
import { githubEnvEntry, type DelimiterSource } from './github.ts';

export interface ExportEntry {
  name: string;
  value: string;
  /** The secrets-file line it comes from (`app.secrets:3`), for errors. */
  origin: string;
}

/** A name every shell, dotenv reader and GitHub's runner take. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Values written bare in a dotenv file: what `docker --env-file`, which has no quoting, reads exactly too. */
const BARE = /^[A-Za-z0-9_@%+:,./=-]*$/;

function refuse(entry: ExportEntry, problem: string, hint: string): never {
  throw new EnvironmentError(`the secret ${entry.name} ${problem}`, { input: entry.origin, hint });
}

function checkNames(entries: readonly ExportEntry[], format: string, identifiers: boolean): void {
  const seen = new Map<string, string>();
  for (const entry of entries) {
    if (identifiers && !IDENTIFIER.test(entry.name)) {
      refuse(entry, `has a name that ${format} cannot hold`, `give it a NAME= of letters, digits and _ in the secrets file, or use --format json`);
    }
    const earlier = seen.get(entry.name);
    if (earlier !== undefined) refuse(entry, `is named twice (also ${earlier})`, 'give one of the lines another NAME= in the secrets file');
    seen.set(entry.name, entry.origin);
  }
}

function checkNoNul(entry: ExportEntry, format: string): void {
  if (entry.value.includes('\0')) refuse(entry, `holds a NUL character, which ${format} cannot carry`, 'use --format json');
}

/**
 * `NAME=value` lines. A value of safe characters only is written bare (so docker --env-file reads it
 * too); any other in the first quoting it allows whole: '…' (no ' in it), `…` (no ` in it), or "…"
 * with \n for newlines (no " or \ in it). Inside quotes every reader keeps the bytes as they are,
 * newlines included. What none of them holds (a carriage return, which the dotenv package reads as a
 * newline; a value with ', ` and " or \ together; one ending in \ before its closing quote) is refused.
 */
export function formatDotenv(entries: readonly ExportEntry[]): string {
  checkNames(entries, 'a dotenv file', true);
  return entries.map((entry) => `${entry.name}=${dotenvValue(entry)}\n`).join('');
}

function dotenvValue(entry: ExportEntry): string {
  const { value } = entry;
  checkNoNul(entry, 'a dotenv file');
  if (BARE.test(value)) return value;
  if (value.includes('\r')) refuse(entry, 'holds a carriage return, which dotenv readers turn into a newline', 'use --format json or shell');
  const trailingBackslash = value.endsWith('\\');
  if (!value.includes("'") && !trailingBackslash) return `'${value}'`;
  if (!value.includes('`') && !trailingBackslash) return `\`${value}\``;
  if (!value.includes('"') && !value.includes('\\')) return `"${value.replaceAll('\n', '\\n')}"`;
  return refuse(entry, "holds quotes of every kind (', ` and \" or \\), which no dotenv quoting carries exactly", 'use --format json or shell');
}

/** `export NAME='value'` lines; a ' in the value is written '\'' (close, escaped quote, reopen). */
export function formatShell(entries: readonly ExportEntry[]): string {
  checkNames(entries, 'a shell variable', true);
  return entries
    .map((entry) => {
      checkNoNul(entry, 'a shell variable');
      return `export ${entry.name}='${entry.value.replaceAll("'", "'\\''")}'\n`;
    })
    .join('');
}

/** One JSON object, name to value, in file order. */
export function formatJson(entries: readonly ExportEntry[]): string {
  checkNames(entries, 'JSON', false);
  return `${JSON.stringify(Object.fromEntries(entries.map((entry) => [entry.name, entry.value])), null, 2)}\n`;
}

/**
 * $GITHUB_ENV entries in the multi-line form. The runner reads the file line by line, and a carriage
 * return ends a line there too, so a value holding one is refused.
 */
export function formatGithubEnv(entries: readonly ExportEntry[], delimiter?: DelimiterSource): string {
  checkNames(entries, "GitHub's environment file", true);
  return entries
    .map((entry) => {
      checkNoNul(entry, "GitHub's environment file");
      if (entry.value.includes('\r')) refuse(entry, 'holds a carriage return, which the GitHub runner reads as a line end', 'use --format json');
      return githubEnvEntry(entry.name, entry.value, delimiter);
    })
    .join('');
}
