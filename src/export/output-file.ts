// Writing `vaultenv export --output FILE`: the secrets go to a new file created with mode 0600 beside
// FILE, written in full and synced, then renamed over FILE, so a reader sees the old file or the new
// one, never a part, and no other user can read it at any moment. A symbolic link at FILE is refused
// (it would let whoever placed it choose where the secrets go); so is anything but a regular file.

import crypto from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError, describeFileError, errorCode } from '../errors.ts';

const INPUT = '--output';

export function writeOutputFile(path: string, text: string): void {
  const existing = statOf(path);
  if (existing?.isSymbolicLink() === true) {
    throw new ConfigError(`the output file ${path} is a symbolic link`, { input: INPUT, hint: 'give the path of a regular file; vaultenv does not write secrets through a link' });
  }
  if (existing !== undefined && !existing.isFile()) {
    throw new ConfigError(`the output file ${path} is not a regular file`, { input: INPUT, hint: 'give the path of a regular file, or of one to create' });
  }
  const temporary = join(dirname(path), `.${basename(path)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  let fd: number;
  try {
    // wx: O_CREAT | O_EXCL, which also refuses a link planted at the temporary name.
    fd = openSync(temporary, 'wx', 0o600);
  } catch (error) {
    throw new ConfigError(`the output file's folder ${dirname(path)} ${describeFileError(errorCode(error)).replace(/^not found$/, 'does not exist')}`, {
      input: INPUT,
      hint: 'give a file in a folder you may write to',
    });
  }
  try {
    const buffer = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < buffer.length; ) offset += writeSync(fd, buffer, offset);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
    try {
      unlinkSync(temporary);
    } catch {
      // Renamed already, or gone.
    }
    throw new ConfigError(`the output file ${path} cannot be written (${errorCode(error) ?? 'unknown error'})`, { input: INPUT, hint: 'check the free space and the permissions of its folder' });
  }
}

function statOf(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new ConfigError(`the output file ${path} ${describeFileError(errorCode(error))}`, { input: INPUT, hint: 'give a file in a folder you may write to' });
  }
}

/**
 * Appends to GitHub's $GITHUB_ENV file, which the runner created for the step: never created here,
 * never through a symbolic link.
 */
export function appendGithubEnv(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
  } catch (error) {
    const code = errorCode(error);
    const problem = code === 'ELOOP' ? 'is a symbolic link' : describeFileError(code);
    throw new ConfigError(`$GITHUB_ENV ${path} ${problem}`, { input: 'GITHUB_ENV', hint: 'run vaultenv export --format github inside a GitHub Actions step, which sets GITHUB_ENV' });
  }
  try {
    const buffer = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < buffer.length; ) offset += writeSync(fd, buffer, offset);
  } finally {
    closeSync(fd);
  }
}
