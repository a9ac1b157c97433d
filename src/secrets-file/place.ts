// A mount or path as the parser checks it: each code point with the column an error about it points
// at (a `${NAME}` reference's value points at its `$`), and the rule that it names one place as
// written, so that Vault reads no other place than the line says.

import type { SecretsFileError } from '../errors.ts';
import type { Line } from './line.ts';

export interface PlaceChar {
  char: string;
  /** The code point of the line an error about this character points at. */
  index: number;
  /** The `${NAME}` reference whose value this character comes from. */
  variable?: string;
}

export type PlaceKind = 'secret path' | 'mount name';

/** The code points `start` to `end` of the line, each at its own column. */
export function placeChars(line: Line, start: number, end: number): PlaceChar[] {
  return line.chars.slice(start, end).map((char, i) => ({ char, index: start + i }));
}

export function placeText(chars: readonly PlaceChar[]): string {
  return chars.map((c) => c.char).join('');
}

const HEX = /^[0-9A-Fa-f]$/;

const START_HINT = {
  'secret path': 'a path is relative to its mount',
  'mount name': "a mount is named from Vault's root, as MOUNT secret",
} as const;

/**
 * Refuses a mount or path that would read another place than it names: Vault resolves `.` and `..`
 * segments and empty ones (`secret/../kv1/app` reads `kv1/app`, `a//b` reads `a/b`), and vaultenv
 * 0.19 sends `%2e%2e` as written, for the server to decode into `..` (vaultenv sends `%` as `%25`).
 * A mount may end in one `/`, as Vault writes mounts (`secret/`): it names the same mount, in
 * vaultenv 0.19 too. `chars` is not empty.
 */
export function checkSegments(line: Line, chars: readonly PlaceChar[], what: PlaceKind): void {
  const end = chars.length;
  const at = (i: number): string | undefined => chars[i]?.char;
  const fail = (i: number, message: string, hint: string): SecretsFileError => {
    const place = chars[i];
    const from = place?.variable === undefined ? '' : ` (from \${${place.variable}})`;
    return line.error(place?.index ?? 0, `${message}${from}`, hint);
  };
  const last = what === 'mount name' && end > 1 && at(end - 1) === '/' ? end - 1 : end;
  let segmentStart = 0;
  for (let i = 0; i <= last; i++) {
    const char = at(i);
    if (i < last && char !== '/') {
      if (char === '%' && i + 2 < last && HEX.test(at(i + 1) ?? '') && HEX.test(at(i + 2) ?? '')) {
        throw fail(
          i,
          `percent-escape '${placeText(chars.slice(i, i + 3))}' in the ${what}`,
          'Write the character itself: vaultenv sends % as %25, where vaultenv 0.19 sends it as written for Vault to decode, so the line would name two places',
        );
      }
      continue;
    }
    const segment = placeText(chars.slice(segmentStart, i));
    if (segment === '') {
      if (segmentStart === 0) throw fail(0, `the ${what} starts with '/'`, `Remove the leading /: ${START_HINT[what]}`);
      if (i === end) throw fail(i - 1, `the ${what} ends with '/'`, 'Remove the trailing /: a path names one secret, and Vault would read another place');
      throw fail(segmentStart, `empty segment ('//') in the ${what}`, 'Write one / between two names: Vault would drop the empty segment and read another place than written');
    }
    if (segment === '.' || segment === '..') {
      throw fail(
        segmentStart,
        `'${segment}' segment in the ${what}`,
        `Write the ${what} without . and .. segments: Vault resolves them, so the line would read another place than it names (a/../b reads b)`,
      );
    }
    segmentStart = i + 1;
  }
}
