// Parses a secrets file (text → SecretRef[]), pure. The grammar is vaultenv 0.19's version 1 and
// version 2 format and vaultenv's own version 3 (README.md, section "The secrets file"), read by a
// small line-oriented scanner; line.ts holds the line and its errors, place.ts the checks of a mount
// or path, variables.ts the `${NAME}` references of version 3.
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

import type { SecretsFileError } from '../errors.ts';
import { Line, SYNTAX_HINT, controlCharacterError, describeChar, excerpt, isComponentChar, isControl, isVarnameChar, isVarnameStart, isWhitespace } from './line.ts';
import { derivedPrefix, deriveVariableName, isValidVariableName } from './names.ts';
import { checkSegments, placeChars, placeText, type PlaceChar, type PlaceKind } from './place.ts';
import type { SecretRef, SourcePosition } from './secret-ref.ts';
import { expandPlace, type VariableScope } from './variables.ts';

export type { VariableScope } from './variables.ts';

/** The mount of every secret in a version 1 file. */
const V1_MOUNT = 'secret';

const BOM = '\uFEFF';

/**
 * The most common version 1 and 2 secret line, `NAME=path#key` or `path#key` in ASCII letters,
 * digits, `_`, `-` and `.` (and `/` between a path's segments), with nothing around it. Such a line is
 * read in one match instead of code point by code point: a long file is mostly such lines. Every
 * other line, and one whose path has a `.` or `..` segment, goes through parseSecretLine, which
 * reads these lines the same way (test/unit/secrets-file/parse.property.test.ts holds the two to it).
 */
const PLAIN_SECRET_LINE = /^(?:([A-Za-z_][A-Za-z0-9_]*)=)?([\w.-]+(?:\/[\w.-]+)*)#([\w.-]+)$/;
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/** `text` when it is a plain secret line (PLAIN_SECRET_LINE): its name (if any), path and key. */
function plainSecretLine(text: string): { name: string | undefined; path: string; key: string } | undefined {
  const match = PLAIN_SECRET_LINE.exec(text);
  if (match === null) return undefined;
  const [, name, path = '', key = ''] = match;
  return DOT_SEGMENT.test(path) ? undefined : { name, path, key };
}

/** The largest version `@N` takes: nine digits, far above any secret's history, and an exact number. */
const MAX_VERSION_DIGITS = 9;

const KEY_SPEC_HINT = 'After the key come, in this order and each optional: @N (a KV v2 version), then ? or ?=default';

/** A version 3 file reads `${NAME}` from here; without one, every reference is an unset variable. */
const NO_VARIABLES: VariableScope = { env: {}, withheld: new Set() };

type Version = 1 | 2 | 3;

interface SecretLine {
  name: string | undefined;
  path: PlaceChar[];
  key: string;
  /** `#*` (version 3). */
  allKeys: boolean;
  version: number | undefined;
  optional: boolean;
  fallback: string | undefined;
  asFile: boolean;
  /** The index of the `?`, for errors about the optional part. */
  optionalAt: number;
}

/**
 * `[FILE ws] [NAME "=" ws] path "#" ws key [@N] [? [=default]] ws`, from the first non-whitespace
 * character `start` to the end. `v3` is the scope of `${NAME}` in a version 3 file, undefined in
 * version 1 and 2, where only `[NAME "=" ws] path "#" ws key ws` is a secret line.
 */
function parseSecretLine(line: Line, start: number, v3: VariableScope | undefined): SecretLine {
  let i = start;
  let asFile = false;
  if (v3 !== undefined && line.startsWith('FILE', i) && (i + 4 === line.length || isWhitespace(line.at(i + 4) ?? ''))) {
    asFile = true;
    i = line.skipWhitespace(i + 4);
    if (i === line.length) throw line.error(i, 'FILE needs a secret line after it', 'Write FILE NAME=path#key: the value goes into a file, and NAME holds its path');
  }
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
  // In version 3, `@` and `?` end the key; in version 1 and 2 they are part of it.
  while (i < line.length && isComponentChar(line.at(i) ?? '') && (v3 === undefined || (line.at(i) !== '@' && line.at(i) !== '?'))) i++;
  if (i === keyStart) {
    const found = line.at(i);
    if (found !== undefined && isControl(found)) throw controlCharacterError(line, i);
    throw line.error(i, `expected a key after '#', found ${describeChar(found)}`, `${SYNTAX_HINT}; the key names a field of the secret`);
  }
  const key = line.slice(keyStart, i);
  const allKeys = v3 !== undefined && key === '*';
  if (v3 !== undefined && !allKeys) checkV3Key(line, keyStart, i);

  let version: number | undefined;
  let optional = false;
  let fallback: string | undefined;
  let optionalAt = -1;
  /** What the line's last part was, for the error about text after it. */
  let after = 'the key';
  if (v3 !== undefined) {
    if (line.at(i) === '@') {
      ({ version, end: i } = parseVersion(line, i));
      after = 'the version';
    }
    if (line.at(i) === '?') {
      optional = true;
      optionalAt = i;
      i++;
      after = "'?'";
      if (line.at(i) === '@') throw line.error(i, "the version goes before '?'", `Write the version first, path#key@3?. ${KEY_SPEC_HINT}`);
      if (line.at(i) === '=') {
        let end = line.length;
        while (end > i + 1 && isWhitespace(line.at(end - 1) ?? '')) end--;
        for (let j = i + 1; j < end; j++) if (isControl(line.at(j) ?? '')) throw controlCharacterError(line, j);
        fallback = line.slice(i + 1, end);
        i = line.length;
      }
    }
  }

  const afterKey = line.at(i);
  if (afterKey !== undefined) {
    if (afterKey === '#') {
      throw line.error(i, "unexpected second '#'", `A secret line has one '#', between the path and the key; keys cannot contain '#'`);
    }
    if (afterKey === '=') {
      throw line.error(i, "'=' is not allowed in a key", v3 === undefined ? SYNTAX_HINT : 'A default follows ?= after the key: path#key?=default');
    }
    if (v3 !== undefined && isComponentChar(afterKey)) {
      throw line.error(i, `unexpected ${describeChar(afterKey)} after ${after}`, KEY_SPEC_HINT);
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
  const pathChars = v3 === undefined ? placeChars(line, pathStart, pathEnd) : expandPlace(line, pathStart, pathEnd, v3, 'secret path');
  checkPlace(line, pathChars, pathStart, 'secret path');
  return { name, path: pathChars, key, allKeys, version, optional, fallback, asFile, optionalAt };
}

/** A version 3 key: `*` only alone, `$` never (`${NAME}` is for mounts and paths). */
function checkV3Key(line: Line, start: number, end: number): void {
  for (let j = start; j < end; j++) {
    const char = line.at(j);
    if (char === '*') {
      throw line.error(j, "'*' is not allowed in a version 3 key", '#* alone takes every key of the secret. A key holding * can be read from a VERSION 2 file');
    }
    if (char === '$') {
      throw line.error(j, "'$' is not allowed in a version 3 key", '${NAME} is expanded in mounts and paths only. A key holding $ can be read from a VERSION 2 file');
    }
  }
}

/** `@N` at `at`: N from 1, without leading zeros. */
function parseVersion(line: Line, at: number): { version: number; end: number } {
  let end = at + 1;
  while (/^[0-9]$/.test(line.at(end) ?? '')) end++;
  const digits = line.slice(at + 1, end);
  const hint = 'Write @N with N a KV v2 version, counted from 1: path#key@3';
  if (digits === '') throw line.error(at + 1, `expected a version number after '@', found ${describeChar(line.at(at + 1))}`, hint);
  if (digits.startsWith('0')) throw line.error(at + 1, `invalid version '${excerpt(digits)}'`, hint);
  if (digits.length > MAX_VERSION_DIGITS) throw line.error(at + 1, `version '${excerpt(digits)}' is too large`, hint);
  return { version: Number(digits), end };
}

/** A mount or path after expansion: not empty, and naming one place (place.ts). */
function checkPlace(line: Line, chars: PlaceChar[], start: number, what: PlaceKind): void {
  if (chars.length === 0) {
    throw line.error(start, `the ${what} is empty`, `Check the variables it is made of: a ${what} names a place`);
  }
  checkSegments(line, chars, what);
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

/** A MOUNT block's mount, with the variables it was made of (version 3). */
interface Mount {
  name: string;
  variables: string[];
}

/** `MOUNT ws name ws`, from the first non-whitespace character `start` (which begins `MOUNT`). */
function parseMountLine(line: Line, start: number, v3: VariableScope | undefined): Mount {
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
  const chars = v3 === undefined ? placeChars(line, nameStart, nameEnd) : expandPlace(line, nameStart, nameEnd, v3, 'mount name');
  checkPlace(line, chars, nameStart, 'mount name');
  return { name: placeText(chars), variables: variablesOf(chars) };
}

function variablesOf(chars: readonly PlaceChar[]): string[] {
  return [...new Set(chars.flatMap((c) => (c.variable === undefined ? [] : [c.variable])))];
}

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

/**
 * The refs of a file. `variables` is what `${NAME}` reads in a version 3 file (vaultenv's own
 * environment); version 1 and 2 files read no variables.
 */
export function parseSecretsFile(text: string, fileName: string, variables: VariableScope = NO_VARIABLES): SecretRef[] {
  const refs: SecretRef[] = [];
  /** undefined until the first line that is neither blank nor a comment decides the version. */
  let version: Version | undefined;
  /** The current MOUNT block in a version 2 or 3 file. */
  let mount: Mount | undefined;

  for (const [index, lineText] of splitLines(text).entries()) {
    // A plain line of a version 1 file, or of a MOUNT block of a version 2 file. Anywhere else (before
    // the first MOUNT of a version 2 file) the full reading below reports it.
    const plain = version !== 3 && (version !== 2 || mount !== undefined) ? plainSecretLine(lineText) : undefined;
    if (plain !== undefined) {
      version ??= 1;
      const position = { file: fileName, line: index + 1, column: 1 };
      refs.push(v1v2Ref(position, version === 2 ? mount?.name : undefined, plain.name, plain.path, plain.key));
      continue;
    }
    const line = new Line(fileName, index + 1, lineText);
    const start = line.skipWhitespace(0);
    if (start === line.length || line.at(start) === '#') continue;

    const header = headerVersion(line, start);
    if (version === undefined) {
      if (header !== undefined) {
        if (header.version !== '2' && header.version !== '3') throw badFirstHeaderError(line, header);
        version = header.version === '2' ? 2 : 3;
        continue;
      }
      version = 1;
    } else if (header !== undefined) {
      throw line.error(
        start,
        'a VERSION header is only allowed at the top of the file',
        `Keep one VERSION ${version === 3 ? 3 : 2} line, before everything but blank lines and comments. A version 1 file has no header`,
      );
    }
    const v3 = version === 3 ? variables : undefined;

    if (isMountLine(line, start)) {
      if (version === 1) {
        throw line.error(start, 'MOUNT line in a version 1 file', 'MOUNT blocks need VERSION 2 as the first line of the file');
      }
      mount = parseMountLine(line, start, v3);
      continue;
    }

    const secret = parseSecretLine(line, start, v3);
    if (version !== 1 && mount === undefined) {
      throw line.error(start, 'secret before the first MOUNT line', `In a version ${version} file every secret belongs to a block: add a MOUNT <name> line above it`);
    }
    refs.push(
      version === 3 && mount !== undefined
        ? v3Ref(line, start, mount, secret)
        : v1v2Ref(line.position(start), version === 2 ? mount?.name : undefined, secret.name, placeText(secret.path), secret.key),
    );
  }
  return refs;
}

/** `nameMount` is the MOUNT of a version 2 line, undefined in version 1 (no mount prefix, mount `secret`). */
function v1v2Ref(position: SourcePosition, nameMount: string | undefined, name: string | undefined, path: string, key: string): SecretRef {
  return {
    kind: 'key',
    variable: name ?? deriveVariableName(nameMount, path, key),
    mount: nameMount ?? V1_MOUNT,
    path,
    key,
    nonString: 'error',
    position,
  };
}

function v3Ref(line: Line, start: number, mount: Mount, secret: SecretLine): SecretRef {
  const path = placeText(secret.path);
  const variables = [...mount.variables, ...variablesOf(secret.path)];
  if (secret.name === undefined && variables.length > 0) {
    throw line.error(
      start,
      `the derived name of this line would change with \${${variables[0] ?? ''}}`,
      secret.allKeys ? 'Give the keys a prefix of their own: PREFIX_=path#*' : 'Give the secret a name of its own: NAME=path#key',
    );
  }
  const common = {
    mount: mount.name,
    path,
    version: secret.version,
    optional: secret.optional,
    fallback: secret.fallback,
    nonString: 'json' as const,
    position: line.position(start),
  };
  if (secret.allKeys) {
    if (secret.fallback !== undefined) {
      throw line.error(
        secret.optionalAt,
        'a #* line takes no default',
        'Write #*? to leave every key unset when the secret is missing, or give a key its own line with ?=default',
      );
    }
    if (secret.asFile) throw line.error(start, 'FILE takes one key, not #*', 'Write one FILE line per key: FILE NAME=path#key');
    return { kind: 'all-keys', prefix: secret.name ?? derivedPrefix(mount.name, path), ...common };
  }
  const variable = secret.name ?? deriveVariableName(mount.name, path, secret.key);
  if (secret.asFile && !isValidVariableName(variable)) {
    throw line.error(
      start,
      `FILE needs a variable name of ASCII letters, digits and _, which also names the file; the derived name '${excerpt(variable)}' is not one`,
      'Give the secret a name of its own: FILE NAME=path#key',
    );
  }
  return { kind: 'key', variable, key: secret.key, asFile: secret.asFile, ...common };
}
