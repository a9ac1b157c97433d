// What a secrets file means: one SecretRef per line that names a secret, with the line's position for
// error messages. The type the secrets-file stage (parse.ts, read.ts) hands to the Vault stage (fetch.ts).

export interface SourcePosition {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in code points. */
  column: number;
}

export interface SecretRef {
  /** The environment variable to set: the custom `NAME=` verbatim, or the name derived as vaultenv 0.19 derives it (names.ts). */
  variable: string;
  /** The mount as written: `secret` for a version 1 file, the `MOUNT` argument in a version 2 file. */
  mount: string;
  /** The secret's path inside the mount, as written. */
  path: string;
  /** The field to take from the secret's data. */
  key: string;
  /** Where the line stands, for error messages. */
  position: SourcePosition;
}
