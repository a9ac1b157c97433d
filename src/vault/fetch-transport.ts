// Requests over Bun's fetch, which the single executable uses: Bun's own HTTP client, where its
// node:http is a layer over it. Bun-only options: `tls` (CA, client certificate, server name,
// verification) and `proxy: false`, which switches off Bun's reading of HTTP_PROXY and HTTPS_PROXY
// from the environment. Redirects are returned, not followed (http.ts decides); time limits and
// size limits are the same as Node's transport. Bun's fetch reports every failed TLS handshake alike
// (EPROTO); the reason is then asked of a node:tls handshake with the same settings.

// Default import only: the bundle loads it on first use (scripts/bundle-options.mjs), here only to
// explain a failed handshake.
import tls from 'node:tls';
import { errorCode } from '../errors.ts';
import type { VaultFailure } from './failure.ts';
import { MAX_BODY_BYTES, cancelOnAbort, cancelled, tlsServerName, tooLarge, transportFailure, trustMaterial, type Cancellable, type TlsSettings, type Transport, type WireAnswer, type WireEndpoint, type WireRequest } from './wire.ts';
import { bracketed, stripBrackets } from '../config/address.ts';

export interface FetchTransportOptions extends WireEndpoint {
  /** How TLS connections are set up, for an https:// address. */
  secure?: TlsSettings | undefined;
}

/** Bun's additions to RequestInit. */
interface BunRequestInit extends RequestInit {
  tls?: TlsSettings | undefined;
  proxy?: false;
}

export function createFetchTransport(options: FetchTransportOptions): Transport {
  const origin = `${options.tls ? 'https' : 'http'}://${bracketed(options.host)}:${options.port}`;
  const { secure } = options;
  const tlsSettings: TlsSettings | undefined =
    options.tls && secure !== undefined
      ? {
          rejectUnauthorized: secure.rejectUnauthorized,
          ...trustMaterial(secure),
          ...(secure.serverName !== undefined ? { serverName: secure.serverName } : {}),
        }
      : undefined;
  // Built once: the options every request shares. Bun looks a TLS context up by these settings.
  const shared = { redirect: 'manual', proxy: false, tls: tlsSettings } as const;
  /** The requests in flight, each with the signal its caller gave and how to abort it. */
  const open = new Set<Cancellable>();
  const watch = cancelOnAbort(open);

  async function send({ method, path, headers, payload, limitMs, timedOut, signal }: WireRequest): Promise<WireAnswer> {
    const controller = new AbortController();
    let failure: VaultFailure | undefined;
    const flight: Cancellable = {
      signal,
      abort: (reason) => {
        failure ??= reason;
        controller.abort();
      },
    };
    if (signal?.aborted === true) flight.abort(cancelled());
    else if (signal !== undefined) watch(signal);
    open.add(flight);
    const timer = setTimeout(() => flight.abort(timedOut()), limitMs);
    try {
      const init: BunRequestInit = { ...shared, method, headers, signal: controller.signal };
      if (payload !== undefined) init.body = payload;
      const response = await fetch(origin + path, init);
      // Decoded as Node's transport decodes (Buffer's UTF-8, which keeps a BOM; text() would drop it).
      const body = hasWholeLength(response) ? Buffer.from(await response.arrayBuffer()).toString('utf8') : await readStream(response, flight.abort);
      const { status } = response;
      // A redirect's target and a refusal's wait: only an answer that is not a success has them.
      if (status < 300) return { status, body, location: undefined, retryAfter: undefined };
      return { status, body, location: response.headers.get('location') ?? undefined, retryAfter: response.headers.get('retry-after') ?? undefined };
    } catch (error) {
      if (failure !== undefined) throw failure;
      if (options.tls && errorCode(error) === 'EPROTO') throw transportFailure(await handshakeError(options, tlsSettings, limitMs), options);
      throw transportFailure(error, options);
    } finally {
      clearTimeout(timer);
      open.delete(flight);
    }
  }

  return {
    send,
    close() {
      for (const flight of open) flight.abort(cancelled());
    },
  };
}

/** How long the handshake that explains a failed one may take. */
const DIAGNOSIS_TIMEOUT_MS = 5000;

/**
 * Why a TLS handshake fails, as node:tls reports it (with OpenSSL's reason as its code): the server
 * answered in plain HTTP, wants a client certificate, sent an untrusted one. The original error when
 * this handshake succeeds or says nothing more.
 */
function handshakeError(options: FetchTransportOptions, settings: TlsSettings | undefined, limitMs: number): Promise<unknown> {
  const host = stripBrackets(options.host);
  const servername = tlsServerName(host, settings?.serverName);
  const fallback = Object.assign(new Error('TLS handshake failed'), { code: 'ERR_SSL_HANDSHAKE_FAILURE' });
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port: options.port,
      ...(servername !== undefined ? { servername } : {}),
      rejectUnauthorized: settings?.rejectUnauthorized ?? true,
      ...(settings !== undefined ? trustMaterial(settings) : {}),
    });
    const done = (error: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(error);
    };
    const timer = setTimeout(() => done(fallback), Math.min(limitMs, DIAGNOSIS_TIMEOUT_MS));
    socket.on('error', done);
    // With TLS 1.3 a refused client certificate arrives as an alert after the handshake: wait for it.
    socket.on('secureConnect', () => socket.write('HEAD / HTTP/1.1\r\nHost: vaultenv\r\nConnection: close\r\n\r\n'));
    socket.on('data', () => done(fallback));
    socket.on('close', () => done(fallback));
  });
}

/**
 * Whether the body's length is announced (and not compressed, which fetch would undo into more bytes)
 * and within MAX_BODY_BYTES: the runtime then reads it whole, which is much quicker than setting up
 * the stream reader, and the length bounds what is read.
 */
function hasWholeLength(response: Response): boolean {
  const length = response.headers.get('content-length');
  if (length === null || !/^\d{1,9}$/.test(length) || Number(length) > MAX_BODY_BYTES) return false;
  const encoding = response.headers.get('content-encoding');
  return encoding === null || encoding === 'identity';
}

/** The body as text, read as a stream, at most MAX_BODY_BYTES: a larger one is cut off and reported. */
async function readStream(response: Response, abort: (reason: VaultFailure) => void): Promise<string> {
  if (response.body === null) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      abort(tooLarge());
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
