// The pure parts of the HTTP/2 transport: the headers as HTTP/2 sends them, the info line naming the
// protocol the server chose, and how HTTP/2's error codes become failures (retried, never 'tls').
// The transport itself is tested against a real bao server -dev-tls in test/integration/http2.test.ts.
import { describe, expect, it } from 'vitest';
import { isRetryable } from '../../../src/vault/failure.ts';
import { ALPN_PROTOCOLS, describeAlpn, h2Headers, rstName } from '../../../src/vault/h2-transport.ts';
import { transportFailure } from '../../../src/vault/wire.ts';

describe('h2Headers', () => {
  it('lower-cases the names, turns Host into :authority and drops the connection-specific fields', () => {
    expect(
      h2Headers('POST', '/v1/auth/approle/login', {
        'X-Vault-Request': 'true',
        'X-Vault-Token': 'hvs.t',
        'Content-Type': 'application/json',
        'Content-Length': '12',
        Host: 'vault.example:8200',
        Connection: 'keep-alive',
        'Transfer-Encoding': 'chunked',
      }),
    ).toEqual({
      ':method': 'POST',
      ':path': '/v1/auth/approle/login',
      'x-vault-request': 'true',
      'x-vault-token': 'hvs.t',
      'content-type': 'application/json',
      'content-length': '12',
      ':authority': 'vault.example:8200',
    });
  });

  it('keeps the path with its query as it is', () => {
    expect(h2Headers('GET', '/v1/secret/data/a%20b?version=2', {})).toEqual({ ':method': 'GET', ':path': '/v1/secret/data/a%20b?version=2' });
  });
});

describe('describeAlpn', () => {
  const where = 'https://vault.example:8200';
  it.each([
    ['h2', 'connected to https://vault.example:8200 with HTTP/2 (ALPN h2)'],
    ['http/1.1', 'connected to https://vault.example:8200 with HTTP/1.1 (ALPN http/1.1)'],
    [false, 'connected to https://vault.example:8200 with HTTP/1.1 (no ALPN)'],
    [null, 'connected to https://vault.example:8200 with HTTP/1.1 (no ALPN)'],
  ] as const)('%s: %s', (alpn, line) => {
    expect(describeAlpn(where, alpn)).toBe(line);
  });

  it('offers h2 first, then http/1.1', () => {
    expect(ALPN_PROTOCOLS).toEqual(['h2', 'http/1.1']);
  });
});

describe('rstName', () => {
  it.each([
    [0, 'NO_ERROR'],
    [2, 'INTERNAL_ERROR'],
    [7, 'REFUSED_STREAM'],
    [8, 'CANCEL'],
    [13, 'HTTP_1_1_REQUIRED'],
    [99, 'code 99'],
    [undefined, 'no code'],
  ])('%s is %s', (code, name) => {
    expect(rstName(code)).toBe(name);
  });
});

describe('HTTP/2 errors as failures', () => {
  const endpoint = { host: 'vault.example', port: 8200, tls: true };
  it.each([
    'ERR_HTTP2_STREAM_ERROR',
    'ERR_HTTP2_SESSION_ERROR',
    'ERR_HTTP2_GOAWAY_SESSION',
    'ERR_HTTP2_INVALID_SESSION',
    'ERR_HTTP2_STREAM_CANCEL',
    'ERR_HTTP2_SOCKET_UNBOUND',
    'NGHTTP2_REFUSED_STREAM',
    'NGHTTP2_INTERNAL_ERROR',
  ])('%s: unreachable (retried), not a TLS failure, and without the message', (code) => {
    const error = Object.assign(new Error(`Stream closed with X-Vault-Token hvs.CANARY ${code}`), { code });
    const failure = transportFailure(error, endpoint);
    expect([failure.kind, failure.detail]).toEqual(['unreachable', `HTTP/2 connection lost (${code})`]);
    expect(isRetryable(failure.kind)).toBe(true);
    expect(`${failure.message} ${failure.detail}`).not.toContain('CANARY');
  });

  it('a certificate error on the same connection stays a TLS failure', () => {
    const failure = transportFailure(Object.assign(new Error('x'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), endpoint);
    expect([failure.kind, failure.detail]).toEqual(['tls', 'the TLS certificate is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)']);
  });
});
