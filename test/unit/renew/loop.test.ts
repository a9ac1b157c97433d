// The renew loop's control flow with an injected clock (no waiting) and a stub of our own VaultHttp
// interface that plays canned answers: backoff on transient failures, abort, --once, exit codes.
// What Vault really answers, and that a token really stays alive, is proved against a real OpenBao
// in test/integration/renew.test.ts.

import { describe, expect, it } from 'vitest';
import { ConfigError, VaultenvError, renderError } from '../../../src/errors.ts';
import { runRenewer, type RenewClock, type RenewDeps, type RenewLoopConfig } from '../../../src/renew/loop.ts';
import { VaultFailure, failureForStatus } from '../../../src/vault/failure.ts';
import type { VaultHttp, VaultResponse } from '../../../src/vault/http.ts';

const TOKEN_A = 'hvs.token-a-never-printed';
const TOKEN_B = 'hvs.token-b-never-printed';

type Answer = VaultFailure | { ttl: number; creationTtl?: number; renewable?: boolean; accessor?: string } | { renewedTo: number } | 'hang';

interface Sent {
  method: string;
  path: string;
  body: unknown;
  token: string | undefined;
}

/** Plays `answers` in order; when they run out, aborts the run (the test's way to end a loop). */
function stubClient(answers: Answer[], controller: AbortController): VaultHttp & { sent: Sent[] } {
  const sent: Sent[] = [];
  let token: string | undefined;
  return {
    sent,
    get requestsSent() {
      return sent.length;
    },
    close() {},
    setToken(t) {
      token = t;
    },
    request(method, path, options = {}): Promise<VaultResponse> {
      sent.push({ method, path, body: options.body, token });
      const answer = answers.shift();
      if (answer === undefined) {
        controller.abort();
        return Promise.reject(new VaultFailure('cancelled', 'request cancelled'));
      }
      if (answer === 'hang') {
        return new Promise((_, reject) => {
          const cancel = () => reject(new VaultFailure('cancelled', 'request cancelled'));
          if (options.signal?.aborted) cancel();
          options.signal?.addEventListener('abort', cancel);
        });
      }
      if (answer instanceof VaultFailure) return Promise.reject(answer);
      if ('renewedTo' in answer) {
        return Promise.resolve({ status: 200, body: JSON.stringify({ auth: { client_token: token, lease_duration: answer.renewedTo } }) });
      }
      const data = {
        accessor: answer.accessor ?? 'ACCESSORaaaaaaaaaaaaaaaa',
        id: token,
        ttl: answer.ttl,
        creation_ttl: answer.creationTtl ?? 10,
        renewable: answer.renewable ?? true,
        expire_time: answer.ttl === 0 && (answer.creationTtl ?? 10) === 0 ? null : '2030-01-01T00:00:00Z',
      };
      return Promise.resolve({ status: 200, body: JSON.stringify({ data }) });
    },
  };
}

function fakeClock(onSleep: (ms: number) => void = () => {}): RenewClock & { sleeps: number[]; time: number } {
  const clock = {
    sleeps: [] as number[],
    time: 1_000_000,
    now: () => clock.time,
    sleep(ms: number, signal: AbortSignal) {
      clock.sleeps.push(ms);
      clock.time += ms;
      onSleep(ms);
      void signal;
      return Promise.resolve();
    },
    random: () => 0.5,
  };
  return clock;
}

function recorder() {
  const lines: { level: 'info' | 'warn' | 'error'; msg: string }[] = [];
  return {
    lines,
    text: () => lines.map((l) => `${l.level}: ${l.msg}`).join('\n'),
    log: {
      info: (msg: string) => lines.push({ level: 'info', msg }),
      warn: (msg: string) => lines.push({ level: 'warn', msg }),
      error: (msg: string) => lines.push({ level: 'error', msg }),
    },
  };
}

/**
 * Runs the loop to its end: 0 when it returns; when it rejects, the error's exit code, and its line as
 * cli/main.ts prints it (without the `vaultenv: ` prefix) recorded as an 'error' line.
 */
async function outcome(config: RenewLoopConfig, deps: RenewDeps & { log: { error?(msg: string): void } }): Promise<number> {
  try {
    await runRenewer(config, deps);
    return 0;
  } catch (error) {
    if (!(error instanceof VaultenvError)) throw error;
    deps.log.error?.(renderError(error).text.replace(/^vaultenv: /, '').trimEnd());
    return error.exitCode;
  }
}

const LOOKUP_SELF_PATH = '/v1/auth/token/lookup-self';
const RENEW_SELF_PATH = '/v1/auth/token/renew-self';

const LOOP: RenewLoopConfig = { intervalMs: 500, renewFraction: 0.5, once: false, retryBaseDelayMs: 100, retryAttempts: 3 };
const ONCE: RenewLoopConfig = { ...LOOP, once: true };

function setup(answers: Answer[], options: { tokens?: (string | undefined | Error)[]; onSleep?: (ms: number, controller: AbortController) => void } = {}) {
  const controller = new AbortController();
  const client = stubClient(answers, controller);
  const clock = fakeClock((ms) => options.onSleep?.(ms, controller));
  const out = recorder();
  const tokens = options.tokens ?? [TOKEN_A];
  let reads = 0;
  const readToken = () => {
    const next = tokens[Math.min(reads++, tokens.length - 1)];
    if (next instanceof Error) return Promise.reject(next);
    return Promise.resolve({ token: next, origin: 'token file /run/token' });
  };
  const deps = { client, readToken, clock, log: out.log, signal: controller.signal };
  return { controller, client, clock, out, deps, reads: () => reads };
}

const unreachable = () => new VaultFailure('unreachable', 'connection refused');

describe('the renew loop', () => {
  it('keeps going through connection errors, 5xx and timeouts with full-jitter backoff capped at the interval', async () => {
    const { client, clock, out, deps } = setup([
      unreachable(),
      failureForStatus(503, ['Vault is sealed']),
      new VaultFailure('timeout', 'no answer within 1000 ms'),
      failureForStatus(500, []),
      unreachable(),
      { ttl: 8 },
    ]);
    expect(await outcome(LOOP, deps)).toBe(0);
    // random 0.5, base 100: 75, 150, 300, then 600 and 1200 capped at 500; after the success, the interval.
    expect(clock.sleeps).toEqual([75, 150, 300, 500, 500, 500]);
    const warnings = out.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings).toEqual([
      'token lookup failed: connection refused; retrying in 75 ms',
      'token lookup failed: HTTP 503: Vault says "Vault is sealed"; retrying in 150 ms',
      'token lookup failed: no answer within 1000 ms; retrying in 300 ms',
      'token lookup failed: HTTP 500; retrying in 500 ms',
      'token lookup failed: connection refused; retrying in 500 ms',
    ]);
    expect(out.text()).toContain('Vault answered again after 5 failed attempts');
    // Every attempt re-reads the token and looks it up again.
    expect(client.sent.filter((s) => s.path === LOOKUP_SELF_PATH)).toHaveLength(7);
  });

  it("waits what a 429's Retry-After asks for (with its spread) instead of the backoff, capped at the interval", async () => {
    const { clock, deps } = setup([failureForStatus(429, [], '0'), failureForStatus(429, [], '2'), { ttl: 8 }]);
    expect(await outcome({ ...LOOP, intervalMs: 10_000 }, deps)).toBe(0);
    // random 0.5: Retry-After 0 waits 500 ms, Retry-After 2 waits 3 s; then the check when the token is due (ttl 8 of 10: in 3 s).
    expect(clock.sleeps).toEqual([500, 3_000, 3_000]);
    const capped = setup([failureForStatus(429, [], '2'), { ttl: 8 }]);
    expect(await outcome(LOOP, capped.deps)).toBe(0);
    expect(capped.clock.sleeps).toEqual([500, 500]);
  });

  it('restarts the backoff after a success', async () => {
    const { clock, deps } = setup([unreachable(), unreachable(), { ttl: 8 }, unreachable(), { ttl: 8 }]);
    expect(await outcome(LOOP, deps)).toBe(0);
    expect(clock.sleeps).toEqual([75, 150, 500, 75, 500]);
  });

  it('retries a failed renewal by starting the check over', async () => {
    const { client, deps } = setup([{ ttl: 4 }, failureForStatus(502, []), { ttl: 4 }, { renewedTo: 10 }]);
    expect(await outcome(LOOP, deps)).toBe(0);
    expect(client.sent.slice(0, 4).map((s) => `${s.method} ${s.path}`)).toEqual([
      `GET ${LOOKUP_SELF_PATH}`,
      `POST ${RENEW_SELF_PATH}`,
      `GET ${LOOKUP_SELF_PATH}`,
      `POST ${RENEW_SELF_PATH}`,
    ]);
  });

  it('checks every interval, less the time the check took, and sooner when the token would cross the threshold first', async () => {
    const { clock, deps } = setup([{ ttl: 100, creationTtl: 100 }, { ttl: 50, creationTtl: 60 }, { ttl: 31, creationTtl: 60 }], {});
    const slowConfig = { ...LOOP, intervalMs: 10_000 };
    // The first check takes 1.2 s of the clock.
    const request = deps.client.request.bind(deps.client);
    let first = true;
    deps.client.request = (...args) => {
      if (first) clock.time += 1200;
      first = false;
      return request(...args);
    };
    expect(await outcome(slowConfig, deps)).toBe(0);
    // 10 s less 1.2 s; 20 s to the threshold → the interval; 1 s to the threshold → 1 s.
    expect(clock.sleeps).toEqual([8800, 10_000, 1000]);
  });

  it('stops at once when aborted during the sleep, and returns 0', async () => {
    const { client, deps } = setup([{ ttl: 8 }, { ttl: 8 }], { onSleep: (_, c) => c.abort() });
    expect(await outcome(LOOP, deps)).toBe(0);
    expect(client.sent).toHaveLength(1);
  });

  it('stops at once when aborted during a request, and returns 0', async () => {
    const { client, deps, controller } = setup(['hang']);
    const run = outcome(LOOP, deps);
    while (client.sent.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    expect(await run).toBe(0);
    expect(client.sent).toHaveLength(1);
  });

  it('does not start when already aborted', async () => {
    const { client, deps, controller } = setup([{ ttl: 8 }]);
    controller.abort();
    expect(await outcome(LOOP, deps)).toBe(0);
    expect(client.sent).toHaveLength(0);
  });

  it('re-reads the token every cycle and sends the one read', async () => {
    const { client, deps, reads } = setup([{ ttl: 8 }, { ttl: 8, accessor: 'BBBBBBBBBBBBBBBBBBBBBBBB' }, { ttl: 4, accessor: 'BBBBBBBBBBBBBBBBBBBBBBBB' }, { renewedTo: 10 }], {
      tokens: [TOKEN_A, TOKEN_B],
    });
    expect(await outcome(LOOP, deps)).toBe(0);
    expect(client.sent.map((s) => s.token)).toEqual([TOKEN_A, TOKEN_B, TOKEN_B, TOKEN_B, TOKEN_B]);
    expect(reads()).toBe(4);
  });

  it('keeps renewing the token read before when the source cannot be read for a moment', async () => {
    const { client, out, deps } = setup([{ ttl: 8 }, { ttl: 4 }, { renewedTo: 10 }], {
      tokens: [TOKEN_A, new ConfigError('cannot read the token file', { input: '/run/token' }), undefined],
    });
    expect(await outcome(LOOP, deps)).toBe(0);
    expect(client.sent.map((s) => s.token)).toEqual([TOKEN_A, TOKEN_A, TOKEN_A, TOKEN_A]);
    expect(out.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'could not read the token: cannot read the token file; renewing the one read before',
      'no token in token file /run/token now; renewing the one read before',
    ]);
  });

  it('logs a token that never expires once, and keeps checking', async () => {
    const { client, clock, out, deps } = setup([{ ttl: 0, creationTtl: 0, renewable: false }, { ttl: 0, creationTtl: 0, renewable: false }]);
    expect(await outcome(LOOP, deps)).toBe(0);
    expect(client.sent.filter((s) => s.path === RENEW_SELF_PATH)).toHaveLength(0);
    expect(out.lines.filter((l) => /never expires/.test(l.msg))).toHaveLength(1);
    expect(clock.sleeps).toEqual([500, 500]);
  });

  it('renews less and less often as a maximum TTL limits the renewals, then only watches the token', async () => {
    const { client, clock, out, deps } = setup([
      { ttl: 50, creationTtl: 100 }, // due at 50 of 100
      { renewedTo: 60 }, // limited: from now on the threshold is half of 60
      { ttl: 40, creationTtl: 100 }, // not due any more (40 > 30)
      { ttl: 30, creationTtl: 100 },
      { renewedTo: 30 }, // gained nothing: capped
      { ttl: 10, creationTtl: 100 }, // due (10 <= 15), but no renewal is tried
      failureForStatus(403, ['permission denied']),
    ]);
    expect(await outcome({ ...LOOP, intervalMs: 10_000 }, deps)).toBe(4);
    expect(client.sent.filter((s) => s.path === RENEW_SELF_PATH)).toHaveLength(2);
    expect(clock.sleeps).toEqual([10_000, 10_000, 10_000, 10_000]);
    expect(out.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(out.text()).toMatch(/warn: the token \([^)]*\) was renewed for 60s only, less than its 100s: a maximum TTL limits it/);
    expect(out.lines.at(-1)?.msg).toMatch(/^the token expired: it reached its maximum TTL/);
  });

  it("takes Vault's 500 \"past the max TTL\" as the end of renewals, not as a failure to retry", async () => {
    const { client, clock, out, deps } = setup([{ ttl: 1 }, failureForStatus(500, ['past the max TTL, cannot renew']), { ttl: 1 }]);
    expect(await outcome(LOOP, deps)).toBe(0);
    expect(client.sent.filter((s) => s.path === RENEW_SELF_PATH)).toHaveLength(1);
    expect(clock.sleeps).toEqual([500, 500]);
    expect(out.text()).toMatch(/warn: the token \([^)]*\) reached its maximum TTL: it expires in 1s/);
  });

  it('watches a token it renewed that Vault now calls not renewable (its maximum TTL) until it expires', async () => {
    const { out, deps } = setup([{ ttl: 1 }, { renewedTo: 10 }, { ttl: 1, renewable: false }, { ttl: 0, renewable: false }, failureForStatus(403, ['permission denied'])]);
    expect(await outcome(LOOP, deps)).toBe(4);
    expect(out.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      expect.stringMatching(/^the token \([^)]*\) reached its maximum TTL: it expires in 1s and cannot be renewed/) as unknown,
    ]);
    expect(out.lines.at(-1)?.msg).toMatch(/^the token expired: it reached its maximum TTL/);
  });

  it('never logs a token', async () => {
    const { out, deps } = setup([unreachable(), { ttl: 8 }, { ttl: 4, accessor: 'ZZZZZZZZZZZZZZZZ' }, { renewedTo: 10 }, failureForStatus(403, ['permission denied'])], {
      tokens: [TOKEN_A, TOKEN_B],
    });
    expect(await outcome(LOOP, deps)).toBe(4);
    expect(out.text()).not.toContain(TOKEN_A);
    expect(out.text()).not.toContain(TOKEN_B);
    expect(out.text()).toContain('renewed token (token file /run/token, accessor ZZZZZZZZ…): ttl 4s -> 10s');
  });
});

describe('exit codes', () => {
  it('4 when there is no token, without asking Vault', async () => {
    const { client, out, deps } = setup([], { tokens: [undefined] });
    expect(await outcome(LOOP, deps)).toBe(4);
    expect(client.sent).toHaveLength(0);
    expect(out.lines).toEqual([{ level: 'error', msg: expect.stringMatching(/^no token to renew \(token file \/run\/token\)\. Give the token .*vault-token/) as unknown }]);
  });

  it('the error code of a token source that fails at the start', async () => {
    const { deps } = setup([], { tokens: [new ConfigError('token file /run/token is not a token', { input: '/run/token' })] });
    expect(await outcome(LOOP, deps)).toBe(2);
  });

  it('4 when the lookup is refused (expired or revoked)', async () => {
    const { out, deps } = setup([{ ttl: 8 }, failureForStatus(403, ['permission denied'])]);
    expect(await outcome(LOOP, deps)).toBe(4);
    expect(out.lines.at(-1)).toMatchObject({ level: 'error', msg: expect.stringMatching(/^the token is expired or revoked .*restart the pod/) as unknown });
  });

  it('4 when the renewal is refused', async () => {
    const { out, deps } = setup([{ ttl: 4 }, failureForStatus(403, ['permission denied'])]);
    expect(await outcome(LOOP, deps)).toBe(4);
    expect(out.lines.at(-1)?.msg).toMatch(/^the token is expired or revoked .*Vault refused to renew it/);
  });

  it('4 when the token is not renewable', async () => {
    const { client, out, deps } = setup([{ ttl: 8, renewable: false }]);
    expect(await outcome(LOOP, deps)).toBe(4);
    expect(client.sent).toHaveLength(1);
    expect(out.lines.at(-1)?.msg).toMatch(/^the token is not renewable \(token file \/run\/token, accessor ACCESSOR…\)\. .*restart the pod/);
  });

  it('6 on an answer no retry can fix (TLS, 404)', async () => {
    const { out, deps } = setup([new VaultFailure('tls', 'certificate has expired')]);
    expect(await outcome(LOOP, deps)).toBe(6);
    expect(out.lines).toEqual([{ level: 'error', msg: expect.stringMatching(/^token lookup failed: certificate has expired .*Check the CA/) as unknown }]);
    const notFound = setup([failureForStatus(404, [])]);
    expect(await outcome(LOOP, notFound.deps)).toBe(6);
    expect(notFound.out.lines.at(-1)?.msg).toMatch(/^token lookup failed: HTTP 404 .*a proxy or load balancer/);
  });

  it('6 at once for a token Node refuses to send (a control character), with a hint about the token, not the proxy', async () => {
    const { client, out, deps } = setup([new VaultFailure('invalid-request', 'invalid character in a request header (token or namespace)')]);
    expect(await outcome(LOOP, deps)).toBe(6);
    expect(client.sent).toHaveLength(1);
    expect(out.lines.at(-1)?.msg).toMatch(/^token lookup failed: invalid character in a request header \(token or namespace\) .*control characters/);
  });

  it('6 at once for an address whose scheme the server does not speak, naming the address and what to write', async () => {
    const failure = new VaultFailure('plain-http', 'the server speaks plain HTTP: use http://', [], { input: 'https://vault:8200' });
    const { client, out, deps } = setup([failure]);
    expect(await outcome(LOOP, deps)).toBe(6);
    expect(client.sent).toHaveLength(1);
    expect(out.lines.at(-1)?.msg).toBe(
      'token lookup failed: the server speaks plain HTTP: use http:// (https://vault:8200). ' +
        'Write the address with http:// (VAULT_ADDR, --addr), or give --no-connect-tls with --host and --port',
    );
  });
});

describe('--once', () => {
  it('renews a token that is due with one POST of {} and exits 0', async () => {
    const { client, clock, out, deps } = setup([{ ttl: 4 }, { renewedTo: 10 }]);
    expect(await outcome(ONCE, deps)).toBe(0);
    expect(client.sent.map((s) => [s.method, s.path, s.body])).toEqual([
      ['GET', LOOKUP_SELF_PATH, undefined],
      ['POST', RENEW_SELF_PATH, {}],
    ]);
    expect(clock.sleeps).toEqual([]);
    expect(out.lines).toEqual([{ level: 'info', msg: 'renewed token (token file /run/token, accessor ACCESSOR…): ttl 4s -> 10s' }]);
  });

  it('exits 0 without renewing a token that is not due, or never expires', async () => {
    for (const answer of [{ ttl: 8 }, { ttl: 0, creationTtl: 0, renewable: false }]) {
      const { client, deps } = setup([answer]);
      expect(await outcome(ONCE, deps)).toBe(0);
      expect(client.sent).toHaveLength(1);
    }
  });

  it('retries transient failures retryAttempts times, then exits 6', async () => {
    const { client, clock, out, deps } = setup([unreachable(), unreachable(), unreachable(), unreachable(), { ttl: 8 }]);
    expect(await outcome(ONCE, deps)).toBe(6);
    expect(client.sent).toHaveLength(4);
    expect(clock.sleeps).toEqual([75, 150, 300]);
    expect(out.lines.map((l) => l.msg)).toEqual([
      'token lookup failed: connection refused; retry 1 of 3 in 75 ms',
      'token lookup failed: connection refused; retry 2 of 3 in 150 ms',
      'token lookup failed: connection refused; retry 3 of 3 in 300 ms',
      expect.stringMatching(/^token lookup failed: connection refused \(after 3 retries\)\. Check that Vault is reachable/) as unknown,
    ]);
  });

  it('succeeds within its retries', async () => {
    const { deps } = setup([unreachable(), { ttl: 4 }, { renewedTo: 10 }]);
    expect(await outcome(ONCE, deps)).toBe(0);
  });
});
