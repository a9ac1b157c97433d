// Which outbound HTTP proxy, if any, carries the requests to a Vault address, from the environment
// variables the Vault CLI honours: VAULT_PROXY_ADDR (or VAULT_HTTP_PROXY, and their BAO_ names) for
// every address, else HTTPS_PROXY or HTTP_PROXY by the address's scheme, with NO_PROXY's exceptions
// and never for localhost or a loopback address. Pure: the environment comes in as an argument.
// Errors name the variable, never its value (a proxy URL may carry user:password@).

import net from 'node:net';
import { ConfigError } from '../errors.ts';
import { stripBrackets } from '../config/address.ts';

export interface ProxyRoute {
  /** The proxy's host (an IPv6 address without brackets) and port. */
  host: string;
  port: number;
  /** The Proxy-Authorization header value for a proxy URL with user:password@, else undefined. */
  authorization: string | undefined;
  /** The password of that user: a credential, for the redactor. */
  password: string | undefined;
  /** The variable that named the proxy, for log lines and errors. */
  variable: string;
}

/** The address requests go to. */
export interface ProxyTarget {
  /** As written in the address: an IPv6 literal in brackets. */
  host: string;
  port: number;
  tls: boolean;
}

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The Vault CLI's own proxy variables, strongest first: the first pair that is set proxies every
 * request, whatever NO_PROXY says (hashicorp/vault api ReadEnvironment). Each pair are aliases.
 */
const VAULT_PROXY_VARIABLES = [
  ['VAULT_PROXY_ADDR', 'BAO_PROXY_ADDR'],
  ['VAULT_HTTP_PROXY', 'BAO_HTTP_PROXY'],
] as const;

/** Go's net/http names (golang.org/x/net/http/httpproxy): upper case first, then lower case. */
const HTTPS_PROXY = ['HTTPS_PROXY', 'https_proxy'] as const;
const HTTP_PROXY = ['HTTP_PROXY', 'http_proxy'] as const;
const NO_PROXY = ['NO_PROXY', 'no_proxy'] as const;

const DEFAULT_PROXY_PORT = 80;
const MAX_PORT = 65_535;

/** The proxy for requests to `target`, or undefined to connect directly. */
export function proxyFor(target: ProxyTarget, env: Environment): ProxyRoute | undefined {
  for (const names of VAULT_PROXY_VARIABLES) {
    const set = firstSet(env, names, true);
    if (set !== undefined) return parseProxyUrl(set.value, set.name);
  }
  const set = firstSet(env, target.tls ? HTTPS_PROXY : HTTP_PROXY, false);
  if (set === undefined) return undefined;
  const host = stripBrackets(target.host).toLowerCase();
  if (isLoopback(host)) return undefined;
  const noProxy = firstSet(env, NO_PROXY, false);
  if (noProxy !== undefined && matchesNoProxy(host, target.port, noProxy.value)) return undefined;
  return parseProxyUrl(set.value, set.name);
}

/**
 * The first of `names` set to a non-empty value. With `aliases`, every set name must agree: they mean
 * the same; the upper- and lower-case forms of a standard variable are not checked, as in Go.
 */
function firstSet(env: Environment, names: readonly string[], aliases: boolean): { name: string; value: string } | undefined {
  const set = names.flatMap((name) => {
    const value = env[name];
    return value === undefined || value === '' ? [] : [{ name, value }];
  });
  const first = set[0];
  if (aliases && first !== undefined && set.some(({ value }) => value !== first.value)) {
    const list = set.map(({ name }) => name).join(' and ');
    throw new ConfigError(`conflicting values for ${list}`, {
      input: `environment variables ${list}`,
      hint: 'They are aliases of each other: set only one, or give them the same value',
    });
  }
  return first;
}

/**
 * Whether NO_PROXY exempts `host` (lower case, no brackets) at `port`, as Go's httpproxy reads it:
 * comma-separated entries; `*` exempts every host; an IP address or CIDR block matches addresses; a
 * domain matches itself and its subdomains, one with a leading dot (or `*.`) only its subdomains;
 * an entry may end in `:PORT`, and then matches only that port.
 */
export function matchesNoProxy(host: string, port: number, noProxy: string): boolean {
  const hostIp = net.isIP(host) === 0 ? undefined : host;
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (hostIp !== undefined && entry.includes('/')) {
      if (inBlock(hostIp, entry)) return true;
      continue;
    }
    const { name, entryPort } = splitEntryPort(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (net.isIP(name) !== 0) {
      if (hostIp !== undefined && sameIp(hostIp, name)) return true;
      continue;
    }
    const domain = name.startsWith('*.') ? name.slice(1) : name;
    if (domain.startsWith('.')) {
      if (host.endsWith(domain)) return true;
    } else if (host === domain || host.endsWith(`.${domain}`)) {
      return true;
    }
  }
  return false;
}

/** An entry's name and port: `example.com:8200`, `[::1]:8200`, `10.0.0.1`. */
function splitEntryPort(entry: string): { name: string; entryPort: number | undefined } {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    const name = entry.slice(1, close === -1 ? undefined : close);
    const rest = close === -1 ? '' : entry.slice(close + 1);
    return { name, entryPort: rest.startsWith(':') ? Number(rest.slice(1)) : undefined };
  }
  // An IPv6 address without brackets has several colons and no port.
  if (net.isIPv6(entry)) return { name: entry, entryPort: undefined };
  const colon = entry.lastIndexOf(':');
  if (colon === -1) return { name: entry, entryPort: undefined };
  return { name: entry.slice(0, colon), entryPort: Number(entry.slice(colon + 1)) };
}

function inBlock(ip: string, cidr: string): boolean {
  const [base = '', bits = ''] = cidr.split('/');
  const family = net.isIP(base);
  const prefix = /^[0-9]+$/.test(bits) ? Number(bits) : Number.NaN;
  if (family === 0 || !(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) return false;
  const list = new net.BlockList();
  list.addSubnet(base, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list.check(ip, net.isIPv4(ip) ? 'ipv4' : 'ipv6');
}

function sameIp(a: string, b: string): boolean {
  const list = new net.BlockList();
  list.addAddress(b, net.isIPv4(b) ? 'ipv4' : 'ipv6');
  return list.check(a, net.isIPv4(a) ? 'ipv4' : 'ipv6');
}

/** localhost and loopback addresses are never proxied by HTTP(S)_PROXY, as in Go's net/http. */
function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) {
    const list = new net.BlockList();
    list.addAddress('::1', 'ipv6');
    list.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
    return list.check(host, 'ipv6');
  }
  return false;
}

/**
 * A proxy URL: `http://[user:password@]host[:port]`, or without a scheme, which means http:// as in Go.
 * Only an http:// proxy is spoken to (a CONNECT request): an https:// or socks5:// proxy is refused.
 */
export function parseProxyUrl(text: string, variable: string): ProxyRoute {
  const fail = (problem: string): ConfigError =>
    new ConfigError(`invalid value for environment variable ${variable}`, {
      input: `environment variable ${variable}`,
      hint: `${problem}. Write it as http://HOST:PORT, with user:password@ before the host when the proxy asks for it`,
    });
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw fail('It is not a URL');
  }
  if (url.protocol !== 'http:') throw fail(`Only an http:// proxy is supported, not ${url.protocol.slice(0, -1)}://`);
  if (url.hostname === '') throw fail('It has no host');
  if (url.pathname !== '/' && url.pathname !== '') throw fail('It must not have a path after the host');
  const port = url.port === '' ? DEFAULT_PROXY_PORT : Number(url.port);
  if (!(port >= 1 && port <= MAX_PORT)) throw fail('The port must be a number from 1 to 65535');
  const route: ProxyRoute = { host: stripBrackets(url.hostname), port, authorization: undefined, password: undefined, variable };
  if (url.username === '' && url.password === '') return route;
  const user = decode(url.username);
  const password = decode(url.password);
  if (user === undefined || password === undefined) throw fail('The user or password has a % that is not followed by two hex digits');
  return { ...route, authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, password: password === '' ? undefined : password };
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
