import { describe, expect, it } from 'vitest';
import { CommandNotExecutableError, CommandNotFoundError, VaultenvError } from '../../../src/errors.ts';
import { resolveCommand } from '../../../src/exec/path-search.ts';

/** musl's execvp default PATH. */
const DEFAULT_SEARCH_PATH = '/usr/local/bin:/bin:/usr/bin';
import { BIN, FakeFs, PLAIN, resolveOptions as options } from '../../fixtures/exec/fake-fs.ts';
import { thrownAs } from '../../helpers/thrown.ts';

const failure = (call: () => unknown): VaultenvError => thrownAs(VaultenvError, call);

describe('PATH search (usePath, no slash)', () => {
  it('takes the first directory in PATH order that has the command', () => {
    const fs = new FakeFs({ '/b/tool': BIN, '/c/tool': BIN, '/bin/sh': BIN });
    expect(resolveCommand('tool', options(), fs)).toBe('/b/tool');
    expect(fs.statted.slice(0, 2)).toEqual(['/a/tool', '/b/tool']);
  });

  it('treats an empty PATH entry as the working directory, in its position', () => {
    const fs = new FakeFs({ '/work/tool': BIN, '/c/tool': BIN });
    expect(resolveCommand('tool', options({ searchPath: '/a::/c' }), fs)).toBe('/work/tool');
    expect(resolveCommand('tool', options({ searchPath: '/a:/c:' }), fs)).toBe('/c/tool');
    expect(resolveCommand('tool', options({ searchPath: ':/c' }), fs)).toBe('/work/tool');
  });

  it('resolves relative PATH entries from the working directory', () => {
    const fs = new FakeFs({ '/work/bin/tool': BIN });
    expect(resolveCommand('tool', options({ searchPath: 'bin' }), fs)).toBe('/work/bin/tool');
  });

  it('skips a non-executable earlier match and finds a later executable one', () => {
    const fs = new FakeFs({ '/a/tool': PLAIN, '/c/tool': BIN });
    expect(resolveCommand('tool', options(), fs)).toBe('/c/tool');
  });

  it('skips directories and other non-regular files', () => {
    const fs = new FakeFs({ '/a/tool': { type: 'dir' }, '/b/tool': { type: 'fifo' }, '/c/tool': BIN });
    expect(resolveCommand('tool', options(), fs)).toBe('/c/tool');
  });

  it('reports a match without execute permission as 126 when nothing else runs', () => {
    const fs = new FakeFs({ '/b/tool': PLAIN });
    const error = failure(() => resolveCommand('tool', options(), fs));
    expect(error).toBeInstanceOf(CommandNotExecutableError);
    expect(error.exitCode).toBe(126);
    expect(error.message).toBe('command is not executable');
    expect(error.input).toBe('tool');
    expect(error.hint).toBe('/b/tool is not executable for this user (EACCES): add the execute bit (chmod +x), or check the mount is not noexec');
  });

  it('reports 127 when no entry has the command (a directory alone does not count)', () => {
    const fs = new FakeFs({ '/a/tool': { type: 'dir' } });
    const error = failure(() => resolveCommand('tool', options(), fs));
    expect(error).toBeInstanceOf(CommandNotFoundError);
    expect(error.exitCode).toBe(127);
    expect(error.message).toBe('command not found');
    expect(error.input).toBe('tool');
    expect(error.hint).toBe('Check PATH or give an absolute path');
  });

  it(`uses ${DEFAULT_SEARCH_PATH} when vaultenv's PATH is unset`, () => {
    const fs = new FakeFs({ '/usr/bin/tool': BIN, '/bin/tool': BIN });
    expect(resolveCommand('tool', options({ searchPath: undefined }), fs)).toBe('/bin/tool');
  });

  it('rejects an empty command name as not found', () => {
    const error = failure(() => resolveCommand('', options(), new FakeFs()));
    expect(error.exitCode).toBe(127);
  });
});

describe('paths (a slash in the name, or usePath off)', () => {
  it('resolves ./x from the working directory with and without usePath', () => {
    const fs = new FakeFs({ '/work/x': BIN, '/a/x': BIN });
    expect(resolveCommand('./x', options(), fs)).toBe('/work/x');
    expect(resolveCommand('./x', options({ usePath: false }), fs)).toBe('/work/x');
  });

  it('does not search PATH for a name with a slash', () => {
    const fs = new FakeFs({ '/a/sub/x': BIN });
    const error = failure(() => resolveCommand('sub/x', options(), fs));
    expect(error.exitCode).toBe(127);
    expect(error.hint).toContain('/work');
  });

  it('without usePath, a bare name is a file in the working directory, and the hint says why PATH was not used', () => {
    const fs = new FakeFs({ '/a/tool': BIN });
    const error = failure(() => resolveCommand('tool', options({ usePath: false }), fs));
    expect(error.exitCode).toBe(127);
    expect(error.hint).toContain('--use-path');
    fs.add('/work/tool', BIN);
    expect(resolveCommand('tool', options({ usePath: false }), fs)).toBe('/work/tool');
  });

  it('reports a directory as 126', () => {
    const fs = new FakeFs({ '/opt/app/file': BIN });
    const error = failure(() => resolveCommand('/opt/app', options(), fs));
    expect(error.exitCode).toBe(126);
    expect(error.hint).toContain('is a directory');
  });

  it('reports a file without execute permission as 126 and a missing one as 127', () => {
    const fs = new FakeFs({ '/opt/plain': PLAIN });
    expect((failure(() => resolveCommand('/opt/plain', options(), fs))).exitCode).toBe(126);
    expect((failure(() => resolveCommand('/opt/none', options(), fs))).exitCode).toBe(127);
    expect((failure(() => resolveCommand('/opt/plain/x', options(), fs))).exitCode).toBe(127);
  });
});

