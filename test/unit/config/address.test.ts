import { describe, expect, it } from 'vitest';
import { parseAddress, parseEndpoint, resolveAddress } from '../../../src/config/address.ts';
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

describe('parseEndpoint', () => {
  it('takes unix:///path as a socket, anything else as parseAddress does', () => {
    expect(parseEndpoint('unix:///run/bao/proxy.sock', origin)).toEqual({ socket: '/run/bao/proxy.sock' });
    expect(parseEndpoint('unix:///a b/proxy.sock', origin)).toEqual({ socket: '/a b/proxy.sock' });
    expect(parseEndpoint('http://127.0.0.1:8100', origin)).toEqual({ host: '127.0.0.1', port: 8100, tls: false });
  });

  it.each([
    ['unix://proxy.sock', 'The socket path must be absolute (three slashes after unix:). Write a unix socket as unix:///ABSOLUTE/PATH'],
    ['unix://', 'The socket path must be absolute (three slashes after unix:). Write a unix socket as unix:///ABSOLUTE/PATH'],
    ['unix:///run/bao/', 'The socket path names a directory. Write a unix socket as unix:///ABSOLUTE/PATH'],
    ['unix:///run/\nbao.sock', 'The socket path may not contain control characters. Write a unix socket as unix:///ABSOLUTE/PATH'],
    [`unix:///${'s'.repeat(107)}`, 'The socket path is longer than the 107 bytes Linux allows. Write a unix socket as unix:///ABSOLUTE/PATH'],
    ['ftp://vault', 'The scheme must be http or https (or unix). Write it as https://HOST[:PORT] or http://HOST[:PORT], or a unix socket as unix:///PATH'],
  ])('%j is rejected', (text, hint) => {
    const error = thrown(() => parseEndpoint(text, origin));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('invalid value for environment variable VAULT_ADDR');
    expect((error as ConfigError).hint).toBe(hint);
  });

  it('a 106-byte path is fine; parseAddress (a token file vaultAddr) takes no socket', () => {
    expect(parseEndpoint(`unix:///${'s'.repeat(105)}`, origin)).toEqual({ socket: `/${'s'.repeat(105)}` });
    expect((thrown(() => parseAddress('unix:///run/bao.sock', origin)) as ConfigError).hint).toBe(
      'The scheme must be http or https. Write it as https://HOST[:PORT] or http://HOST[:PORT]',
    );
  });
});

describe('resolveAddress: sockets and agent addresses', () => {
  const names = { addr: 'VAULT_ADDR', agentAddr: 'VAULT_AGENT_ADDR', host: 'VAULT_HOST', port: 'VAULT_PORT', tls: 'VAULTENV_CONNECT_TLS' };

  it('a unix socket becomes the endpoint, with no host, port or TLS', () => {
    const resolved = resolveAddress(source({ addr: 'unix:///run/proxy.sock', tls: true, retryAttempts: 1 }, names));
    expect(resolved.values).toEqual({ retryAttempts: 1 });
    expect(resolved.endpoint).toEqual({ socket: '/run/proxy.sock', agent: false, name: 'VAULT_ADDR' });
  });

  it.each([
    [{ host: 'vault' }, 'VAULT_ADDR, VAULT_HOST', 'VAULT_HOST sets'],
    [{ port: 8200 }, 'VAULT_ADDR, VAULT_PORT', 'VAULT_PORT sets'],
    [{ host: 'https://vault:1', port: 1 }, 'VAULT_ADDR, VAULT_HOST, VAULT_PORT', 'VAULT_HOST and VAULT_PORT set'],
  ])('a socket with a host or port in the same source is a conflict: %j', (extra, input, says) => {
    const error = thrown(() => resolveAddress(source({ addr: 'unix:///run/proxy.sock', ...extra }, names))) as ConfigError;
    expect(error.message).toBe('conflicting Vault address settings in the environment');
    expect(error.input).toBe(input);
    expect(error.hint).toBe(`VAULT_ADDR is a unix socket, which has no host or port, but ${says} one. Give only the address`);
  });

  it('an agent address over TCP wins over the address, host, port and TLS of its source', () => {
    const resolved = resolveAddress(source({ agentAddr: 'http://127.0.0.1:8100', addr: 'https://vault:8200', host: 'vault', tls: true }, names));
    expect(resolved.values).toEqual({ host: '127.0.0.1', port: 8100, tls: false });
    expect(resolved.origins.host?.name).toBe('VAULT_AGENT_ADDR');
    expect(resolved.endpoint).toEqual({ socket: undefined, agent: true, name: 'VAULT_AGENT_ADDR' });
  });

  it('an agent address as a socket wins over a TCP address of its source', () => {
    const resolved = resolveAddress(source({ agentAddr: 'unix:///run/agent.sock', addr: 'https://vault:8200', port: 8200 }, names));
    expect(resolved.values).toEqual({});
    expect(resolved.endpoint).toEqual({ socket: '/run/agent.sock', agent: true, name: 'VAULT_AGENT_ADDR' });
  });

  it('the address of the same source is still checked', () => {
    expect(() => resolveAddress(source({ agentAddr: 'http://127.0.0.1:8100', addr: 'https://vault:8200', port: 1 }, names))).toThrow(/conflicting/);
    expect(() => resolveAddress(source({ agentAddr: 'tcp://127.0.0.1:8100' }, names))).toThrow(/invalid value/);
  });
});
