// Reads the secrets files named by `--secrets-file` (repeatable) and parses them, in order. The only
// I/O of the secrets-file stage: read errors, a file over the size limit and invalid UTF-8 become
// SecretsFileErrors naming the path.

import { isUtf8 } from 'node:buffer';
import { isAbsolute, resolve } from 'node:path';
import { SecretsFileError, describeFileError, errorCode } from '../errors.ts';
// Synchronous reads: small files at start-up do not need node:fs/promises, which would cost start-up
// time to load (docs/bench.md).
import { formatSize, readLimitedSync, type LimitedRead } from '../limited-read.ts';
import { parseSecretsFile } from './parse.ts';
import type { SecretRef } from './secret-ref.ts';

/**
 * The most a secrets file may hold. A line names one secret in some 50 bytes, so this is some twenty
 * thousand secrets, far more than an environment can hold (Linux allows at most 6 MiB for all of it);
 * what is larger is another file given by mistake (`--secrets-file /dev/zero` would fill memory).
 */
const MAX_SECRETS_FILE_BYTES = 1024 * 1024;

/** Relative paths are resolved against `cwd`. The refs of all files, in the order given. */
export function readSecretsFiles(paths: readonly string[], cwd: string): SecretRef[] {
  const refs: SecretRef[] = [];
  for (const path of paths) {
    const text = readSecretsText(path, cwd);
    refs.push(...parseSecretsFile(text, path));
  }
  return refs;
}

function readSecretsText(path: string, cwd: string): string {
  const absolute = resolve(cwd, path);
  let read: LimitedRead;
  try {
    read = readLimitedSync(absolute, MAX_SECRETS_FILE_BYTES);
  } catch (error) {
    throw readError(path, absolute, error);
  }
  if (read.tooLarge) {
    throw new SecretsFileError(`secrets file is larger than ${formatSize(MAX_SECRETS_FILE_BYTES)}`, {
      input: path,
      hint: 'A secrets file lists names and paths, not values: check that --secrets-file names the right file',
    });
  }
  const { bytes } = read;
  if (!isUtf8(bytes)) {
    throw new SecretsFileError('secrets file is not valid UTF-8', {
      input: `${path}:${firstInvalidLine(bytes)}`,
      hint: 'Save the file as UTF-8',
    });
  }
  // toString keeps a BOM at the start; the parser ignores it.
  return bytes.toString('utf8');
}

/** The 1-based line holding the first invalid byte. `\n` never occurs inside a UTF-8 sequence. */
function firstInvalidLine(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, start);
    const slice = bytes.subarray(start, end === -1 ? bytes.length : end);
    if (!isUtf8(slice) || end === -1) return line;
    line++;
    start = end + 1;
  }
}

function readError(path: string, absolute: string, error: unknown): SecretsFileError {
  const code = errorCode(error);
  const where = isAbsolute(path) ? path : `${path}, resolved to ${absolute}`;
  return new SecretsFileError(`secrets file ${describeFileError(code)}`, { input: path, hint: readHint(code, where), cause: error });
}

function readHint(code: string | undefined, where: string): string {
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return `Check the path (${where}) or pass another with --secrets-file`;
    case 'EACCES':
    case 'EPERM':
      return 'Give the user running vaultenv read permission on the file';
    case 'EISDIR':
      return 'Pass the path of a file to --secrets-file';
    default:
      return `Check the file (${where})`;
  }
}
