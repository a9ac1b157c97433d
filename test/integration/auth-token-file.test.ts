// Token files against a real OpenBao dev server of this file's own: a kubernetes-vault JSON file and a
// plain Agent-sink file each give a token that reads a secret, and prepareAuth picks the credential in
// the documented order (a configured token file; else kubernetes-vault's file; else ~/.vault-token;
// else no token), with the well-known paths pointed at temporary files.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareAuth, type PreparedAuth } from '../../src/auth/prepare.ts';
import type { AuthSetting } from '../../src/config/types.ts';
import type { VaultHttp } from '../../src/vault/http.ts';
import { startBao, type BaoServer } from '../helpers/bao.ts';
import { clientPool } from '../helpers/vault-clients.ts';

const SECRET = { apiKey: 'token-file-secret-value-e41a' };

let bao: BaoServer;
let dir: string;
const pool = clientPool();
/** One token per place a token can come from, each able to read the secret. */
const tokens = { configured: '', boostport: '', home: '' };

const client = (address: string, token: string | undefined): VaultHttp => pool.client(address, token);

async function readSecret(vault: VaultHttp): Promise<unknown> {
  const response = await vault.request('GET', '/v1/secret/data/shop/api');
  return (JSON.parse(response.body) as { data: { data: unknown } }).data.data;
}

function write(relative: string, content: string): string {
  const target = path.join(dir, relative);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, content, { mode: 0o600 });
  return target;
}

function kubernetesVaultFile(token: string): string {
  return JSON.stringify({ clientToken: token, accessor: 'acc-1', leaseDuration: 3600, renewable: true, vaultAddr: bao.address });
}

function tokenOf(prepared: PreparedAuth): string | undefined {
  if (prepared.kind !== 'token') throw new Error(`expected a token, got a ${prepared.login.method} login`);
  return prepared.token;
}

beforeAll(async () => {
  bao = await startBao();
  dir = mkdtempSync(path.join(tmpdir(), 'vaultenv-token-file-'));
  await bao.api.writePolicy('shop-api', 'path "secret/data/shop/api" { capabilities = ["read"] }');
  await bao.api.writeSecret('secret', 2, 'shop/api', SECRET);
  for (const name of Object.keys(tokens) as Array<keyof typeof tokens>) {
    tokens[name] = await bao.api.createToken({ policies: ['shop-api'], ttl: '10m', displayName: name });
  }
});

afterAll(async () => {
  pool.closeAll();
  await bao?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('token files', () => {
  it('a kubernetes-vault JSON file gives its token, its vaultAddr and the ca.crt beside it; the token reads the secret', async () => {
    const tokenFile = write('k8s/vault-token', kubernetesVaultFile(tokens.configured));
    const caFile = write('k8s/ca.crt', '-----BEGIN CERTIFICATE-----\n');
    const prepared = await prepareAuth({ method: 'token-file', path: tokenFile }, { env: {}, wellKnownTokenFiles: [] });
    expect(prepared).toEqual({ kind: 'token', token: tokens.configured, origin: `token file ${tokenFile}`, vaultAddr: bao.address, caFile, tokenFile });
    const vault = client(bao.address, tokenOf(prepared));
    expect(await readSecret(vault)).toEqual(SECRET);
  });

  it('a plain Agent-sink file gives its token; the token reads the secret', async () => {
    const tokenFile = write('agent/sink', `${tokens.configured}\n`);
    const prepared = await prepareAuth({ method: 'token-file', path: tokenFile }, { env: {}, wellKnownTokenFiles: [] });
    expect(prepared).toEqual({ kind: 'token', token: tokens.configured, origin: `token file ${tokenFile}`, tokenFile });
    const vault = client(bao.address, tokenOf(prepared));
    expect(await readSecret(vault)).toEqual(SECRET);
  });
});

describe('prepareAuth order', () => {
  // Each row: what is configured, which well-known files exist → whose token is used.
  const rows: Array<{ row: string; auth: 'token-file' | 'none'; boostport: boolean; home: boolean; expect: keyof typeof tokens | 'none'; origin: string }> = [
    { row: 'a configured token file wins over both well-known files', auth: 'token-file', boostport: true, home: true, expect: 'configured', origin: 'token file <configured>' },
    { row: "kubernetes-vault's file wins over ~/.vault-token", auth: 'none', boostport: true, home: true, expect: 'boostport', origin: 'token file <boostport>' },
    { row: '~/.vault-token when there is no kubernetes-vault file', auth: 'none', boostport: false, home: true, expect: 'home', origin: '~/.vault-token' },
    { row: 'neither: no token at all', auth: 'none', boostport: false, home: false, expect: 'none', origin: 'none' },
  ];

  it.each(rows)('$row', async (row) => {
    const base = path.join(dir, `order-${rows.indexOf(row)}`);
    const home = path.join(base, 'home');
    mkdirSync(home, { recursive: true });
    const configured = write(path.relative(dir, path.join(base, 'configured-token')), `${tokens.configured}\n`);
    const boostport = path.join(base, 'boostport.com/vault-token');
    const homeFile = path.join(home, '.vault-token');
    if (row.boostport) write(path.relative(dir, boostport), kubernetesVaultFile(tokens.boostport));
    if (row.home) write(path.relative(dir, homeFile), tokens.home);
    const auth: AuthSetting = row.auth === 'token-file' ? { method: 'token-file', path: configured } : { method: 'none' };

    const prepared = await prepareAuth(auth, { env: { HOME: home }, wellKnownTokenFiles: [boostport, homeFile] });
    expect(prepared.kind).toBe('token');
    if (prepared.kind !== 'token') return;
    expect(prepared.origin).toBe(row.origin.replace('<configured>', configured).replace('<boostport>', boostport));
    const vault = client(bao.address, prepared.token);
    if (row.expect === 'none') {
      expect(prepared.token).toBeUndefined();
      // Sent without a token, the read is refused (a Vault Agent in front would have added one).
      await expect(readSecret(vault)).rejects.toMatchObject({ kind: 'forbidden' });
      return;
    }
    expect(prepared.token).toBe(tokens[row.expect]);
    const lookup = await vault.request('GET', '/v1/auth/token/lookup-self');
    expect((JSON.parse(lookup.body) as { data: { display_name: string } }).data.display_name).toBe(`token-${row.expect}`);
    expect(await readSecret(vault)).toEqual(SECRET);
  });

  it('re-reads a configured token file on every call (a replaced file is picked up)', async () => {
    const tokenFile = write('rotating/vault-token', kubernetesVaultFile(tokens.configured));
    const deps = { env: {}, wellKnownTokenFiles: [] };
    expect(tokenOf(await prepareAuth({ method: 'token-file', path: tokenFile }, deps))).toBe(tokens.configured);
    write('rotating/vault-token', kubernetesVaultFile(tokens.boostport));
    const prepared = await prepareAuth({ method: 'token-file', path: tokenFile }, deps);
    expect(tokenOf(prepared)).toBe(tokens.boostport);
    expect(await readSecret(client(bao.address, tokenOf(prepared)))).toEqual(SECRET);
  });
});
