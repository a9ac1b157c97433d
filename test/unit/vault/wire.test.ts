import { describe, expect, it } from 'vitest';
import { compileAddressCheck, trustMaterial } from '../../../src/vault/wire.ts';

const CA = '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n';

describe('trustMaterial', () => {
  it('passes the CA and the client certificate with its key', () => {
    expect(trustMaterial({ rejectUnauthorized: true, ca: CA, cert: CERT, key: KEY, serverName: 'vault' })).toEqual({ ca: CA, cert: CERT, key: KEY });
  });

  it('passes no client certificate without its key, and no key without its certificate', () => {
    expect(trustMaterial({ rejectUnauthorized: true, ca: CA, cert: CERT })).toEqual({ ca: CA });
    expect(trustMaterial({ rejectUnauthorized: true, key: KEY })).toEqual({});
  });

  it('sets no property that is not given, so that the runtime keeps its own default', () => {
    expect(Object.keys(trustMaterial({ rejectUnauthorized: false, ca: undefined, cert: undefined, key: undefined }))).toEqual([]);
  });
});

describe('compileAddressCheck', () => {
  /** The hosts for which `compile` was called, each run as the runtime would. */
  function compiledFor(...hosts: string[]): string[] {
    const compiled: string[] = [];
    for (const host of hosts) {
      compileAddressCheck([host], (run) => {
        compiled.push(host);
        run();
      });
    }
    return compiled;
  }

  it('compiles the IPv6 check for a host name and an IPv6 address, which Node checks against it', () => {
    expect(compiledFor('vault.example.com', 'localhost', '::1')).toEqual(['vault.example.com', 'localhost', '::1']);
  });

  it('compiles nothing for an IPv4 address, which Node tells apart before the IPv6 check', () => {
    expect(compiledFor('127.0.0.1', '10.0.0.12')).toEqual([]);
  });

  it('compiles it for a TLS server name given with an IPv4 address, which Node checks at the handshake', () => {
    const compiled: string[] = [];
    compileAddressCheck(['127.0.0.1', 'vault.example.com'], () => compiled.push('once'));
    compileAddressCheck(['127.0.0.1', undefined], () => compiled.push('never'));
    expect(compiled).toEqual(['once']);
  });
});
