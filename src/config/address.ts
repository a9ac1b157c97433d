// Vault addresses (`VAULT_ADDR`, `BAO_ADDR`, `--addr`, or a URL given as the host), handled per source
// as vaultenv 0.19 handles them: split into host, port and TLS; reject a missing or unknown scheme, a
// missing host and a path; and reject host, port or TLS settings of the same source that disagree.
// Beyond 0.19, as the Vault CLI: a `unix:///path` socket, and an Agent or Proxy address
// (`VAULT_AGENT_ADDR`) that takes precedence over the rest of its source. Pure: no I/O. Messages name
// the setting, never its value (an address may carry user:password@).

import net from 'node:net';
import { ConfigError } from '../errors.ts';
import type { Source, SourceEndpoint } from './sources.ts';
import type { ValueOrigin } from './typed-values.ts';

export interface AddressParts {
  /** As written; an IPv6 literal keeps its brackets (`[::1]`). */
  host: string;
  port: number;
  tls: boolean;
}

/** A host as sockets take it: an IPv6 address without the brackets of its URL form. */
export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** A host as a URL or a Host header writes it: an IPv6 address in brackets. */
export function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A unix-socket address: plain HTTP over a local socket, where an Agent or Proxy serves the API. */
export interface SocketAddress {
  /** The socket's absolute path. */
  socket: string;
}

/** The scheme of a unix-socket address; the path follows it (`unix:///run/bao/proxy.sock`). */
const UNIX_SCHEME = 'unix';
/** Linux's sun_path holds 108 bytes, the last one a NUL: a longer path cannot be connected to. */
const MAX_SOCKET_PATH_BYTES = 107;
const SOCKET_FORM = 'Write a unix socket as unix:///ABSOLUTE/PATH';

const DEFAULT_PORTS = { https: 443, http: 80 } as const;
const MAX_PORT = 65_535;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s;
const REG_NAME = /^[A-Za-z0-9\-._~!$&'()*+,;=%]+$/;
const PORT = /^:([0-9]+)$/;
const FORM = 'Write it as https://HOST[:PORT] or http://HOST[:PORT]';

/**
 * An address that may also be a unix socket (`VAULT_ADDR`, `VAULT_AGENT_ADDR` and their flags): the
 * socket's path, or host, port and TLS. Throws a ConfigError naming `origin`.
 */
export function parseEndpoint(text: string, origin: ValueOrigin): AddressParts | SocketAddress {
  const match = SCHEME.exec(text);
  if (match?.[1] !== UNIX_SCHEME) return parseAddress(text, origin, true);
  const path = match[2] ?? '';
  const fail = (problem: string): ConfigError =>
    new ConfigError(`invalid value for ${origin.what}`, { input: origin.input, hint: `${problem}. ${SOCKET_FORM}` });
  if (!path.startsWith('/')) throw fail('The socket path must be absolute (three slashes after unix:)');
  if (path.endsWith('/')) throw fail('The socket path names a directory');
  if (/\p{Cc}/u.test(path)) throw fail('The socket path may not contain control characters');
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) throw fail(`The socket path is longer than the ${MAX_SOCKET_PATH_BYTES} bytes Linux allows`);
  return { socket: path };
}

/**
 * Splits an address into host, port and TLS, or throws a ConfigError naming `origin`. `socketAllowed`
 * only changes the hint: the caller (parseEndpoint) also takes unix:// there.
 */
export function parseAddress(text: string, origin: ValueOrigin, socketAllowed = false): AddressParts {
  const form = socketAllowed ? `${FORM}, or a unix socket as unix:///PATH` : FORM;
  const fail = (problem: string): ConfigError =>
    new ConfigError(`invalid value for ${origin.what}`, { input: origin.input, hint: `${problem}. ${form}` });

  const match = SCHEME.exec(text);
  if (match === null) throw fail(`The address does not start with http:// or https://${socketAllowed ? ' (or unix://)' : ''}`);
  const scheme = match[1] ?? '';
  if (scheme !== 'https' && scheme !== 'http') throw fail(`The scheme must be http or https${socketAllowed ? ' (or unix)' : ''}`);
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
 * the host, port and TLS it implies. Host, port or TLS set in the same source must agree with it. A
 * unix socket, or an Agent address, becomes the source's `endpoint` instead; an Agent address wins
 * over the rest of its source, as in the Vault CLI.
 */
export function resolveAddress(source: Source): Source {
  const server = resolveServerAddress(source);
  const { agentAddr } = source.values;
  const agentOrigin = source.origins.agentAddr;
  if (agentAddr === undefined || agentOrigin === undefined) return server;
  const agent = parseEndpoint(agentAddr, agentOrigin);
  const values = { ...server.values };
  const origins = { ...server.origins };
  for (const id of ['host', 'port', 'tls'] as const) {
    delete values[id];
    delete origins[id];
  }
  if ('socket' in agent) return { ...source, values, origins, endpoint: { socket: agent.socket, agent: true, name: agentOrigin.name } };
  return {
    ...source,
    values: { ...values, host: agent.host, port: agent.port, tls: agent.tls },
    origins: { ...origins, host: agentOrigin, port: agentOrigin, tls: agentOrigin },
    endpoint: { socket: undefined, agent: true, name: agentOrigin.name },
  };
}

/** The source's Vault address (addr, or a URL as host), without the Agent address. */
function resolveServerAddress(source: Source): Source {
  const { addr, ...values } = source.values;
  delete values.agentAddr;
  const origins = { ...source.origins };
  delete origins.addr;
  delete origins.agentAddr;

  const given: Array<{ parts: AddressParts; name: string }> = [];
  let socket: SourceEndpoint | undefined;
  if (addr !== undefined && source.origins.addr !== undefined) {
    const parsed = parseEndpoint(addr, source.origins.addr);
    if ('socket' in parsed) socket = { socket: parsed.socket, agent: false, name: source.origins.addr.name };
    else given.push({ parts: parsed, name: source.origins.addr.name });
  }
  const hostIsUrl = isUrl(values.host);
  if (isUrl(values.host) && source.origins.host !== undefined) {
    given.push({ parts: parseAddress(values.host, source.origins.host), name: source.origins.host.name });
  }
  const nameOf = (id: 'host' | 'port' | 'tls'): string => source.origins[id]?.name ?? id;
  if (socket !== undefined) {
    const differing = [...given.map(({ name }) => name), ...(['host', 'port'] as const).filter((id) => values[id] !== undefined && !(id === 'host' && hostIsUrl)).map(nameOf)];
    if (differing.length > 0) {
      throw new ConfigError(`conflicting Vault address settings in ${source.label}`, {
        input: [socket.name, ...differing].join(', '),
        hint: `${socket.name} is a unix socket, which has no host or port, but ${differing.join(' and ')} ${differing.length === 1 ? 'sets' : 'set'} one. Give only the address`,
      });
    }
    delete values.tls;
    delete origins.tls;
    return { ...source, values, origins, endpoint: socket };
  }
  const first = given[0];
  if (first === undefined) return { ...source, values, origins };
  const implied = first.parts;

  const differing: string[] = [];
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

/**
 * The source whose address is used: the highest that sets host, port, a unix socket or an Agent
 * address (`sources` lowest first). Host and port still merge per field, as in vaultenv 0.19; whether
 * the address is a socket or an Agent's is this source's to say.
 */
export function addressSource(sources: readonly Source[]): Source | undefined {
  return sources.findLast(({ values, endpoint }) => values.host !== undefined || values.port !== undefined || endpoint !== undefined);
}

/** Where requests go, for log lines: `unix:///path` or `https://host:port`, and whether it is an Agent's. */
export function describeEndpoint(where: { host: string; port: number; tls: boolean; socketPath: string | undefined; agentAddress: boolean }): string {
  const address = where.socketPath !== undefined ? `${UNIX_SCHEME}://${where.socketPath}` : `${where.tls ? 'https' : 'http'}://${where.host}:${where.port}`;
  return where.agentAddress ? `${address} (agent address)` : address;
}

function sameParts(a: AddressParts, b: AddressParts): boolean {
  return a.host === b.host && a.port === b.port && a.tls === b.tls;
}
