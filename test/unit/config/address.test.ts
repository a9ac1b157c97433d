import { describe, expect, it } from 'vitest';
import { parseAddress, resolveAddress } from '../../../src/config/address.ts';
import type { OptionValues } from '../../../src/config/options.ts';
import type { NamedOrigin, Source } from '../../../src/config/sources.ts';
import { ConfigError } from '../../../src/errors.ts';
import { thrown } from '../../helpers/thrown.ts';

const origin = { what: 'environment variable VAULT_ADDR', input: 'environment variable VAULT_ADDR' };

describe('parseAddress', () => {
  it.each([
    ['https://localhost:8200', { host: 'localhost', port: 8200, tls: true }],
    ['https://localhost:8200/', { host: 'localhost', port: 8200, tls: true }],
    ['http://example.com', { host: 'example.com', port: 80, tls: false }],
    ['https://example.com', { host: 'example.com', port: 443, tls: true }],
    ['https://Vault.Example.COM:1', { host: 'Vault.Example.COM', port: 1, tls: true }],
    ['http://127.0.0.1:8200', { host: '127.0.0.1', port: 8200, tls: false }],
    ['https://[::1]:8200', { host: '[::1]', port: 8200, tls: true }],
    ['https://[2001:db8::1]', { host: '[2001:db8::1]', port: 443, tls: true }],
    ['https://user:pass@vault:8200', { host: 'vault', port: 8200, tls: true }],
    ['https://vault:8200?x=1#frag', { host: 'vault', port: 8200, tls: true }],
    ['https://vault:08200', { host: 'vault', port: 8200, tls: true }],
  ])('%s', (text, expected) => {
    expect(parseAddress(text, origin)).toEqual(expected);
  });

  it.each([
    ['localhost:8200', /does not start with http/],
    ['vault.example', /does not start with http/],
    ['', /does not start with http/],
    ['http:vault', /does not start with http/],
    ['ftp://vault', /scheme must be http or https/],
    ['HTTPS://vault', /scheme must be http or https/],
    ['https://localhost:8200/foo', /must not have a path/],
    ['https://localhost:8200/v1/', /must not have a path/],
    ['https://', /no valid host/],
    ['https://:8200', /no valid host/],
    ['https://va ult', /no valid host/],
    ['https://[::1', /IPv6/],
    ['https://[zz]:1', /IPv6/],
    ['https://vault:', /port must be/],
    ['https://vault:abc', /port must be/],
    ['https://vault:0', /port must be/],
    ['https://vault:65536', /port must be/],
    ['https://[::1]x', /port must be/],
  ])('%s is rejected', (text, hint) => {
    const error = thrown(() => parseAddress(text, origin));
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.message).toBe('invalid value for environment variable VAULT_ADDR');
    expect(configError.input).toBe('environment variable VAULT_ADDR');
    expect(configError.hint).toMatch(hint);
  });

  it('never echoes the address (it may carry a password)', () => {
    const error = thrown(() => parseAddress('https://user:hunter2secret@vault/path', origin));
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.hint).toMatch(/must not have a path/);
    expect(`${configError.message} ${configError.input} ${configError.hint}`).not.toContain('hunter2secret');
  });
});

function source(values: OptionValues, names: Partial<Record<keyof OptionValues, string>> = {}): Source {
  const origins: Partial<Record<keyof OptionValues, NamedOrigin>> = {};
  for (const id of Object.keys(values) as Array<keyof OptionValues>) {
    const name = names[id] ?? id.toUpperCase();
    origins[id] = { name, what: `environment variable ${name}`, input: `environment variable ${name}` };
  }
  return { label: 'the environment', values, origins };
}

describe('resolveAddress', () => {
  it('leaves a source without an address alone', () => {
    expect(resolveAddress(source({ host: 'h', port: 1 })).values).toEqual({ host: 'h', port: 1 });
  });

  it('replaces the address by host, port and TLS', () => {
    expect(resolveAddress(source({ addr: 'http://example.com:8200', retryAttempts: 2 })).values).toEqual({
      host: 'example.com',
      port: 8200,
      tls: false,
      retryAttempts: 2,
    });
  });

  it.each([
    { host: 'example.com' },
    { port: 8200 },
    { tls: false },
    { host: 'example.com', port: 8200, tls: false },
  ])('accepts agreeing settings in the same source: %j', (extra) => {
    expect(resolveAddress(source({ addr: 'http://example.com:8200', ...extra })).values).toEqual({
      host: 'example.com',
      port: 8200,
      tls: false,
    });
  });

  it.each([
    [{ host: 'other.com' }, 'VAULT_HOST'],
    [{ host: 'EXAMPLE.com' }, 'VAULT_HOST'],
    [{ port: 42 }, 'VAULT_PORT'],
    [{ tls: true }, 'VAULTENV_CONNECT_TLS'],
  ])('rejects disagreeing settings in the same source: %j', (extra, name) => {
    const names = { addr: 'VAULT_ADDR', host: 'VAULT_HOST', port: 'VAULT_PORT', tls: 'VAULTENV_CONNECT_TLS' };
    const error = thrown(() => resolveAddress(source({ addr: 'http://example.com:8200', ...extra }, names)));
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.message).toBe('conflicting Vault address settings in the environment');
    expect(configError.input).toBe(`VAULT_ADDR, ${name}`);
    expect(configError.hint).toMatch(/Give only the address, or make the settings agree/);
  });

  it('takes a host written as a URL as an address', () => {
    expect(resolveAddress(source({ host: 'https://vault.example:8201' })).values).toEqual({
      host: 'vault.example',
      port: 8201,
      tls: true,
    });
  });

  it('checks a URL host against the port of the same source', () => {
    expect(() => resolveAddress(source({ host: 'https://vault.example', port: 8200 }))).toThrow(/conflicting/);
  });

  it('accepts a URL host equal to the address, rejects a different one', () => {
    expect(resolveAddress(source({ host: 'https://v:1', addr: 'https://v:1/' })).values).toEqual({ host: 'v', port: 1, tls: true });
    expect(() => resolveAddress(source({ host: 'https://v:1', addr: 'https://v:2' }))).toThrow(/conflicting/);
  });
});
