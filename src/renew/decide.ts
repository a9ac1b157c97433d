// The pure core of `vaultenv renew`: the lookup-self and renew-self answers (their shapes are checked
// in vault/answers.ts) and the decision what to do with a token. No I/O, no clock: renew/loop.ts runs
// the loop around it.
// Docs: https://openbao.org/api-docs/auth/token/#lookup-a-token-self , #renew-a-token-self

import { renewedLeaseDuration, tokenLookupData } from '../vault/answers.ts';
import { VaultFailure } from '../vault/failure.ts';
import { parseJson } from '../vault/kv.ts';

/** What lookup-self tells us about a token (never the token itself: the answer's `id` is dropped). */
export interface TokenLookup {
  accessor: string;
  /** Seconds left. */
  ttl: number;
  /** Seconds the token had when created, or the period of a periodic token. */
  creationTtl: number;
  renewable: boolean;
  /** null for a token that never expires (root tokens, tokens created without a TTL). */
  expireTime: string | null;
}

export type Decision = 'renew' | 'wait' | 'never-expires' | 'not-renewable';

// Products of a fraction and whole seconds (0.1 × 30 = 3.0000000000000004) must not move the boundary.
const EPSILON = 1e-9;

/**
 * What to do with a token now. A token without a TTL needs nothing (it is not renewable either, so
 * this comes first); a token Vault will not renew cannot be kept alive; otherwise renew once the TTL
 * left is at most `fraction` of the creation TTL.
 */
export function decide(lookup: TokenLookup, fraction: number): Decision {
  if (lookup.ttl === 0 && lookup.creationTtl === 0 && lookup.expireTime === null) return 'never-expires';
  if (!lookup.renewable) return 'not-renewable';
  return lookup.ttl <= fraction * lookup.creationTtl + EPSILON ? 'renew' : 'wait';
}

/** The TTL in whole seconds at or below which a token is renewed. */
export function renewalThreshold(lookup: TokenLookup, fraction: number): number {
  return Math.floor(fraction * lookup.creationTtl + EPSILON);
}

/** Milliseconds until a token decided 'wait' falls to the renewal threshold (at least 0). */
export function msUntilRenewalDue(lookup: TokenLookup, fraction: number): number {
  return Math.max(0, Math.floor((lookup.ttl - fraction * lookup.creationTtl) * 1000));
}

/** The lookup-self answer; a body of another shape is a 'bad-response' failure (transient: retried). */
export function parseLookupAnswer(body: string): TokenLookup {
  const data = tokenLookupData(parseJson(body));
  if (data === undefined) throw new VaultFailure('bad-response', 'token lookup answer is not a token description');
  return {
    accessor: data.accessor,
    ttl: data.ttl,
    creationTtl: data.creation_ttl,
    renewable: data.renewable,
    // An answer without the field says nothing about expiry; the TTLs alone then decide.
    expireTime: data.expire_time ?? null,
  };
}

/** The new TTL in seconds from a renew-self answer. */
export function parseRenewAnswer(body: string): number {
  const leaseDuration = renewedLeaseDuration(parseJson(body));
  if (leaseDuration === undefined) throw new VaultFailure('bad-response', 'token renewal answer has no lease duration');
  return leaseDuration;
}

/** How a token is named in logs and errors: where it came from and the start of its accessor. */
export function describeToken(origin: string, accessor: string | undefined): string {
  if (accessor === undefined) return origin;
  if (accessor === '') return `${origin}, no accessor`;
  return `${origin}, accessor ${accessor.slice(0, 8)}…`;
}
