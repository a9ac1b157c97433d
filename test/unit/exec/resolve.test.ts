import { describe, expect, it } from 'vitest';
import { CommandNotExecutableError, CommandNotFoundError, VaultenvError } from '../../../src/errors.ts';
import { DEFAULT_SEARCH_PATH, resolveCommand, shebangInterpreter } from '../../../src/exec/resolve.ts';
import type { ResolveOptions } from '../../../src/exec/resolve.ts';
import { elf32be, elf64, FakeFs } from '../../fixtures/exec/fake-fs.ts';

const BIN = { type: 'file', executable: true, content: elf64() } as const;
const SCRIPT = { type: 'file', executable: true, content: '#!/bin/sh\necho hi\n' } as const;
const PLAIN = { type: 'file', executable: false, content: elf64() } as const;

function options(overrides: Partial<ResolveOptions> = {}): ResolveOptions {
  return { usePath: true, searchPath: '/a:/b:/c', cwd: '/work', ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<VaultenvError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof VaultenvError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('PATH search (usePath, no slash)', () => {
  it('takes the first directory in PATH order that has the command', async () => {
    const fs = new FakeFs({ '/b/tool': BIN, '/c/tool': BIN, '/bin/sh': BIN });
    await expect(resolveCommand('tool', options(), fs)).resolves.toBe('/b/tool');
    expect(fs.statted.slice(0, 2)).toEqual(['/a/tool', '/b/tool']);
  });

  it('treats an empty PATH entry as the working directory, in its position', async () => {
    const fs = new FakeFs({ '/work/tool': BIN, '/c/tool': BIN });
    await expect(resolveCommand('tool', options({ searchPath: '/a::/c' }), fs)).resolves.toBe('/work/tool');
    await expect(resolveCommand('tool', options({ searchPath: '/a:/c:' }), fs)).resolves.toBe('/c/tool');
    await expect(resolveCommand('tool', options({ searchPath: ':/c' }), fs)).resolves.toBe('/work/tool');
  });

  it('resolves relative PATH entries from the working directory', async () => {
    const fs = new FakeFs({ '/work/bin/tool': BIN });
    await expect(resolveCommand('tool', options({ searchPath: 'bin' }), fs)).resolves.toBe('/work/bin/tool');
  });

  it('skips a non-executable earlier match and finds a later executable one', async () => {
    const fs = new FakeFs({ '/a/tool': PLAIN, '/c/tool': BIN });
    await expect(resolveCommand('tool', options(), fs)).resolves.toBe('/c/tool');
  });

  it('skips directories and other non-regular files', async () => {
    const fs = new FakeFs({ '/a/tool': { type: 'dir' }, '/b/tool': { type: 'fifo' }, '/c/tool': BIN });
    await expect(resolveCommand('tool', options(), fs)).resolves.toBe('/c/tool');
  });

  it('reports a match without execute permission as 126 when nothing else runs', async () => {
    const fs = new FakeFs({ '/b/tool': PLAIN });
    const error = await failure(resolveCommand('tool', options(), fs));
    expect(error).toBeInstanceOf(CommandNotExecutableError);
    expect(error.exitCode).toBe(126);
    expect(error.message).toBe('command is not executable');
    expect(error.input).toBe('tool');
    expect(error.hint).toContain('/b/tool');
  });

  it('reports 127 when no entry has the command (a directory alone does not count)', async () => {
    const fs = new FakeFs({ '/a/tool': { type: 'dir' } });
    const error = await failure(resolveCommand('tool', options(), fs));
    expect(error).toBeInstanceOf(CommandNotFoundError);
    expect(error.exitCode).toBe(127);
    expect(error.message).toBe('command not found');
    expect(error.input).toBe('tool');
    expect(error.hint).toMatch(/PATH/);
  });

  it(`uses ${DEFAULT_SEARCH_PATH} when vaultenv's PATH is unset`, async () => {
    const fs = new FakeFs({ '/usr/bin/tool': BIN, '/bin/tool': BIN });
    await expect(resolveCommand('tool', options({ searchPath: undefined }), fs)).resolves.toBe('/bin/tool');
  });

  it('rejects an empty command name as not found', async () => {
    const error = await failure(resolveCommand('', options(), new FakeFs()));
    expect(error.exitCode).toBe(127);
  });
});

describe('paths (a slash in the name, or usePath off)', () => {
  it('resolves ./x from the working directory with and without usePath', async () => {
    const fs = new FakeFs({ '/work/x': BIN, '/a/x': BIN });
    await expect(resolveCommand('./x', options(), fs)).resolves.toBe('/work/x');
    await expect(resolveCommand('./x', options({ usePath: false }), fs)).resolves.toBe('/work/x');
  });

  it('does not search PATH for a name with a slash', async () => {
    const fs = new FakeFs({ '/a/sub/x': BIN });
    const error = await failure(resolveCommand('sub/x', options(), fs));
    expect(error.exitCode).toBe(127);
    expect(error.hint).toContain('/work');
  });

  it('without usePath, a bare name is a file in the working directory, and the hint says why PATH was not used', async () => {
    const fs = new FakeFs({ '/a/tool': BIN });
    const error = await failure(resolveCommand('tool', options({ usePath: false }), fs));
    expect(error.exitCode).toBe(127);
    expect(error.hint).toContain('--use-path');
    fs.add('/work/tool', BIN);
    await expect(resolveCommand('tool', options({ usePath: false }), fs)).resolves.toBe('/work/tool');
  });

  it('reports a directory as 126', async () => {
    const fs = new FakeFs({ '/opt/app/file': BIN });
    const error = await failure(resolveCommand('/opt/app', options(), fs));
    expect(error.exitCode).toBe(126);
    expect(error.hint).toContain('is a directory');
  });

  it('reports a file without execute permission as 126 and a missing one as 127', async () => {
    const fs = new FakeFs({ '/opt/plain': PLAIN });
    expect((await failure(resolveCommand('/opt/plain', options(), fs))).exitCode).toBe(126);
    expect((await failure(resolveCommand('/opt/none', options(), fs))).exitCode).toBe(127);
    expect((await failure(resolveCommand('/opt/plain/x', options(), fs))).exitCode).toBe(127);
  });
});

describe('formats execve would refuse (ENOEXEC / ENOENT abort Node 22.15–24)', () => {
  it('accepts an ELF and a #! script whose interpreter exists', async () => {
    const fs = new FakeFs({ '/bin/sh': BIN, '/x/script': SCRIPT, '/x/static': BIN });
    await expect(resolveCommand('/x/script', options(), fs)).resolves.toBe('/x/script');
    await expect(resolveCommand('/x/static', options(), fs)).resolves.toBe('/x/static');
  });

  it('rejects an executable that is neither ELF nor #! (and an empty file) with 126', async () => {
    const fs = new FakeFs({
      '/x/plain-script': { type: 'file', executable: true, content: 'echo hi\n' },
      '/x/empty': { type: 'file', executable: true, content: '' },
    });
    for (const file of ['/x/plain-script', '/x/empty']) {
      const error = await failure(resolveCommand(file, options(), fs));
      expect(error).toBeInstanceOf(CommandNotExecutableError);
      expect(error.message).toBe('command is not a binary or a script with a #! line');
    }
  });

  it('rejects a #! line whose interpreter is missing, and names CRLF line endings', async () => {
    const fs = new FakeFs({
      '/x/py': { type: 'file', executable: true, content: '#!/usr/bin/python9 -u\n' },
      '/x/crlf': { type: 'file', executable: true, content: '#!/bin/sh\r\necho hi\r\n' },
      '/bin/sh': BIN,
    });
    const missing = await failure(resolveCommand('/x/py', options(), fs));
    expect(missing.exitCode).toBe(126);
    expect(missing.hint).toContain('/usr/bin/python9');
    const crlf = await failure(resolveCommand('/x/crlf', options(), fs));
    expect(crlf.hint).toContain('CRLF');
  });

  it('follows nested interpreters and rejects a non-executable one', async () => {
    const fs = new FakeFs({
      '/x/outer': { type: 'file', executable: true, content: '#!/x/inner\n' },
      '/x/inner': { type: 'file', executable: true, content: '#!/bin/sh\n' },
      '/bin/sh': BIN,
      '/x/bad': { type: 'file', executable: true, content: '#!/x/noexec\n' },
      '/x/noexec': PLAIN,
    });
    await expect(resolveCommand('/x/outer', options(), fs)).resolves.toBe('/x/outer');
    expect((await failure(resolveCommand('/x/bad', options(), fs))).hint).toContain('not executable');
  });

  it('rejects #! without an interpreter name', async () => {
    const fs = new FakeFs({ '/x/s': { type: 'file', executable: true, content: '#!   \n' } });
    expect((await failure(resolveCommand('/x/s', options(), fs))).message).toBe('command has an invalid #! line');
  });

  it("rejects an ELF whose program loader is missing (a glibc binary on musl), in both ELF layouts", async () => {
    const fs = new FakeFs({
      '/x/glibc': { type: 'file', executable: true, content: elf64('/lib64/ld-linux-x86-64.so.2') },
      '/x/be': { type: 'file', executable: true, content: elf32be('/lib/ld.so.1') },
      '/x/ok': { type: 'file', executable: true, content: elf64('/lib/ld-musl-x86_64.so.1') },
      '/lib/ld-musl-x86_64.so.1': BIN,
    });
    const glibc = await failure(resolveCommand('/x/glibc', options(), fs));
    expect(glibc.exitCode).toBe(126);
    expect(glibc.hint).toContain('/lib64/ld-linux-x86-64.so.2');
    expect((await failure(resolveCommand('/x/be', options(), fs))).hint).toContain('/lib/ld.so.1');
    await expect(resolveCommand('/x/ok', options(), fs)).resolves.toBe('/x/ok');
  });

  it('rejects a truncated ELF', async () => {
    const fs = new FakeFs({ '/x/cut': { type: 'file', executable: true, content: elf64('/lib/ld.so').subarray(0, 40) } });
    expect((await failure(resolveCommand('/x/cut', options(), fs))).message).toBe('command is not a valid executable');
  });

  it('lets an executable it cannot read pass (the kernel may still run it)', async () => {
    const fs = new FakeFs({ '/x/secret-bin': { type: 'file', executable: true, unreadable: true } });
    await expect(resolveCommand('/x/secret-bin', options(), fs)).resolves.toBe('/x/secret-bin');
  });
});

describe('shebangInterpreter', () => {
  it('reads the name like binfmt_script', () => {
    expect(shebangInterpreter(Buffer.from('#!/bin/sh\n'))).toBe('/bin/sh');
    expect(shebangInterpreter(Buffer.from('#! \t/usr/bin/env -S node --flag\n'))).toBe('/usr/bin/env');
    expect(shebangInterpreter(Buffer.from('#!/bin/sh'))).toBe('/bin/sh');
    expect(shebangInterpreter(Buffer.from('#!\n'))).toBeUndefined();
    expect(shebangInterpreter(Buffer.from(`#!/${'x'.repeat(300)}`).subarray(0, 256))).toBeUndefined();
  });
});
