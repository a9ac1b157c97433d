// Our own VaultHttp clients for integration tests that call a stage directly (logins, token files):
// created against a real server, closed together in afterAll, plus a KV v2 read with a given token.

import { createVaultHttp, type VaultHttp } from '../../src/vault/http.ts';

export interface ClientPool {
  /** A plain-HTTP client for 127.0.0.1:`port` (or the address's host and port), with `token` or none. */
  client(target: number | string, token?: string): VaultHttp;
  closeAll(): void;
}

export function clientPool(): ClientPool {
  const clients: VaultHttp[] = [];
  return {
    client(target, token) {
      const url = typeof target === 'number' ? new URL(`http://127.0.0.1:${target}`) : new URL(target);
      const created = createVaultHttp({ host: url.hostname, port: Number(url.port), tls: false, validateCerts: true, token, timeoutMs: 10_000, maxSockets: 4 });
      clients.push(created);
      return created;
    },
    closeAll() {
      for (const c of clients.splice(0)) c.close();
    },
  };
}

/** The data of the KV v2 secret at `secret/<path>`, read with `token`. */
export async function readKv2With(vault: VaultHttp, token: string | undefined, path: string): Promise<unknown> {
  vault.setToken(token);
  const response = await vault.request('GET', `/v1/secret/data/${path}`);
  return (JSON.parse(response.body) as { data: { data: unknown } }).data.data;
}
