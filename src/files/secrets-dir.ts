// The folder of the secrets a version 3 `FILE` line writes, and the writing: where the folder is
// (--secrets-dir, else `vaultenv-<uid>` under $XDG_RUNTIME_DIR or /dev/shm, both in memory), that it
// is the user's own (no symlink, no other owner, closed to others: mode 0700), and each file written
// with mode 0600, exclusively under a temporary name and renamed into place, so a program never
// reads half a file and nobody else can put one there. Runs between the fetch and the exec.

import { lstatSync, mkdirSync, chmodSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, EnvironmentError, describeFileError, errorCode } from '../errors.ts';
import { ReplaceFileError, replaceFile } from '../file-replace.ts';

/** The memory-backed folder every Linux has, when the login session gives no $XDG_RUNTIME_DIR. */
const SHARED_MEMORY_DIR = '/dev/shm';

const CHOOSE_HINT = 'pass --secrets-dir DIR (VAULTENV_SECRETS_DIR): a folder of your own, best in memory (tmpfs; in Kubernetes an emptyDir with medium: Memory)';

export interface SecretsDirInputs {
  /** --secrets-dir, as given. */
  configured: string | undefined;
  /** $XDG_RUNTIME_DIR of vaultenv's environment. */
  runtimeDir: string | undefined;
  /** The user running vaultenv; undefined where the system has no user ids. */
  uid: number | undefined;
  cwd: string;
}

/**
 * The folder's absolute path, created (mode 0700) when missing and checked when present. Called
 * before any secret is fetched, so a folder that cannot be used fails the run before Vault is asked.
 */
export function prepareSecretsDir(inputs: SecretsDirInputs): string {
  const { uid } = inputs;
  if (uid === undefined) {
    throw new ConfigError('FILE secrets need a system with user ids, to keep their folder to one user', {
      input: 'FILE lines of the secrets files',
      hint: 'set the values as variables instead (NAME=path#key)',
    });
  }
  const dir = inputs.configured === undefined ? defaultDir(inputs.runtimeDir, uid) : resolve(inputs.cwd, inputs.configured);
  const input = inputs.configured === undefined ? `default secrets folder ${dir}` : `--secrets-dir ${dir}`;
  try {
    mkdirSync(dir, { mode: 0o700 });
    // mkdir's mode passes through the umask, which may only take bits away: 0700 or less.
    chmodSync(dir, 0o700);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') {
      throw new ConfigError(`folder for FILE secrets cannot be created (${errorCode(error) ?? 'unknown error'})`, { input, hint: `check that its parent exists and is writable, or ${CHOOSE_HINT}` });
    }
  }
  checkOwnFolder(dir, uid, input);
  return dir;
}

function defaultDir(runtimeDir: string | undefined, uid: number): string {
  const name = `vaultenv-${uid}`;
  if (runtimeDir !== undefined && isAbsolute(runtimeDir) && isDirectory(runtimeDir)) return join(runtimeDir, name);
  if (isDirectory(SHARED_MEMORY_DIR)) return join(SHARED_MEMORY_DIR, name);
  throw new ConfigError('no folder for FILE secrets: $XDG_RUNTIME_DIR is not set and /dev/shm does not exist', {
    input: 'FILE lines of the secrets files',
    hint: CHOOSE_HINT,
  });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The folder itself (never a symlink's target) is a directory of `uid` that nobody else may enter. */
function checkOwnFolder(dir: string, uid: number, input: string): void {
  let stats;
  try {
    stats = lstatSync(dir);
  } catch (error) {
    throw new ConfigError(`folder for FILE secrets ${describeFileError(errorCode(error))}`, { input, hint: CHOOSE_HINT });
  }
  if (stats.isSymbolicLink()) {
    throw new ConfigError('folder for FILE secrets is a symbolic link, refused', {
      input,
      hint: `someone may have put it there to receive the secrets: remove it, or ${CHOOSE_HINT}`,
    });
  }
  if (!stats.isDirectory()) throw new ConfigError('folder for FILE secrets is not a directory', { input, hint: CHOOSE_HINT });
  if (stats.uid !== uid) {
    throw new ConfigError(`folder for FILE secrets belongs to user ${stats.uid}, not to ${uid}, refused`, {
      input,
      hint: `someone else may have made it to receive the secrets: ${CHOOSE_HINT}`,
    });
  }
  if ((stats.mode & 0o077) !== 0) {
    throw new ConfigError(`folder for FILE secrets is open to others (mode ${(stats.mode & 0o777).toString(8).padStart(3, '0')})`, {
      input,
      hint: `run chmod 700 on it, or ${CHOOSE_HINT}`,
    });
  }
}

/** Where the file of the variable `name` goes (FILE names are valid variable names: no `/`, no `..`). */
export function secretFilePath(dir: string, name: string): string {
  return join(dir, name);
}

/**
 * Writes each file as file-replace.ts does (mode 0600, renamed over the final name, which replaces a
 * file of an earlier run in one step). A symbolic link at the final name is refused rather than
 * replaced.
 */
export function writeSecretFiles(dir: string, files: ReadonlyArray<{ name: string; value: string }>): void {
  for (const { name, value } of files) {
    const target = secretFilePath(dir, name);
    const input = `FILE ${name}, ${target}`;
    if (isSymbolicLink(target)) {
      throw new EnvironmentError('a symbolic link stands where a FILE secret goes, refused', {
        input,
        hint: 'remove it: only vaultenv writes into the secrets folder',
      });
    }
    try {
      replaceFile(target, value);
    } catch (error) {
      if (!(error instanceof ReplaceFileError)) throw error;
      throw new EnvironmentError(`FILE secret cannot be written (${error.code ?? 'unknown error'})`, {
        input,
        hint: 'check the space and permissions of the secrets folder (--secrets-dir)',
      });
    }
  }
}

function isSymbolicLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
