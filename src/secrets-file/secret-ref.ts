// What a secrets file means: one SecretRef per line that names a secret, with the line's position for
// error messages. The type the secrets-file stage (parse.ts, read.ts) hands to the Vault stage
// (fetch.ts, pick.ts). Version 1 and 2 lines fill only the common fields; the others are version 3's.

export interface SourcePosition {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in code points. */
  column: number;
}

interface RefBase {
  /** The mount as written (after `${NAME}` expansion): `secret` for a version 1 file, the `MOUNT` argument otherwise. */
  mount: string;
  /** The secret's path inside the mount, as written (after `${NAME}` expansion). */
  path: string;
  /** A KV v2 version (`#key@3`); undefined reads the latest. */
  version?: number | undefined;
  /** `#key?`: a missing secret or key leaves the variable unset (or sets `fallback`) instead of failing. */
  optional?: boolean | undefined;
  /** `#key?=value`: the value when the secret or key is missing. */
  fallback?: string | undefined;
  /**
   * How a value that is not a string is read: `error` as vaultenv 0.19 (version 1 and 2 files), `json`
   * as its JSON text, with null as a missing key (version 3).
   */
  nonString: 'error' | 'json';
  /** Where the line stands, for error messages. */
  position: SourcePosition;
}

/** `NAME=path#key` or `path#key`: one key, one variable. */
export interface KeyRef extends RefBase {
  kind: 'key';
  /** The environment variable to set: the custom `NAME=` verbatim, or the name derived as vaultenv 0.19 derives it (names.ts). */
  variable: string;
  /** The field to take from the secret's data. */
  key: string;
  /** `FILE NAME=path#key`: the value goes into a file, and the variable holds the file's path. */
  asFile?: boolean | undefined;
}

/** `PREFIX=path#*` or `path#*` (version 3): every key of the secret, each its own variable. */
export interface AllKeysRef extends RefBase {
  kind: 'all-keys';
  /** What each variable's name starts with; the key follows, as names.ts keyVariableName makes it. */
  prefix: string;
}

export type SecretRef = KeyRef | AllKeysRef;

/** How many distinct secrets `refs` read: lines naming the same mount, path and version count once. */
export function distinctSecrets(refs: readonly SecretRef[]): number {
  return new Set(refs.map((ref) => `${ref.mount}\0${ref.path}\0${ref.version ?? ''}`)).size;
}
