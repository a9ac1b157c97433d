// The HTTP/1.1 the single executable's plain-HTTP transport writes and reads: an answer read whole
// however its bytes are cut into pieces, where its body ends (length, chunks, the connection's close),
// whether its connection may carry another request, and a failure for every malformed or oversized
// part. The transport itself runs against a real server in test/integration/transports.test.ts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VaultFailure } from '../../../src/vault/failure.ts';
import { Http1AnswerReader, MAX_HEAD_BYTES, requestBytes, type Http1Answer } from '../../../src/vault/http1.ts';
import { MAX_BODY_BYTES } from '../../../src/vault/wire.ts';

/** Reads `text` given in pieces cut at `cuts`; `close` ends the connection after the last one. */
function read(text: string | Buffer, cuts: number[] = [], close = false): Http1Answer | undefined {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const reader = new Http1AnswerReader();
  let answer: Http1Answer | undefined;
  let from = 0;
  for (const at of [...cuts.filter((cut) => cut > 0 && cut < bytes.length).sort((a, b) => a - b), bytes.length]) {
    const piece = bytes.subarray(from, at);
    from = at;
    if (piece.length === 0) continue;
    expect(answer).toBeUndefined();
    answer = reader.push(Buffer.from(piece));
  }
  if (close && answer === undefined) answer = reader.end();
  return answer;
}

function failure(text: string | Buffer, close = false): VaultFailure {
  try {
    const answer = read(text, [], close);
    throw new Error(`read an answer: ${JSON.stringify(answer)}`);
  } catch (error) {
    if (!(error instanceof VaultFailure)) throw error;
    return error;
  }
}

const json = '{"data":{"value":"é ✓"}}';
const withLength = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
const chunked = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=x\r\n{"dat\r\n${Buffer.byteLength(json.slice(5)).toString(16)}\r\n${json.slice(5)}\r\n0\r\nX-Trailer: 1\r\n\r\n`;

describe('requestBytes', () => {
  it('writes the request line, Host, the headers in order and the payload', () => {
    const bytes = requestBytes('POST', '/v1/auth/x/login', '127.0.0.1:8200', { 'X-Vault-Request': 'true', 'Content-Length': '7' }, '{"a":1}');
    expect(bytes.toString('utf8')).toBe('POST /v1/auth/x/login HTTP/1.1\r\nHost: 127.0.0.1:8200\r\nX-Vault-Request: true\r\nContent-Length: 7\r\n\r\n{"a":1}');
    expect(requestBytes('GET', '/v1/a?list=true', 'h:1', {}, undefined).toString('latin1')).toBe('GET /v1/a?list=true HTTP/1.1\r\nHost: h:1\r\n\r\n');
    // A POST without a body says its length is 0, as Node's http modules do.
    expect(requestBytes('POST', '/v1/auth/token/revoke-self', 'h', { 'X-Vault-Request': 'true' }, undefined).toString('latin1')).toBe(
      'POST /v1/auth/token/revoke-self HTTP/1.1\r\nHost: h\r\nX-Vault-Request: true\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it('sends header values one byte per character, as Node and fetch do, and the payload in UTF-8', () => {
    const bytes = requestBytes('PUT', '/v1/x', 'h:1', { 'X-Vault-Namespace': 'café' }, '"é"');
    expect(bytes.includes(Buffer.from('X-Vault-Namespace: caf\xe9\r\n', 'latin1'))).toBe(true);
    expect(bytes.subarray(-4)).toEqual(Buffer.from('"é"', 'utf8'));
  });

  it('refuses a path that would break the request line', () => {
    for (const path of ['/v1/a b', '/v1/a\r\nX: y', 'v1/a', '/v1/é']) {
      expect(() => requestBytes('GET', path, 'h:1', {}, undefined)).toThrow(expect.objectContaining({ kind: 'invalid-request' }));
    }
  });
});

describe('Http1AnswerReader', () => {
  it('reads an answer with a Content-Length, its body decoded as UTF-8, the connection reusable', () => {
    expect(read(withLength)).toEqual({ status: 200, body: json, location: undefined, retryAfter: undefined, reusable: true });
  });

  it('reads a chunked answer, with chunk extensions and trailers', () => {
    expect(read(chunked)).toEqual({ status: 200, body: json, location: undefined, retryAfter: undefined, reusable: true });
  });

  it('gives the same answer however the bytes are cut into pieces', () => {
    const texts = [withLength, chunked, `HTTP/1.1 100 Continue\r\n\r\n${withLength}`];
    fc.assert(
      fc.property(fc.constantFrom(...texts), fc.array(fc.nat({ max: 400 }), { maxLength: 12 }), (text, cuts) => {
        expect(read(text, cuts)).toEqual(read(text));
      }),
    );
    // Every single cut, each side of every CR and LF included; and one byte at a time.
    for (const text of texts) {
      const length = Buffer.byteLength(text);
      for (let cut = 1; cut < length; cut++) expect(read(text, [cut])).toEqual(read(text));
      expect(read(text, Array.from({ length }, (_, at) => at))).toEqual(read(text));
    }
  });

  it('keeps Location and Retry-After, whatever their case', () => {
    expect(read('HTTP/1.1 307 Temporary Redirect\r\nlocation: /v1/x?y=1\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ status: 307, location: '/v1/x?y=1', body: '' });
    expect(read('HTTP/1.1 503 Service Unavailable\r\nRETRY-AFTER:  2 \r\nContent-Length: 2\r\n\r\n{}')).toMatchObject({ status: 503, retryAfter: '2', body: '{}' });
  });

  it('skips interim answers; 204 and 304 have no body', () => {
    expect(read(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n${withLength}`)).toMatchObject({ status: 200, body: json });
    expect(read('HTTP/1.1 204 No Content\r\n\r\n')).toEqual({ status: 204, body: '', location: undefined, retryAfter: undefined, reusable: true });
    expect(read('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')).toMatchObject({ status: 304, body: '', reusable: true });
  });

  it('reads a body without a length until the connection closes, and does not reuse that connection', () => {
    const reader = new Http1AnswerReader();
    expect(reader.push(Buffer.from('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request'))).toBeUndefined();
    expect(reader.push(Buffer.from(' to an HTTPS server.\n'))).toBeUndefined();
    expect(reader.end()).toEqual({ status: 400, body: 'Client sent an HTTP request to an HTTPS server.\n', location: undefined, retryAfter: undefined, reusable: false });
  });

  it('does not reuse a connection after Connection: close, an HTTP/1.0 answer, or bytes past the answer', () => {
    expect(read('HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 2\r\n\r\n{}')).toMatchObject({ body: '{}', reusable: false });
    expect(read('HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\n{}')).toMatchObject({ reusable: false });
    expect(read('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}')).toMatchObject({ reusable: false });
    expect(read('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}')).toMatchObject({ reusable: true });
    expect(read('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n')).toMatchObject({ body: '{}', reusable: false });
    expect(read(`${withLength}HTTP/1.1 200 OK\r\n`)).toMatchObject({ body: json, reusable: false });
  });

  it('a connection that closes before the answer is whole was reset, before its first byte or after', () => {
    for (const text of ['', withLength.slice(0, -3), chunked.slice(0, -2), 'HTTP/1.1 200 OK\r\nContent-Le']) {
      expect(failure(text, true), text).toMatchObject({ kind: 'unreachable', detail: 'connection reset' });
    }
  });

  it('refuses what is not an HTTP/1.x answer a Vault client can read', () => {
    const cases: Array<[string, string]> = [
      ['SSH-2.0-OpenSSH_9.6\r\n\r\n', 'status line'],
      ['HTTP/2 200\r\n\r\n', 'status line'],
      ['HTTP/1.1 20 OK\r\n\r\n', 'status line'],
      ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', 'header line'],
      ['HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n', 'header line'],
      ['HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n', 'header line'],
      ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'Content-Length'],
      ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 'Content-Length'],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 'Transfer-Encoding'],
      ['HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}', 'Content-Encoding'],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n', 'both Content-Length and chunked'],
      ['HTTP/1.1 101 Switching Protocols\r\n\r\n', 'protocol switch'],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'chunk size'],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX', 'chunk end'],
      // Lines ended by LF alone: refused as soon as one is seen, not at the time limit.
      ['HTTP/1.1 200 OK\nContent-Length: 2\n\n{}', 'line ending'],
      ['HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\n{}', 'line ending'],
    ];
    for (const [text, what] of cases) expect(failure(text), text).toMatchObject({ kind: 'unreachable', detail: `malformed HTTP answer (${what})` });
  });

  it('bounds the headers, the chunk size lines, the trailers and the body', () => {
    const longHead = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`;
    expect(failure(longHead)).toMatchObject({ detail: 'malformed HTTP answer (headers larger than 64 KiB)' });
    expect(failure(`${longHead}\r\n\r\n`)).toMatchObject({ detail: 'malformed HTTP answer (headers larger than 64 KiB)' });
    expect(failure(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${'x'.repeat(2000)}`)).toMatchObject({ detail: 'malformed HTTP answer (chunk size line too long)' });
    expect(failure(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${'X: y\r\n'.repeat(4000)}`)).toMatchObject({ detail: 'malformed HTTP answer (trailers too long)' });
    // A length over the limit fails before any of the body is read; a chunked body once it passes it.
    expect(failure(`HTTP/1.1 200 OK\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`)).toMatchObject({ kind: 'too-large' });
    const reader = new Http1AnswerReader();
    reader.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'));
    const chunk = Buffer.concat([Buffer.from(`${(1024 * 1024).toString(16)}\r\n`), Buffer.alloc(1024 * 1024, 0x61), Buffer.from('\r\n')]);
    let thrown: unknown;
    try {
      for (let i = 0; i <= MAX_BODY_BYTES / (1024 * 1024); i++) reader.push(chunk);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ kind: 'too-large' });
    expect(read(`HTTP/1.1 200 OK\r\nContent-Length: ${MAX_BODY_BYTES}\r\n\r\n`.concat('x'.repeat(MAX_BODY_BYTES)))).toMatchObject({ status: 200 });
  });
});
