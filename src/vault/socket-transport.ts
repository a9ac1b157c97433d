// Requests over the runtime's own connections, in the HTTP/1.1 of http1.ts: plain HTTP over Bun's
// sockets (Bun.connect) in the single executable and over node:net in the bundle on Node, and TLS
// over node:tls on Node unless --http2 is given. Bun's fetch hands every request to its HTTP
// thread and back and builds a Request, a Response and a Headers for it; Node's http module builds a
// ClientRequest, an IncomingMessage and their streams. On two cores that work is taken from the
// server, and at hundreds of paths it was most of a run's own (docs/bench.md, "Sockets for plain
// HTTP"). Here a request is one write and its answer is read as it arrives. The executable keeps
// Bun's fetch for TLS (fetch-transport.ts): its handshake and certificate checks are not redone here.
//
// Keep-alive connections, at most `maxSockets` (0: no limit), each carrying one request at a time; a
// request waits for a free one within its own time limit. A connection is reused only after a whole,
// well-formed answer that allows it; anything else closes it. Redirects are returned, not followed,
// and the time and size limits are those of the other transports.

// Default imports only: the bundle loads them on first use (scripts/bundle-options.mjs).
import net from 'node:net';
import tls from 'node:tls';
import { errorCode } from '../errors.ts';
import { VaultFailure } from './failure.ts';
import { Http1AnswerReader, requestBytes, type Http1Answer } from './http1.ts';
import { cancelOnAbort, cancelled, tlsServerName, transportFailure, trustMaterial, type TlsSettings, type Transport, type WireAnswer, type WireEndpoint, type WireRequest } from './wire.ts';
import { bracketed, stripBrackets } from '../config/address.ts';

export interface SocketTransportOptions extends WireEndpoint {
  /** 0 means no limit. */
  maxSockets: number;
  /** A monotonic clock in milliseconds. */
  now: () => number;
}

/** A connected socket, as the pool uses it. */
interface PoolSocket {
  /** Bytes the socket took (the rest is written on `drain`), or -1 when it is closed. */
  write(data: Buffer): number;
  /** Whether bytes it took are still waiting to go out (queued by the runtime, not the kernel). */
  flushing(): boolean;
  /** Closes it at once. */
  terminate(): void;
  ref(): void;
  unref(): void;
}

/**
 * What a connection tells the pool: first `opened` or `failed`, once; then the rest. Called as the
 * runtime reports them, so that nothing the socket says comes before the pool knows the connection.
 */
interface SocketEvents {
  opened(socket: PoolSocket): void;
  failed(error: unknown): void;
  data(data: Buffer): void;
  drain(): void;
  /** The server closed its side. */
  end(): void;
  close(error?: Error): void;
  error(error: Error): void;
}

/**
 * Opens one connection to host:port (no brackets), telling `events` what becomes of it; the function
 * it returns gives up a connection not yet open, where the runtime can.
 */
export type Dialer = (host: string, port: number, events: SocketEvents) => () => void;

interface BunSocket {
  write(data: Uint8Array): number;
  terminate(): void;
  ref(): void;
  unref(): void;
}

type BunConnect = (options: {
  hostname: string;
  port: number;
  socket: {
    open(socket: BunSocket): void;
    data(socket: BunSocket, data: Buffer): void;
    drain(): void;
    close(socket: BunSocket, error?: Error): void;
    end(): void;
    error(socket: BunSocket, error: Error): void;
    connectError(socket: BunSocket, error: Error): void;
  };
}) => Promise<BunSocket>;

/** Bun's sockets. A connection being opened cannot be cancelled: cli/entry.ts does not wait for it at exit. */
export function bunDialer(): Dialer {
  const connect = (globalThis as { Bun?: { connect?: BunConnect } }).Bun?.connect;
  if (connect === undefined) throw new Error('Bun.connect is not available');
  return (hostname, port, events) => {
    connect({
      hostname,
      port,
      socket: {
        open: (socket) =>
          events.opened({
            write: (data) => socket.write(data),
            // What Bun's write does not take, it returns to the caller, who keeps it (Exchange.unsent).
            flushing: () => false,
            terminate: () => socket.terminate(),
            ref: () => socket.ref(),
            unref: () => socket.unref(),
          }),
        data: (_socket, data) => events.data(data),
        drain: () => events.drain(),
        close: (_socket, error) => events.close(error),
        end: () => events.end(),
        error: (_socket, error) => events.error(error),
        connectError: (_socket, error) => events.failed(error),
      },
      // The handlers above have said everything the promise would.
    }).catch(() => {});
    return () => {};
  };
}

/**
 * How long a connection may stay idle and still carry a request: less than the idle timeouts of the
 * load balancers put in front of Vault (60 s and more), which close a connection without a word to
 * the client, so that a request is rarely sent just as its connection is being closed. Also how long
 * after the handshake that checked the server's certificate a TLS session is resumed (nodeDialer).
 */
const MAX_IDLE_MS = 30_000;

/** A TLS session ticket, and when the handshake that checked the server's certificate for it was. */
export interface KeptSession {
  ticket: Buffer;
  checkedAt: number;
}

/**
 * The TLS session a dialer's connections resume, as https.Agent keeps one: the newest ticket of a
 * connection whose certificate was accepted. A resumed session is not checked again (its certificate
 * was), so it is offered only within MAX_IDLE_MS of the handshake that checked it, and a resumed
 * connection's tickets keep that time: `vaultenv renew` and --supervise check the server's
 * certificate anew at least as often as they open a connection after an idle one. `now` is a
 * monotonic clock in milliseconds.
 */
export class TlsSessions {
  readonly #now: () => number;
  #kept: KeptSession | undefined;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** The session a new connection offers, if any; `watch` follows that connection. */
  offer(): KeptSession | undefined {
    const kept = this.#kept;
    return kept !== undefined && this.#now() - kept.checkedAt < MAX_IDLE_MS ? kept : undefined;
  }

  /**
   * Follows one connection, which offered `offered`: `ticket` for each ticket the server sends,
   * `accepted` once its handshake passed the certificate checks (and whether the server resumed the
   * session offered). Only an accepted connection's tickets are kept, with the time of its check.
   */
  watch(offered: KeptSession | undefined): { ticket(received: Buffer): void; accepted(resumed: boolean): void } {
    let pending: Buffer | undefined;
    let accepted: number | undefined;
    return {
      ticket: (received) => {
        pending = received;
        if (accepted !== undefined) this.#kept = { ticket: received, checkedAt: accepted };
      },
      accepted: (resumed) => {
        accepted = resumed && offered !== undefined ? offered.checkedAt : this.#now();
        if (pending !== undefined) this.#kept = { ticket: pending, checkedAt: accepted };
      },
    };
  }
}

/**
 * Node's sockets (node:net, or node:tls with `tls`): Nagle off, as node:http sets it; a connection
 * being opened is destroyed when given up. Over TLS the certificate is checked as https.Agent checks
 * it (the host name from SNI, or the IP address), and ALPN says HTTP/1.1; `onSecure` hears which
 * protocol the server chose. `now` is a monotonic clock in milliseconds.
 */
export function nodeDialer(now: () => number, tlsSettings?: TlsSettings, onSecure?: (alpn: string | false | null) => void): Dialer {
  // Over TLS, as https.Agent does: one secure context for every connection (the CA and the client
  // certificate parsed once), and one session resumed by the connections after the first.
  let context: tls.SecureContext | undefined;
  const sessions = new TlsSessions(now);
  const connectTls = (settings: TlsSettings, host: string, port: number): tls.TLSSocket => {
    context ??= tls.createSecureContext(trustMaterial(settings));
    const servername = tlsServerName(host, settings.serverName);
    const offered = sessions.offer();
    const socket = tls.connect({
      host,
      port,
      ALPNProtocols: ['http/1.1'],
      rejectUnauthorized: settings.rejectUnauthorized,
      secureContext: context,
      ...(servername !== undefined ? { servername } : {}),
      ...(offered !== undefined ? { session: offered.ticket } : {}),
    });
    const watched = sessions.watch(offered);
    socket.on('session', (received: Buffer) => watched.ticket(received));
    socket.once('secureConnect', () => watched.accepted(socket.isSessionReused()));
    return socket;
  };
  return (host, port, events) => {
    let socket: net.Socket;
    try {
      socket = tlsSettings === undefined ? net.connect({ host, port, noDelay: true }) : connectTls(tlsSettings, host, port);
    } catch (error) {
      // Settings Node refuses before connecting (a key that does not parse, say): reported like a
      // failed connection, but not retried, as no attempt would get further.
      const code = errorCode(error) ?? 'unknown error';
      queueMicrotask(() => events.failed(new VaultFailure('invalid-request', `the connection could not be set up (${code})`)));
      return () => {};
    }
    if (tlsSettings !== undefined) socket.setNoDelay(true);
    // As https.Agent sets it: a connection whose peer vanished is found out while a request waits.
    socket.setKeepAlive(true, 1000);
    const failed = (error: Error) => events.failed(error);
    socket.once('error', failed);
    // A TLS connection can carry requests once its handshake is done.
    socket.once(tlsSettings === undefined ? 'connect' : 'secureConnect', () => {
      socket.off('error', failed);
      if (tlsSettings !== undefined) onSecure?.((socket as tls.TLSSocket).alpnProtocol);
      socket.on('data', (data: Buffer) => events.data(data));
      socket.on('drain', () => events.drain());
      socket.on('end', () => events.end());
      socket.on('error', (error) => events.error(error));
      socket.on('close', () => events.close());
      events.opened({
        // node:net takes every byte, queueing what the kernel does not.
        write: (data) => (socket.destroyed ? -1 : (socket.write(data), data.length)),
        flushing: () => socket.writableLength > 0,
        terminate: () => socket.destroy(),
        ref: () => socket.ref(),
        unref: () => socket.unref(),
      });
    });
    return () => socket.destroy();
  };
}

/** One request on a connection: how its answer, or its failure, reaches the caller. */
interface Exchange {
  reader: Http1AnswerReader;
  /** Bytes not yet taken by the socket (a full send buffer). */
  unsent: Buffer | undefined;
  settle: (outcome: { answer: Http1Answer } | { failure: VaultFailure }) => void;
}

/** One keep-alive connection. */
interface Connection {
  socket: PoolSocket;
  exchange: Exchange | undefined;
  closed: boolean;
  /** When it last became idle (options.now()). */
  idleSince: number;
}

/** A connection being opened. Abandoned by the request it was for, it no longer takes a slot. */
interface Attempt {
  abandoned: boolean;
  cancel(): void;
}

/** A request, from the moment it asks for a connection until it is answered or has failed. */
interface PendingRequest {
  readonly signal: AbortSignal | undefined;
  settled: boolean;
  /** The connection being opened for it, if it waits for one. */
  attempt: Attempt | undefined;
  /** The connection carrying it, once it has one. */
  connection: Connection | undefined;
  start(connection: Connection): void;
  /** Ends it with `reason`, wherever it is. */
  abort(reason: VaultFailure): void;
}

export function createSocketTransport(options: SocketTransportOptions, dial: Dialer): Transport {
  const hostname = stripBrackets(options.host);
  const host = bracketed(options.host);
  // As Node's http modules and fetch write it: the port is left out when it is the scheme's own.
  const hostHeader = options.port === (options.tls ? 443 : 80) ? host : `${host}:${options.port}`;
  const maxSockets = options.maxSockets === 0 ? Infinity : options.maxSockets;
  /** Connections open or being opened for a request: at most maxSockets. */
  let count = 0;
  /** Open connections carrying no request. */
  const idle: Connection[] = [];
  /** Requests waiting for a connection, first come first served. */
  const waiting: PendingRequest[] = [];
  const open = new Set<PendingRequest>();
  const watch = cancelOnAbort(open);
  let closing = false;

  /** Ends a connection for good; its exchange, if any, fails with `failure`. */
  const discard = (connection: Connection, failure?: VaultFailure) => {
    if (connection.closed) return;
    connection.closed = true;
    count--;
    const at = idle.indexOf(connection);
    if (at !== -1) idle.splice(at, 1);
    const exchange = connection.exchange;
    connection.exchange = undefined;
    connection.socket.terminate();
    if (exchange !== undefined) exchange.settle({ failure: failure ?? new VaultFailure('unreachable', 'connection reset') });
    serveWaiting();
  };

  /** The first request still waiting, if any. */
  const nextWaiting = (): PendingRequest | undefined => {
    for (let request = waiting.shift(); request !== undefined; request = waiting.shift()) if (!request.settled) return request;
    return undefined;
  };

  /** A slot is free: the first waiting request opens a connection in it. */
  const serveWaiting = () => {
    const next = closing ? undefined : nextWaiting();
    if (next !== undefined) openFor(next);
  };

  /** Hands a connection on after a whole answer: to the first waiting request, else to the idle list. */
  const release = (connection: Connection) => {
    if (closing) {
      discard(connection);
      return;
    }
    const next = nextWaiting();
    if (next !== undefined) {
      next.start(connection);
      return;
    }
    connection.socket.unref();
    connection.idleSince = options.now();
    idle.push(connection);
  };

  /**
   * Opens a connection for `request`. One the request gave up on (its time limit, its caller) is
   * cancelled and stops taking a slot at once; where it cannot be cancelled (Bun), it is kept when
   * it opens after all only if a slot is free then.
   */
  const openFor = (request: PendingRequest) => {
    count++;
    let connection: Connection | undefined;
    const attempt: Attempt = { abandoned: false, cancel: () => {} };
    request.attempt = attempt;
    attempt.cancel = dial(hostname, options.port, {
      ...events(() => connection),
      opened(socket) {
        connection = { socket, exchange: undefined, closed: false, idleSince: 0 };
        if (!attempt.abandoned) {
          request.attempt = undefined;
          request.start(connection);
        } else if (closing || count >= maxSockets) {
          connection.closed = true;
          socket.terminate();
        } else {
          count++;
          release(connection);
        }
      },
      failed(error) {
        if (attempt.abandoned) return;
        count--;
        request.attempt = undefined;
        request.abort(error instanceof VaultFailure ? error : transportFailure(error, options));
        serveWaiting();
      },
    });
  };

  const events = (connection: () => Connection | undefined): Omit<SocketEvents, 'opened' | 'failed'> => ({
    data(data) {
      const current = connection();
      const exchange = current?.exchange;
      if (current === undefined || exchange === undefined) {
        // Bytes nobody asked for: the connection cannot be trusted with a request.
        if (current !== undefined) discard(current);
        return;
      }
      let answer: Http1Answer | undefined;
      try {
        answer = exchange.reader.push(data);
      } catch (error) {
        discard(current, error instanceof VaultFailure ? error : undefined);
        return;
      }
      if (answer === undefined) return;
      current.exchange = undefined;
      exchange.settle({ answer });
      // Answered before the whole request was sent (a refusal of its size): the rest of it would
      // reach the server as the start of the next request.
      if (answer.reusable && exchange.unsent === undefined && !current.socket.flushing()) release(current);
      else discard(current);
    },
    drain() {
      const current = connection();
      const exchange = current?.exchange;
      if (current === undefined || exchange?.unsent === undefined) return;
      const rest = writeSome(current.socket, exchange.unsent);
      if (rest === null) discard(current);
      else exchange.unsent = rest;
    },
    close(error) {
      const current = connection();
      if (current !== undefined) finish(current, error);
    },
    end() {
      const current = connection();
      if (current !== undefined) finish(current, undefined);
    },
    error(error) {
      const current = connection();
      if (current !== undefined) discard(current, transportFailure(error, options));
    },
  });

  /** The connection ended: a body that runs until then is whole; anything else failed. */
  const finish = (connection: Connection, error: Error | undefined) => {
    const exchange = connection.exchange;
    if (exchange !== undefined && error === undefined) {
      let outcome: { answer: Http1Answer } | { failure: VaultFailure };
      try {
        outcome = { answer: exchange.reader.end() };
      } catch (failure) {
        outcome = { failure: failure instanceof VaultFailure ? failure : new VaultFailure('unreachable', 'connection reset') };
      }
      connection.exchange = undefined;
      exchange.settle(outcome);
    }
    discard(connection, error === undefined ? undefined : transportFailure(error, options));
  };

  function send({ method, path, headers, payload, limitMs, timedOut, signal }: WireRequest): Promise<WireAnswer> {
    const bytes = requestBytes(method, path, hostHeader, headers, payload);
    return new Promise<WireAnswer>((resolve, reject) => {
      const settle = (outcome: { answer: Http1Answer } | { failure: VaultFailure }) => {
        if (request.settled) return;
        request.settled = true;
        clearTimeout(timer);
        open.delete(request);
        if ('failure' in outcome) reject(outcome.failure);
        else resolve({ status: outcome.answer.status, body: outcome.answer.body, location: outcome.answer.location, retryAfter: outcome.answer.retryAfter });
      };
      const request: PendingRequest = {
        signal,
        settled: false,
        attempt: undefined,
        connection: undefined,
        start(connection) {
          if (request.settled) {
            // Ended while it waited: the connection goes to the next request.
            if (!connection.closed) release(connection);
            return;
          }
          connection.socket.ref();
          request.connection = connection;
          const exchange: Exchange = { reader: new Http1AnswerReader(), unsent: undefined, settle };
          connection.exchange = exchange;
          const rest = writeSome(connection.socket, bytes);
          if (rest === null) discard(connection);
          else exchange.unsent = rest;
        },
        abort(reason) {
          if (request.settled) return;
          const { attempt, connection } = request;
          if (attempt !== undefined) {
            attempt.abandoned = true;
            attempt.cancel();
            request.attempt = undefined;
            count--;
            serveWaiting();
          }
          if (connection?.exchange !== undefined) discard(connection, reason);
          else settle({ failure: reason });
        },
      };
      // The time limit covers the wait for a connection, connecting, sending and the whole answer.
      const timer = setTimeout(() => request.abort(timedOut()), limitMs);
      open.add(request);
      if (signal?.aborted === true || closing) {
        request.abort(cancelled());
        return;
      }
      if (signal !== undefined) watch(signal);
      let ready = idle.pop();
      while (ready !== undefined && options.now() - ready.idleSince > MAX_IDLE_MS) {
        discard(ready);
        ready = idle.pop();
      }
      if (ready !== undefined) request.start(ready);
      else if (count < maxSockets) openFor(request);
      else waiting.push(request);
    });
  }

  return {
    send,
    close() {
      closing = true;
      for (const request of open) request.abort(cancelled());
      for (const connection of idle.splice(0)) {
        connection.closed = true;
        count--;
        connection.socket.terminate();
      }
    },
  };
}

/** Writes what the socket takes of `bytes`; returns the rest, to write on `drain` (null: the socket is closed). */
function writeSome(socket: PoolSocket, bytes: Buffer): Buffer | undefined | null {
  const written = socket.write(bytes);
  if (written < 0) return null;
  return written >= bytes.length ? undefined : bytes.subarray(written);
}

