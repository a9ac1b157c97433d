// Properties of the configuration sources over generated values: any environment, config-file text
// or single value gives a value or the project's own ConfigError, never another exception; a
// config-file error names a line inside the file; and values that pass are of the row's kind.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { OPTIONS } from '../../../src/config/options.ts';
import { parseConfigFileSource, parseEnvironmentSource } from '../../../src/config/sources.ts';
import { parseNegatedBoolean, parseOptionValue } from '../../../src/config/typed-values.ts';

const NAMES = OPTIONS.flatMap((row) => row.env);
const ORIGIN = { what: 'environment variable X', input: 'set in the environment' };

/** Values that hit the rules' edges (empty, blanks, signs, fractions, bounds, booleans, enum words) and anything else. */
const rawValue = fc.oneof(
  fc.constantFrom('', ' ', 'true', 'false', 'TRUE', '1', '0', '-1', '+1', '0.5', '.25', '1.0', '1e3', '0x10', '65535', '65536', '9007199254740993', 'error', 'keep', 'info', 'https://h:1', 'http://[::1]', ' x ', 'a,b', 'a b', '\n', '\u0000'),
  fc.stringMatching(/^[0-9.]{0,20}$/),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** Either a ConfigError (returned) or nothing, failing the test on any other exception. */
function configErrorOf(run: () => unknown): ConfigError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
}

describe('the configuration sources on any input', () => {
  it('parseOptionValue: every row gives a value of its kind or a ConfigError naming the origin', () => {
    fc.assert(
      fc.property(fc.constantFrom(...OPTIONS), rawValue, (row, raw) => {
        let value;
        const error = configErrorOf(() => (value = parseOptionValue(row, raw, ORIGIN)));
        if (error !== undefined) {
          expect(error.input).toBe(ORIGIN.input);
          expect(error.message).toBe('invalid value for environment variable X');
          return;
        }
        switch (row.kind) {
          case 'boolean':
            expect(value).toBe(raw === 'true');
            break;
          case 'integer':
            expect(Number.isSafeInteger(value)).toBe(true);
            expect(value).toBeGreaterThanOrEqual(row.min ?? 0);
            if (row.max !== undefined) expect(value).toBeLessThanOrEqual(row.max);
            break;
          case 'fraction':
            expect(value).toBeGreaterThan(0);
            expect(value).toBeLessThanOrEqual(1);
            break;
          case 'enum':
            expect(row.values).toContain(value);
            break;
          case 'list':
          case 'words':
            expect(Array.isArray(value)).toBe(true);
            break;
          case 'string':
          case 'address':
            expect(typeof value).toBe('string');
            break;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('parseNegatedBoolean: true, false, 1 and 0 only', () => {
    fc.assert(
      fc.property(rawValue, (raw) => {
        const error = configErrorOf(() => parseNegatedBoolean(raw, ORIGIN));
        expect(error === undefined).toBe(['true', 'false', '1', '0'].includes(raw));
      }),
    );
  });

  it('parseEnvironmentSource: any values of the option names give a source or a ConfigError', () => {
    const env = fc.dictionary(fc.constantFrom(...NAMES), rawValue, { maxKeys: 8 });
    fc.assert(
      fc.property(env, fc.constantFrom<'run' | 'renew'>('run', 'renew'), (values, command) => {
        configErrorOf(() => parseEnvironmentSource(values, command));
      }),
      { numRuns: 2000 },
    );
  });

  it('parseConfigFileSource: any text gives a source or a ConfigError whose line lies inside the file', () => {
    const line = fc.tuple(fc.constantFrom(...NAMES, 'OTHER', 'export VAULT_PORT', '#', ''), fc.constantFrom('=', ' = ', '="', "='", ''), rawValue);
    const text = fc.oneof(
      fc.array(line, { maxLength: 8 }).map((lines) => lines.map(([name, eq, value]) => `${name}${eq}${value}`).join('\n')),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    fc.assert(
      fc.property(text, (fileText) => {
        const error = configErrorOf(() => parseConfigFileSource('/etc/vaultenv.conf', fileText));
        const line = /^file \/etc\/vaultenv\.conf line (\d+)$/.exec(error?.input ?? '')?.[1];
        if (line !== undefined) {
          expect(Number(line)).toBeGreaterThanOrEqual(1);
          expect(Number(line)).toBeLessThanOrEqual(fileText.split(/\r?\n/).length);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
