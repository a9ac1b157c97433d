import { execFileSync, spawn } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { SecretsFileError } from '../../../src/errors.ts';
import { readSecretsFiles } from '../../../src/secrets-file/read.ts';
import { keyRefs } from '../../helpers/key-refs.ts';
import { thrownAs } from '../../helpers/thrown.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vaultenv-secrets-file-'));
  await writeFile(join(dir, 'one.secrets'), 'foo#bar\nA=x/y#z\n');
  await writeFile(join(dir, 'two.secrets'), 'VERSION 2\nMOUNT kv\nbaz#qux\n');
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'sub', 'three.secrets'), 'three#x\n');
  await writeFile(join(dir, 'bad.secrets'), 'ok#x\nnot a secret\n');
  await writeFile(join(dir, 'latin1.secrets'), Buffer.from('ok#x\nstra\xdfe#x\n', 'latin1'));
  await writeFile(join(dir, 'bom.secrets'), '\uFEFFfoo#bar\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Folders 0755 and files 0644 below and at `folder`, whatever the umask of the checkout was. */
async function openToEveryone(folder: string): Promise<void> {
  await chmod(folder, 0o755);
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) await openToEveryone(path);
    else await chmod(path, 0o644);
  }
}

const readError = (paths: string[], cwd = dir): SecretsFileError => thrownAs(SecretsFileError, () => readSecretsFiles(paths, cwd));

describe('readSecretsFiles', () => {
  it('concatenates the refs of several files in the order given', () => {
    const refs = keyRefs(readSecretsFiles(['two.secrets', 'one.secrets', 'sub/three.secrets'], dir));
    expect(refs.map((ref) => [ref.variable, ref.position.file, ref.position.line])).toEqual([
      ['KV_BAZ_QUX', 'two.secrets', 3],
      ['FOO_BAR', 'one.secrets', 1],
      ['A', 'one.secrets', 2],
      ['THREE_X', 'sub/three.secrets', 1],
    ]);
  });

  it('resolves relative paths against cwd and accepts absolute ones', () => {
    const relative = keyRefs(readSecretsFiles(['three.secrets'], join(dir, 'sub')));
    const absolute = keyRefs(readSecretsFiles([join(dir, 'sub', 'three.secrets')], '/'));
    expect(relative.map((ref) => ref.variable)).toEqual(['THREE_X']);
    expect(absolute.map((ref) => ref.variable)).toEqual(['THREE_X']);
  });

  it('returns no refs for no files', () => {
    expect(readSecretsFiles([], dir)).toEqual([]);
  });

  it('ignores a BOM', () => {
    expect(keyRefs(readSecretsFiles(['bom.secrets'], dir))[0]?.variable).toBe('FOO_BAR');
  });

  it('reports a missing file with its path and where it was looked for', () => {
    const error = readError(['one.secrets', 'missing.secrets']);
    expect(error.message).toBe('secrets file not found');
    expect(error.input).toBe('missing.secrets');
    expect(error.hint).toContain(join(dir, 'missing.secrets'));
  });

  it('reads a directory: its *.secrets files in name order, each with its own version, not hidden files or others', async () => {
    const folder = join(dir, 'secrets.d');
    await mkdir(folder);
    await writeFile(join(folder, 'b.secrets'), 'VERSION 3\nMOUNT kv-${ENV}\nB=b#*\n');
    await writeFile(join(folder, 'a.secrets'), 'VERSION 2\nMOUNT kv\nA=a#x\n');
    await writeFile(join(folder, 'C.secrets'), 'c#x\n');
    await writeFile(join(folder, '.hidden.secrets'), 'not a secret\n');
    await writeFile(join(folder, 'notes.txt'), 'not a secret\n');
    const refs = readSecretsFiles(['secrets.d'], dir, { env: { ENV: 'prod' }, withheld: new Set() });
    expect(refs.map((ref) => [ref.kind, ref.mount, ref.position.file, ref.nonString])).toEqual([
      ['key', 'secret', join('secrets.d', 'C.secrets'), 'error'],
      ['key', 'kv', join('secrets.d', 'a.secrets'), 'error'],
      ['all-keys', 'kv-prod', join('secrets.d', 'b.secrets'), 'json'],
    ]);
  });

  it('reports a directory without *.secrets files', async () => {
    await mkdir(join(dir, 'empty.d'));
    const error = readError(['empty.d']);
    expect(error.message).toBe('secrets directory holds no *.secrets file');
    expect(error.input).toBe('empty.d');
    expect(error.hint).toBe('A directory given to --secrets-file is read for its files named *.secrets: add one, or pass a file');
  });

  it('reports a directory named *.secrets inside a secrets directory', async () => {
    await mkdir(join(dir, 'nested.d', 'inner.secrets'), { recursive: true });
    const error = readError(['nested.d']);
    expect(error.message).toBe('secrets file is a directory');
    expect(error.input).toBe(join('nested.d', 'inner.secrets'));
  });

  it('reports a file it may not read', async () => {
    // Root may read any file, so the read runs in a child process that drops to nobody first. Nobody
    // may not be able to reach the checkout (a parent folder of mode 0700), so the child imports a
    // copy of src/ in a folder every user may read, and the file sits in one every user may enter:
    // the read fails for the file's own mode alone.
    const open = await mkdtemp(join(tmpdir(), 'vaultenv-unreadable-'));
    try {
      await cp(fileURLToPath(new URL('../../../src/', import.meta.url)), join(open, 'src'), { recursive: true });
      await openToEveryone(open);
      const path = join(open, 'secret.secrets');
      await writeFile(path, 'a#b\n');
      await chmod(path, 0o000);
      const script = [
        'if (process.getuid() === 0) { process.setgid(65534); process.setuid(65534); }',
        `const { readSecretsFiles } = await import(${JSON.stringify(pathToFileURL(join(open, 'src', 'secrets-file', 'read.ts')).href)});`,
        `try { readSecretsFiles([${JSON.stringify(path)}], '/'); console.log('{}'); }`,
        'catch (e) { console.log(JSON.stringify({ message: e.message, input: e.input })); }',
      ].join('\n');
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: open });
      expect(JSON.parse(out)).toEqual({ message: 'secrets file is not readable (permission denied)', input: path });
    } finally {
      await rm(open, { recursive: true, force: true });
    }
  });

  it('passes parse errors through with the path as given', () => {
    const error = readError(['one.secrets', 'bad.secrets']);
    expect(error.input).toBe('bad.secrets:2:4');
  });

  it('rejects invalid UTF-8 and names the line', () => {
    const error = readError(['latin1.secrets']);
    expect(error.message).toBe('secrets file is not valid UTF-8');
    expect(error.input).toBe('latin1.secrets:2');
    expect(error.context).toEqual([]);
  });

  // The limit is 1 MiB: the largest file is read whole, one byte more is refused after reading only
  // that byte more, and an endless file (/dev/zero) stops there too.
  it('reads a file of exactly 1 MiB', async () => {
    const line = '# a comment line of 32 bytes....\n';
    await writeFile(join(dir, 'full.secrets'), `${line.repeat(1024 * 1024 / line.length - 1)}${'x'.repeat(line.length - 5)}#key\n`);
    expect(keyRefs(readSecretsFiles(['full.secrets'], dir)).map((ref) => ref.key)).toEqual(['key']);
  });

  it.each([
    ['a file of 1 MiB and one byte', 'over.secrets'],
    ['an endless file (/dev/zero)', '/dev/zero'],
  ])('refuses %s', async (_label, path) => {
    if (path === 'over.secrets') await writeFile(join(dir, path), `${'#'.repeat(1024 * 1024)}\n`);
    const error = readError([path]);
    expect(error.message).toBe('secrets file is larger than 1 MiB');
    expect(error.exitCode).toBe(3);
    expect(error.input).toBe(path);
    expect(error.hint).toBe('A secrets file lists names and paths, not values: check that --secrets-file names the right file');
    expect(error.context).toEqual([]);
  });

  it('reads a pipe to its end (a FIFO, as bash hands over <(…))', async () => {
    const fifo = join(dir, 'fifo.secrets');
    execFileSync('mkfifo', [fifo]);
    // A writer in another process, which blocks until the read opens the FIFO, and writes in two parts.
    const writer = spawn('sh', ['-c', `{ printf 'A=a#b\\n'; sleep 0.1; printf 'B=c#d\\n'; } > '${fifo}'`]);
    const refs = keyRefs(readSecretsFiles([fifo], dir));
    await new Promise((resolve) => writer.on('close', resolve));
    expect(refs.map((ref) => ref.variable)).toEqual(['A', 'B']);
  });
});
