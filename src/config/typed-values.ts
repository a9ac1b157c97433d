// Turns one raw option value (from the environment, a config file or a flag) into its typed value, by
// the option's kind in options.ts, with vaultenv's strict rules: `true`/`false` only, digits only,
// bounds, enum words, a header-safe token. No library does this: dotenv-parse-variables' rules are
// looser (any case of TRUE, `0x10`, `1e3` and ` 12 ` as numbers, a comma making a list), and a
// value that passed these checks leaves nothing for it to decide (README, Dependencies). Not zod
// either: zod checks what vaultenv reads from outside (Vault's answers and token files) and is
// loaded only when a run talks to Vault; building a schema here would cost every start.

// Default import only: the bundle loads node:net on first use (scripts/bundle-options.mjs), here only
// for a value that may not be an IP address.
import net from 'node:net';
import { ConfigError } from '../errors.ts';
import type { OptionRow } from './options.ts';
import { stripBrackets } from './address.ts';

export type TypedValue = string | number | boolean | string[];

/** Where a raw value came from, for error messages. Messages never contain the value itself. */
export interface ValueOrigin {
  /** Names the value in a message: `environment variable VAULT_PORT`, `VAULT_PORT in file F`, `flag --port`. */
  readonly what: string;
  /** The ConfigError input: `environment variable VAULT_PORT`, `file F line 3`, `flag --port`. */
  readonly input: string;
}

const DIGITS = /^[0-9]+$/;
const DECIMAL = /^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$/;
const FRACTION_HINT = 'Expected a decimal number greater than 0 and at most 1, such as 0.5 or .25';
const BOOLEAN_HINT = 'Expected true or false (lowercase)';
const NEGATED_HINT = 'Expected true, false, 1 or 0';
const WHITESPACE = /\s+/;
/** A character a token or namespace header may not hold: anything but printable ASCII without the space. */
const NOT_HEADER = /[^\x21-\x7e]/;
/** Whitespace or a control character. */
const NOT_WORD = /[\s\p{Cc}]/u;
const HEADER_HINT = 'It may hold printable ASCII characters only, no spaces or control characters: check for a stray newline or space';
const WORD_HINT = 'It may not contain spaces or control characters: check for a stray newline or space';
const IP_HINT = 'TLS sends a host name as the server name, never an IP address: leave it unset to check the certificate against the address';

/**
 * net.isIP, without trying a host name against the IPv6 pattern: every IPv6 address holds a colon and
 * no host name does, and the first IPv6 check compiles Node's largest regular expression, which the
 * Vault client has compiled its own way (vault/wire.ts compileAddressCheck).
 */
function isIpAddress(value: string): boolean {
  return net.isIPv4(value) || (value.includes(':') && net.isIPv6(value));
}

export function parseOptionValue(row: OptionRow, raw: string, origin: ValueOrigin): TypedValue {
  switch (row.kind) {
    case 'string': {
      const value = row.trim === true ? raw.trim() : raw;
      if (row.nonEmpty === true && value === '') throw invalid(origin, 'It may not be empty');
      if (row.chars === 'header' && NOT_HEADER.test(value)) throw invalid(origin, HEADER_HINT);
      if (row.chars === 'word' && NOT_WORD.test(value)) throw invalid(origin, WORD_HINT);
      if (row.notIpAddress === true && isIpAddress(stripBrackets(value))) throw invalid(origin, IP_HINT);
      return value;
    }
    case 'address':
      return raw;
    case 'list':
      return raw.split(',');
    case 'words':
      return raw.split(WHITESPACE).filter((word) => word !== '');
    case 'enum': {
      const values = row.values ?? [];
      if (!values.includes(raw)) throw invalid(origin, `Expected one of: ${values.join(', ')}`);
      return raw;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw invalid(origin, BOOLEAN_HINT);
      return raw === 'true';
    case 'integer':
      return parseInteger(row, raw, origin);
    case 'fraction': {
      // Number() on a string the regex accepted: no exponent, sign, hex or whitespace gets this far.
      const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
      if (!(value > 0 && value <= 1)) throw invalid(origin, FRACTION_HINT);
      return value;
    }
  }
}

/**
 * A name of the row's `negatedEnv` (VAULT_SKIP_VERIFY): `true`/`false` or, as the Vault CLI accepts,
 * `1`/`0`, giving the negation (VAULT_SKIP_VERIFY=true means validate-certs false).
 */
export function parseNegatedBoolean(raw: string, origin: ValueOrigin): boolean {
  if (raw === 'true' || raw === '1') return false;
  if (raw === 'false' || raw === '0') return true;
  throw invalid(origin, NEGATED_HINT);
}

function parseInteger(row: OptionRow, raw: string, origin: ValueOrigin): number {
  const min = row.min ?? 0;
  const range = row.max === undefined ? `${min} or more` : `from ${min} to ${row.max}`;
  const hint = `Expected a whole number ${range}, written with the digits 0-9 only`;
  const value = DIGITS.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || (row.max !== undefined && value > row.max)) throw invalid(origin, hint);
  return value;
}

function invalid(origin: ValueOrigin, hint: string): ConfigError {
  return new ConfigError(`invalid value for ${origin.what}`, { input: origin.input, hint });
}
