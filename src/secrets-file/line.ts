// One line of a secrets file as the parsers read it: its code points, the character classes of the
// grammar (Haskell's, as vaultenv 0.19 reads them), and the positioned SecretsFileError with the line
// and a caret under the column that every parse failure becomes.

import { SecretsFileError } from '../errors.ts';
import type { SourcePosition } from './secret-ref.ts';

export const SYNTAX_HINT = 'A secret line is path#key or NAME=path#key';

/**
 * Haskell's `isSpace`: ASCII space, \t \n \v \f \r (a line holds no `\n`), and the Unicode space
 * separators (Zs), which include the no-break space. Not JS `\s`: that also matches U+FEFF and
 * U+2028/U+2029.
 */
export function isWhitespace(char: string): boolean {
  const cp = char.codePointAt(0) ?? 0;
  if (cp <= 0x377) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || cp === 0xa0;
  return /^\p{Zs}$/u.test(char);
}

/** Haskell's `isControl`: general category Cc, which is U+0000–U+001F and U+007F–U+009F. */
export function isControl(char: string): boolean {
  if (char.length !== 1) return false;
  const cp = char.charCodeAt(0);
  return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f);
}

/** A character of a path, key or mount name (a path component in vaultenv 0.19's grammar). */
export function isComponentChar(char: string): boolean {
  return char !== '#' && char !== '=' && !isWhitespace(char) && !isControl(char);
}

/** An ASCII letter or `_`. */
export function isVarnameStart(char: string | undefined): boolean {
  if (char === undefined || char.length !== 1) return false;
  const cp = char.charCodeAt(0) | 0x20;
  return (cp >= 0x61 && cp <= 0x7a) || char === '_';
}

/** An ASCII letter, digit or `_`. */
export function isVarnameChar(char: string | undefined): boolean {
  return isVarnameStart(char) || (char !== undefined && char.length === 1 && char >= '0' && char <= '9');
}

/** Code points of a line an error shows around the column: a long line is never echoed whole. */
const CONTEXT_WIDTH = 80;

/** Code points of the file's text a message quotes (a name, a version) before it is cut with …. */
const QUOTE_WIDTH = 40;

/** One line of the file, split into code points so that columns count code points. */
export class Line {
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

/** `text` as a message quotes it: at most QUOTE_WIDTH code points. */
export function excerpt(text: string): string {
  const chars = Array.from(text);
  return chars.length <= QUOTE_WIDTH ? text : `${chars.slice(0, QUOTE_WIDTH).join('')}…`;
}

/** The line as shown in an error: control and bidi characters become U+FFFD, one for one. */
function printable(chars: readonly string[]): string {
  return chars.map((char) => (char !== '\t' && /^[\p{Cc}\u202A-\u202E\u2066-\u2069]$/u.test(char) ? '\uFFFD' : char)).join('');
}

export function describeChar(char: string | undefined): string {
  if (char === undefined) return 'the end of the line';
  if (isControl(char)) return `control character U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (isWhitespace(char)) return 'whitespace';
  return `'${char}'`;
}

export function controlCharacterError(line: Line, index: number): SecretsFileError {
  return line.error(
    index,
    `${describeChar(line.at(index))} is not allowed`,
    'Remove it: names, paths, keys and mounts cannot contain control characters',
  );
}
