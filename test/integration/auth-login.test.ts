// AppRole login against a real OpenBao dev server of this file's own: a secret ID from a file, a
// response-wrapped one (unwrapped once, refused clearly the second time), a non-default mount. Each
// token obtained reads a secret under a narrow policy. GitHub login needs GitHub and is not tested here.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, type LoginOptions } from '../../src/auth/login.ts';
import { AuthError, VaultenvError } from '../../src/errors.ts';
import type { VaultHttp } from '../../src/vault/http.ts';
import { realClock } from '../../src/vault/clock.ts';
import { startBao, type BaoApi, type BaoServer } from '../helpers/bao.ts';
import { rejected } from '../helpers/thrown.ts';
import { clientPool, readKv2With } from '../helpers/vault-clients.ts';

const SECRET = { password: 'approle-secret-value-5f1c' };
const OPTIONS: LoginOptions = { backend: undefined, retry: { baseDelayMs: 10, retries: 2 }, clock: realClock };

let bao: BaoServer;
let dir: string;
const pool = clientPool();

const client = (): VaultHttp => pool.client(bao.port);

const readSecretWith = (vault: VaultHttp, token: string): Promise<unknown> => readKv2With(vault, token, 'app/db');

/** Fails when any credential appears in what a user would see of the error. */
function expectNoCredential(error: unknown, credentials: readonly string[]): void {
  expect(error).toBeInstanceOf(VaultenvError);
  const { message, hint, input } = error as VaultenvError;
  const shown = `${message} ${hint ?? ''} ${input ?? ''}`;
  for (const credential of credentials) expect(shown.includes(credential), 'a credential appears in the error').toBe(false);
}

async function createRole(api: BaoApi, mount: string, role: string): Promise<string> {
  const created = await api.request('POST', `auth/${mount}/role/${role}`, { token_policies: ['app-db'], token_ttl: '5m' });
  expect(created.status).toBe(204);
  const roleId = await api.request('GET', `auth/${mount}/role/${role}/role-id`);
  return (roleId.body as { data: { role_id: string } }).data.role_id;
}

async function newSecretId(api: BaoApi, mount: string, role: string): Promise<string> {
  const response = await api.request('POST', `auth/${mount}/role/${role}/secret-id`, {});
  expect(response.status).toBe(200);
  return (response.body as { data: { secret_id: string } }).data.secret_id;
}

/** The whole wrapped answer: `{ "wrap_info": { "token": … , "accessor": …, "ttl": 60, … } }`. */
async function newWrappedSecretId(api: BaoApi, mount: string, role: string): Promise<{ wrapInfo: Record<string, unknown>; token: string }> {
  const response = await api.request('POST', `auth/${mount}/role/${role}/secret-id`, {}, { headers: { 'X-Vault-Wrap-TTL': '60s' } });
  expect(response.status).toBe(200);
  const wrapInfo = (response.body as { wrap_info: Record<string, unknown> & { token: string } }).wrap_info;
  expect(wrapInfo.creation_path).toBe(`auth/${mount}/role/${role}/secret-id`);
  return { wrapInfo, token: wrapInfo.token };
}

function file(name: string, content: string): string {
  const target = path.join(dir, name);
  writeFileSync(target, content, { mode: 0o600 });
  return target;
}

let roleId: string;

beforeAll(async () => {
  bao = await startBao();
  dir = mkdtempSync(path.join(tmpdir(), 'vaultenv-approle-'));
  await bao.api.enableAuth('approle', 'approle');
  await bao.api.writePolicy('app-db', 'path "secret/data/app/db" { capabilities = ["read"] }');
  await bao.api.writeSecret('secret', 2, 'app/db', SECRET);
  roleId = await createRole(bao.api, 'approle', 'app');
});

afterAll(async () => {
  pool.closeAll();
  await bao?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('AppRole login', () => {
  it('logs in with a plain secret ID from a file, and the token reads the secret', async () => {
    const secretId = await newSecretId(bao.api, 'approle', 'app');
    const secretIdFile = file('secret-id', `${secretId}\n`);
    const vault = client();
    const token = await login({ method: 'approle', roleId, secretIdFile, secretIdWrapped: false }, vault, OPTIONS);
    expect(token).not.toBe('');
    expect(await readSecretWith(vault, token)).toEqual(SECRET);
  });

  it('refuses a wrong secret ID with Vault’s reason and without the credentials', async () => {
    const wrong = '0b7f4c1e-2d7e-4f5e-9a51-5b6f2a9d0c11';
    const error = await rejected(login({ method: 'approle', roleId, secretIdFile: file('wrong', wrong), secretIdWrapped: false }, client(), OPTIONS));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).exitCode).toBe(4);
    expect((error as AuthError).message).toMatch(/^login refused \(HTTP 400\): Vault says ".+"/);
    expect((error as AuthError).input).toBe('approle login at auth/approle');
    expectNoCredential(error, [wrong, roleId]);
  });

  it('unwraps a response-wrapped secret ID given as a wrapping token (secretIdWrapped)', async () => {
    const { token: wrapping } = await newWrappedSecretId(bao.api, 'approle', 'app');
    const vault = client();
    const token = await login({ method: 'approle', roleId, secretIdFile: file('wrapped-token', `${wrapping}\n`), secretIdWrapped: true }, vault, OPTIONS);
    expect(token).not.toBe(wrapping);
    expect(await readSecretWith(vault, token)).toEqual(SECRET);
  });

  it('recognises wrap-info JSON without being told, and a second use fails clearly', async () => {
    const { wrapInfo, token: wrapping } = await newWrappedSecretId(bao.api, 'approle', 'app');
    // The shape `vault write -wrap-ttl=60s -format=json …` prints, then the bare wrap_info object.
    const files = [file('wrapped.json', JSON.stringify({ wrap_info: wrapInfo })), file('wrap-info.json', JSON.stringify(wrapInfo))];
    const setting = { method: 'approle', roleId, secretIdFile: files[0]!, secretIdWrapped: false } as const;

    const vault = client();
    const token = await login(setting, vault, OPTIONS);
    expect(await readSecretWith(vault, token)).toEqual(SECRET);

    for (const secretIdFile of files) {
      const error = await rejected(login({ ...setting, secretIdFile }, client(), OPTIONS));
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).message).toBe('the wrapped secret ID was already used or has expired');
      expect((error as AuthError).hint).toMatch(/works once.*get a fresh one/);
      expect((error as AuthError).input).toBe(`unwrapping the secret ID of ${secretIdFile}`);
      expectNoCredential(error, [wrapping, token, roleId]);
    }
  });

  it('logs in on a non-default mount given as the backend, and only there', async () => {
    await bao.api.enableAuth('team/apps', 'approle');
    const otherRoleId = await createRole(bao.api, 'team/apps', 'web');
    const secretIdFile = file('team-secret-id', await newSecretId(bao.api, 'team/apps', 'web'));
    const setting = { method: 'approle', roleId: otherRoleId, secretIdFile, secretIdWrapped: false } as const;

    const refused = await rejected(login(setting, client(), OPTIONS));
    expect(refused).toBeInstanceOf(AuthError);
    expect((refused as AuthError).message).toBe('login refused (HTTP 400): Vault says "invalid role or secret ID"');
    expect((refused as AuthError).input).toBe('approle login at auth/approle');

    const vault = client();
    const token = await login(setting, vault, { ...OPTIONS, backend: '/team/apps/' });
    expect(await readSecretWith(vault, token)).toEqual(SECRET);
  });

  it('names an unreadable secret-ID file', async () => {
    const missing = path.join(dir, 'no-such-secret-id');
    const error = await rejected(login({ method: 'approle', roleId, secretIdFile: missing, secretIdWrapped: false }, client(), OPTIONS));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe('secret ID file not found');
    expect((error as AuthError).input).toBe(missing);
  });
});
