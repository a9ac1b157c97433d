// The built CLI when the exec fails after every check (the kernel's E2BIG for a small stack, ETXTBSY
// for a program file open for writing): a documented exit code and one line, never an abort. Node
// 22.15 to 25 abort there (exit 134) and may dump a core file holding the token and the secrets.
// Each run has core dumps enabled (ulimit -c unlimited), runs in a folder of its own, and gets its
// secrets from a real OpenBao server; nothing may show a seeded value, and no core file may appear
// (test/helpers/limits.ts says where it would). The control shows a core appears where they look.

import { chmodSync, closeSync, copyFileSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runWithLimits, type LimitedRun } from '../helpers/limits.ts';
import { baseEnv, cliCommand, expectNoLeak } from '../helpers/run-cli.ts';
import { scratchDir } from '../helpers/scratch.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const server = kvServer(2);
const scratch = scratchDir('vaultenv-failed-exec');

describe('a failed exec', () => {
  const path = uniqueName('failed-exec');
  /** Eight values of 100 KiB: 800 KiB in all, over the 512 KiB that `ulimit -s 2048` allows. */
  const values = Array.from({ length: 8 }, (_, i) => `${i}-${uniqueName('big')}-`.padEnd(100 * 1024, String(i)));
  const seeded = [...values, server.rootToken];
  let secretsFile: string;

  beforeAll(async () => {
    await server.api.writeSecret('secret', 2, path, Object.fromEntries(values.map((value, i) => [`k${i}`, value])));
    secretsFile = scratch.write('big.secrets', values.map((_, i) => `BIG_${i}=${path}#k${i}\n`).join(''));
  });

  /** Runs vaultenv with `args` in the folder `folder` under the limits, and checks what every failure must be. */
  async function failedRun(folder: string, args: readonly string[], code: number, stackKib?: number): Promise<LimitedRun> {
    const [file, cliArgs] = cliCommand(args);
    const env = baseEnv({ VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken });
    const run = await runWithLimits(file, cliArgs, { cwd: join(scratch.dir, folder), env, stackKib });
    expect({ code: run.code, signal: run.signal, stdout: run.stdout, newCores: run.newCores }).toEqual({ code, signal: null, stdout: '', newCores: [] });
    expect(run.stderr).toMatch(/^vaultenv: [^\n]+\n$/);
    expectNoLeak(run, seeded);
    return run;
  }

  it.each(['auto', 'spawn'])('E2BIG (ulimit -s 2048, eight secrets of 100 KiB), --exec-mode %s: exit 7, one line, no core', async (mode) => {
    mkdirSync(join(scratch.dir, `e2big-${mode}`));
    const run = await failedRun(`e2big-${mode}`, ['--exec-mode', mode, '--secrets-file', secretsFile, '--', '/bin/true'], 7, 2048);
    // The limit is the one of this stack (a quarter of 2 MiB, less a margin), not the default stack's.
    expect(run.stderr).toMatch(/^vaultenv: the command's arguments and environment are too large \(8\d\d KiB, limit 508 KiB\) \(command \/bin\/true\)\. /);
  });

  it.each(['auto', 'spawn'])('ETXTBSY (the program file is open for writing), --exec-mode %s: exit 126, one line, no core', async (mode) => {
    const program = join(scratch.dir, `busy-${mode}`, 'program');
    mkdirSync(join(scratch.dir, `busy-${mode}`));
    copyFileSync('/bin/true', program);
    chmodSync(program, 0o755);
    const writer = openSync(program, 'r+');
    try {
      const run = await failedRun(`busy-${mode}`, ['--exec-mode', mode, '--secrets-file', secretsFile, '--', program], 126);
      expect(run.stderr).toBe(
        `vaultenv: command is not executable (${program}). The system refused to start it (ETXTBSY): the file is open for writing, being written or updated; start it once that is done\n`,
      );
    } finally {
      closeSync(writer);
    }
  });

  it('control: a process that aborts under the same limits leaves a core file where the tests look', async () => {
    // Where a handler takes cores (a core_pattern starting with |), "no core" above could not fail:
    // then this control fails, instead of the tests passing for nothing.
    expect(readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).not.toMatch(/^\|/);
    mkdirSync(join(scratch.dir, 'control'));
    const run = await runWithLimits('/bin/sh', ['-c', 'kill -ABRT $$'], { cwd: join(scratch.dir, 'control'), env: baseEnv() });
    expect(run.signal).toBe('SIGABRT');
    expect(run.newCores).toHaveLength(1);
  });
});
