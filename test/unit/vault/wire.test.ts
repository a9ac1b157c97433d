import { describe, expect, it } from 'vitest';
import { trustMaterial } from '../../../src/vault/wire.ts';

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
