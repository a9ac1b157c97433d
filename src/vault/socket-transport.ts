// Plain-HTTP requests of the single executable, over Bun's own TCP sockets (Bun.connect), in the
// HTTP/1.1 of http1.ts. Bun's fetch hands every request to its HTTP thread and back, and builds a
// Request, a Response and a Headers for it: that is most of a run's own work at hundreds of paths,
// and on two cores it is taken from the server (docs/bench.md, "Bun's sockets for plain HTTP").
// Here a request is one write and its answer is read on the thread that asked. TLS stays on fetch
// (fetch-transport.ts), whose handshake and certificate checks this file does not redo.
//
// Keep-alive connections, at most `maxSockets` (0: no limit), each carrying one request at a time; a
// request waits for a free one within its own time limit. A connection is reused only after a whole,
// well-formed answer that allows it; anything else closes it. Redirects are returned, not followed,
// and the time and size limits are those of the other transports.

import { VaultFailure } from './failure.ts';
import { Http1AnswerReader, requestBytes, type Http1Answer } from './http1.ts';
import { stripBrackets, transportFailure, type Transport, type WireAnswer, type WireEndpoint, type WireRequest } from './wire.ts';

export interface SocketTransportOptions extends WireEndpoint {
  /** 0 means no limit. */
  maxSockets: number;
}

/** What is used of a socket of Bun.connect. */
interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
  ref(): void;
  unref(): void;
}

interface BunSocketHandler {
  open(socket: BunSocket): void;
  data(socket: BunSocket, data: Buffer): void;
  drain(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  end(socket: BunSocket): void;
  error(socket: BunSocket, error: Error): void;
  connectError(socket: BunSocket, error: Error): void;
}

type BunConnect = (options: { hostname: string; port: number; socket: BunSocketHandler }) => Promise<BunSocket>;

/** One request on a connection: how its answer, or its failure, reaches the caller. */
interface Exchange {
  reader: Http1AnswerReader;
  /** Bytes not yet taken by the socket (a full send buffer). */
  unsent: Buffer | undefined;
  settle: (outcome: { answer: Http1Answer } | { failure: VaultFailure }) => void;
}

/** A request waiting for a connection. */
interface Waiter {
  give: (connection: Connection) => void;
  fail: (failure: unknown) => void;
}

/** One keep-alive connection. */
interface Connection {
  socket: BunSocket;
  exchange: Exchange | undefined;
  closed: boolean;
}

/** A request in flight or waiting for a connection: the caller's signal, and how to end it. */
interface Flight {
  readonly signal: AbortSignal | undefined;
  readonly abort: (reason: VaultFailure) => void;
}

export function createSocketTransport(options: SocketTransportOptions): Transport {
  const connect = (globalThis as { Bun?: { connect?: BunConnect } }).Bun?.connect;
  if (connect === undefined) throw new Error('the socket transport needs Bun');
  const hostname = stripBrackets(options.host);
  const hostHeader = `${options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host}:${options.port}`;
  const maxSockets = options.maxSockets === 0 ? Infinity : options.maxSockets;
  /** Open connections, idle ones at the end of `idle`. */
  let count = 0;
  const idle: Connection[] = [];
  /** Requests waiting for a connection, first come first served. */
  const waiting: Waiter[] = [];
  const open = new Set<Flight>();
  // One listener per caller's signal (a run has one), as in fetch-transport.ts.
  const watched = new WeakSet<AbortSignal>();
  const watch = (signal: AbortSignal) => {
    if (watched.has(signal)) return;
    watched.add(signal);
    signal.addEventListener(
      'abort',
      () => {
        for (const flight of open) if (flight.signal === signal) flight.abort(cancelled(options));
      },
      { once: true },
    );
  };
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

  /** A slot is free: the first waiting request opens a connection in it. */
  const serveWaiting = () => {
    const next = closing ? undefined : waiting.shift();
    if (next !== undefined) openConnection().then(next.give, next.fail);
  };

  /** Hands a connection back after a whole answer: to the first waiting request, else to the idle list. */
  const release = (connection: Connection) => {
    if (closing) {
      discard(connection);
      return;
    }
    const next = waiting.shift();
    if (next !== undefined) {
      next.give(connection);
      return;
    }
    connection.socket.unref();
    idle.push(connection);
  };

  const handler = (connection: () => Connection | undefined): BunSocketHandler => ({
    open() {},
    data(_socket, data) {
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
      if (answer.reusable && exchange.unsent === undefined) release(current);
      else discard(current);
    },
    drain(socket) {
      const current = connection();
      const exchange = current?.exchange;
      if (current === undefined || exchange?.unsent === undefined) return;
      const rest = writeSome(socket, exchange.unsent);
      if (rest === null) discard(current);
      else exchange.unsent = rest;
    },
    close(_socket, error) {
      const current = connection();
      if (current === undefined) return;
      finish(current, error);
    },
    end() {
      const current = connection();
      if (current !== undefined) finish(current, undefined);
    },
    error(_socket, error) {
      const current = connection();
      if (current !== undefined) discard(current, transportFailure(error, options));
    },
    connectError() {},
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

  const openConnection = async (): Promise<Connection> => {
    count++;
    let connection: Connection | undefined;
    try {
      const socket = await connect({ hostname, port: options.port, socket: handler(() => connection) });
      connection = { socket, exchange: undefined, closed: false };
      return connection;
    } catch (error) {
      count--;
      serveWaiting();
      throw transportFailure(error, options);
    }
  };

  /** A connection for one request: an idle one, a new one, or the first one freed. */
  const acquire = (): Promise<Connection> | Connection => {
    for (let connection = idle.pop(); connection !== undefined; connection = idle.pop()) {
      if (!connection.closed) {
        connection.socket.ref();
        return connection;
      }
    }
    if (count < maxSockets) return openConnection();
    return new Promise((give, fail) => waiting.push({ give, fail }));
  };

  function send({ method, path, headers, payload, limitMs, timedOut, signal }: WireRequest): Promise<WireAnswer> {
    const bytes = requestBytes(method, path, hostHeader, headers, payload);
    return new Promise<WireAnswer>((resolve, reject) => {
      let settled = false;
      let connection: Connection | undefined;
      const flight: Flight = {
        signal,
        abort: (reason) => {
          if (settled) return;
          if (connection?.exchange !== undefined) discard(connection, reason);
          else settle({ failure: reason });
        },
      };
      const settle = (outcome: { answer: Http1Answer } | { failure: VaultFailure }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        open.delete(flight);
        if ('failure' in outcome) reject(outcome.failure);
        else resolve({ status: outcome.answer.status, body: outcome.answer.body, location: outcome.answer.location, retryAfter: outcome.answer.retryAfter });
      };
      // The time limit covers the wait for a connection, connecting, sending and the whole answer.
      const timer = setTimeout(() => flight.abort(timedOut()), limitMs);
      open.add(flight);
      if (signal?.aborted === true || closing) {
        flight.abort(cancelled(options));
        return;
      }
      if (signal !== undefined) watch(signal);
      const start = (given: Connection) => {
        if (settled) {
          // Ended while it waited (time limit, cancelled): the connection goes to the next request.
          if (!given.closed) release(given);
          return;
        }
        connection = given;
        const exchange: Exchange = { reader: new Http1AnswerReader(), unsent: undefined, settle };
        given.exchange = exchange;
        const rest = writeSome(given.socket, bytes);
        if (rest === null) discard(given);
        else exchange.unsent = rest;
      };
      const got = acquire();
      if ('then' in got) got.then(start, (failure: unknown) => settle({ failure: failure instanceof VaultFailure ? failure : new VaultFailure('unreachable', 'connection failed') }));
      else start(got);
    });
  }

  return {
    send,
    close() {
      closing = true;
      for (const flight of open) flight.abort(cancelled(options));
      for (const connection of idle.splice(0)) {
        connection.closed = true;
        count--;
        connection.socket.terminate();
      }
    },
  };
}

/** Writes what the socket takes of `bytes`; returns the rest, to write on `drain` (null: the socket is closed). */
function writeSome(socket: BunSocket, bytes: Buffer): Buffer | undefined | null {
  const written = socket.write(bytes);
  if (written < 0) return null;
  return written >= bytes.length ? undefined : bytes.subarray(written);
}

/** What a request cancelled by its caller, or by close(), fails with. */
function cancelled(options: WireEndpoint): VaultFailure {
  return transportFailure(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }), options);
}
