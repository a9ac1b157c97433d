// Signs JWTs for the JWT and Kubernetes auth tests with node:crypto alone (RS256 or ES256): a key pair
// generated per test file, its public key in PEM for Vault's `jwt_validation_pubkeys`.

import { generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export type JwtAlgorithm = 'RS256' | 'ES256';

export interface JwtSigningKey {
  alg: JwtAlgorithm;
  privateKey: KeyObject;
  /** SPKI PEM of the public key. */
  publicKeyPem: string;
}

export function generateJwtKey(alg: JwtAlgorithm = 'RS256'): JwtSigningKey {
  const { privateKey, publicKey } =
    alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { alg, privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** A compact JWS over `claims`; `iat`, `nbf` and `exp` (10 minutes) are added unless given. */
export function signJwt(claims: Record<string, unknown>, key: JwtSigningKey, header: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iat: now, nbf: now - 5, exp: now + 600, ...claims };
  const signingInput = `${base64url(JSON.stringify({ alg: key.alg, typ: 'JWT', ...header }))}.${base64url(JSON.stringify(payload))}`;
  // ES256 signatures are the raw r‖s pair (RFC 7518 §3.4), not DER.
  const signature =
    key.alg === 'RS256'
      ? sign('sha256', Buffer.from(signingInput), key.privateKey)
      : sign('sha256', Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${base64url(signature)}`;
}
