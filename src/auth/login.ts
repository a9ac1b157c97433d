// vaultenv's login methods: Kubernetes (the pod's service-account JWT) and GitHub (a personal access
// token), each a POST to /v1/auth/<mount>/login that answers a client token. A refused login is an
// AuthError answered once; vaultenv retried it nine times and called it an "Internal Vault error".

import { readFile } from 'node:fs/promises';
import * as z from 'zod/mini';
import { AuthError, VaultUnavailableError } from '../errors.ts';
import type { AuthSetting } from '../config/types.ts';
import { VaultFailure } from '../vault/failure.ts';
import type { VaultHttp } from '../vault/http.ts';
import { parseJson } from '../vault/kv.ts';
import { withRetries, type RetryClock, type RetryPolicy } from '../vault/retry.ts';

export const KUBERNETES_JWT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type LoginSetting = Extract<AuthSetting, { method: 'kubernetes' | 'github' }>;

export interface LoginOptions {
  /** The auth method's mount; undefined means the method's name. */
  backend: string | undefined;
  retry: RetryPolicy;
  clock: RetryClock;
  readJwt?: (path: string) => Promise<string>;
}

const loginAnswer = z.object({ auth: z.object({ client_token: z.string().check(z.minLength(1)) }) });

/** Logs in and returns the client token. */
export async function login(setting: LoginSetting, client: VaultHttp, options: LoginOptions): Promise<string> {
  const backend = (options.backend ?? setting.method).replace(/^\/+|\/+$/g, '');
  const path = `/v1/auth/${backend.split('/').map(encodeURIComponent).join('/')}/login`;
  const body = setting.method === 'kubernetes' ? { jwt: await readJwt(options), role: setting.role } : { token: setting.token };
  try {
    return await withRetries(
      async () => {
        const response = await client.request('POST', path, { body });
        const parsed = loginAnswer.safeParse(parseJson(response.body));
        if (!parsed.success) throw new VaultFailure('bad-response', 'login answer has no client token');
        return parsed.data.auth.client_token;
      },
      options.retry,
      options.clock,
    );
  } catch (error) {
    if (!(error instanceof VaultFailure)) throw error;
    const says = error.vaultErrors.length > 0 ? `: Vault says "${error.vaultErrors.join('; ')}"` : '';
    const input = `${setting.method} login at auth/${backend}`;
    switch (error.kind) {
      case 'bad-request':
      case 'unauthorized':
      case 'forbidden':
      case 'not-found':
        return Promise.reject(
          new AuthError(`login refused (${error.detail})${says}`, {
            input,
            hint:
              setting.method === 'kubernetes'
                ? 'check the role name, the auth mount (--auth-backend) and that the role binds this service account'
                : 'check the GitHub token, its read:org scope and the auth mount (--auth-backend)',
          }),
        );
      default:
        return Promise.reject(
          new VaultUnavailableError(`login failed: ${error.detail}${says}`, { input, hint: 'check the address and that Vault is running; vaultenv retried with backoff' }),
        );
    }
  }
}

async function readJwt(options: LoginOptions): Promise<string> {
  const read = options.readJwt ?? ((path: string) => readFile(path, 'utf8'));
  try {
    return await read(KUBERNETES_JWT_PATH);
  } catch {
    throw new AuthError('cannot read the Kubernetes service-account token', {
      input: KUBERNETES_JWT_PATH,
      hint: 'run inside a pod with a mounted service-account token, or use another way to authenticate',
    });
  }
}
