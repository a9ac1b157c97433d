import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/cli/command-line.ts';
import { MANY_SECRET_LINES, readCommandSecretsFiles } from '../../../src/cli/secrets-files.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { SecretsFileError } from '../../../src/errors.ts';
import { thrownAs } from '../../helpers/thrown.ts';

const dir = mkdtempSync(join(tmpdir(), 'vaultenv-secrets-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NO_FILES = { system: join(dir, 'none.conf'), user: undefined, local: join(dir, '.env') };

/** A file of `count` secret lines, `<name>0=app/s0#value` and on, and `last` after them. */
function secretsFile(name: string, count: number, last = ''): string {
  const path = join(dir, `${name}.secrets`);
  writeFileSync(path, Array.from({ length: count }, (_, i) => `${name.toUpperCase()}${i}=app/s${i}#value\n`).join('') + last);
  return path;
}

function configFor(files: string[], address = 'http://127.0.0.1:8200') {
  const commandLine = parseCommandLine([...files.flatMap((file) => ['--secrets-file', file]), 'cmd']);
  if (commandLine.kind !== 'run') throw new Error('expected a run');
  return loadConfig({ commandLine, env: { VAULT_TOKEN: 'unit-token', VAULT_ADDR: address }, cwd: dir, configFiles: NO_FILES });
}

/** The refs read, and how many times the hook was called. */
function read(files: string[]): { refs: number; calls: number } {
  let calls = 0;
  const refs = readCommandSecretsFiles(configFor(files), {}, dir, () => calls++, true);
  return { refs: refs.length, calls };
}

describe('readCommandSecretsFiles and long secrets files', () => {
  it(`calls beforeManyLines once from ${MANY_SECRET_LINES} lines on, never below`, () => {
    expect(MANY_SECRET_LINES).toBe(100);
    expect(read([secretsFile('n', 99)])).toEqual({ refs: 99, calls: 0 });
    expect(read([secretsFile('h', 100)])).toEqual({ refs: 100, calls: 1 });
    expect(read([secretsFile('k', 1000)])).toEqual({ refs: 1000, calls: 1 });
  });

  it('counts the lines of all the files together, and calls it once', () => {
    const first = secretsFile('a', 60);
    const second = secretsFile('b', 60);
    expect(read([first])).toEqual({ refs: 60, calls: 0 });
    expect(read([first, second])).toEqual({ refs: 120, calls: 1 });
    expect(read([first, second, secretsFile('c', 60)])).toEqual({ refs: 180, calls: 1 });
  });

  it('calls it before the file is parsed: a syntax error on the last line comes after the call', () => {
    const broken = secretsFile('broken', 99, 'NO_HASH=app/s99\n');
    let calls = 0;
    const error = thrownAs(SecretsFileError, () => readCommandSecretsFiles(configFor([broken]), {}, dir, () => calls++, true));
    expect(error.input).toBe(`${broken}:100:16`);
    expect(calls).toBe(1);
  });

  it('reads the same refs without a hook', () => {
    expect(readCommandSecretsFiles(configFor([secretsFile('plain', 150)]), {}, dir, undefined, true).length).toBe(150);
  });

  it("tells the hook the address's protocol and whether the command starts the program", () => {
    const file = secretsFile('told', 100);
    const told: unknown[] = [];
    readCommandSecretsFiles(configFor([file]), {}, dir, (run) => told.push(run), true);
    readCommandSecretsFiles(configFor([file], 'https://vault.example:8200'), {}, dir, (run) => told.push(run), false);
    expect(told).toEqual([
      { tls: false, execs: true },
      { tls: true, execs: false },
    ]);
  });
});
