// Reads a file the user names, up to a size limit: every file vaultenv reads has one (secrets files,
// config files, token, JWT and secret-ID files, PEM files). Incremental, so a pipe (`<(…)`, a FIFO)
// works and `/dev/zero` stops at the limit instead of filling memory. Errors are Node's, with their
// `code`, for each reader to describe in its own words (errors.ts describeFileError); a file over
// the limit is a result, not an error, for the same reason.

import { closeSync, openSync, readSync } from 'node:fs';
import fsp from 'node:fs/promises';

/** The file's bytes, or `tooLarge` when it holds more than the limit (only limit + 1 bytes are read). */
export type LimitedRead = { tooLarge: false; bytes: Buffer } | { tooLarge: true };

/** The bytes read per call: small files take one read, and a pipe gives at most this much at once anyway. */
const CHUNK_BYTES = 64 * 1024;

/** Reads `path` synchronously (start-up reads: config and secrets files), at most `limit` bytes. */
export function readLimitedSync(path: string, limit: number): LimitedRead {
  const fd = openSync(path, 'r');
  try {
    const collector = new Collector(limit);
    for (;;) {
      const buffer = collector.nextBuffer();
      const done = collector.take(buffer, readSync(fd, buffer, 0, buffer.length, null));
      if (done !== undefined) return done;
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads `path` without blocking the event loop (credential and PEM files), at most `limit` bytes. */
export async function readLimited(path: string, limit: number): Promise<LimitedRead> {
  const handle = await fsp.open(path, 'r');
  try {
    const collector = new Collector(limit);
    for (;;) {
      const buffer = collector.nextBuffer();
      const done = collector.take(buffer, (await handle.read(buffer, 0, buffer.length, null)).bytesRead);
      if (done !== undefined) return done;
    }
  } finally {
    await handle.close();
  }
}

/** The chunks read so far; never asks for more than one byte past the limit in all. */
class Collector {
  private readonly limit: number;
  private readonly chunks: Buffer[] = [];
  private total = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  nextBuffer(): Buffer {
    return Buffer.alloc(Math.min(CHUNK_BYTES, this.limit + 1 - this.total));
  }

  /** Takes what one read put into `buffer`: the result at the end of the file or past the limit, else undefined. */
  take(buffer: Buffer, bytesRead: number): LimitedRead | undefined {
    if (bytesRead === 0) return { tooLarge: false, bytes: Buffer.concat(this.chunks, this.total) };
    this.chunks.push(buffer.subarray(0, bytesRead));
    this.total += bytesRead;
    return this.total > this.limit ? { tooLarge: true } : undefined;
  }
}

/** A size for messages: `1 MiB`, `64 KiB`. */
export function formatSize(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}
