// fetchSecrets' control flow against a stub of our own VaultHttp interface (no server): the limiter,
// and what happens to the requests still in flight when one fails. Real-server behaviour is in
// test/integration/wrapper.test.ts.
import { describe, expect, it } from 'vitest';
import { SecretMissingError } from '../../../src/errors.ts';
import type { SecretRef } from '../../../src/secrets-file/secret-ref.ts';
import { VaultFailure, failureForStatus } from '../../../src/vault/failure.ts';
import { createLimiter, fetchSecrets, type FetchOptions, type SecretRead } from '../../../src/vault/fetch.ts';
import type { VaultHttp, VaultResponse } from '../../../src/vault/http.ts';
import { rejected } from '../../helpers/thrown.ts';

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Counts the tasks running at once. */
function gauge() {
  let running = 0;
  const state = { max: 0 };
  return {
    state,
    enter() {
      running++;
      state.max = Math.max(state.max, running);
    },
    leave() {
      running--;
    },
  };
}

describe('createLimiter', () => {
  it('hands a finished slot to the waiting task, so a newcomer arriving at that moment waits (never limit + 1)', async () => {
    const limit = createLimiter(1);
    const g = gauge();
    const gateA = deferred();
    const gateB = deferred();
    const gateC = deferred();
    const a = limit(() => {
      g.enter();
      return gateA.promise;
    });
    const b = limit(async () => {
      g.enter();
      await gateB.promise;
      g.leave();
      return 'b';
    });
    // Registered after the limiter awaits A's promise: it runs right after A's slot is released,
    // before the woken B resumes. That is where a newcomer could slip in.
    let c: Promise<string> | undefined;
    void gateA.promise.then(() => {
      g.leave();
      c = limit(async () => {
        g.enter();
        await gateC.promise;
        g.leave();
        return 'c';
      });
    });
    gateA.resolve();
    await a;
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(g.state.max).toBe(1);
    gateB.resolve();
    gateC.resolve();
    expect(await b).toBe('b');
    expect(await c).toBe('c');
    expect(g.state.max).toBe(1);
  });

  it.each([1, 2, 3])('with staggered acquisitions and releases never runs more than %i at once, and runs every task', async (max) => {
    const limit = createLimiter(max);
    const g = gauge();
    const done: number[] = [];
    const later: Promise<number>[] = [];
    const task = (n: number) => async () => {
      g.enter();
      for (let hop = 0; hop < n % 4; hop++) await Promise.resolve();
      await new Promise((resolve) => setTimeout(resolve, n % 3));
      g.leave();
      done.push(n);
      // Some tasks start another as they finish, at the moment their slot is handed on.
      if (n < 20 && n % 2 === 0) later.push(limit(task(n + 100)));
      return n;
    };
    const first = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        await new Promise((resolve) => setTimeout(resolve, n % 5));
        return limit(task(n));
      }),
    );
    expect(first).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(await Promise.all(later)).toHaveLength(10);
    expect(done).toHaveLength(30);
    expect(g.state.max).toBe(max);
  });

  it('0 means no limit', async () => {
    const limit = createLimiter(0);
    const g = gauge();
    const gate = deferred();
    const all = Promise.all(
      Array.from({ length: 50 }, () =>
        limit(async () => {
          g.enter();
          await gate.promise;
          g.leave();
        }),
      ),
    );
    gate.resolve();
    await all;
    expect(g.state.max).toBe(50);
  });
});

function ref(line: number, mount: string, path: string, key = 'k'): SecretRef {
  return { variable: `V${line}`, mount, path, key, position: { file: 'app.secrets', line, column: 1 } };
}

type Handler = (path: string, signal: AbortSignal | undefined) => Promise<VaultResponse>;

function stubClient(handler: Handler): VaultHttp & { signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  return {
    signals,
    requestsSent: 0,
    request(_method, path, options = {}) {
      if (options.signal) signals.push(options.signal);
      return handler(path, options.signal);
    },
    setToken() {},
    close() {},
  };
}

/** A request that stays pending until the signal aborts, then fails with `failure`. */
function untilAborted(signal: AbortSignal | undefined, failure: VaultFailure): Promise<VaultResponse> {
  return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(failure), { once: true }));
}

function options(extra: Partial<FetchOptions> = {}): FetchOptions {
  return {
    kvVersion: '2',
    concurrency: 0,
    retry: { baseDelayMs: 1, retries: 3 },
    clock: { sleep: () => Promise.resolve(), random: () => 0 },
    log: () => {},
    hasToken: true,
    ...extra,
  };
}

describe('fetchSecrets when a request fails', () => {
  it('cancels the other requests before passing on an error that is not a VaultFailure (a bug)', async () => {
    const bug = new TypeError('bug');
    const client = stubClient((path, signal) =>
      path.includes('/one') ? Promise.reject(bug) : untilAborted(signal, new VaultFailure('cancelled', 'request cancelled')),
    );
    const error = await rejected(fetchSecrets([ref(1, 'secret', 'one'), ref(2, 'secret', 'two')], client, options()));
    expect(error).toBe(bug);
    expect(client.signals).toHaveLength(2);
    expect(client.signals.every((s) => s.aborted)).toBe(true);
  });

  it('cancels the other mount lookups before passing on an error that is not a VaultFailure', async () => {
    const bug = new TypeError('bug');
    const client = stubClient((path, signal) =>
      path.endsWith('/mounts/a') ? Promise.reject(bug) : untilAborted(signal, new VaultFailure('cancelled', 'request cancelled')),
    );
    const error = await rejected(fetchSecrets([ref(1, 'a', 'x'), ref(2, 'b', 'y')], client, options({ kvVersion: 'auto' })));
    expect(error).toBe(bug);
    expect(client.signals).toHaveLength(2);
    expect(client.signals.every((s) => s.aborted)).toBe(true);
  });

  it("reports a later line's real failure, not the 503 of an earlier request abandoned because of it", async () => {
    const client = stubClient((path, signal) =>
      path.includes('/one') ? untilAborted(signal, failureForStatus(503, ['Vault is sealed'])) : Promise.reject(failureForStatus(404, [])),
    );
    const error = await rejected(fetchSecrets([ref(1, 'secret', 'one'), ref(2, 'secret', 'two')], client, options()));
    expect(error).toBeInstanceOf(SecretMissingError);
    expect((error as SecretMissingError).message).toBe('secret not found: secret/two');
  });
});

describe('fetchSecrets onRead (--supervise)', () => {
  it('reports each request once, with the lines that read it, its lease and its KV version', async () => {
    const answers: Record<string, unknown> = {
      '/v1/secret/data/app': { data: { data: { key: 'kv-value' }, metadata: { version: 3 } } },
      '/v1/database/creds/app': { lease_id: 'database/creds/app/abcd1234', lease_duration: 4, renewable: true, data: { username: 'u', password: 'p' } },
    };
    const client = stubClient((path) => Promise.resolve({ status: 200, body: JSON.stringify(answers[path]) }));
    const reads: SecretRead[] = [];
    const refs = [ref(1, 'secret', 'app', 'key'), ref(2, 'database', 'creds/app', 'username'), ref(3, 'database', 'creds/app', 'password')];
    const mounts = new Map([['secret', 2], ['database', 1]]);
    // The stub answers the mount lookups too: secret/ is KV v2, database/ is another engine.
    const lookups = stubClient((path) => {
      const mount = /mounts\/(.*)$/.exec(path)?.[1];
      if (mount !== undefined) {
        const version = mounts.get(mount);
        return Promise.resolve({ status: 200, body: JSON.stringify({ data: { path: `${mount}/`, type: version === 2 ? 'kv' : 'database', options: version === 2 ? { version: '2' } : null } }) });
      }
      return client.request('GET', path);
    });
    await fetchSecrets(refs, lookups, options({ kvVersion: 'auto', onRead: (read) => reads.push(read) }));
    expect(reads.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      {
        path: '/v1/database/creds/app',
        metadataPath: undefined,
        kvVersion: 1,
        variables: ['V2', 'V3'],
        data: { username: 'u', password: 'p' },
        leaseId: 'database/creds/app/abcd1234',
        leaseDuration: 4,
        renewable: true,
        version: undefined,
      },
      {
        path: '/v1/secret/data/app',
        metadataPath: '/v1/secret/metadata/app',
        kvVersion: 2,
        variables: ['V1'],
        data: { key: 'kv-value' },
        leaseId: '',
        leaseDuration: 0,
        renewable: false,
        version: 3,
      },
    ]);
  });
});
