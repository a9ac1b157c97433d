// Picks each line's variables out of the secrets fetched for it, pure: one key or every key (`#*`),
// an optional line whose secret or key is missing (unset, or its default), and the values that are
// not strings (an error in version 1 and 2 files, their JSON text in version 3). Messages name keys,
// paths and lines, never a value.

import { EnvironmentError, SecretMissingError } from '../errors.ts';
import { isValidVariableName, keyVariableName } from '../secrets-file/names.ts';
import type { SecretRef } from '../secrets-file/secret-ref.ts';
import { normalizeMount } from './kv.ts';

export interface PickedSecret {
  ref: SecretRef;
  variable: string;
  value: string;
}

/** A value that is not a string, in a version 1 or 2 file: `vaultenv check` names it apart. */
export class NotAStringError extends SecretMissingError {}

/** Characters of a key from Vault (a `#*` line's) that a message quotes. */
const KEY_QUOTE_WIDTH = 40;

/**
 * The variables of one line. `data` is the secret's key/value map, or undefined when the secret is
 * missing (only an optional line gets here with one missing). `log` gets the info lines.
 */
export function pickSecret(ref: SecretRef, data: Record<string, unknown> | undefined, log: (message: string) => void): PickedSecret[] {
  if (ref.kind === 'all-keys') {
    if (data === undefined) {
      log(`${where(ref)}: secret ${displayPath(ref)} not found; its keys are left unset (optional)`);
      return [];
    }
    return Object.entries(data).flatMap(([key, value]) => {
      // null is a missing key in a version 3 file: nothing to set.
      if (value === null) return [];
      const variable = keyVariableName(ref.prefix, key);
      if (!isValidVariableName(variable)) {
        throw new EnvironmentError(`key "${quote(key)}" of secret ${displayPath(ref)} makes the invalid variable name "${quote(variable)}"`, {
          input: where(ref),
          hint: 'a name has ASCII letters, digits and _ and does not start with a digit: rename the key in Vault, give the line a prefix (PREFIX_=path#*), or name the key on a line of its own (NAME=path#key)',
        });
      }
      return [{ ref, variable, value: valueText(ref, key, value) }];
    });
  }
  const missing = missingReason(ref, data);
  if (missing === undefined) return [{ ref, variable: ref.variable, value: valueText(ref, ref.key, data?.[ref.key]) }];
  if (ref.fallback !== undefined) {
    log(`${where(ref)}: ${missing}; ${ref.variable} is set to the line's default`);
    return [{ ref, variable: ref.variable, value: ref.fallback }];
  }
  if (ref.optional === true) {
    log(`${where(ref)}: ${missing}; ${ref.variable} is left unset (optional)`);
    return [];
  }
  throw new SecretMissingError(
    data !== undefined && data[ref.key] === null && ref.nonString === 'json'
      ? `key "${ref.key}" in secret ${displayPath(ref)} is null, which a version 3 file reads as missing`
      : `key "${ref.key}" not found in secret ${displayPath(ref)}`,
    {
      input: where(ref),
      hint: `check the key name after # (keys are case-sensitive) or add the key to the secret${ref.nonString === 'json' ? ', or end the line in ? if it may be missing' : ''}`,
    },
  );
}

/** Why a one-key line has no value, or undefined when it has one. */
function missingReason(ref: SecretRef & { kind: 'key' }, data: Record<string, unknown> | undefined): string | undefined {
  if (data === undefined) return `secret ${displayPath(ref)} not found`;
  if (!Object.hasOwn(data, ref.key)) return `key "${ref.key}" not found in secret ${displayPath(ref)}`;
  if (data[ref.key] === null && ref.nonString === 'json') return `key "${ref.key}" in secret ${displayPath(ref)} is null`;
  return undefined;
}

/** A value as the environment holds it. */
function valueText(ref: SecretRef, key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (ref.nonString === 'json') return JSON.stringify(value);
  throw new NotAStringError(`value of key "${key}" in secret ${displayPath(ref)} is ${describeType(value)}, not a string`, {
    input: where(ref),
    hint: 'store the value as a string in Vault; environment variables can only hold strings',
  });
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function quote(text: string): string {
  const chars = Array.from(text);
  return chars.length <= KEY_QUOTE_WIDTH ? text : `${chars.slice(0, KEY_QUOTE_WIDTH).join('')}…`;
}

export function where(ref: SecretRef): string {
  return `${ref.position.file}:${ref.position.line}`;
}

export function displayPath(ref: SecretRef): string {
  const path = `${normalizeMount(ref.mount)}/${ref.path}`;
  return ref.version === undefined ? path : `${path} (version ${ref.version})`;
}
