// Pure helpers for Vault's KV engines: request paths (percent-encoded per segment), the mount lookup
// answer, and KV v1 and v2 read responses (their shapes are checked in fetch-answers.ts).
// Docs: https://openbao.org/api-docs/secret/kv/kv-v2/ , https://openbao.org/api-docs/system/internal-ui-mounts/

import { errorList, isDeletedKv2Secret, kv2ReadVersion, leaseFields, mountDescription, secretData } from './fetch-answers.ts';
import { VaultFailure } from './failure.ts';

export type KvVersion = 1 | 2;

/** How a mount is read: a KV engine of a version, or any other engine read with a plain GET like KV v1. */
export interface MountInfo {
  /** The mount's path as Vault reports it, without slashes at either end ("secret", "kv/team-a"). */
  path: string;
  version: KvVersion;
}

/** "secret/" and "/secret" name the same mount; vaultenv 0.19 sends `/v1/secret//foo` for the first. */
export function normalizeMount(mount: string): string {
  return mount.replace(/^\/+|\/+$/g, '');
}

/** The characters encodeURIComponent leaves as they are, and the slash between segments. */
const UNENCODED = /^[A-Za-z0-9\-_.!~*'()/]*$/;

/** Percent-encodes each segment of a path, keeping its slashes. */
export function encodeSegments(path: string): string {
  // Most paths need no encoding: one test instead of splitting and joining them (once per secret).
  if (UNENCODED.test(path)) return path;
  return path.split('/').map(encodeURIComponent).join('/');
}

export function mountLookupPath(mount: string): string {
  return `/v1/sys/internal/ui/mounts/${encodeSegments(normalizeMount(mount))}`;
}

/**
 * The request path of a secret. `mount` is the mount as written in the secrets file; `info.path` is
 * the mount Vault reported for it, which may be shorter (a file may name `secret/team` where
 * `secret` is the mount), so KV v2's `data/` goes right after the real mount. `version` pins a KV v2
 * version (`?version=N`); the caller refuses it on any other mount, which keeps no versions.
 */
export function secretRequestPath(mount: string, path: string, info: MountInfo, version?: number): string {
  if (info.version === 1) return `/v1/${encodeSegments(joinPath(normalizeMount(mount), path))}`;
  const query = version === undefined ? '' : `?version=${version}`;
  return kv2Path(mount, path, info, 'data') + query;
}

/** The metadata path of a KV v2 secret (its versions, not its value); undefined on other mounts. */
export function metadataRequestPath(mount: string, path: string, info: MountInfo): string | undefined {
  return info.version === 1 ? undefined : kv2Path(mount, path, info, 'metadata');
}

function kv2Path(mount: string, path: string, info: MountInfo, section: 'data' | 'metadata'): string {
  const full = joinPath(normalizeMount(mount), path);
  const prefix = info.path === '' ? '' : `${info.path}/`;
  const inside = full.startsWith(prefix) ? full.slice(prefix.length) : path;
  const realMount = full.startsWith(prefix) ? info.path : normalizeMount(mount);
  return `/v1/${encodeSegments(realMount)}/${section}/${encodeSegments(inside)}`;
}

/** What a read tells besides its data: its lease (a dynamic secret's), and the version of a KV v2 secret. */
export interface ReadInfo {
  /** Empty for a secret without a lease (KV). */
  leaseId: string;
  /** Seconds. */
  leaseDuration: number;
  renewable: boolean;
  version: number | undefined;
}

export function parseReadInfo(body: string, version: KvVersion): ReadInfo {
  const json = parseJson(body);
  const lease = leaseFields(json);
  return {
    leaseId: lease?.lease_id ?? '',
    leaseDuration: lease?.lease_duration ?? 0,
    renewable: lease?.renewable ?? false,
    version: version === 2 ? kv2ReadVersion(json) : undefined,
  };
}

function joinPath(mount: string, path: string): string {
  return mount === '' ? path : `${mount}/${path}`;
}

/** KV v2 when Vault says so; every other engine (KV v1, generic, database, aws…) is read like KV v1. */
export function parseMountAnswer(body: string): MountInfo {
  const mount = mountDescription(parseJson(body));
  if (mount === undefined) throw new VaultFailure('bad-response', 'mount lookup answer is not a mount description');
  const { path, type, options } = mount;
  const version = type === 'kv' && options?.version === '2' ? 2 : 1;
  return { path: normalizeMount(path), version };
}

/** The key/value map of a secret read. A KV v2 secret deleted but not destroyed answers data: null. */
export function parseSecretAnswer(body: string, version: KvVersion): Record<string, unknown> {
  const json = parseJson(body);
  const data = secretData(json, version);
  if (data !== undefined) return data;
  if (version === 2 && isDeletedKv2Secret(json)) throw new VaultFailure('not-found', 'the latest version is deleted');
  throw new VaultFailure('bad-response', `answer is not a KV v${version} secret`);
}

/** Vault's `{"errors": [...]}` strings, for error messages; empty when the body has none. */
export function vaultErrorStrings(body: string): string[] {
  return (errorList(parseJson(body)) ?? []).map(oneLine).filter((e) => e.length > 0);
}

/**
 * Vault wraps errors as "1 error occurred:\n\t* permission denied\n\n"; our errors are one line.
 * (Runs of whitespace become one space, which changes nothing inside a token, a JWT or a secret ID,
 * so the redactor still finds one that a server echoes.) Messages quote only an excerpt of them
 * (failure.ts describeVaultErrors).
 */
function oneLine(error: string): string {
  return error
    .replace(/^\s*\d+ errors? occurred:\s*/, '')
    .replace(/\s*\n\s*\*\s*/g, '; ')
    .replace(/^\*\s*/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The body as JSON, or undefined when it is not JSON (a proxy's HTML page, an empty body). */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
