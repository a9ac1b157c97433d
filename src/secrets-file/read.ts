// Reads the secrets files named by `--secrets-file` (repeatable) and parses them, in order; a
// directory stands for its `*.secrets` files in name order. The only I/O of the secrets-file stage:
// read errors, a file over the size limit and invalid UTF-8 become SecretsFileErrors naming the path.

import { isUtf8 } from 'node:buffer';
// `fs.opendirSync` read when a directory is: reading it loads Node's internal/fs/dir, which a run
// of secrets files alone does not need.
import fs, { statSync, type Dir } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { SecretsFileError, describeFileError, errorCode } from '../errors.ts';
// Synchronous reads: small files at start-up do not need node:fs/promises, which would cost start-up
// time to load (docs/bench.md).
import { formatSize, readLimitedSync, type LimitedRead } from '../limited-read.ts';
import { parseSecretsFile, type VariableScope } from './parse.ts';
import type { SecretRef } from './secret-ref.ts';

/**
 * The most a secrets file may hold. A line names one secret in some 50 bytes, so this is some twenty
 * thousand secrets, far more than an environment can hold (Linux allows at most 6 MiB for all of it);
 * what is larger is another file given by mistake (`--secrets-file /dev/zero` would fill memory).
 */
const MAX_SECRETS_FILE_BYTES = 1024 * 1024;

/**
 * The entries of a secrets directory looked at: a Kubernetes ConfigMap holds a few files (and its
 * own `..data` links), so a directory with more is another one given by mistake.
 */
const MAX_DIRECTORY_ENTRIES = 10_000;

/**
 * Relative paths are resolved against `cwd`. The refs of all files, in the order given; each file
 * has its own version. `variables` is what `${NAME}` reads in version 3 files. `onText` is shown each
 * file's text before it is parsed.
 */
export function readSecretsFiles(paths: readonly string[], cwd: string, variables?: VariableScope, onText?: (text: string) => void): SecretRef[] {
  const refs: SecretRef[] = [];
  for (const path of paths) {
    for (const file of isDirectory(resolve(cwd, path)) ? directoryFiles(path, cwd) : [path]) {
      const text = readSecretsText(file, cwd);
      onText?.(text);
      refs.push(...parseSecretsFile(text, file, variables));
    }
  }
  return refs;
}

/** Whether `path` is a directory (after symlinks); anything else, a missing path included, is read as a file. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The `*.secrets` files of a directory, in name order (by code unit, the same in every locale),
 * skipping names that start with `.`, as a shell's `*.secrets` does (and so a ConfigMap's `..data`).
 */
function directoryFiles(path: string, cwd: string): string[] {
  const names: string[] = [];
  let dir: Dir;
  try {
    dir = fs.opendirSync(resolve(cwd, path));
  } catch (error) {
    throw readError(path, resolve(cwd, path), error);
  }
  try {
    for (let seen = 0; ; seen++) {
      const entry = dir.readSync();
      if (entry === null) break;
      if (seen === MAX_DIRECTORY_ENTRIES) {
        throw new SecretsFileError(`secrets directory has more than ${MAX_DIRECTORY_ENTRIES} entries`, {
          input: path,
          hint: 'Pass a directory that holds only the secrets files, or the files themselves with --secrets-file',
        });
      }
      if (entry.name.endsWith('.secrets') && !entry.name.startsWith('.')) names.push(entry.name);
    }
  } finally {
    dir.closeSync();
  }
  if (names.length === 0) {
    throw new SecretsFileError('secrets directory holds no *.secrets file', {
      input: path,
      hint: 'A directory given to --secrets-file is read for its files named *.secrets: add one, or pass a file',
    });
  }
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((name) => join(path, name));
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
