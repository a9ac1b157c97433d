// Parses a secrets file (text → SecretRef[]), pure. The grammar is vaultenv 0.19's version 1 and
// version 2 format (README.md, section "The secrets file"), read by a small line-oriented scanner.
// The first problem throws a SecretsFileError with `file:line:col`, a hint, and the offending line
// with a caret under the column. The file is long because every way a line can be wrong gets its own
// message and hint at its own column, and the grammar stays in one place.
//
// Deliberate differences from vaultenv 0.19 (docs/compatibility.md; a file 0.19 reads to its end
// without a BOM parses to the same refs here):
// - A line whose first non-whitespace character is `#` is a comment, anywhere in the file (0.19 has
//   no comments: such a line silently ends the file).
// - Blank and whitespace-only lines are allowed anywhere, also as the first line (0.19 reads a file
//   starting with a line of spaces as an empty file).
// - No silent truncation: every other line must parse, in version 1 and 2 alike. 0.19 stops without
//   an error at a v1 line starting with `=`, and at any malformed v2 secret line, a second VERSION
//   header or a v2 secret line before the first MOUNT; these are errors here.
// - The last line may lack a trailing newline (0.19: an error in v1, the secret dropped in v2).
// - CRLF line endings are accepted (one `\r` before `\n` is dropped; 0.19 takes `\r` as trailing
//   whitespace, so only a CRLF file without a final newline differs), and a UTF-8 BOM at the start
//   is ignored (0.19 reads it as part of the first path, or fails on a `VERSION 2` after it).
// - `VERSION 1` is an error, as in 0.19, with a hint that a version 1 file has no header.
// Everything else 0.19 rejects is rejected here too: a second `#`, `=` inside a path, whitespace
// before `=` or `#`, a variable name starting with a digit, `MOUNT` without a name, a split header, a
// line without `#`.

import { SecretsFileError } from '../errors.ts';
import { deriveVariableName } from './names.ts';
import type { SecretRef, SourcePosition } from './secret-ref.ts';

/** The mount of every secret in a version 1 file. */
const V1_MOUNT = 'secret';

const BOM = '\uFEFF';

const SYNTAX_HINT = 'A secret line is path#key or NAME=path#key';

/**
 * Haskell's `isSpace`: ASCII space, \t \n \v \f \r (a line holds no `\n`), and the Unicode space
 * separators (Zs), which include the no-break space. Not JS `\s`: that also matches U+FEFF and
 * U+2028/U+2029.
 */
function isWhitespace(char: string): boolean {
  const cp = char.codePointAt(0) ?? 0;
  if (cp <= 0x377) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || cp === 0xa0;
  return /^\p{Zs}$/u.test(char);
}

/** Haskell's `isControl`: general category Cc. */
function isControl(char: string): boolean {
  return /^\p{Cc}$/u.test(char);
}

/** A character of a path, key or mount name (a path component in vaultenv 0.19's grammar). */
function isComponentChar(char: string): boolean {
  return char !== '#' && char !== '=' && !isWhitespace(char) && !isControl(char);
}

function isVarnameStart(char: string | undefined): boolean {
  return char !== undefined && /^[A-Za-z_]$/.test(char);
}

function isVarnameChar(char: string | undefined): boolean {
  return char !== undefined && /^[A-Za-z0-9_]$/.test(char);
}

/** One line of the file, split into code points so that columns count code points. */
class Line {
  readonly fileName: string;
  readonly number: number;
  readonly chars: readonly string[];

  constructor(fileName: string, number: number, text: string) {
    this.fileName = fileName;
    this.number = number;
    this.chars = Array.from(text);
  }

  get length(): number {
    return this.chars.length;
  }

  at(index: number): string | undefined {
    return this.chars[index];
  }

  slice(start: number, end: number): string {
    return this.chars.slice(start, end).join('');
  }

  skipWhitespace(index: number): number {
    let i = index;
    while (i < this.chars.length && isWhitespace(this.chars[i] ?? '')) i++;
    return i;
  }

  /** The index after the path component starting at `index` (equal to `index` if there is none). */
  skipComponent(index: number): number {
    let i = index;
    while (i < this.chars.length && isComponentChar(this.chars[i] ?? '')) i++;
    return i;
  }

  startsWith(word: string, index: number): boolean {
    return this.slice(index, index + word.length) === word;
  }

  position(index: number): SourcePosition {
    return { file: this.fileName, line: this.number, column: index + 1 };
  }

  /**
   * A SecretsFileError pointing at the code point `index` (which may be the end of the line). The
   * line is shown as a window of CONTEXT_WIDTH code points around the column, with … where it is cut.
   */
  error(index: number, message: string, hint: string): SecretsFileError {
    const { file, line, column } = this.position(index);
    const gutter = ' '.repeat(String(line).length);
    const from = Math.max(0, Math.min(index - CONTEXT_WIDTH / 2, this.chars.length - CONTEXT_WIDTH));
    const to = Math.min(this.chars.length, from + CONTEXT_WIDTH);
    const cutBefore = from > 0 ? '…' : '';
    const cutAfter = to < this.chars.length ? '…' : '';
    // Keep tabs in the caret line so the caret stays under the column in a terminal.
    const pad = this.chars
      .slice(from, index)
      .map((char) => (char === '\t' ? '\t' : ' '))
      .join('');
    return new SecretsFileError(`secrets file: ${message}`, {
      input: `${file}:${line}:${column}`,
      hint,
      context: [`  ${line} | ${cutBefore}${printable(this.chars.slice(from, to))}${cutAfter}`, `  ${gutter} | ${cutBefore === '' ? '' : ' '}${pad}^`],
    });
  }
}

/** Code points of a line an error shows around the column: a long line is never echoed whole. */
const CONTEXT_WIDTH = 80;

/** Code points of the file's text a message quotes (a name, a version) before it is cut with …. */
const QUOTE_WIDTH = 40;

/** `text` as a message quotes it: at most QUOTE_WIDTH code points. */
function excerpt(text: string): string {
  const chars = Array.from(text);
  return chars.length <= QUOTE_WIDTH ? text : `${chars.slice(0, QUOTE_WIDTH).join('')}…`;
}

/** The line as shown in an error: control and bidi characters become U+FFFD, one for one. */
function printable(chars: readonly string[]): string {
  return chars.map((char) => (char !== '\t' && /^[\p{Cc}\u202A-\u202E\u2066-\u2069]$/u.test(char) ? '\uFFFD' : char)).join('');
}

function describeChar(char: string | undefined): string {
  if (char === undefined) return 'the end of the line';
  if (isControl(char)) return `control character U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (isWhitespace(char)) return 'whitespace';
  return `'${char}'`;
}

function controlCharacterError(line: Line, index: number): SecretsFileError {
  return line.error(
    index,
    `${describeChar(line.at(index))} is not allowed`,
    'Remove it: names, paths, keys and mounts cannot contain control characters',
  );
}

interface SecretLine {
  name: string | undefined;
  path: string;
  key: string;
}

/** `[NAME "=" ws] path "#" ws key ws`, from the first non-whitespace character `start` to the end. */
function parseSecretLine(line: Line, start: number): SecretLine {
  let i = start;
  let name: string | undefined;
  if (isVarnameStart(line.at(i))) {
    let end = i + 1;
    while (isVarnameChar(line.at(end))) end++;
    if (line.at(end) === '=') {
      name = line.slice(i, end);
      i = line.skipWhitespace(end + 1);
    }
  }

  const pathStart = i;
  i = line.skipComponent(i);
  if (i === pathStart) throw missingPathError(line, i, name !== undefined);
  const pathEnd = i;
  const path = line.slice(pathStart, pathEnd);

  const afterPath = line.at(i);
  if (afterPath !== '#') {
    if (afterPath === undefined) {
      throw line.error(i, "expected '#' between the secret path and the key", `${SYNTAX_HINT}; this line has no '#'`);
    }
    if (afterPath === '=') {
      if (name === undefined && !path.includes('/')) {
        throw line.error(
          pathStart,
          `invalid variable name '${excerpt(path)}'`,
          'A variable name starts with a letter or _ and has only ASCII letters, digits and _ (NAME=path#key)',
        );
      }
      throw line.error(i, "'=' is not allowed in a secret path", `${SYNTAX_HINT}; only NAME may be followed by '='`);
    }
    if (isWhitespace(afterPath)) {
      const next = line.at(line.skipWhitespace(i));
      if (next === '=') {
        throw line.error(i, "whitespace before '=' is not allowed", 'Write NAME=path#key with nothing between NAME and =');
      }
      if (next === '#') {
        throw line.error(i, "whitespace before '#' is not allowed", 'Write path#key with nothing between the path and #');
      }
      throw line.error(i, "expected '#' after the secret path, found whitespace", `${SYNTAX_HINT}; paths cannot contain whitespace`);
    }
    throw controlCharacterError(line, i);
  }

  i = line.skipWhitespace(i + 1);
  const keyStart = i;
  i = line.skipComponent(i);
  if (i === keyStart) {
    const found = line.at(i);
    if (found !== undefined && isControl(found)) throw controlCharacterError(line, i);
    throw line.error(i, `expected a key after '#', found ${describeChar(found)}`, `${SYNTAX_HINT}; the key names a field of the secret`);
  }
  const key = line.slice(keyStart, i);

  const afterKey = line.at(i);
  if (afterKey !== undefined) {
    if (afterKey === '#') {
      throw line.error(i, "unexpected second '#'", `A secret line has one '#', between the path and the key; keys cannot contain '#'`);
    }
    if (afterKey === '=') {
      throw line.error(i, "'=' is not allowed in a key", SYNTAX_HINT);
    }
    if (!isWhitespace(afterKey)) throw controlCharacterError(line, i);
    const rest = line.skipWhitespace(i);
    if (rest < line.length) {
      throw line.error(
        rest,
        'unexpected text after the key',
        line.at(rest) === '#' ? 'A comment must be on a line of its own, starting with #' : `${SYNTAX_HINT}; keys cannot contain whitespace`,
      );
    }
  }
  checkSegments(line, pathStart, pathEnd, 'secret path');
  return { name, path, key };
}

function missingPathError(line: Line, index: number, afterName: boolean): SecretsFileError {
  const found = line.at(index);
  if (found !== undefined && isControl(found)) return controlCharacterError(line, index);
  if (!afterName) {
    // Only '=' can get here: '#' starts a comment and whitespace was skipped.
    return line.error(index, `expected a variable name or a secret path, found ${describeChar(found)}`, `${SYNTAX_HINT}; put the variable name before '='`);
  }
  return line.error(index, `expected a secret path after '=', found ${describeChar(found)}`, SYNTAX_HINT);
}

/** `MOUNT ws name ws`, from the first non-whitespace character `start` (which begins `MOUNT`). */
function parseMountLine(line: Line, start: number): string {
  const nameStart = line.skipWhitespace(start + 'MOUNT'.length);
  const nameEnd = line.skipComponent(nameStart);
  if (nameEnd === nameStart) {
    const found = line.at(nameStart);
    if (found !== undefined && isControl(found)) throw controlCharacterError(line, nameStart);
    const message = found === undefined ? 'MOUNT line has no mount name' : `expected a mount name after MOUNT, found ${describeChar(found)}`;
    throw line.error(nameStart, message, "Write the mount's name on the same line: MOUNT secret");
  }
  const after = line.at(nameEnd);
  if (after !== undefined) {
    if (after === '#' || after === '=') throw line.error(nameEnd, `'${after}' is not allowed in a mount name`, 'Write MOUNT <name> on a line of its own');
    if (!isWhitespace(after)) throw controlCharacterError(line, nameEnd);
    const rest = line.skipWhitespace(nameEnd);
    if (rest < line.length) throw line.error(rest, 'unexpected text after the mount name', 'Write MOUNT <name> on a line of its own; names cannot contain whitespace');
  }
  checkSegments(line, nameStart, nameEnd, 'mount name');
  return line.slice(nameStart, nameEnd);
}

const HEX = /^[0-9A-Fa-f]$/;

/**
 * Refuses a mount or path (the code points `start` to `end` of the line) that would read another
 * place than it names: Vault resolves `.` and `..` segments and empty ones (`secret/../kv1/app`
 * reads `kv1/app`, `a//b` reads `a/b`), and vaultenv 0.19 sends `%2e%2e` as written, for the server
 * to decode into `..` (vaultenv sends `%` as `%25`). A mount may end in one `/`, as Vault writes
 * mounts (`secret/`): it names the same mount, in vaultenv 0.19 too.
 */
function checkSegments(line: Line, start: number, end: number, what: 'secret path' | 'mount name'): void {
  const last = what === 'mount name' && end - start > 1 && line.at(end - 1) === '/' ? end - 1 : end;
  let segmentStart = start;
  for (let i = start; i <= last; i++) {
    const char = line.at(i);
    if (i < last && char !== '/') {
      if (char === '%' && i + 2 < last && HEX.test(line.at(i + 1) ?? '') && HEX.test(line.at(i + 2) ?? '')) {
        throw line.error(
          i,
          `percent-escape '${line.slice(i, i + 3)}' in the ${what}`,
          'Write the character itself: vaultenv sends % as %25, where vaultenv 0.19 sends it as written for Vault to decode, so the line would name two places',
        );
      }
      continue;
    }
    const segment = line.slice(segmentStart, i);
    if (segment === '') {
      if (segmentStart === start) throw line.error(start, `the ${what} starts with '/'`, `Remove the leading /: ${START_HINT[what]}`);
      if (i === end) throw line.error(i - 1, `the ${what} ends with '/'`, 'Remove the trailing /: a path names one secret, and Vault would read another place');
      throw line.error(segmentStart, `empty segment ('//') in the ${what}`, 'Write one / between two names: Vault would drop the empty segment and read another place than written');
    }
    if (segment === '.' || segment === '..') {
      throw line.error(
        segmentStart,
        `'${segment}' segment in the ${what}`,
        `Write the ${what} without . and .. segments: Vault resolves them, so the line would read another place than it names (a/../b reads b)`,
      );
    }
    segmentStart = i + 1;
  }
}

const START_HINT = {
  'secret path': 'a path is relative to its mount',
  'mount name': "a mount is named from Vault's root, as MOUNT secret",
} as const;

/**
 * A line that can only be meant as a MOUNT line: `MOUNT` followed by whitespace or the end, or
 * `MOUNTname` without `#` or `=`. Nothing else starting with `MOUNT` is (`MOUNTAIN/db#pw` is a
 * secret in a MOUNT block, as in vaultenv 0.19, which tries a secret line first).
 */
function isMountLine(line: Line, start: number): boolean {
  if (!line.startsWith('MOUNT', start)) return false;
  const next = line.at(start + 'MOUNT'.length);
  return next === undefined || isWhitespace(next) || (!line.chars.includes('#') && !line.chars.includes('='));
}

/** A line that looks like a header: `VERSION`, optional whitespace, optional digits, nothing else. */
function headerVersion(line: Line, start: number): { version: string; index: number } | undefined {
  if (!line.startsWith('VERSION', start)) return undefined;
  const versionStart = line.skipWhitespace(start + 'VERSION'.length);
  let versionEnd = versionStart;
  while (/^[0-9]$/.test(line.at(versionEnd) ?? '')) versionEnd++;
  if (line.skipWhitespace(versionEnd) !== line.length) return undefined;
  return { version: line.slice(versionStart, versionEnd), index: versionStart };
}

const V1_HAS_NO_HEADER = 'A version 1 file has no header; a version 2 file starts with the line VERSION 2';

function badFirstHeaderError(line: Line, header: { version: string; index: number }): SecretsFileError {
  if (header.version === '') {
    return line.error(header.index, 'the VERSION header has no version number', `Write VERSION 2 on one line. ${V1_HAS_NO_HEADER}`);
  }
  if (header.version === '1') {
    return line.error(
      header.index,
      'VERSION 1 is not a valid header',
      'A version 1 file has no header: remove this line (or write VERSION 2 and put the secrets in MOUNT blocks)',
    );
  }
  return line.error(header.index, `unsupported secrets file version '${excerpt(header.version)}'`, V1_HAS_NO_HEADER);
}

/** Splits into lines: `\n` ends a line, one `\r` before it is dropped, a BOM at the start is ignored. */
function splitLines(text: string): string[] {
  const body = text.startsWith(BOM) ? text.slice(BOM.length) : text;
  return body.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

export function parseSecretsFile(text: string, fileName: string): SecretRef[] {
  const refs: SecretRef[] = [];
  /** undefined until the first line that is neither blank nor a comment decides the version. */
  let version: 1 | 2 | undefined;
  /** The current MOUNT block in a version 2 file. */
  let mount: string | undefined;

  for (const [index, lineText] of splitLines(text).entries()) {
    const line = new Line(fileName, index + 1, lineText);
    const start = line.skipWhitespace(0);
    if (start === line.length || line.at(start) === '#') continue;

    const header = headerVersion(line, start);
    if (version === undefined) {
      if (header !== undefined) {
        if (header.version !== '2') throw badFirstHeaderError(line, header);
        version = 2;
        continue;
      }
      version = 1;
    } else if (header !== undefined) {
      throw line.error(
        start,
        'a VERSION header is only allowed at the top of the file',
        'Keep one VERSION 2 line, before everything but blank lines and comments. A version 1 file has no header',
      );
    }

    if (isMountLine(line, start)) {
      if (version === 1) {
        throw line.error(start, 'MOUNT line in a version 1 file', 'MOUNT blocks need VERSION 2 as the first line of the file');
      }
      mount = parseMountLine(line, start);
      continue;
    }

    const secret = parseSecretLine(line, start);
    if (version === 2 && mount === undefined) {
      throw line.error(start, 'secret before the first MOUNT line', 'In a version 2 file every secret belongs to a block: add a MOUNT <name> line above it');
    }
    // A version 1 file names its variables without a mount prefix but reads from mount `secret`.
    const nameMount = version === 2 ? mount : undefined;
    refs.push({
      variable: secret.name ?? deriveVariableName(nameMount, secret.path, secret.key),
      mount: nameMount ?? V1_MOUNT,
      path: secret.path,
      key: secret.key,
      position: line.position(start),
    });
  }
  return refs;
}
