// HTTP/1.1 as the socket transport (socket-transport.ts) writes and reads it, on Bun's sockets and
// Node's: the request's bytes, and an answer read from the bytes as they arrive, in any pieces.
// Pure: no sockets here. Only what a Vault client meets is read: a status line, the headers that decide where
// the body ends (Content-Length, Transfer-Encoding: chunked, or the connection's close) and whether
// the connection can carry another request, Location and Retry-After, interim 1xx answers to skip.
// Every part has a size limit; anything else is a malformed answer, which ends the connection.

import { MAX_BODY_BYTES, tooLarge } from './wire.ts';
import { VaultFailure } from './failure.ts';

/** The status line and headers together, at most (Go's servers send a few hundred bytes). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk's size line, with its extensions. */
const MAX_CHUNK_LINE_BYTES = 1024;
/** The trailers after the last chunk, together. */
const MAX_TRAILER_BYTES = 16 * 1024;

/** What a request's path may hold on the wire: visible ASCII, no spaces (a path is percent-encoded). */
const REQUEST_TARGET = /^\/[\x21-\x7e]*$/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/;
/** A header line: a token, a colon, a value without control characters but tab. */
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\x00-\x08\x0a-\x1f\x7f]*?)[ \t]*$/;
const CHUNK_LINE = /^([0-9A-Fa-f]{1,8})[ \t]*(?:;[^\r\n]*)?$/;
const CRLF = Buffer.from('\r\n');

/**
 * The bytes of one request: request line, Host (`host` as the URL names it, its port left out when
 * it is the scheme's own), the headers as given (their values are checked by http.ts: no line
 * breaks), and the payload. Content-Length is the caller's header for a payload.
 */
export function requestBytes(method: string, path: string, host: string, headers: Readonly<Record<string, string>>, payload: string | undefined): Buffer {
  if (!REQUEST_TARGET.test(path)) throw new VaultFailure('invalid-request', 'invalid character in the request path');
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
  // A POST or PUT without a body says so, as Node's http modules do: some front ends refuse one
  // without a length (411).
  if (payload === undefined && method !== 'GET' && method !== 'HEAD') head += 'Content-Length: 0\r\n';
  head += '\r\n';
  // Header values are bytes, one per character up to U+00FF (http.ts lets no other through), as
  // Node's http modules and fetch send them; the payload is UTF-8.
  const bytes = Buffer.from(head, 'latin1');
  return payload === undefined ? bytes : Buffer.concat([bytes, Buffer.from(payload, 'utf8')]);
}

/** A whole answer, and whether its connection may carry the next request. */
export interface Http1Answer {
  status: number;
  body: string;
  location: string | undefined;
  retryAfter: string | undefined;
  /** False after `Connection: close`, an HTTP/1.0 answer, or a body that ran until the connection's end. */
  reusable: boolean;
}

/** A malformed answer: the connection cannot be trusted to carry anything more. */
function malformed(what: string): VaultFailure {
  return new VaultFailure('unreachable', `malformed HTTP answer (${what})`);
}

type Stage = 'head' | 'length' | 'chunk-line' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done';

/**
 * Reads one answer from the bytes of a connection. `push` each piece as it arrives: it returns the
 * answer once it is whole (and throws a VaultFailure on a malformed or oversized one); `end` when the
 * connection closes, which completes a body that runs until then and fails anything else. Bytes after
 * the answer make it not reusable (a server that sends them cannot be trusted with another request).
 */
export class Http1AnswerReader {
  #stage: Stage = 'head';
  /** Bytes not yet consumed. */
  #pending: Buffer = Buffer.alloc(0);
  readonly #body: Buffer[] = [];
  #bodyBytes = 0;
  /** Body bytes still to come: of the Content-Length, or of the current chunk. */
  #remaining = 0;
  #trailerBytes = 0;
  #status = 0;
  #location: string | undefined;
  #retryAfter: string | undefined;
  #reusable = true;
  /** How much of the pending head has been searched for its end. */
  #searched = 0;

  push(bytes: Buffer): Http1Answer | undefined {
    this.#pending = this.#pending.length === 0 ? bytes : Buffer.concat([this.#pending, bytes]);
    return this.#advance();
  }

  /** The connection closed: the answer, when its body was to run until then; else a failure. */
  end(): Http1Answer {
    if (this.#stage === 'until-close') {
      this.#stage = 'done';
      return this.#answer();
    }
    // Before a byte or in the middle of an answer alike, as Node's transport reports both.
    throw new VaultFailure('unreachable', 'connection reset');
  }

  #advance(): Http1Answer | undefined {
    for (;;) {
      switch (this.#stage) {
        case 'head':
          if (!this.#readHead()) return undefined;
          break;
        case 'length':
          if (!this.#takeRemaining()) return undefined;
          this.#stage = 'done';
          break;
        case 'chunk-line': {
          const line = this.#line(MAX_CHUNK_LINE_BYTES, 'chunk size line');
          if (line === undefined) return undefined;
          const match = CHUNK_LINE.exec(line);
          if (match === null) throw malformed('chunk size');
          this.#remaining = Number.parseInt(match[1] as string, 16);
          this.#stage = this.#remaining === 0 ? 'trailers' : 'chunk-data';
          break;
        }
        case 'chunk-data':
          if (!this.#takeRemaining()) return undefined;
          this.#stage = 'chunk-end';
          break;
        case 'chunk-end': {
          if (this.#pending.length < 2) return undefined;
          if (this.#pending[0] !== 0x0d || this.#pending[1] !== 0x0a) throw malformed('chunk end');
          this.#pending = this.#pending.subarray(2);
          this.#stage = 'chunk-line';
          break;
        }
        case 'trailers': {
          const line = this.#line(MAX_TRAILER_BYTES - this.#trailerBytes, 'trailers');
          if (line === undefined) return undefined;
          this.#trailerBytes += line.length + 2;
          if (line === '') this.#stage = 'done';
          break;
        }
        case 'until-close':
          this.#takeBody(this.#pending.length);
          return undefined;
        case 'done':
          return this.#answer();
      }
    }
  }

  /** Reads the status line and headers when they are all there; false while they are not. */
  #readHead(): boolean {
    // Searched from where the last piece's search stopped: a head that trickles in byte by byte is
    // not read again from its start for every byte.
    const end = this.#pending.indexOf('\r\n\r\n', Math.max(0, this.#searched - 3), 'latin1');
    if (end === -1) {
      if (this.#pending.length > MAX_HEAD_BYTES) throw malformed(`headers larger than ${MAX_HEAD_BYTES / 1024} KiB`);
      // A line ended by LF alone would never end the head: fail now rather than at the time limit.
      for (let at = this.#pending.indexOf(0x0a, this.#searched); at !== -1; at = this.#pending.indexOf(0x0a, at + 1)) {
        if (at === 0 || this.#pending[at - 1] !== 0x0d) throw malformed('line ending');
      }
      this.#searched = this.#pending.length;
      return false;
    }
    this.#searched = 0;
    if (end > MAX_HEAD_BYTES) throw malformed(`headers larger than ${MAX_HEAD_BYTES / 1024} KiB`);
    const lines = this.#pending.toString('latin1', 0, end).split('\r\n');
    this.#pending = this.#pending.subarray(end + 4);
    const status = STATUS_LINE.exec(lines[0] as string);
    if (status === null) throw malformed('status line');
    const code = Number(status[2]);
    let length: string | undefined;
    let chunked = false;
    let close = status[1] === '0';
    let location: string | undefined;
    let retryAfter: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const header = HEADER_LINE.exec(lines[i] as string);
      if (header === null) throw malformed('header line');
      const value = header[2] as string;
      switch ((header[1] as string).toLowerCase()) {
        case 'content-length':
          if (!/^\d{1,15}$/.test(value) || (length !== undefined && length !== value)) throw malformed('Content-Length');
          length = value;
          break;
        case 'transfer-encoding':
          // Nothing is asked compressed: chunked is the only coding a Vault answer may carry.
          if (value.toLowerCase() !== 'chunked') throw malformed('Transfer-Encoding');
          chunked = true;
          break;
        case 'content-encoding':
          if (value.toLowerCase() !== 'identity') throw malformed('Content-Encoding');
          break;
        case 'connection':
          if (/(^|,)\s*close\s*(,|$)/i.test(value)) close = true;
          else if (status[1] === '0' && /(^|,)\s*keep-alive\s*(,|$)/i.test(value)) close = false;
          break;
        case 'location':
          location = value;
          break;
        case 'retry-after':
          retryAfter = value;
          break;
      }
    }
    // An interim answer (100 Continue, 103 Early Hints): the real one follows on the same connection.
    if (code >= 100 && code < 200) {
      if (code === 101) throw malformed('protocol switch');
      return true;
    }
    this.#status = code;
    this.#location = location;
    this.#retryAfter = retryAfter;
    this.#reusable = !close;
    if (chunked && length !== undefined) throw malformed('both Content-Length and chunked');
    // HTTP/1.0 has no chunked coding to end a kept connection's answer by.
    if (chunked && status[1] === '0') this.#reusable = false;
    if (code === 204 || code === 304) this.#stage = 'done';
    else if (chunked) this.#stage = 'chunk-line';
    else if (length !== undefined) {
      this.#remaining = Number(length);
      if (this.#remaining > MAX_BODY_BYTES) throw tooLarge();
      this.#stage = 'length';
    } else {
      this.#reusable = false;
      this.#stage = 'until-close';
    }
    return true;
  }

  /** Moves the body bytes still to come (of the length, or of the chunk) that are pending; true once all came. */
  #takeRemaining(): boolean {
    this.#remaining -= this.#takeBody(this.#remaining);
    return this.#remaining === 0;
  }

  /** Moves up to `most` pending bytes into the body; returns how many. */
  #takeBody(most: number): number {
    const taken = Math.min(most, this.#pending.length);
    if (taken === 0) return 0;
    this.#bodyBytes += taken;
    if (this.#bodyBytes > MAX_BODY_BYTES) throw tooLarge();
    this.#body.push(this.#pending.subarray(0, taken));
    this.#pending = this.#pending.subarray(taken);
    return taken;
  }

  /** The next line without its CRLF, or undefined until it is whole; longer than `limit`: malformed. */
  #line(limit: number, what: string): string | undefined {
    const end = this.#pending.indexOf(CRLF);
    if (end === -1) {
      if (this.#pending.length > limit) throw malformed(`${what} too long`);
      return undefined;
    }
    if (end > limit) throw malformed(`${what} too long`);
    const line = this.#pending.toString('latin1', 0, end);
    this.#pending = this.#pending.subarray(end + 2);
    return line;
  }

  #answer(): Http1Answer {
    const body = this.#body.length === 1 ? (this.#body[0] as Buffer).toString('utf8') : Buffer.concat(this.#body).toString('utf8');
    return { status: this.#status, body, location: this.#location, retryAfter: this.#retryAfter, reusable: this.#reusable && this.#pending.length === 0 };
  }
}
