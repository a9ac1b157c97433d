// fetchSecrets' control flow against a stub of our own VaultHttp interface (no server): the limiter,
// and what happens to the requests still in flight when one fails. Real-server behaviour is in
// test/integration/wrapper.test.ts.
import { describe, expect, it } from 'vitest';
import { AuthError, SecretMissingError, VaultUnavailableError } from '../../../src/errors.ts';
import { NotAStringError } from '../../../src/vault/pick.ts';
import type { KeyRef, SecretRef } from '../../../src/secrets-file/secret-ref.ts';
import { VaultFailure, failureForStatus } from '../../../src/vault/failure.ts';
import { checkSecrets, createLimiter, fetchSecrets, type FetchOptions, type SecretRead } from '../../../src/vault/fetch.ts';
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
  return keyRef(line, mount, path, key);
}

function keyRef(line: number, mount: string, path: string, key = 'k'): KeyRef {
  return { kind: 'key', variable: `V${line}`, mount, path, key, nonString: 'error', position: { file: 'app.secrets', line, column: 1 } };
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

describe('fetchSecrets and version 3 lines', () => {
  const v3 = (line: number, path: string, extra: Partial<Omit<KeyRef, 'kind'>> = {}): KeyRef => ({ ...keyRef(line, 'secret', path), nonString: 'json', ...extra });
  const answer = (data: Record<string, unknown>): Promise<VaultResponse> =>
    Promise.resolve({ status: 200, headers: {}, body: JSON.stringify({ data: { data, metadata: {} } }) } as unknown as VaultResponse);

  it('sends one request per distinct (path, version), the version as ?version=N', async () => {
    const paths: string[] = [];
    const client = stubClient((path) => {
      paths.push(path);
      return answer({ k: path });
    });
    const refs = [v3(1, 'a', { version: 1 }), v3(2, 'a', { version: 1 }), v3(3, 'a', { version: 2 }), v3(4, 'a'), v3(5, 'a')];
    const fetched = await fetchSecrets(refs, client, options());
    expect(paths.sort()).toEqual(['/v1/secret/data/a', '/v1/secret/data/a?version=1', '/v1/secret/data/a?version=2']);
    expect(fetched.map((f) => f.value)).toEqual([
      '/v1/secret/data/a?version=1',
      '/v1/secret/data/a?version=1',
      '/v1/secret/data/a?version=2',
      '/v1/secret/data/a',
      '/v1/secret/data/a',
    ]);
  });

  it('refuses a version on a KV v1 mount before reading any secret', async () => {
    const client = stubClient(() => answer({}));
    const error = await rejected(fetchSecrets([v3(1, 'a'), v3(2, 'b', { version: 3 })], client, options({ kvVersion: '1' })));
    expect(error).toBeInstanceOf(SecretMissingError);
    expect((error as SecretMissingError).message).toBe('version 3 of secret/b asked for, but the mount "secret" is not KV v2 and keeps no versions');
    expect((error as SecretMissingError).input).toBe('app.secrets:2');
    expect((error as SecretMissingError).hint).toBe('remove @N from the line, or drop --kv-version 1 if the mount is KV v2');
    expect(client.signals).toHaveLength(0);
  });

  it('leaves an optional line of a missing secret unset without cancelling the other requests', async () => {
    const logged: string[] = [];
    const client = stubClient((path) => (path.endsWith('/gone') ? Promise.reject(failureForStatus(404, [])) : answer({ k: 'v' })));
    const fetched = await fetchSecrets([v3(1, 'gone', { optional: true }), v3(2, 'here'), v3(3, 'gone', { optional: true, fallback: 'd' })], client, options({ log: (m) => logged.push(m) }));
    expect(fetched.map((f) => [f.variable, f.value])).toEqual([
      ['V2', 'v'],
      ['V3', 'd'],
    ]);
    expect(client.signals.every((s) => !s.aborted)).toBe(true);
    expect(logged.filter((m) => m.startsWith('app.secrets'))).toEqual([
      'app.secrets:1: secret secret/gone not found; V1 is left unset (optional)',
      "app.secrets:3: secret secret/gone not found; V3 is set to the line's default",
    ]);
  });

  it('fails a missing secret that a required line also reads', async () => {
    const client = stubClient(() => Promise.reject(failureForStatus(404, [])));
    const error = await rejected(fetchSecrets([v3(1, 'gone', { optional: true }), v3(2, 'gone')], client, options()));
    expect((error as SecretMissingError).message).toBe('secret not found: secret/gone');
    expect((error as SecretMissingError).input).toBe('/v1/secret/data/gone, app.secrets:1');
  });

  it('fails an optional line on a refusal (403): optional means missing, not forbidden', async () => {
    const client = stubClient(() => Promise.reject(failureForStatus(403, ['permission denied'])));
    const error = await rejected(fetchSecrets([v3(1, 'a', { optional: true })], client, options()));
    expect((error as Error).message).toBe('permission denied reading secret secret/a: Vault says "permission denied"');
  });
});

describe('checkSecrets', () => {
  it('cancels nothing and gives every line its outcome, in file order', async () => {
    const kv2 = (data: Record<string, unknown>): VaultResponse => ({ status: 200, body: JSON.stringify({ data: { data } }) });
    const client = stubClient((path) => {
      if (path.endsWith('/mounts/denied')) return Promise.reject(failureForStatus(403, ['preflight capability check returned 403']));
      if (path.includes('/mounts/')) return Promise.resolve({ status: 200, body: JSON.stringify({ data: { path: `${path.split('/').pop() ?? ''}/`, type: 'kv', options: { version: '2' } } }) });
      if (path.includes('/sealed')) return Promise.reject(failureForStatus(503, ['Vault is sealed']));
      if (path.includes('/gone')) return Promise.reject(failureForStatus(404, []));
      return Promise.resolve(kv2({ k: 'value', n: 1 }));
    });
    const outcomes = await checkSecrets(
      [ref(1, 'secret', 'sealed'), ref(2, 'secret', 'app'), ref(3, 'secret', 'app', 'missing'), ref(4, 'secret', 'app', 'n'), ref(5, 'secret', 'gone'), ref(6, 'denied', 'x')],
      client,
      options({ kvVersion: 'auto', retry: { baseDelayMs: 1, retries: 0 } }),
    );
    expect(outcomes.map((outcome) => ('picked' in outcome ? ['ok', outcome.picked.map((p) => p.value).join()] : [outcome.problem, outcome.error.constructor.name]))).toEqual([
      ['unavailable', VaultUnavailableError.name],
      ['ok', 'value'],
      ['missing-key', SecretMissingError.name],
      ['not-a-string', NotAStringError.name],
      ['missing-secret', SecretMissingError.name],
      ['denied', AuthError.name],
    ]);
    expect(client.signals.some((signal) => signal.aborted)).toBe(false);
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
