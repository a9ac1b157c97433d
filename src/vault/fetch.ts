// Fetches every secret a secrets file names, all or nothing: one mount lookup per mount (skipped when
// the KV version is given), then one GET per distinct request path, at most `concurrency` in flight,
// each retried on its own. The first definite failure cancels the rest. Values come back in file
// order; any missing path, key or non-string value is an error, so the command never starts with a
// partial environment.

import { AuthError, SecretMissingError, type VaultenvError } from '../errors.ts';
import type { KvVersionSetting } from '../config/types.ts';
import type { SecretRef } from '../secrets-file/secret-ref.ts';
import { VaultFailure, describeVaultErrors, unavailableError } from './failure.ts';
import type { VaultHttp } from './http.ts';
import { metadataRequestPath, mountLookupPath, normalizeMount, parseMountAnswer, parseReadInfo, parseSecretAnswer, secretRequestPath, type KvVersion, type MountInfo, type ReadInfo } from './kv.ts';
import { withRetries, type RetryClock, type RetryPolicy } from './retry.ts';

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

export interface FetchedSecret {
  ref: SecretRef;
  value: string;
}

export async function fetchSecrets(refs: readonly SecretRef[], client: VaultHttp, options: FetchOptions): Promise<FetchedSecret[]> {
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

  // 1. The KV version of each mount, once per mount per run.
  const mounts = [...new Set(refs.map((ref) => normalizeMount(ref.mount)))];
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
        cancel.abort();
        mountFailures.set(mount, asFailure(error));
      }
    }),
  );
  const mountFailureOf = (ref: SecretRef) => mountFailures.get(normalizeMount(ref.mount));
  const firstMountFailure =
    refs.find((ref) => mountFailureOf(ref) !== undefined && mountFailureOf(ref)?.kind !== 'cancelled') ?? refs.find((ref) => mountFailureOf(ref) !== undefined);
  if (firstMountFailure) throw mountError(firstMountFailure, mountFailureOf(firstMountFailure)!, options.hasToken);

  // 2. One request per distinct path.
  // Each line's request path, computed once: requests, failure reports and key picking all use it.
  const paths = new Map(refs.map((ref) => [ref, secretRequestPath(ref.mount, ref.path, mountInfo.get(normalizeMount(ref.mount))!)]));
  const pathOf = (ref: SecretRef) => paths.get(ref)!;
  const versionOf = (ref: SecretRef) => mountInfo.get(normalizeMount(ref.mount))!.version;
  const requests = new Map<string, Promise<Record<string, unknown>>>();
  const failures = new Map<string, VaultFailure>();
  for (const ref of refs) {
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
          metadataPath: metadataRequestPath(ref.mount, ref.path, mountInfo.get(normalizeMount(ref.mount))!),
          kvVersion: version,
          variables: refs.filter((other) => pathOf(other) === path).map((other) => other.variable),
          data: secret,
          ...parseReadInfo(body, version),
        });
        return secret;
      }, path).catch((error: unknown) => {
        cancel.abort();
        const failure = asFailure(error);
        if (!failures.has(path)) failures.set(path, failure);
        return {};
      }),
    );
  }
  const data = new Map<string, Record<string, unknown>>();
  await Promise.all([...requests].map(async ([path, pending]) => data.set(path, await pending)));

  // 3. Report the failure of the earliest line, not whichever request failed first: cancelled
  // requests fail too, and the earliest real failure is the one worth reading.
  const failed = refs
    .map((ref) => ({ ref, failure: failures.get(pathOf(ref)) }))
    .filter((entry): entry is { ref: SecretRef; failure: VaultFailure } => entry.failure !== undefined);
  const definite = failed.find((entry) => entry.failure.kind !== 'cancelled') ?? failed[0];
  if (definite) throw secretError(definite.ref, pathOf(definite.ref), definite.failure);

  // 4. Pick the keys, in file order.
  return refs.map((ref) => {
    const path = pathOf(ref);
    const secret = data.get(path) ?? {};
    if (!Object.hasOwn(secret, ref.key)) {
      throw new SecretMissingError(`key "${ref.key}" not found in secret ${displayPath(ref)}`, {
        input: where(ref),
        hint: 'check the key name after # (keys are case-sensitive) or add the key to the secret',
      });
    }
    const value = secret[ref.key];
    if (typeof value !== 'string') {
      throw new SecretMissingError(`value of key "${ref.key}" in secret ${displayPath(ref)} is ${describeType(value)}, not a string`, {
        input: where(ref),
        hint: 'store the value as a string in Vault; environment variables can only hold strings',
      });
    }
    return { ref, value };
  });
}

function where(ref: SecretRef): string {
  return `${ref.position.file}:${ref.position.line}`;
}

function displayPath(ref: SecretRef): string {
  return `${normalizeMount(ref.mount)}/${ref.path}`;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
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
