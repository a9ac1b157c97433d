// `${NAME}` and `${NAME:-default}` in the mounts and paths of a version 3 file: each reference is
// replaced by the variable of vaultenv's own environment, and each character of the result keeps the
// column of its `$` for errors. Also the characters a version 3 mount or path keeps for its own
// syntax (`*`, `?`, `@`, and `$` outside a reference). Pure: the environment comes in as an argument.

import { describeChar, isComponentChar, isVarnameChar, isVarnameStart, type Line } from './line.ts';
import type { PlaceChar, PlaceKind } from './place.ts';

/** What `${NAME}` may read. */
export interface VariableScope {
  /** vaultenv's own environment. */
  env: Readonly<Record<string, string | undefined>>;
  /** Names that are never expanded: the credentials, which must not become part of a request path. */
  withheld: ReadonlySet<string>;
}

/** The longest value a reference may put into a mount or path: a path names a secret, not data. */
export const MAX_VARIABLE_VALUE = 256;

const V2_ESCAPE = 'can be written in a VERSION 2 file';

const RESERVED_HINTS: Readonly<Record<string, (what: PlaceKind) => string>> = {
  '*': (what) => `#* after the path takes every key of one secret; paths have no wildcards. A ${what} holding * ${V2_ESCAPE}`,
  '?': (what) => `Write ? after the key to make the line optional (path#key?). A ${what} holding ? ${V2_ESCAPE}`,
  '@': (what) => `Write @N after the key to read version N of a KV v2 secret (path#key@3). A ${what} holding @ ${V2_ESCAPE}`,
};

const REFERENCE_HINT = "A variable is written ${NAME} or ${NAME:-default}, NAME of ASCII letters, digits and _";

/** A character a value (of a variable or a default) may put into a version 3 mount or path. */
function isPlaceChar(char: string): boolean {
  return isComponentChar(char) && !(char in RESERVED_HINTS) && char !== '$';
}

/**
 * The code points `start` to `end` of the line (one path component: no whitespace, `#` or `=`) with
 * every reference expanded, for a version 3 file.
 */
export function expandPlace(line: Line, start: number, end: number, scope: VariableScope, what: PlaceKind): PlaceChar[] {
  const chars: PlaceChar[] = [];
  let i = start;
  while (i < end) {
    const char = line.at(i) ?? '';
    const reserved = RESERVED_HINTS[char];
    if (reserved !== undefined) throw line.error(i, `'${char}' is not allowed in a version 3 ${what}`, reserved(what));
    if (char !== '$') {
      chars.push({ char, index: i });
      i++;
      continue;
    }
    const reference = readReference(line, i, end);
    chars.push(...referenceValue(line, i, reference, scope));
    i = reference.end;
  }
  return chars;
}

interface Reference {
  name: string;
  /** The text after `:-`, when there is one. */
  fallback: string | undefined;
  /** The index after the closing `}`. */
  end: number;
}

function readReference(line: Line, dollar: number, end: number): Reference {
  if (line.at(dollar + 1) !== '{') {
    throw line.error(dollar, "'$' is not allowed in a version 3 path or mount except in ${NAME}", `${REFERENCE_HINT}. A path holding $ ${V2_ESCAPE}`);
  }
  const nameStart = dollar + 2;
  if (nameStart >= end || !isVarnameStart(line.at(nameStart))) {
    throw line.error(nameStart, `expected a variable name after '\${', found ${describeChar(nameStart < end ? line.at(nameStart) : undefined)}`, REFERENCE_HINT);
  }
  let i = nameStart + 1;
  while (i < end && isVarnameChar(line.at(i))) i++;
  const name = line.slice(nameStart, i);
  if (i < end && line.at(i) === '}') return { name, fallback: undefined, end: i + 1 };
  if (i + 1 < end && line.startsWith(':-', i)) {
    const fallbackStart = i + 2;
    let j = fallbackStart;
    while (j < end && line.at(j) !== '}') {
      const char = line.at(j) ?? '';
      if (!isPlaceChar(char)) {
        throw line.error(j, `${describeChar(char)} is not allowed in the default of \${${name}}`, 'A default is part of a mount or path: write it without $, *, ? and @');
      }
      j++;
    }
    if (j === end) throw line.error(dollar, `\${${name}:-… is not closed`, `Close the reference with }: \${${name}:-default}`);
    return { name, fallback: line.slice(fallbackStart, j), end: j + 1 };
  }
  if (i === end) throw line.error(dollar, `\${${name} is not closed`, `Close the reference with }: \${${name}}`);
  throw line.error(i, `expected '}' or ':-' after \${${name}, found ${describeChar(line.at(i))}`, REFERENCE_HINT);
}

/** The value's characters, each at the reference's `$`. The value is never quoted in an error. */
function referenceValue(line: Line, dollar: number, reference: Reference, scope: VariableScope): PlaceChar[] {
  const { name, fallback } = reference;
  if (scope.withheld.has(name)) {
    throw line.error(dollar, `\${${name}} names a credential`, 'A token is never put into a mount or path, where it would be sent and logged: use another variable');
  }
  const set = scope.env[name];
  const value = set === undefined || (set === '' && fallback !== undefined) ? fallback : set;
  if (value === undefined) {
    throw line.error(dollar, `variable ${name} is not set`, `Set ${name} in vaultenv's environment, or give a default: \${${name}:-value}`);
  }
  const chars = Array.from(value);
  if (chars.length > MAX_VARIABLE_VALUE) {
    throw line.error(dollar, `the value of ${name} is longer than ${MAX_VARIABLE_VALUE} characters`, `Check ${name}: it names a part of a mount or path`);
  }
  const bad = chars.find((char) => !isPlaceChar(char));
  if (bad !== undefined) {
    throw line.error(
      dollar,
      `the value of ${name} holds ${describeChar(bad)}`,
      `A variable in a mount or path may hold the characters of a path: not whitespace, control characters, #, =, $, *, ? or @`,
    );
  }
  return chars.map((char) => ({ char, index: dollar, variable: name }));
}
