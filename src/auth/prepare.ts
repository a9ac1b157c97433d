// Turns the configured AuthSetting into what the Vault client needs: a token (given, or read from a
// token file), or a login to perform (login.ts). With nothing configured, the well-known token files
// are tried in order (kubernetes-vault's, then ~/.vault-token); with none present requests go without
// a token (a Vault Agent in front adds one). Token files are re-read on every call: the renewer calls
// this each cycle, so a file replaced by kubernetes-vault or an Agent is picked up.

import fsp from 'node:fs/promises';
import { join } from 'node:path';
import type { AuthSetting } from '../config/types.ts';
import type { LoginSetting } from './login.ts';

/** Where kubernetes-vault's init container writes its token file. */
const KUBERNETES_VAULT_TOKEN_FILE = '/var/run/secrets/boostport.com/vault-token';

export type PreparedAuth =
  | {
      kind: 'token';
      /** undefined: send no token. */
      token: string | undefined;
      /** A short description for logs and errors ("the configured token", "token file /path", "~/.vault-token"), never the token. */
      origin: string;
      /** A kubernetes-vault file's vaultAddr: used only when no address is configured. */
      vaultAddr?: string;
      /** The ca.crt beside a kubernetes-vault token file. */
      caFile?: string;
      /** The token file the token came from, when it came from one. */
      tokenFile?: string;
      /** That file's permission bits, when its group or others may read it (worth an info line, never a failure). */
      tokenFileReadableByOthers?: number;
    }
  | { kind: 'login'; login: LoginSetting };

export interface PrepareAuthDeps {
  env: Readonly<Record<string, string | undefined>>;
  /** Tried in order when nothing is configured; usually defaultWellKnownTokenFiles(env). */
  wellKnownTokenFiles: readonly string[];
}

/** kubernetes-vault's token file, then $HOME/.vault-token (the Vault CLI's token helper file) when HOME is set. */
export function defaultWellKnownTokenFiles(env: Readonly<Record<string, string | undefined>>): string[] {
  const files = [KUBERNETES_VAULT_TOKEN_FILE];
  const home = env.HOME;
  if (home !== undefined && home !== '') files.push(join(home, '.vault-token'));
  return files;
}

export async function prepareAuth(auth: AuthSetting, deps: PrepareAuthDeps): Promise<PreparedAuth> {
  switch (auth.method) {
    case 'token':
      return { kind: 'token', token: auth.token, origin: 'the configured token' };
    case 'token-file':
      return fromTokenFile(auth.path, `token file ${auth.path}`);
    case 'none':
      for (const path of deps.wellKnownTokenFiles) {
        if (await exists(path)) return fromTokenFile(path, describeWellKnown(path, deps.env));
      }
      return { kind: 'token', token: undefined, origin: 'none' };
    case 'kubernetes':
    case 'github':
    case 'approle':
    case 'jwt':
      return { kind: 'login', login: auth };
  }
}

async function fromTokenFile(path: string, origin: string): Promise<PreparedAuth> {
  // Loaded for a token file alone: it checks a kubernetes-vault file with zod (vault/answers.ts),
  // whose module a run with a token never loads.
  const { readTokenFile } = await import('./token-file.ts');
  const file = await readTokenFile(path);
  const prepared: PreparedAuth = { kind: 'token', token: file.token, origin, tokenFile: path };
  if (file.vaultAddr !== undefined) prepared.vaultAddr = file.vaultAddr;
  if (file.caFile !== undefined) prepared.caFile = file.caFile;
  if (file.readableByOthers !== undefined) prepared.tokenFileReadableByOthers = file.readableByOthers;
  return prepared;
}

function describeWellKnown(path: string, env: Readonly<Record<string, string | undefined>>): string {
  const home = env.HOME;
  if (home !== undefined && home !== '' && path === join(home, '.vault-token')) return '~/.vault-token';
  return `token file ${path}`;
}

/**
 * Whether a well-known token file is there to be read. Missing paths, and paths we may not even look
 * at (a directory of another user), count as absent; a present file that is unreadable or malformed
 * is an error later, never skipped.
 */
async function exists(path: string): Promise<boolean> {
  try {
    return !(await fsp.stat(path)).isDirectory();
  } catch {
    return false;
  }
}
