// Logging for `--log-level info`: progress lines on stderr (vaultenv 0.19 writes them to stdout, where
// they mix with the child's output). Writes are synchronous on fd 2: nothing is queued in libuv when
// execve replaces the process, and process.stderr is never touched (touching it would leave the fd
// non-blocking for the program we exec, which then fails with EAGAIN on a full pipe).

import { writeSync } from 'node:fs';
import type { Redactor } from './redact.ts';

/** The words of --log-level: error reports failures only, info adds progress lines. */
export const LOG_LEVELS = ['error', 'info'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Output on the real file descriptors, written synchronously. */
export const processOutput: Output = {
  stdout: (text) => writeAll(1, text),
  stderr: (text) => writeAll(2, text),
};

/**
 * Writes all of `text` to `fd`, or as much as the fd takes. A write that fails (EPIPE: the reader is
 * gone; ENOSPC: `2>/dev/full`; EBADF: `2>&-`) ends the write quietly: what vaultenv prints is a
 * report, and failing to deliver it must not change the exit code the report is about.
 */
function writeAll(fd: number, text: string): void {
  writeBytes(fd, Buffer.from(text, 'utf8'));
}

/** Writes all of `buffer` to `fd` as writeAll does: the program's masked output (exec/spawn.ts) too. */
export function writeBytes(fd: number, buffer: Uint8Array): void {
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += writeSync(fd, buffer, offset);
    } catch (error) {
      // EAGAIN: the fd was left non-blocking by whoever gave it to us; wait a moment and retry.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

export class Logger {
  private readonly output: Output;
  private readonly level: LogLevel;
  private readonly redactor: Redactor;

  constructor(output: Output, level: LogLevel, redactor: Redactor) {
    this.output = output;
    this.level = level;
    this.redactor = redactor;
  }

  info(message: string): void {
    if (this.level === 'info') this.output.stderr(this.redactor.redact(`vaultenv: info: ${message}`) + '\n');
  }

  warn(message: string): void {
    this.output.stderr(this.redactor.redact(`vaultenv: warning: ${message}`) + '\n');
  }
}
