// Writing a file that holds secrets so that no reader sees half of it and nobody else can read it:
// a new file of mode 0600 under a random name beside the target (O_EXCL: never one that exists,
// O_NOFOLLOW: never through a link), written in full and synced, then renamed over the target in
// one step. `vaultenv export --output` and the FILE secrets of version 3 files both write so.

import crypto from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errorCode } from './errors.ts';

/** Why a file could not be replaced: its temporary file could not be created, or not written and renamed. */
export class ReplaceFileError extends Error {
  readonly stage: 'create' | 'write';
  readonly code: string | undefined;

  constructor(stage: 'create' | 'write', code: string | undefined) {
    super(`${stage} failed (${code ?? 'unknown error'})`);
    this.stage = stage;
    this.code = code;
  }
}

export function replaceFile(path: string, text: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${crypto.randomBytes(8).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    throw new ReplaceFileError('create', errorCode(error));
  }
  try {
    try {
      // The umask may have taken bits away; 0600 is what the file must have, no more, no less.
      fchmodSync(fd, 0o600);
      const bytes = Buffer.from(text, 'utf8');
      for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // Already renamed, or gone.
    }
    throw new ReplaceFileError('write', errorCode(error));
  }
}
