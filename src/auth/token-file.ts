// Token files: the kubernetes-vault JSON file (clientToken, accessor, leaseDuration, renewable,
// vaultAddr; a ca.crt may sit beside it) and a plain token file such as a Vault/OpenBao Agent sink.
// parseTokenFile is pure, readTokenFile does the I/O. Errors name the file, never its content: a
// malformed file may still hold a token.

import fsp from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AuthError, describeFileError, errorCode } from '../errors.ts';
import { formatSize, readLimited, type LimitedRead } from '../limited-read.ts';
import { TOKEN_CHARACTERS, kubernetesVaultTokenFile } from '../vault/answers.ts';

export interface TokenFileContents {
  token: string;
  format: 'kubernetes-vault' | 'plain';
  vaultAddr?: string;
  accessor?: string;
  leaseDuration?: number;
  renewable?: boolean;
}

export interface TokenFile extends TokenFileContents {
  /** `<dir>/ca.crt` when it exists beside a kubernetes-vault token file. */
  caFile?: string;
  /** The file's permission bits when its group or others may read it (mode & 0o044), else undefined. */
  readableByOthers?: number;
}

const FORMATS_HINT =
  'a kubernetes-vault token file is JSON with a non-empty string "clientToken"; a plain token file (an Agent sink) holds the token alone on one line';

function malformed(path: string, hint: string): AuthError {
  return new AuthError('malformed token file', { input: path, hint });
}

/** The token (and, for kubernetes-vault files, the other fields) of a token file's text. */
export function parseTokenFile(text: string, path: string): TokenFileContents {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return throwError(malformed(path, `the file is empty; ${FORMATS_HINT}`));
  if (/^[{["]/.test(trimmed)) return parseJsonTokenFile(trimmed, path);
  if (/[\r\n]/.test(trimmed)) return throwError(malformed(path, `the file has several lines; ${FORMATS_HINT}`));
  if (!TOKEN_CHARACTERS.test(trimmed)) return throwError(malformed(path, `the token contains spaces or control characters; ${FORMATS_HINT}`));
  return { token: trimmed, format: 'plain' };
}

function parseJsonTokenFile(trimmed: string, path: string): TokenFileContents {
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw malformed(path, `the file looks like JSON but does not parse; ${FORMATS_HINT}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed(path, `the JSON is not an object; ${FORMATS_HINT}`);
  const clientToken = (parsed as Record<string, unknown>).clientToken;
  if (typeof clientToken !== 'string' || clientToken === '') {
    throw malformed(path, `the JSON has no non-empty string "clientToken" (a response-wrapped or encrypted Agent sink is not supported); ${FORMATS_HINT}`);
  }
  const result = kubernetesVaultTokenFile(parsed);
  if ('invalid' in result) {
    // Field names come from the schema, never from the file.
    const fields = result.invalid;
    throw malformed(path, `invalid field${fields.length === 1 ? '' : 's'} ${fields.map((f) => `"${f}"`).join(', ')}: clientToken is a token without spaces, accessor and vaultAddr are strings, leaseDuration is a whole number of seconds, renewable is true or false`);
  }
  const data = result.fields;
  const contents: TokenFileContents = { token: data.clientToken, format: 'kubernetes-vault' };
  if (data.vaultAddr !== undefined) contents.vaultAddr = data.vaultAddr;
  if (data.accessor !== undefined) contents.accessor = data.accessor;
  if (data.leaseDuration !== undefined) contents.leaseDuration = data.leaseDuration;
  if (data.renewable !== undefined) contents.renewable = data.renewable;
  return contents;
}

function throwError(error: Error): never {
  throw error;
}

/** Reads and parses a token file; for a kubernetes-vault file, also finds the ca.crt beside it. */
export async function readTokenFile(path: string): Promise<TokenFile> {
  const contents: TokenFile = parseTokenFile(await readCredentialFile(path, 'token file'), path);
  const mode = await permissions(path);
  if (mode !== undefined && (mode & 0o044) !== 0) contents.readableByOthers = mode;
  if (contents.format === 'kubernetes-vault') {
    const caFile = join(dirname(path), 'ca.crt');
    if (await isFile(caFile)) contents.caFile = caFile;
  }
  return contents;
}

/** The permission bits of `path`, undefined when it cannot be looked at (it was just read: a race). */
async function permissions(path: string): Promise<number | undefined> {
  try {
    return (await fsp.stat(path)).mode & 0o7777;
  } catch {
    return undefined;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await fsp.stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The most a credential file may hold: a token is under 200 bytes, a kubernetes-vault file or a JWT a
 * few KiB. What is larger is not a credential (a path naming another file, or /dev/zero).
 */
const MAX_CREDENTIAL_FILE_BYTES = 64 * 1024;

/** The text of a token, JWT or secret-ID file (`what` names it in errors), or an AuthError naming the file. */
export async function readCredentialFile(path: string, what: string): Promise<string> {
  let read: LimitedRead;
  try {
    read = await readLimited(path, MAX_CREDENTIAL_FILE_BYTES);
  } catch (error) {
    throw readError(what, path, error);
  }
  if (read.tooLarge) {
    throw new AuthError(`${what} is larger than ${formatSize(MAX_CREDENTIAL_FILE_BYTES)}`, { input: path, hint: `check that the path names the ${what}` });
  }
  return read.bytes.toString('utf8');
}

/** An AuthError for a credential file that cannot be read: built from the error code, never its message. */
export function readError(what: string, path: string, error: unknown): AuthError {
  const code = errorCode(error);
  return new AuthError(`${what} ${describeFileError(code)}`, { input: path, hint: READ_HINTS.get(code ?? '') ?? 'check the path and the file permissions' });
}

const READ_HINTS: ReadonlyMap<string, string> = new Map([
  ['ENOENT', 'check the path'],
  ['ENOTDIR', 'check the path'],
  ['EACCES', 'check the file permissions and the user vaultenv runs as'],
  ['EPERM', 'check the file permissions and the user vaultenv runs as'],
  ['EISDIR', 'give the path of the file itself'],
]);
