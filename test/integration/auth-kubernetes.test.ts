// Kubernetes login against a real OpenBao dev server of this file's own. The Kubernetes side, the
// TokenReview endpoint OpenBao asks about the pod's JWT, is a small local HTTPS stand-in
// (test/helpers/k8s-tokenreview.ts). The JWT is read from `jwtPath`; the token obtained reads a secret.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, type LoginOptions } from '../../src/auth/login.ts';
import { AuthError } from '../../src/errors.ts';
import type { VaultHttp } from '../../src/vault/http.ts';
import { realClock } from '../../src/vault/clock.ts';
import { startBao, type BaoServer } from '../helpers/bao.ts';
import { generateJwtKey, signJwt } from '../helpers/jwt.ts';
import { startTokenReviewServer, type ServiceAccount, type TokenReviewServer } from '../helpers/k8s-tokenreview.ts';
import { rejected } from '../helpers/thrown.ts';
import { clientPool } from '../helpers/vault-clients.ts';

const SECRET = { password: 'k8s-secret-value-3c9d' };
const OPTIONS: LoginOptions = { backend: undefined, retry: { baseDelayMs: 10, retries: 2 }, clock: realClock };
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const clusterKey = generateJwtKey('RS256');

/** A projected service-account token as the kubelet mounts it (the claims OpenBao reads). */
function serviceAccount(namespace: string, name: string): ServiceAccount {
  const uid = randomUUID();
  const jwt = signJwt(
    {
      iss: ISSUER,
      sub: `system:serviceaccount:${namespace}:${name}`,
      aud: [ISSUER],
      'kubernetes.io': { namespace, serviceaccount: { name, uid }, pod: { name: `${name}-7d9f8-abcde`, uid: randomUUID() } },
    },
    clusterKey,
  );
  return { jwt, namespace, name, uid };
}

const logstash = serviceAccount('logging', 'logstash');
const intruder = serviceAccount('logging', 'intruder'); // known to Kubernetes, not bound by the role
const unknown = serviceAccount('logging', 'logstash'); // same claims, but Kubernetes never issued it

let bao: BaoServer;
let kubernetes: TokenReviewServer;
let dir: string;
const pool = clientPool();

const client = (): VaultHttp => pool.client(bao.port);

function jwtFile(account: ServiceAccount): string {
  const target = path.join(dir, `${randomUUID()}.token`);
  writeFileSync(target, `${account.jwt}\n`, { mode: 0o600 });
  return target;
}

beforeAll(async () => {
  kubernetes = await startTokenReviewServer([logstash, intruder]);
  bao = await startBao();
  dir = mkdtempSync(path.join(tmpdir(), 'vaultenv-k8s-auth-'));
  await bao.api.enableAuth('kubernetes', 'kubernetes');
  const config = await bao.api.request('POST', 'auth/kubernetes/config', {
    kubernetes_host: kubernetes.url,
    kubernetes_ca_cert: kubernetes.caCertPem,
    disable_local_ca_jwt: true,
  });
  expect(config.status).toBe(204);
  const role = await bao.api.request('POST', 'auth/kubernetes/role/logstash', {
    bound_service_account_names: ['logstash'],
    bound_service_account_namespaces: ['logging'],
    token_policies: ['logstash'],
    token_ttl: '5m',
  });
  expect(role.status).toBe(204);
  await bao.api.writePolicy('logstash', 'path "secret/data/elasticsearch/production" { capabilities = ["read"] }');
  await bao.api.writeSecret('secret', 2, 'elasticsearch/production', SECRET);
});

afterAll(async () => {
  pool.closeAll();
  await bao?.stop();
  await kubernetes?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('Kubernetes login', () => {
  it('logs in with the service-account JWT at jwtPath, checked by TokenReview, and reads the secret', async () => {
    const reviewsBefore = kubernetes.reviews;
    const vault = client();
    const token = await login({ method: 'kubernetes', role: 'logstash', jwtPath: jwtFile(logstash) }, vault, OPTIONS);
    expect(kubernetes.reviews).toBe(reviewsBefore + 1);
    vault.setToken(token);
    const response = await vault.request('GET', '/v1/secret/data/elasticsearch/production');
    expect((JSON.parse(response.body) as { data: { data: unknown } }).data.data).toEqual(SECRET);
  });

  it.each([
    ['a JWT Kubernetes does not authenticate', unknown],
    ['a service account the role does not bind', intruder],
  ])('refuses %s, without the JWT in the error', async (_, account) => {
    const error = await rejected(login({ method: 'kubernetes', role: 'logstash', jwtPath: jwtFile(account) }, client(), OPTIONS));
    expect(error).toBeInstanceOf(AuthError);
    const { message, hint, input } = error as AuthError;
    expect(message).toMatch(/^login refused \(HTTP 403\)/);
    expect(input).toBe('kubernetes login at auth/kubernetes');
    expect(`${message} ${hint ?? ''}`.includes(account.jwt)).toBe(false);
  });

  it('names a missing JWT file', async () => {
    const missing = path.join(dir, 'no-such-token');
    const error = await rejected(login({ method: 'kubernetes', role: 'logstash', jwtPath: missing }, client(), OPTIONS));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe('Kubernetes service-account token not found');
    expect((error as AuthError).input).toBe(missing);
  });
});
