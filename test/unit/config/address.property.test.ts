// Properties of the address parser over generated addresses: any text gives host, port and TLS or
// the project's own ConfigError naming the setting; a well-formed address gives back its own parts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAddress, resolveAddress } from '../../../src/config/address.ts';
import { ConfigError } from '../../../src/errors.ts';
import { parseEnvironmentSource } from '../../../src/config/sources.ts';

const ORIGIN = { what: 'environment variable VAULT_ADDR', input: 'set in the environment' };

const PIECES = ['http', 'https', 'HTTP', 'ftp', '://', ':', '/', '//', '?', '#', '@', 'user:pw@', '[', ']', '::1', '[::1]', 'vault', '.example', '-', '8200', '0', '65535', '65536', ' ', '%20', 'é', '\n'];
const addressText = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((pieces) => pieces.join('')),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

describe('parseAddress on any text', () => {
  it('gives a host, a port from 1 to 65535 and TLS, or a ConfigError naming the setting', () => {
    fc.assert(
      fc.property(addressText, (text) => {
        try {
          const parts = parseAddress(text, ORIGIN);
          expect(parts.host).not.toBe('');
          expect(Number.isInteger(parts.port) && parts.port >= 1 && parts.port <= 65_535).toBe(true);
          expect(parts.tls).toBe(text.startsWith('https://'));
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          const failure = error as ConfigError;
          expect(failure.input).toBe(ORIGIN.input);
          expect(failure.message).toBe('invalid value for environment variable VAULT_ADDR');
          expect(failure.hint).toMatch(/\. Write it as https:\/\/HOST\[:PORT\] or http:\/\/HOST\[:PORT\]$/);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('gives back the parts of a well-formed address', () => {
    const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6().map((ip) => `[${ip}]`));
    fc.assert(
      fc.property(fc.boolean(), host, fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }), fc.constantFrom('', '/'), (tls, h, port, slash) => {
        const text = `${tls ? 'https' : 'http'}://${h}${port === undefined ? '' : `:${port}`}${slash}`;
        expect(parseAddress(text, ORIGIN)).toEqual({ host: h, port: port ?? (tls ? 443 : 80), tls });
      }),
    );
  });

  it('resolveAddress: any address settings of one source give a source or a ConfigError', () => {
    const env = fc.record(
      { VAULT_ADDR: addressText, VAULT_HOST: fc.oneof(addressText, fc.domain()), VAULT_PORT: fc.constantFrom('80', '443', '8200', 'x'), VAULTENV_CONNECT_TLS: fc.constantFrom('true', 'false') },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(env, (values) => {
        try {
          resolveAddress(parseEnvironmentSource(values));
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
