// The requests --supervise makes while the program runs: renewing and revoking a lease, revoking the
// token of its own login, and checking a watched secret (a KV v2 secret's metadata, a KV v1 secret's
// value). Failures come back as the VaultFailure the HTTP client reported; a secret that is gone is
// an answer, not a failure.
// Docs: https://openbao.org/api-docs/system/leases/ , https://openbao.org/api-docs/auth/token/#revoke-a-token-self

import crypto from 'node:crypto';
import { kv2CurrentVersion } from '../vault/answers.ts';
import { kv2ReadVersion, leaseFields } from '../vault/fetch-answers.ts';
import { VaultFailure } from '../vault/failure.ts';
import type { VaultHttp } from '../vault/http.ts';
import { parseJson, parseSecretAnswer } from '../vault/kv.ts';
import type { Observed, WatchedSecret } from './decide.ts';

/** Renews a lease for `increment` seconds: what Vault granted (less once a maximum TTL caps it). */
export async function renewLease(client: VaultHttp, leaseId: string, increment: number, signal: AbortSignal): Promise<{ granted: number; renewable: boolean }> {
  const { body } = await client.request('PUT', '/v1/sys/leases/renew', { body: { lease_id: leaseId, increment }, signal });
  const lease = leaseFields(parseJson(body));
  if (lease?.lease_duration === undefined) throw new VaultFailure('bad-response', 'lease renewal answer has no lease duration');
  return { granted: lease.lease_duration, renewable: lease.renewable ?? false };
}

export async function revokeLease(client: VaultHttp, leaseId: string): Promise<void> {
  await client.request('PUT', '/v1/sys/leases/revoke', { body: { lease_id: leaseId } });
}

/** Revokes the client's token, and with it every lease it was issued. */
export async function revokeOwnToken(client: VaultHttp): Promise<void> {
  await client.request('POST', '/v1/auth/token/revoke-self', { body: {} });
}

/**
 * What a watched secret is now. A KV v2 secret is checked in its metadata (`useMetadata`), or, for a
 * token whose policy allows reading the data only, by the version a read of the data reports.
 */
export async function observe(client: VaultHttp, secret: WatchedSecret, useMetadata: boolean, signal: AbortSignal): Promise<Observed> {
  const path = secret.kind === 'version' && useMetadata ? secret.metadataPath : secret.path;
  let body: string;
  try {
    ({ body } = await client.request('GET', path, { signal }));
  } catch (error) {
    if (error instanceof VaultFailure && error.kind === 'not-found') return { kind: 'gone' };
    throw error;
  }
  const json = parseJson(body);
  if (secret.kind === 'version') {
    const version = useMetadata ? kv2CurrentVersion(json) : kv2ReadVersion(json);
    if (version === undefined) throw new VaultFailure('bad-response', `answer of ${path} has no version`);
    return { kind: 'version', version };
  }
  return { kind: 'value', digest: digestOf(parseSecretAnswer(body, secret.kvVersion)) };
}

/** A digest of a secret's data (keys sorted): the supervisor compares digests, and keeps no second copy of the values. */
export function digestOf(data: Readonly<Record<string, unknown>>): string {
  const sorted = Object.keys(data)
    .sort()
    .map((key) => [key, data[key]]);
  return crypto.createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}
