// Writing `vaultenv export --output FILE`: the secrets replace FILE as file-replace.ts writes (mode
// 0600, renamed into place), so a reader sees the old file or the new one, never a part, and no other
// user can read it at any moment. A symbolic link at FILE is refused
// (it would let whoever placed it choose where the secrets go); so is anything but a regular file.

import { closeSync, constants, lstatSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, describeFileError, errorCode } from '../errors.ts';
import { ReplaceFileError, replaceFile } from '../file-replace.ts';

const INPUT = '--output';

export function writeOutputFile(path: string, text: string): void {
  const existing = statOf(path);
  if (existing?.isSymbolicLink() === true) {
    throw new ConfigError(`the output file ${path} is a symbolic link`, { input: INPUT, hint: 'give the path of a regular file; vaultenv does not write secrets through a link' });
  }
  if (existing !== undefined && !existing.isFile()) {
    throw new ConfigError(`the output file ${path} is not a regular file`, { input: INPUT, hint: 'give the path of a regular file, or of one to create' });
  }
  try {
    replaceFile(path, text);
  } catch (error) {
    if (!(error instanceof ReplaceFileError)) throw error;
    if (error.stage === 'create') {
      throw new ConfigError(`the output file's folder ${dirname(path)} ${describeFileError(error.code).replace(/^not found$/, 'does not exist')}`, {
        input: INPUT,
        hint: 'give a file in a folder you may write to',
      });
    }
    throw new ConfigError(`the output file ${path} cannot be written (${error.code ?? 'unknown error'})`, { input: INPUT, hint: 'check the free space and the permissions of its folder' });
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
