// JWT login against a real OpenBao dev server of this file's own, configured with the public keys of
// key pairs generated here (jwt_validation_pubkeys): a JWT from a file and from a variable log in and
// read a secret; a JWT signed by another key, or for another audience, is refused.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, type LoginOptions } from '../../src/auth/login.ts';
import { AuthError } from '../../src/errors.ts';
import type { VaultHttp } from '../../src/vault/http.ts';
import { realClock } from '../../src/vault/clock.ts';
import { startBao, type BaoServer } from '../helpers/bao.ts';
import { generateJwtKey, signJwt } from '../helpers/jwt.ts';
import { rejected } from '../helpers/thrown.ts';
import { clientPool, readKv2With } from '../helpers/vault-clients.ts';

const SECRET = { deployKey: 'jwt-secret-value-77ab' };
const AUDIENCE = 'vaultenv-test';
const OPTIONS: LoginOptions = { backend: undefined, retry: { baseDelayMs: 10, retries: 2 }, clock: realClock };

const rsaKey = generateJwtKey('RS256');
const ecKey = generateJwtKey('ES256');
const strangerKey = generateJwtKey('RS256');

let bao: BaoServer;
let dir: string;
const pool = clientPool();

const client = (): VaultHttp => pool.client(bao.port);

const readSecretWith = (vault: VaultHttp, token: string): Promise<unknown> => readKv2With(vault, token, 'ci/deploy');

function file(name: string, content: string): string {
  const target = path.join(dir, name);
  writeFileSync(target, content, { mode: 0o600 });
  return target;
}

function ciJwt(key = rsaKey, claims: Record<string, unknown> = {}): string {
  return signJwt({ iss: 'https://ci.example.test', sub: 'repo:acme/shop:ref:refs/heads/main', aud: AUDIENCE, ...claims }, key);
}

function expectRefusedWithout(error: unknown, credential: string): void {
  expect(error).toBeInstanceOf(AuthError);
  const { message, hint, input, exitCode } = error as AuthError;
  expect(exitCode).toBe(4);
  expect(message).toMatch(/^login refused \(HTTP 400\): Vault says ".+"/);
  expect(input).toBe('jwt login at auth/jwt');
  expect(`${message} ${hint ?? ''} ${input ?? ''}`.includes(credential), 'the JWT appears in the error').toBe(false);
  // Not even a recognisable piece of it (Vault could echo a claim segment).
  for (const segment of credential.split('.')) expect(message.includes(segment)).toBe(false);
}

beforeAll(async () => {
  bao = await startBao();
  dir = mkdtempSync(path.join(tmpdir(), 'vaultenv-jwt-'));
  await bao.api.enableAuth('jwt', 'jwt');
  const config = await bao.api.request('POST', 'auth/jwt/config', { jwt_validation_pubkeys: [rsaKey.publicKeyPem, ecKey.publicKeyPem] });
  expect(config.status).toBe(204);
  const role = await bao.api.request('POST', 'auth/jwt/role/ci', {
    role_type: 'jwt',
    user_claim: 'sub',
    bound_audiences: [AUDIENCE],
    token_policies: ['ci-deploy'],
    token_ttl: '5m',
  });
  expect(role.status).toBe(204);
  await bao.api.writePolicy('ci-deploy', 'path "secret/data/ci/deploy" { capabilities = ["read"] }');
  await bao.api.writeSecret('secret', 2, 'ci/deploy', SECRET);
});

afterAll(async () => {
  pool.closeAll();
  await bao?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('JWT login', () => {
  it('logs in with an RS256 JWT from a file, and the token reads the secret', async () => {
    const vault = client();
    const token = await login({ method: 'jwt', role: 'ci', jwt: { file: file('jwt', `${ciJwt()}\n`) } }, vault, OPTIONS);
    expect(await readSecretWith(vault, token)).toEqual(SECRET);
  });

  it('logs in with an ES256 JWT from an environment variable', async () => {
    const vault = client();
    const env = { CI_JOB_JWT: ciJwt(ecKey) };
    const token = await login({ method: 'jwt', role: 'ci', jwt: { env: 'CI_JOB_JWT' } }, vault, { ...OPTIONS, env });
    expect(await readSecretWith(vault, token)).toEqual(SECRET);
  });

  it('refuses a JWT signed by a key Vault does not know', async () => {
    const forged = ciJwt(strangerKey);
    const error = await rejected(login({ method: 'jwt', role: 'ci', jwt: { file: file('forged', forged) } }, client(), OPTIONS));
    expectRefusedWithout(error, forged);
  });

  it('refuses a JWT for another audience', async () => {
    const elsewhere = ciJwt(rsaKey, { aud: 'another-service' });
    const error = await rejected(login({ method: 'jwt', role: 'ci', jwt: { env: 'TOKEN' } }, client(), { ...OPTIONS, env: { TOKEN: elsewhere } }));
    expectRefusedWithout(error, elsewhere);
  });

  it('names a missing variable without sending anything', async () => {
    const vault = client();
    const error = await rejected(login({ method: 'jwt', role: 'ci', jwt: { env: 'CI_JOB_JWT' } }, vault, { ...OPTIONS, env: {} }));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).input).toBe('environment variable CI_JOB_JWT');
    expect(vault.requestsSent).toBe(0);
  });
});
