import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { matchesNoProxy, parseProxyUrl, proxyFor } from '../../../src/vault/proxy-route.ts';
import { thrown } from '../../helpers/thrown.ts';

const TLS = { host: 'vault.example.com', port: 8200, tls: true };
const PLAIN = { host: 'vault.example.com', port: 8200, tls: false };

describe('matchesNoProxy', () => {
  it.each([
    // host, port, NO_PROXY, exempt
    ['vault.example.com', 8200, 'vault.example.com', true],
    ['vault.example.com', 8200, 'VAULT.Example.com', true],
    ['vault.example.com', 8200, 'other.example.com', false],
    // A domain matches itself and its subdomains...
    ['vault.example.com', 8200, 'example.com', true],
    ['example.com', 8200, 'example.com', true],
    ['notexample.com', 8200, 'example.com', false],
    // ...one with a leading dot (or *.) only its subdomains.
    ['vault.example.com', 8200, '.example.com', true],
    ['example.com', 8200, '.example.com', false],
    ['vault.example.com', 8200, '*.example.com', true],
    ['example.com', 8200, '*.example.com', false],
    // Ports.
    ['vault.example.com', 8200, 'vault.example.com:8200', true],
    ['vault.example.com', 8200, 'vault.example.com:443', false],
    ['vault.example.com', 8200, '.example.com:8200', true],
    // Lists, spaces, empty entries, *.
    ['vault.example.com', 8200, 'a.test, ,vault.example.com ', true],
    ['vault.example.com', 8200, ',,', false],
    ['vault.example.com', 8200, '*', true],
    ['10.1.2.3', 8200, 'a.test,*', true],
    // IP addresses and blocks.
    ['10.1.2.3', 8200, '10.1.2.3', true],
    ['10.1.2.3', 8200, '10.1.2.4', false],
    ['10.1.2.3', 8200, '10.1.2.3:8200', true],
    ['10.1.2.3', 8200, '10.1.2.3:8201', false],
    ['10.1.2.3', 8200, '10.0.0.0/8', true],
    ['11.1.2.3', 8200, '10.0.0.0/8', false],
    ['10.1.2.3', 8200, '10.0.0.0/33', false],
    ['2001:db8::5', 8200, '2001:db8::/32', true],
    ['2001:db8::5', 8200, '2001:db8::5', true],
    ['2001:db8::5', 8200, '[2001:db8::5]:8200', true],
    ['2001:db8::5', 8200, '[2001:db8::5]:1', false],
    // A block never matches a name, nor a name an address.
    ['vault.example.com', 8200, '10.0.0.0/8', false],
    ['10.1.2.3', 8200, 'example.com', false],
  ] as const)('%s:%i with NO_PROXY=%s: %s', (host, port, noProxy, exempt) => {
    expect(matchesNoProxy(host, port, noProxy)).toBe(exempt);
  });
});

describe('proxyFor', () => {
  const route = (host: string, port: number, variable: string) => ({ host, port, authorization: undefined, password: undefined, variable });

  it('uses HTTPS_PROXY for https:// and HTTP_PROXY for http://, never the other', () => {
    const env = { HTTPS_PROXY: 'http://secure.proxy:3128', HTTP_PROXY: 'http://plain.proxy:8080' };
    expect(proxyFor(TLS, env)).toEqual(route('secure.proxy', 3128, 'HTTPS_PROXY'));
    expect(proxyFor(PLAIN, env)).toEqual(route('plain.proxy', 8080, 'HTTP_PROXY'));
    expect(proxyFor(TLS, { HTTP_PROXY: 'http://plain.proxy:8080' })).toBeUndefined();
    expect(proxyFor(PLAIN, { HTTPS_PROXY: 'http://secure.proxy:3128' })).toBeUndefined();
  });

  it('takes the upper-case name before the lower-case one, and an empty value as unset', () => {
    expect(proxyFor(TLS, { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' })).toEqual(route('upper', 1, 'HTTPS_PROXY'));
    expect(proxyFor(TLS, { HTTPS_PROXY: '', https_proxy: 'http://lower:2' })).toEqual(route('lower', 2, 'https_proxy'));
    expect(proxyFor(PLAIN, { http_proxy: 'http://lower:2' })).toEqual(route('lower', 2, 'http_proxy'));
    expect(proxyFor(TLS, {})).toBeUndefined();
  });

  it('follows NO_PROXY (upper case before lower case) for HTTP(S)_PROXY', () => {
    expect(proxyFor(TLS, { HTTPS_PROXY: 'http://p:1', NO_PROXY: '.example.com' })).toBeUndefined();
    expect(proxyFor(TLS, { HTTPS_PROXY: 'http://p:1', no_proxy: 'example.com' })).toBeUndefined();
    expect(proxyFor(TLS, { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'other.test', no_proxy: 'example.com' })).toEqual(route('p', 1, 'HTTPS_PROXY'));
  });

  it('never proxies localhost or a loopback address through HTTP(S)_PROXY', () => {
    const env = { HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://p:1' };
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.8.9.10', '[::1]', '[::ffff:127.0.0.1]']) {
      expect(proxyFor({ host, port: 8200, tls: true }, env), host).toBeUndefined();
      expect(proxyFor({ host, port: 8200, tls: false }, env), host).toBeUndefined();
    }
    expect(proxyFor({ host: '[2001:db8::1]', port: 8200, tls: true }, env)).toEqual(route('p', 1, 'HTTPS_PROXY'));
    expect(proxyFor({ host: '128.0.0.1', port: 8200, tls: true }, env)).toEqual(route('p', 1, 'HTTPS_PROXY'));
  });

  it('VAULT_PROXY_ADDR, then VAULT_HTTP_PROXY, proxy every address, whatever NO_PROXY says, loopback included', () => {
    const env = { VAULT_HTTP_PROXY: 'http://old:1', HTTPS_PROXY: 'http://std:2', NO_PROXY: '*' };
    expect(proxyFor(TLS, env)).toEqual(route('old', 1, 'VAULT_HTTP_PROXY'));
    expect(proxyFor(PLAIN, { ...env, VAULT_PROXY_ADDR: 'http://new:3' })).toEqual(route('new', 3, 'VAULT_PROXY_ADDR'));
    expect(proxyFor({ host: '127.0.0.1', port: 8200, tls: false }, { BAO_PROXY_ADDR: 'http://bao:4' })).toEqual(route('bao', 4, 'BAO_PROXY_ADDR'));
    expect(proxyFor(TLS, { BAO_HTTP_PROXY: 'http://bao:5' })).toEqual(route('bao', 5, 'BAO_HTTP_PROXY'));
  });

  it('VAULT_PROXY_ADDR and BAO_PROXY_ADDR are aliases: the same value is fine, different ones are an error', () => {
    expect(proxyFor(TLS, { VAULT_PROXY_ADDR: 'http://p:1', BAO_PROXY_ADDR: 'http://p:1' })).toEqual(route('p', 1, 'VAULT_PROXY_ADDR'));
    const error = thrown(() => proxyFor(TLS, { VAULT_PROXY_ADDR: 'http://p:1', BAO_PROXY_ADDR: 'http://q:1' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('conflicting values for VAULT_PROXY_ADDR and BAO_PROXY_ADDR');
    expect((error as ConfigError).input).toBe('environment variables VAULT_PROXY_ADDR and BAO_PROXY_ADDR');
  });
});

describe('parseProxyUrl', () => {
  it.each([
    ['http://proxy.corp:3128', { host: 'proxy.corp', port: 3128 }],
    ['http://proxy.corp', { host: 'proxy.corp', port: 80 }],
    ['http://proxy.corp/', { host: 'proxy.corp', port: 80 }],
    // Without a scheme, as Go takes it: http://.
    ['proxy.corp:3128', { host: 'proxy.corp', port: 3128 }],
    ['10.0.0.1:3128', { host: '10.0.0.1', port: 3128 }],
    ['http://[2001:db8::1]:3128', { host: '2001:db8::1', port: 3128 }],
  ])('%s', (text, expected) => {
    expect(parseProxyUrl(text, 'HTTPS_PROXY')).toEqual({ ...expected, authorization: undefined, password: undefined, variable: 'HTTPS_PROXY' });
  });

  it('turns user:password@ into a Basic Proxy-Authorization, percent-decoded, and keeps the password for the redactor', () => {
    const route = parseProxyUrl('http://ci%40corp:p%3Ass@proxy:3128', 'HTTPS_PROXY');
    expect(route.authorization).toBe(`Basic ${Buffer.from('ci@corp:p:ss').toString('base64')}`);
    expect(route.password).toBe('p:ss');
    expect(parseProxyUrl('http://user@proxy:3128', 'HTTPS_PROXY').authorization).toBe(`Basic ${Buffer.from('user:').toString('base64')}`);
  });

  it.each([
    ['https://proxy:3128', 'Only an http:// proxy is supported, not https://'],
    ['socks5://proxy:1080', 'Only an http:// proxy is supported, not socks5://'],
    ['http://proxy:3128/path', 'It must not have a path after the host'],
    ['http://proxy:99999', 'It is not a URL'],
    ['http://user:%zz@proxy:3128', 'The user or password has a % that is not followed by two hex digits'],
    ['http://', 'It is not a URL'],
  ])('%s is refused, naming the variable and never the value', (text, problem) => {
    const error = thrown(() => parseProxyUrl(text.replace('proxy', 'hunter2-proxy'), 'HTTPS_PROXY'));
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.message).toBe('invalid value for environment variable HTTPS_PROXY');
    expect(configError.input).toBe('environment variable HTTPS_PROXY');
    expect(configError.hint).toBe(`${problem}. Write it as http://HOST:PORT, with user:password@ before the host when the proxy asks for it`);
    expect(`${configError.message} ${configError.hint ?? ''}`).not.toContain('hunter2');
  });
});
