import { describe, expect, it } from 'vitest';
import { CommandNotExecutableError, VaultenvError } from '../../../src/errors.ts';
import { shebangInterpreter } from '../../../src/exec/file-format.ts';
import { resolveCommand } from '../../../src/exec/path-search.ts';
import { BIN, elf32be, elf64, FakeFs, PLAIN, SCRIPT, resolveOptions as options } from '../../fixtures/exec/fake-fs.ts';
import { thrownAs } from '../../helpers/thrown.ts';

const failure = (call: () => unknown): VaultenvError => thrownAs(VaultenvError, call);

describe('formats execve would refuse (ENOEXEC, or ENOENT for a missing interpreter or loader)', () => {
  it('accepts an ELF and a #! script whose interpreter exists', () => {
    const fs = new FakeFs({ '/bin/sh': BIN, '/x/script': SCRIPT, '/x/static': BIN });
    expect(resolveCommand('/x/script', options(), fs)).toBe('/x/script');
    expect(resolveCommand('/x/static', options(), fs)).toBe('/x/static');
  });

  it('rejects an executable that is neither ELF nor #! (and an empty file) with 126', () => {
    const fs = new FakeFs({
      '/x/plain-script': { type: 'file', executable: true, content: 'echo hi\n' },
      '/x/empty': { type: 'file', executable: true, content: '' },
    });
    for (const file of ['/x/plain-script', '/x/empty']) {
      const error = failure(() => resolveCommand(file, options(), fs));
      expect(error).toBeInstanceOf(CommandNotExecutableError);
      expect(error.message).toBe('command is not a binary or a script with a #! line');
    }
  });

  it('rejects a #! line whose interpreter is missing, and names CRLF line endings', () => {
    const fs = new FakeFs({
      '/x/py': { type: 'file', executable: true, content: '#!/usr/bin/python9 -u\n' },
      '/x/crlf': { type: 'file', executable: true, content: '#!/bin/sh\r\necho hi\r\n' },
      '/bin/sh': BIN,
    });
    const missing = failure(() => resolveCommand('/x/py', options(), fs));
    expect(missing.exitCode).toBe(126);
    expect(missing.hint).toContain('/usr/bin/python9');
    const crlf = failure(() => resolveCommand('/x/crlf', options(), fs));
    expect(crlf.hint).toContain('CRLF');
  });

  it('follows nested interpreters and rejects a non-executable one', () => {
    const fs = new FakeFs({
      '/x/outer': { type: 'file', executable: true, content: '#!/x/inner\n' },
      '/x/inner': { type: 'file', executable: true, content: '#!/bin/sh\n' },
      '/bin/sh': BIN,
      '/x/bad': { type: 'file', executable: true, content: '#!/x/noexec\n' },
      '/x/noexec': PLAIN,
    });
    expect(resolveCommand('/x/outer', options(), fs)).toBe('/x/outer');
    expect((failure(() => resolveCommand('/x/bad', options(), fs))).hint).toContain('not executable');
  });

  it('rejects #! without an interpreter name', () => {
    const fs = new FakeFs({ '/x/s': { type: 'file', executable: true, content: '#!   \n' } });
    expect((failure(() => resolveCommand('/x/s', options(), fs))).message).toBe('command has an invalid #! line');
  });

  it("rejects an ELF whose program loader is missing (a glibc binary on musl), in both ELF layouts", () => {
    const fs = new FakeFs({
      '/x/glibc': { type: 'file', executable: true, content: elf64('/lib64/ld-linux-x86-64.so.2') },
      '/x/be': { type: 'file', executable: true, content: elf32be('/lib/ld.so.1') },
      '/x/ok': { type: 'file', executable: true, content: elf64('/lib/ld-musl-x86_64.so.1') },
      '/lib/ld-musl-x86_64.so.1': BIN,
    });
    const glibc = failure(() => resolveCommand('/x/glibc', options(), fs));
    expect(glibc.exitCode).toBe(126);
    expect(glibc.hint).toContain('/lib64/ld-linux-x86-64.so.2');
    expect((failure(() => resolveCommand('/x/be', options(), fs))).hint).toContain('/lib/ld.so.1');
    expect(resolveCommand('/x/ok', options(), fs)).toBe('/x/ok');
  });

  it('rejects a truncated ELF', () => {
    const fs = new FakeFs({ '/x/cut': { type: 'file', executable: true, content: elf64('/lib/ld.so').subarray(0, 40) } });
    expect((failure(() => resolveCommand('/x/cut', options(), fs))).message).toBe('command is not a valid executable');
  });

  it('lets an executable it cannot read pass (the kernel may still run it)', () => {
    const fs = new FakeFs({ '/x/secret-bin': { type: 'file', executable: true, unreadable: true } });
    expect(resolveCommand('/x/secret-bin', options(), fs)).toBe('/x/secret-bin');
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
