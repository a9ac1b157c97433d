// A temporary folder for one test file, removed after it, with a writer that makes parent folders.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

export interface Scratch {
  dir: string;
  /** Writes `content` at `relative` inside the folder and returns the absolute path. */
  write: (relative: string, content: string | Buffer, mode?: number) => string;
}

export function scratchDir(prefix: string): Scratch {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write: (relative, content, mode) => {
      const target = path.join(dir, relative);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, content, mode === undefined ? undefined : { mode });
      return target;
    },
  };
}
