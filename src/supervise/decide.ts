// The pure core of --supervise: when a lease is renewed or given up, what a renewal's answer means,
// what is watched for changes and how, the jittered wait between checks, what --on-change asks for,
// and how a lease is named in logs. No I/O and no clock: supervisor.ts runs the loops around it.
// Docs: https://openbao.org/api-docs/system/leases/ , https://openbao.org/api-docs/secret/kv/kv-v2/

import type { SecretRead } from '../vault/fetch.ts';
import type { OptionValue } from '../config/options.ts';

/** A lease of a dynamic secret as the supervisor keeps it. Times are in ms of the supervisor's clock. */
export interface Lease {
  id: string;
  /** The TTL it was issued with, in seconds: each renewal asks for as much again. */
  duration: number;
  expiresAt: number;
  renewable: boolean;
  /** A renewal gave less than it asked for: a maximum TTL caps the lease, and it ends at expiresAt. */
  capped: boolean;
  /** Transient renewal failures in a row, and when to try again after the last one. */
  failures: number;
  retryAt: number | undefined;
}

export type LeaseAction =
  | { kind: 'wait'; until: number }
  | { kind: 'renew' }
  /** The lease cannot be kept: --on-change applies. */
  | { kind: 'ending'; reason: string };

// Products of a fraction and whole seconds (0.1 × 30 = 3.0000000000000004) must not move the boundary.
const EPSILON_MS = 1e-6;

/**
 * What to do with a lease at `now`, by the token renewer's rule: renew once the TTL left is at most
 * `fraction` of the TTL it was issued with. A lease Vault will not extend (not renewable, or capped
 * by its maximum TTL) is given up at that same point, so the program is restarted before its
 * credentials stop working; one that expired while Vault was unreachable is given up at once.
 */
export function leaseAction(lease: Lease, now: number, fraction: number): LeaseAction {
  if (now >= lease.expiresAt) return { kind: 'ending', reason: 'expired' };
  if (lease.retryAt !== undefined && now < lease.retryAt) return { kind: 'wait', until: lease.retryAt };
  const due = lease.expiresAt - fraction * lease.duration * 1000;
  if (now + EPSILON_MS < due) return { kind: 'wait', until: due };
  if (!lease.renewable) return { kind: 'ending', reason: 'is not renewable' };
  if (lease.capped) return { kind: 'ending', reason: `reaches its maximum TTL in ${Math.ceil((lease.expiresAt - now) / 1000)}s` };
  return { kind: 'renew' };
}

/** A lease as a read issued it. */
export function newLease(read: Pick<SecretRead, 'leaseId' | 'leaseDuration' | 'renewable'>, now: number): Lease {
  return {
    id: read.leaseId,
    duration: read.leaseDuration,
    expiresAt: now + read.leaseDuration * 1000,
    renewable: read.renewable,
    capped: false,
    failures: 0,
    retryAt: undefined,
  };
}

/** The lease after a renewal that granted `granted` seconds at `now`. */
export function afterRenewal(lease: Lease, granted: number, renewable: boolean, now: number): Lease {
  return { ...lease, expiresAt: now + granted * 1000, renewable, capped: granted < lease.duration, failures: 0, retryAt: undefined };
}

/** The lease after a transient renewal failure, to be tried again in `delayMs` (never past its expiry). */
export function afterFailure(lease: Lease, now: number, delayMs: number): Lease {
  return { ...lease, failures: lease.failures + 1, retryAt: Math.min(now + delayMs, lease.expiresAt) };
}

/**
 * How a secret without a lease is watched: a KV v2 secret by the version in its metadata (its value is
 * not read again), any other (KV v1) by its value, through a digest. A secret with a lease is renewed,
 * not watched: a dynamic secret's every read is a new one.
 */
export type WatchedSecret =
  | { kind: 'version'; path: string; metadataPath: string; variables: readonly string[]; version: number }
  | { kind: 'value'; path: string; kvVersion: 1 | 2; variables: readonly string[]; digest: string };

export function watchedSecret(read: SecretRead, digest: (data: Readonly<Record<string, unknown>>) => string): WatchedSecret | undefined {
  if (read.leaseId !== '') return undefined;
  if (read.kvVersion === 2 && read.version !== undefined && read.metadataPath !== undefined) {
    return { kind: 'version', path: read.path, metadataPath: read.metadataPath, variables: read.variables, version: read.version };
  }
  return { kind: 'value', path: read.path, kvVersion: read.kvVersion, variables: read.variables, digest: digest(read.data) };
}

/** What a check found: the version or digest now, or nothing at the path any more. */
export type Observed = { kind: 'version'; version: number } | { kind: 'value'; digest: string } | { kind: 'gone' };

/** A description of the change (for the log), or undefined when the secret is as it was. */
export function describeChange(secret: WatchedSecret, observed: Observed): string | undefined {
  const what = `${secret.path} (${secret.variables.join(', ')})`;
  if (observed.kind === 'gone') return `${what} was deleted`;
  if (secret.kind === 'version' && observed.kind === 'version') {
    return observed.version === secret.version ? undefined : `${what}: version ${secret.version} -> ${observed.version}`;
  }
  if (secret.kind === 'value' && observed.kind === 'value') return observed.digest === secret.digest ? undefined : `${what}: its value changed`;
  return undefined;
}

/** The secret with what a check found as its new baseline. */
export function observedAsBaseline(secret: WatchedSecret, observed: Observed): WatchedSecret {
  if (secret.kind === 'version' && observed.kind === 'version') return { ...secret, version: observed.version };
  if (secret.kind === 'value' && observed.kind === 'value') return { ...secret, digest: observed.digest };
  return secret;
}

/** The wait before the next check: the interval, less up to a tenth at random, so a fleet spreads out and a change is seen within one interval. */
export function jitteredMs(intervalMs: number, random: () => number): number {
  return intervalMs - Math.floor((random() * intervalMs) / 10);
}

export type OnChange = { kind: 'restart' } | { kind: 'exit' } | { kind: 'signal'; signal: NodeJS.Signals };

export function parseOnChange(value: OptionValue<'onChange'>): OnChange {
  if (value === 'restart' || value === 'exit') return { kind: value };
  return { kind: 'signal', signal: `SIG${value.slice('signal:'.length)}` as NodeJS.Signals };
}

/**
 * How a lease is named in logs: its path and the first characters of its own part. A lease ID is not a
 * credential, but with `sys/leases/revoke` it ends the program's access, so it is never shown in full.
 */
export function describeLease(id: string): string {
  const slash = id.lastIndexOf('/');
  return `${id.slice(0, slash + 1)}${id.slice(slash + 1, slash + 5)}…`;
}
