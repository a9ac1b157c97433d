// The environment variable name vaultenv derives for a secret line without `NAME=`, exactly as
// vaultenv 0.19 derives it: `MOUNT_PATH_KEY` in a version 2 file, `PATH_KEY` in a version 1 file,
// `/` and `-` turned into `_`, upper-cased per code point, everything else kept. Also the names of
// a version 3 `#*` line: its prefix, then each key turned the same way, which must be a valid name.

/**
 * Lower-case letters whose full upper-case form (what JS `toUpperCase` gives) is two code points but
 * whose simple upper-case mapping in UnicodeData.txt is one code point: the Greek letters with
 * ypogegrammeni. Haskell's `toUpper` uses the simple mapping, so `ᾳ` becomes `ᾼ`, not `ΑΙ`.
 */
const SIMPLE_UPPER_EXCEPTIONS: ReadonlyMap<number, number> = new Map([
  ...range(0x1f80, 0x1f87, 8),
  ...range(0x1f90, 0x1f97, 8),
  ...range(0x1fa0, 0x1fa7, 8),
  [0x1fb3, 0x1fbc],
  [0x1fc3, 0x1fcc],
  [0x1ff3, 0x1ffc],
]);

function range(first: number, last: number, offset: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let cp = first; cp <= last; cp++) pairs.push([cp, cp + offset]);
  return pairs;
}

/**
 * Haskell's `Data.Char.toUpper`: a 1:1 mapping per code point. Where JS would expand a code point
 * into several (`'ß'.toUpperCase()` is `'SS'`), Haskell keeps it unchanged.
 */
function toUpperSimple(char: string): string {
  const exception = SIMPLE_UPPER_EXCEPTIONS.get(char.codePointAt(0) ?? 0);
  if (exception !== undefined) return String.fromCodePoint(exception);
  const upper = char.toUpperCase();
  return [...upper].length === 1 ? upper : char;
}

/** `mount` is undefined for a version 1 file, whose names carry no mount prefix. */
export function deriveVariableName(mount: string | undefined, path: string, key: string): string {
  return nameCharacters(mount === undefined ? `${path}_${key}` : `${mount}_${path}_${key}`);
}

function nameCharacters(text: string): string {
  let name = '';
  for (const char of text) {
    name += char === '/' || char === '-' ? '_' : toUpperSimple(char);
  }
  return name;
}

/**
 * The prefix of a `path#*` line without `NAME=`: each key's name is then what deriveVariableName
 * gives for that key (`MOUNT_PATH_KEY`), since the derivation goes character by character.
 */
export function derivedPrefix(mount: string, path: string): string {
  return deriveVariableName(mount, path, '');
}

/** The variable a key of a `#*` line sets: the prefix, then the key upper-cased with `/` and `-` as `_`. */
export function keyVariableName(prefix: string, key: string): string {
  return prefix + nameCharacters(key);
}

/** `[A-Za-z_][A-Za-z0-9_]*`: a name a shell and every program can use. */
export function isValidVariableName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
