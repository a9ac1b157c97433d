// Whether a Vault address set by ./.env may receive a credential from outside that file. A `.env` in a
// cloned repository (or one a pull request changes) is the repository's, not the user's: one that
// names its own Vault address would otherwise be sent the user's token (VAULT_TOKEN, ~/.vault-token,
// a token file) or a login's credential. So the first time it would, vaultenv refuses until the user
// says `vaultenv allow`, which records the file's path and a digest of its content in the user's
// config folder, as direnv and mise do; a changed file needs a new `allow`. An address from the
// environment or a flag, or a token written in the file itself, needs nothing. Scripts and CI jobs
// that mean it set --trust-dotenv / VAULTENV_TRUST_DOTENV, which no config file can set.

// Default import only: the bundle loads node:crypto on first use, only when a digest is needed.
import crypto from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError, describeFileError, errorCode } from '../errors.ts';
import { readLimitedSync, type LimitedRead } from '../limited-read.ts';
import { addressSource } from './address.ts';
import type { OptionId } from './options.ts';
import type { Source } from './sources.ts';
import type { AuthSetting } from './types.ts';

/** The settings that say where requests go. */
const ADDRESS_IDS = ['host', 'port', 'tls'] as const satisfies readonly OptionId[];

/** Room for thousands of entries; a larger file is not one vaultenv wrote. */
const MAX_ALLOW_LIST_BYTES = 1024 * 1024;

export interface DotenvAddressInputs {
  /** Every source, lowest precedence first. */
  sources: readonly Source[];
  /** The ./.env source, if the file exists. */
  local: { source: Source; path: string; text: string } | undefined;
  auth: AuthSetting;
  /** The source whose login or token `auth` is, if any. */
  credentialSource: Source | undefined;
  /** --trust-dotenv / VAULTENV_TRUST_DOTENV. */
  trusted: boolean;
  /** The allow list file; undefined without a config folder. */
  allowList: string | undefined;
}

/**
 * Throws a ConfigError when ./.env sets the address that would receive a credential from outside it,
 * unless trusted or allowed. Reads the allow list only then.
 */
export function checkDotenvAddress(inputs: DotenvAddressInputs): void {
  const { local, sources } = inputs;
  if (local === undefined || inputs.trusted) return;
  const fromLocal: string[] = ADDRESS_IDS.filter((id) => sources.findLast((source) => source.values[id] !== undefined) === local.source).map(
    (id) => local.source.origins[id]?.name ?? id,
  );
  const address = addressSource(sources);
  if (address === local.source && address.endpoint?.socket !== undefined) fromLocal.push(address.endpoint.name);
  if (fromLocal.length === 0) return;
  // With no credential, an Agent or socket address gets no token: no token file is probed for it (connect.ts).
  if (inputs.auth.method === 'none' && address?.endpoint !== undefined) return;
  // A token written in the file itself goes where the file says; any other credential comes from elsewhere.
  const tokenInFile = (inputs.auth.method === 'token' || inputs.auth.method === 'github') && inputs.credentialSource === local.source;
  if (tokenInFile) return;
  if (inputs.allowList !== undefined && isAllowed(readAllowList(inputs.allowList), local.path, digest(local.text))) return;

  const names = [...new Set(fromLocal)].join(', ');
  throw new ConfigError(`the Vault address in ${local.path} would receive ${describeCredential(inputs.auth, inputs.credentialSource)}`, {
    input: `${names} in file ${local.path}`,
    hint:
      `a .env file that comes with a repository can send your credential anywhere: if you trust this one, run vaultenv allow ${local.path} ` +
      '(it records the file as it is now), or give the address in the environment or a flag; scripts that mean it set VAULTENV_TRUST_DOTENV=true',
  });
}

function describeCredential(auth: AuthSetting, source: Source | undefined): string {
  const from = source === undefined ? '' : ` from ${source.label}`;
  switch (auth.method) {
    case 'none':
      return 'a token from a well-known token file (~/.vault-token)';
    case 'token':
    case 'github':
      return `a token${from}`;
    case 'token-file':
      return `the token of ${auth.path}`;
    case 'kubernetes':
    case 'approle':
    case 'jwt':
      return `the credential of a ${auth.method} login${from}`;
  }
}

/** $XDG_CONFIG_HOME/vaultenv/allowed, else ~/.config/vaultenv/allowed; undefined without either. */
export function allowListPath(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const { XDG_CONFIG_HOME: xdg, HOME: home } = env;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'vaultenv', 'allowed');
  if (home !== undefined && isAbsolute(home)) return join(home, '.config', 'vaultenv', 'allowed');
  return undefined;
}

/** The digest an entry records: SHA-256 of the file's text. */
export function digest(text: string): string {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Whether the list has an entry `<digest> <path>` for exactly this path and content. */
export function isAllowed(list: string, path: string, contentDigest: string): boolean {
  return list.split('\n').includes(`${contentDigest} ${path}`);
}

/** The list's text; empty when there is none yet. */
export function readAllowList(file: string): string {
  let read: LimitedRead;
  try {
    read = readLimitedSync(file, MAX_ALLOW_LIST_BYTES);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return '';
    throw new ConfigError(`the list of allowed .env files ${describeFileError(code)}`, { input: file, hint: 'make it readable by this user, or remove it' });
  }
  if (read.tooLarge) {
    throw new ConfigError('the list of allowed .env files is not a file vaultenv wrote', { input: file, hint: 'remove it; vaultenv allow writes a new one' });
  }
  return read.bytes.toString('utf8');
}

/**
 * Records `path` with the digest of `text` (replacing the path's earlier entries), or with
 * `contentDigest` undefined removes the path's entries. Written to a new file, then renamed.
 */
export function updateAllowList(file: string, path: string, contentDigest: string | undefined): { changed: boolean } {
  const before = readAllowList(file);
  const kept = before.split('\n').filter((line) => line !== '' && line.slice(line.indexOf(' ') + 1) !== path);
  const lines = contentDigest === undefined ? kept : [...kept, `${contentDigest} ${path}`];
  const after = lines.map((line) => `${line}\n`).join('');
  if (after === before) return { changed: false };
  // A name of its own, created exclusively, then renamed: a vaultenv reading meanwhile sees the old
  // list or the new one, never half of one.
  const partial = `${file}.${Date.now()}-${Math.random().toString(36).slice(2)}`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(partial, after, { flag: 'wx', mode: 0o600 });
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw new ConfigError(`the list of allowed .env files cannot be written (${errorCode(error) ?? 'unknown error'})`, {
      input: file,
      hint: 'check that this user may write to the folder',
    });
  }
  return { changed: true };
}
