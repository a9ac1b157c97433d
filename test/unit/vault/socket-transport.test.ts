// The socket transport's own decisions, on sockets the test opens and answers by hand through the
// Dialer seam: which connection carries a request, and when one is kept for the next and when it is
// not; and which TLS session Node's connections resume. Requests against the real server, on Node's
// and Bun's sockets, are in test/integration/transports.test.ts (sessions resumed against a real
// TLS server: test/integration/http2.test.ts).

import { describe, expect, it } from 'vitest';
import { VaultFailure } from '../../../src/vault/failure.ts';
import { TlsSessions, createSocketTransport, type Dialer } from '../../../src/vault/socket-transport.ts';
import type { WireRequest } from '../../../src/vault/wire.ts';

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}';

/** A connection the test holds: what the transport wrote to it, and how to answer on it. */
interface Held {
  written: Buffer[];
  terminated: boolean;
  answer(text: string): void;
  drain(): void;
}

/**
 * A dialer whose connections open when the test says (`open`), each taking at most `takes` bytes a
 * write (the rest waits for `drain`), and still flushing while `flushing` is true.
 */
function scriptedDialer(socketOptions: { takes?: number; flushing?: boolean } = {}) {
  const attempts: Array<{ open: () => Held }> = [];
  const dial: Dialer = (_host, _port, events) => {
    attempts.push({
      open: () => {
        const held: Held = {
          written: [],
          terminated: false,
          answer: (text) => events.data(Buffer.from(text, 'latin1')),
          drain: () => events.drain(),
        };
        events.opened({
          write: (data) => {
            if (held.terminated) return -1;
            const taken = Math.min(data.length, socketOptions.takes ?? Infinity);
            held.written.push(Buffer.from(data.subarray(0, taken)));
            return taken;
          },
          flushing: () => socketOptions.flushing === true,
          terminate: () => {
            held.terminated = true;
          },
          ref: () => {},
          unref: () => {},
        });
        return held;
      },
    });
    return () => {};
  };
  return { dial, attempts };
}

function request(path = '/v1/secret/data/app'): WireRequest {
  return {
    method: 'GET',
    path,
    headers: { 'X-Vault-Token': 'test-token' },
    payload: undefined,
    limitMs: 5_000,
    timedOut: () => new VaultFailure('timeout', 'no answer within 5000 ms'),
    signal: undefined,
  };
}

/** Lets the promise callbacks already due run. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

function transport(dial: Dialer, options: { maxSockets?: number; now?: () => number } = {}) {
  return createSocketTransport({ host: '127.0.0.1', port: 8200, tls: false, maxSockets: options.maxSockets ?? 8, now: options.now ?? (() => 0) }, dial);
}

/** A transport on a scripted dialer whose first request (to `path`) is sent, on its connection opened. */
function firstRequest(socketOptions: Parameters<typeof scriptedDialer>[0] = {}, options: Parameters<typeof transport>[1] = {}, path?: string) {
  const { dial, attempts } = scriptedDialer(socketOptions);
  const client = transport(dial, options);
  const answered = client.send(request(path));
  return { client, attempts, answered, held: attempts[0]!.open() };
}

describe('the socket transport: which connection carries a request', () => {
  it('sends the next request on the connection a whole keep-alive answer left free', async () => {
    const { client, attempts, answered: first, held } = firstRequest({}, {}, '/v1/one');
    held.answer(OK);
    expect(await first).toMatchObject({ status: 200, body: '{}' });
    const second = client.send(request('/v1/two'));
    held.answer(OK);
    expect(await second).toMatchObject({ status: 200 });
    expect(attempts).toHaveLength(1);
    expect(Buffer.concat(held.written).toString('latin1')).toMatch(/^GET \/v1\/one HTTP\/1\.1\r\n[^]*\r\n\r\nGET \/v1\/two HTTP\/1\.1\r\n/);
    client.close();
  });

  it('writes what the socket did not take when it drains, and keeps the connection after the answer', async () => {
    const { client, attempts, answered, held } = firstRequest({ takes: 10 });
    for (let i = 0; i < 30; i++) held.drain();
    expect(Buffer.concat(held.written).toString('latin1')).toMatch(/^GET \/v1\/secret\/data\/app HTTP\/1\.1\r\n[^]*X-Vault-Token: test-token\r\n\r\n$/);
    held.answer(OK);
    expect(await answered).toMatchObject({ status: 200 });
    const next = client.send(request());
    expect(attempts).toHaveLength(1);
    held.answer(OK);
    await next;
    client.close();
  });

  it('does not reuse a connection answered before the whole request was sent: the rest would start the next request', async () => {
    const { client, attempts, answered, held } = firstRequest({ takes: 10 });
    held.answer('HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 0\r\n\r\n');
    expect(await answered).toMatchObject({ status: 413 });
    expect(held.terminated).toBe(true);
    const next = client.send(request());
    expect(attempts).toHaveLength(2);
    attempts[1]!.open().answer(OK);
    expect(await next).toMatchObject({ status: 200 });
    client.close();
  });

  it("does not reuse a connection whose bytes the runtime still holds (Node's socket flushing)", async () => {
    const { client, attempts, answered, held } = firstRequest({ flushing: true });
    held.answer(OK);
    await answered;
    expect(held.terminated).toBe(true);
    void client.send(request()).catch(() => {});
    expect(attempts).toHaveLength(2);
    client.close();
  });

  it('does not reuse a connection the answer closes, nor one that sent bytes nobody asked for', async () => {
    const { client, attempts, answered: first, held: closing } = firstRequest();
    closing.answer('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}');
    await first;
    expect(closing.terminated).toBe(true);

    const second = client.send(request());
    const chatty = attempts[1]!.open();
    chatty.answer(OK);
    await second;
    expect(chatty.terminated).toBe(false);
    chatty.answer('HTTP/1.1 200 OK\r\n');
    expect(chatty.terminated).toBe(true);
    void client.send(request()).catch(() => {});
    expect(attempts).toHaveLength(3);
    client.close();
  });

  it('does not send on a connection idle for longer than 30 s since its last answer', async () => {
    let now = 0;
    const { client, attempts, answered: first, held } = firstRequest({}, { now: () => now });
    held.answer(OK);
    await first;
    now += 29_000;
    const second = client.send(request());
    expect(attempts).toHaveLength(1);
    held.answer(OK);
    await second;
    // Idle since the last answer, not since it opened.
    now += 29_000;
    const third = client.send(request());
    expect(attempts).toHaveLength(1);
    held.answer(OK);
    await third;
    now += 30_001;
    void client.send(request()).catch(() => {});
    expect(held.terminated).toBe(true);
    expect(attempts).toHaveLength(2);
    client.close();
  });

  it('opens at most maxSockets connections; a request waits for one to be free', async () => {
    const { dial, attempts } = scriptedDialer();
    const client = transport(dial, { maxSockets: 2 });
    const answers = [client.send(request('/v1/a')), client.send(request('/v1/b')), client.send(request('/v1/c'))];
    expect(attempts).toHaveLength(2);
    const [a, b] = [attempts[0]!.open(), attempts[1]!.open()];
    b.answer(OK);
    await settled();
    expect(attempts).toHaveLength(2);
    expect(Buffer.concat(b.written).toString('latin1')).toContain('GET /v1/c HTTP/1.1');
    a.answer(OK);
    b.answer(OK);
    expect(await Promise.all(answers)).toHaveLength(3);
    client.close();
  });
});

describe('TlsSessions: the TLS session the next connection resumes', () => {
  const ticket = (n: number) => Buffer.from(`ticket-${n}`);

  /** Sessions on a clock the test sets, and a connection that offers what they offer, is accepted (resumed or not) and sends ticket `n`. */
  function clocked() {
    const clock = { now: 0 };
    const sessions = new TlsSessions(() => clock.now);
    const connect = (n: number, resumed = false) => {
      const watched = sessions.watch(sessions.offer());
      watched.accepted(resumed);
      watched.ticket(ticket(n));
    };
    return { clock, sessions, connect };
  }

  it('keeps a ticket only from a connection whose certificate was accepted, sent before or after', () => {
    const sessions = new TlsSessions(() => 0);
    expect(sessions.offer()).toBeUndefined();
    const refused = sessions.watch(undefined);
    refused.ticket(ticket(1));
    expect(sessions.offer()).toBeUndefined();
    const before = sessions.watch(undefined);
    before.ticket(ticket(2));
    before.accepted(false);
    expect(sessions.offer()?.ticket).toEqual(ticket(2));
    before.ticket(ticket(3));
    expect(sessions.offer()?.ticket).toEqual(ticket(3));
  });

  it('offers a session for 30 s after the handshake that checked the certificate, not after', () => {
    const { clock, sessions, connect } = clocked();
    clock.now = 1_000;
    connect(1);
    clock.now += 29_999;
    expect(sessions.offer()).toEqual({ ticket: ticket(1), checkedAt: 1_000 });
    clock.now += 1;
    expect(sessions.offer()).toBeUndefined();
  });

  it("keeps a resumed connection's tickets with the time of the check it resumed, so resuming cannot extend it", () => {
    const { clock, sessions, connect } = clocked();
    connect(1);
    clock.now = 20_000;
    connect(2, true);
    expect(sessions.offer()).toEqual({ ticket: ticket(2), checkedAt: 0 });
    clock.now = 30_000;
    expect(sessions.offer()).toBeUndefined();
  });

  it('a connection that offered a session the server did not resume checked the certificate itself: its time', () => {
    const { clock, sessions, connect } = clocked();
    connect(1);
    clock.now = 20_000;
    connect(2, false);
    clock.now = 49_999;
    expect(sessions.offer()).toEqual({ ticket: ticket(2), checkedAt: 20_000 });
  });
});
