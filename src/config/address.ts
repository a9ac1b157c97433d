// Vault addresses (`VAULT_ADDR`, `BAO_ADDR`, `--addr`, or a URL given as the host), handled per source
// as vaultenv 0.19 handles them: split into host, port and TLS; reject a missing or unknown scheme, a
// missing host and a path; and reject host, port or TLS settings of the same source that disagree.
// Pure: no I/O. Messages name the setting, never its value (an address may carry user:password@).

import net from 'node:net';
import { ConfigError } from '../errors.ts';
import type { Source } from './sources.ts';
import type { ValueOrigin } from './typed-values.ts';

export interface AddressParts {
  /** As written; an IPv6 literal keeps its brackets (`[::1]`). */
  host: string;
  port: number;
  tls: boolean;
}

const DEFAULT_PORTS = { https: 443, http: 80 } as const;
const MAX_PORT = 65_535;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s;
const REG_NAME = /^[A-Za-z0-9\-._~!$&'()*+,;=%]+$/;
const PORT = /^:([0-9]+)$/;
const FORM = 'Write it as https://HOST[:PORT] or http://HOST[:PORT]';

/** Splits an address into host, port and TLS, or throws a ConfigError naming `origin`. */
export function parseAddress(text: string, origin: ValueOrigin): AddressParts {
  const fail = (problem: string): ConfigError =>
    new ConfigError(`invalid value for ${origin.what}`, { input: origin.input, hint: `${problem}. ${FORM}` });

  const match = SCHEME.exec(text);
  if (match === null) throw fail('The address does not start with http:// or https://');
  const scheme = match[1] ?? '';
  if (scheme !== 'https' && scheme !== 'http') throw fail('The scheme must be http or https');
  const rest = match[2] ?? '';

  const authorityEnd = firstIndexOf(rest, '/?#');
  const authority = rest.slice(0, authorityEnd);
  const path = rest.slice(authorityEnd, firstIndexOf(rest, '?#'));
  if (path !== '' && path !== '/') throw fail('The address must not have a path after the host');

  // As in vaultenv 0.19, user information (user:password@) is ignored.
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  let host: string;
  let portText: string;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close === -1 || !net.isIPv6(hostPort.slice(1, close))) throw fail('The IPv6 address in brackets is not valid');
    host = hostPort.slice(0, close + 1);
    portText = hostPort.slice(close + 1);
  } else {
    const colon = hostPort.indexOf(':');
    host = colon === -1 ? hostPort : hostPort.slice(0, colon);
    portText = colon === -1 ? '' : hostPort.slice(colon);
    if (!REG_NAME.test(host)) throw fail('The address has no valid host');
  }

  let port: number = DEFAULT_PORTS[scheme];
  if (portText !== '') {
    const digits = PORT.exec(portText)?.[1];
    port = digits === undefined ? Number.NaN : Number(digits);
    if (!Number.isInteger(port) || port < 1 || port > MAX_PORT) throw fail('The port must be a number from 1 to 65535');
  }
  return { host, port, tls: scheme === 'https' };
}

function firstIndexOf(text: string, characters: string): number {
  for (let i = 0; i < text.length; i++) if (characters.includes(text[i] ?? '')) return i;
  return text.length;
}

const isUrl = (host: string | undefined): host is string => host !== undefined && host.includes('://');

/**
 * Replaces a source's address (and a host given as a URL, which vaultenv 0.19 takes as a host name) by
 * the host, port and TLS it implies. Host, port or TLS set in the same source must agree with it.
 */
export function resolveAddress(source: Source): Source {
  const { addr, ...values } = source.values;
  const origins = { ...source.origins };
  delete origins.addr;

  const given: Array<{ parts: AddressParts; name: string }> = [];
  if (addr !== undefined && source.origins.addr !== undefined) {
    given.push({ parts: parseAddress(addr, source.origins.addr), name: source.origins.addr.name });
  }
  const hostIsUrl = isUrl(values.host);
  if (isUrl(values.host) && source.origins.host !== undefined) {
    given.push({ parts: parseAddress(values.host, source.origins.host), name: source.origins.host.name });
  }
  const first = given[0];
  if (first === undefined) return { ...source, values, origins };
  const implied = first.parts;

  const differing: string[] = [];
  const nameOf = (id: 'host' | 'port' | 'tls'): string => source.origins[id]?.name ?? id;
  const second = given[1];
  if (second !== undefined && !sameParts(implied, second.parts)) differing.push(second.name);
  if (!hostIsUrl && values.host !== undefined && values.host !== implied.host) differing.push(nameOf('host'));
  if (values.port !== undefined && values.port !== implied.port) differing.push(nameOf('port'));
  if (values.tls !== undefined && values.tls !== implied.tls) differing.push(nameOf('tls'));
  if (differing.length > 0) {
    throw new ConfigError(`conflicting Vault address settings in ${source.label}`, {
      input: [first.name, ...differing].join(', '),
      hint:
        `${first.name} means host ${implied.host}, port ${implied.port}, TLS ${implied.tls ? 'on' : 'off'}, ` +
        `but ${differing.join(' and ')} ${differing.length === 1 ? 'says' : 'say'} otherwise. ` +
        'Give only the address, or make the settings agree',
    });
  }

  const addrOrigin = source.origins.addr ?? source.origins.host;
  if (addrOrigin !== undefined) {
    origins.host = addrOrigin;
    origins.port = addrOrigin;
    origins.tls = addrOrigin;
  }
  return { ...source, values: { ...values, host: implied.host, port: implied.port, tls: implied.tls }, origins };
}

function sameParts(a: AddressParts, b: AddressParts): boolean {
  return a.host === b.host && a.port === b.port && a.tls === b.tls;
}
