// Fetches every secret a secrets file names, all or nothing: one mount lookup per mount (skipped when
// the KV version is given), then one GET per distinct request path, at most `concurrency` in flight,
// each retried on its own. The first definite failure cancels the rest. Values come back in file
// order (pick.ts picks each line's); a missing path or key fails the run unless its line is optional,
// so the command never starts with a partial environment. A KV v2 version pin is part of the request
// path, so one request serves each distinct (mount, path, version). `vaultenv check` asks the same
// requests through checkSecrets, which cancels nothing and reports every line's outcome instead of
// the first failure.

import { AuthError, EnvironmentError, SecretMissingError, type VaultenvError } from '../errors.ts';
import type { KvVersionSetting } from '../config/types.ts';
import type { SecretRef } from '../secrets-file/secret-ref.ts';
import { VaultFailure, describeVaultErrors, unavailableError } from './failure.ts';
import type { VaultHttp } from './http.ts';
import { metadataRequestPath, mountLookupPath, normalizeMount, parseMountAnswer, parseReadInfo, parseSecretAnswer, secretRequestPath, type KvVersion, type MountInfo, type ReadInfo } from './kv.ts';
import { NotAStringError, pickSecret, displayPath, where, type PickedSecret } from './pick.ts';
import type { RetryClock } from './clock.ts';
import { withRetries, type RetryPolicy } from './retry.ts';

export interface FetchOptions {
  kvVersion: KvVersionSetting;
  /** 0 means no limit. */
  concurrency: number;
  retry: RetryPolicy;
  clock: RetryClock;
  /** Progress lines for --log-level info; never given a value. */
  log: (message: string) => void;
  /** Whether requests carry a token: a refusal then means a bad token rather than a missing one. */
  hasToken: boolean;
  /** Told of each read that succeeded (its lease, its KV version), for --supervise; never of a value. */
  onRead?: ((read: SecretRead) => void) | undefined;
}

/** One request of a fetch as --supervise watches it: where it was read, by which lines, and its lease. */
export interface SecretRead extends ReadInfo {
  path: string;
  /** `<mount>/metadata/<path>` of a KV v2 secret. */
  metadataPath: string | undefined;
  kvVersion: KvVersion;
  /** The variables of the lines that read it, in file order. */
  variables: string[];
  /** The secret's data: --supervise keeps only a digest of it, to see a KV v1 secret change. */
  data: Readonly<Record<string, unknown>>;
}

/** One variable: a line's, or one of a `#*` line's. */
export type FetchedSecret = PickedSecret;

/** What stops one line in checkSecrets, in the words of `vaultenv check`. */
export type SecretProblem = 'missing-key' | 'not-a-string' | 'invalid-name' | 'missing-secret' | 'no-engine' | 'denied' | 'unavailable';

/**
 * One line's outcome in checkSecrets: the variables it sets (none for an optional line whose secret
 * is missing), or the problem and the error a run would stop with.
 */
export type SecretOutcome = { ref: SecretRef; picked: FetchedSecret[] } | { ref: SecretRef; problem: SecretProblem; error: VaultenvError };

export async function fetchSecrets(refs: readonly SecretRef[], client: VaultHttp, options: FetchOptions): Promise<FetchedSecret[]> {
  // All or nothing: any failure is thrown, so every outcome holds its variables.
  return (await fetchEach(refs, client, options, true)).flatMap((outcome) => ('picked' in outcome ? outcome.picked : []));
}

/** Every line's outcome, in file order: the same requests, none cancelled, no failure thrown but a bug. */
export function checkSecrets(refs: readonly SecretRef[], client: VaultHttp, options: FetchOptions): Promise<SecretOutcome[]> {
  return fetchEach(refs, client, options, false);
}

async function fetchEach(refs: readonly SecretRef[], client: VaultHttp, options: FetchOptions, allOrNothing: boolean): Promise<SecretOutcome[]> {
  if (refs.length === 0) return [];
  const cancel = new AbortController();
  const limit = createLimiter(options.concurrency);
  const retrying = <T>(operation: () => Promise<T>, what: string) =>
    limit(() =>
      withRetries(
        operation,
        options.retry,
        options.clock,
        (failure, n, delay) => options.log(`${what}: ${failure.detail}; retry ${n + 1} of ${options.retry.retries} in ${delay} ms`),
        cancel.signal,
      ),
    );

  // Each mount as written, normalized once: a file names a few mounts on many lines.
  const normalized = new Map<string, string>();
  const mountOf = (ref: SecretRef): string => {
    let mount = normalized.get(ref.mount);
    if (mount === undefined) normalized.set(ref.mount, (mount = normalizeMount(ref.mount)));
    return mount;
  };

  // 1. The KV version of each mount, once per mount per run.
  const mounts = [...new Set(refs.map(mountOf))];
  const mountInfo = new Map<string, MountInfo>();
  const mountFailures = new Map<string, VaultFailure>();
  await Promise.all(
    mounts.map(async (mount) => {
      if (options.kvVersion !== 'auto') {
        mountInfo.set(mount, { path: mount, version: options.kvVersion === '2' ? 2 : 1 });
        return;
      }
      try {
        const info = await retrying(async () => parseMountAnswer((await client.request('GET', mountLookupPath(mount), { signal: cancel.signal })).body), `mount ${mount}`);
        options.log(`mount ${mount}: ${info.version === 2 ? 'KV v2' : 'KV v1 (or another engine read like it)'}`);
        mountInfo.set(mount, info);
      } catch (error) {
        if (allOrNothing) cancel.abort();
        mountFailures.set(mount, asFailure(error));
      }
    }),
  );
  const mountFailureOf = (ref: SecretRef) => mountFailures.get(mountOf(ref));
  const firstMountFailure =
    refs.find((ref) => mountFailureOf(ref) !== undefined && mountFailureOf(ref)?.kind !== 'cancelled') ?? refs.find((ref) => mountFailureOf(ref) !== undefined);
  if (firstMountFailure && allOrNothing) throw mountError(firstMountFailure, mountFailureOf(firstMountFailure)!, options.hasToken);

  // A version pin needs a KV v2 mount: refused before any secret is read.
  const pinnedOnV1 = (ref: SecretRef) => mountFailureOf(ref) === undefined && ref.version !== undefined && mountInfo.get(mountOf(ref))!.version !== 2;
  const firstPinnedOnV1 = refs.find(pinnedOnV1);
  if (firstPinnedOnV1 && allOrNothing) throw versionWithoutKv2Error(firstPinnedOnV1, options.kvVersion);
  // Checking: the lines of a failed mount get its failure, a pin on KV v1 its error; the others go on.
  const readable = refs.filter((ref) => mountFailureOf(ref) === undefined && !pinnedOnV1(ref));

  // 2. One request per distinct path.
  // Each line's request path, computed once: requests, failure reports and key picking all use it.
  const paths = new Map(readable.map((ref) => [ref, secretRequestPath(ref.mount, ref.path, mountInfo.get(mountOf(ref))!, ref.version)]));
  const pathOf = (ref: SecretRef) => paths.get(ref)!;
  const versionOf = (ref: SecretRef) => mountInfo.get(mountOf(ref))!.version;
  // A secret that is missing stops the run unless every line reading it is optional.
  const required = new Set(readable.filter((ref) => ref.optional !== true).map(pathOf));
  // The variables of each request's lines, for onRead alone (built once, not per request).
  const variablesOf = new Map<string, string[]>();
  if (options.onRead !== undefined) {
    for (const ref of readable) {
      const names = variablesOf.get(pathOf(ref)) ?? [];
      names.push(ref.kind === 'key' ? ref.variable : `${ref.prefix}*`);
      variablesOf.set(pathOf(ref), names);
    }
  }
  const requests = new Map<string, Promise<Record<string, unknown> | undefined>>();
  const failures = new Map<string, VaultFailure>();
  for (const ref of readable) {
    const path = pathOf(ref);
    if (requests.has(path)) continue;
    const version = versionOf(ref);
    requests.set(
      path,
      retrying(async () => {
        if (cancel.signal.aborted) throw new VaultFailure('cancelled', 'cancelled after another failure');
        options.log(`getting ${path}`);
        const { body } = await client.request('GET', path, { signal: cancel.signal });
        const secret = parseSecretAnswer(body, version);
        options.onRead?.({
          path,
          // A pinned version never changes: such a secret is watched by its value, not by its latest version.
          metadataPath: ref.version === undefined ? metadataRequestPath(ref.mount, ref.path, mountInfo.get(mountOf(ref))!) : undefined,
          kvVersion: version,
          variables: variablesOf.get(path) ?? [],
          data: secret,
          ...parseReadInfo(body, version),
        });
        return secret;
      }, path).catch((error: unknown) => {
        if (error instanceof VaultFailure && error.kind === 'not-found' && !required.has(path)) return undefined;
        if (allOrNothing) cancel.abort();
        const failure = asFailure(error);
        if (!failures.has(path)) failures.set(path, failure);
        return {};
      }),
    );
  }
  // Every request is under way, and none rejects (each catches above): waiting for them in turn is waiting for all.
  const data = new Map<string, Record<string, unknown> | undefined>();
  for (const [path, pending] of requests) data.set(path, await pending);

  // 3. Report the failure of the earliest line, not whichever request failed first: cancelled
  // requests fail too, and the earliest real failure is the one worth reading.
  const failed = readable
    .map((ref) => ({ ref, failure: failures.get(pathOf(ref)) }))
    .filter((entry): entry is { ref: SecretRef; failure: VaultFailure } => entry.failure !== undefined);
  const definite = failed.find((entry) => entry.failure.kind !== 'cancelled') ?? failed[0];
  if (definite && allOrNothing) throw secretError(definite.ref, pathOf(definite.ref), definite.failure);

  // 4. Pick the keys, in file order. All or nothing throws the first problem; checking records each.
  return refs.map((ref): SecretOutcome => {
    const mountFailure = mountFailureOf(ref);
    if (mountFailure !== undefined) return { ref, problem: problemOf(mountFailure, 'no-engine'), error: mountError(ref, mountFailure, options.hasToken) };
    if (pinnedOnV1(ref)) return { ref, problem: 'missing-secret', error: versionWithoutKv2Error(ref, options.kvVersion) };
    const path = pathOf(ref);
    const failure = failures.get(path);
    if (failure !== undefined) return { ref, problem: problemOf(failure, 'missing-secret'), error: secretError(ref, path, failure) };
    try {
      return { ref, picked: pickSecret(ref, data.get(path), options.log) };
    } catch (error) {
      if (allOrNothing) throw error;
      return { ref, ...pickProblem(error) };
    }
  });
}

/** The problem of a line whose keys could not be picked (pick.ts's errors). */
function pickProblem(error: unknown): { problem: SecretProblem; error: VaultenvError } {
  if (error instanceof EnvironmentError) return { problem: 'invalid-name', error };
  if (error instanceof NotAStringError) return { problem: 'not-a-string', error };
  if (error instanceof SecretMissingError) return { problem: 'missing-key', error };
  throw error;
}

/** The problem a failed request is: `notFound` for 400/404 (a mount with no engine, a path with no secret). */
function problemOf(failure: VaultFailure, notFound: SecretProblem): SecretProblem {
  switch (failure.kind) {
    case 'forbidden':
    case 'unauthorized':
      return 'denied';
    case 'not-found':
      return notFound;
    case 'bad-request':
      return notFound === 'no-engine' ? notFound : 'unavailable';
    default:
      return 'unavailable';
  }
}

function versionWithoutKv2Error(ref: SecretRef, kvVersion: KvVersionSetting): VaultenvError {
  const mount = normalizeMount(ref.mount);
  return new SecretMissingError(`version ${ref.version ?? ''} of ${mount}/${ref.path} asked for, but the mount "${mount}" is not KV v2 and keeps no versions`, {
    input: where(ref),
    hint:
      kvVersion === '1'
        ? 'remove @N from the line, or drop --kv-version 1 if the mount is KV v2'
        : 'remove @N from the line, or read the secret from a KV v2 mount',
  });
}

/** A VaultFailure as it is; anything else (a bug) is thrown on, after the caller cancelled the other requests. */
function asFailure(error: unknown): VaultFailure {
  if (error instanceof VaultFailure) return error;
  throw error;
}

function mountError(ref: SecretRef, failure: VaultFailure, hasToken: boolean): VaultenvError {
  const mount = normalizeMount(ref.mount);
  const input = `mount ${mount}, ${where(ref)}`;
  switch (failure.kind) {
    case 'forbidden':
    case 'unauthorized':
      // A bare "permission denied" is Vault refusing the token itself; a token that is valid but
      // lacks access gets a longer "preflight capability check" message.
      if (failure.vaultErrors.length === 1 && failure.vaultErrors[0] === 'permission denied') {
        return new AuthError(hasToken ? 'Vault refused the token: permission denied' : 'no Vault token given and Vault requires one', {
          input,
          hint: hasToken
            ? 'the token is invalid, expired or revoked: check VAULT_TOKEN or --token'
            : 'set VAULT_TOKEN, pass --token, or log in with --kubernetes-role or --github-token',
        });
      }
      // OpenBao answers 403 both for a mount the token cannot use and for a mount that does not exist.
      return new AuthError(`no access to the mount "${mount}", or nothing is mounted there${describeVaultErrors(failure)}`, {
        input,
        hint: 'check the mount name (MOUNT line, or secret/ for version 1 files), the token and its policies; --kv-version 1|2 skips this lookup',
      });
    case 'bad-request':
    case 'not-found':
      return new SecretMissingError(`no secrets engine is mounted at "${mount}"${describeVaultErrors(failure)}`, {
        input,
        hint: 'check the MOUNT line (version 2 files) or that KV is mounted at secret/ (version 1 files)',
      });
    default:
      return unavailableError('Vault request failed', failure, input);
  }
}

function secretError(ref: SecretRef, requestPath: string, failure: VaultFailure): VaultenvError {
  const input = `${requestPath}, ${where(ref)}`;
  switch (failure.kind) {
    case 'not-found':
      return new SecretMissingError(`secret not found: ${displayPath(ref)}`, {
        input,
        hint: 'check the path, the mount, and the KV version (--kv-version); vaultenv reads the latest version of a KV v2 secret',
      });
    case 'forbidden':
    case 'unauthorized':
      return new AuthError(`permission denied reading secret ${displayPath(ref)}${describeVaultErrors(failure)}`, {
        input,
        hint: "the token is invalid or expired, or its policies do not allow reading this path",
      });
    default:
      return unavailableError('Vault request failed', failure, input);
  }
}

/**
 * Runs at most `limit` tasks at once (0 = no limit). A task holds its slot through its retries, as in
 * vaultenv 0.19. A finished task hands its slot straight to the first waiting one: were the slot
 * freed and taken again a moment later, a newcomer could take it in between and run one task too many.
 */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (limit === 0) return (task) => task();
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
