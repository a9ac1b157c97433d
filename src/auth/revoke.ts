// Revoking the token a login created, once it has done its job: a start that logs in and leaves its
// token alive until the TTL adds one live token (and one lease) per start, which a fleet of pods
// restarting adds up in Vault. POST auth/token/revoke-self, once, without retries: a failure leaves
// a token that expires by its TTL anyway, so it is the caller's warning, never a failed start.

import { VaultFailure, describeFailure } from '../vault/failure.ts';
import type { VaultHttp } from '../vault/http.ts';

const REVOKE_SELF = '/v1/auth/token/revoke-self';

/** Revokes the client's current token; undefined when Vault confirmed it, else why not (no secrets in it). */
export async function revokeOwnToken(client: VaultHttp): Promise<string | undefined> {
  try {
    await client.request('POST', REVOKE_SELF);
    return undefined;
  } catch (error) {
    if (error instanceof VaultFailure) return describeFailure(error);
    throw error;
  }
}
