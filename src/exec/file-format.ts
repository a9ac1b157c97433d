// What the kernel would say about a file before execve(2) is tried: whether it is a regular file we
// may execute (probeFile), and whether its format is one the kernel can start (checkFormat): an ELF
// whose program loader exists, or a #! script whose interpreter can in turn be started. A failed
// execve cannot be undone into a clear message on every Node this runs on (Node 22.15 to 25 abort the
// process instead of throwing), so each of these is checked first and reported like a shell would.
// Synchronous: a handful of stat(2)s and reads just before the exec.

import fs, { constants } from 'node:fs';
import path from 'node:path';
import { CommandNotExecutableError, errorCode } from '../errors.ts';

/** Bytes of a file the kernel looks at for a #! line (BINPRM_BUF_SIZE since Linux 5.1). */
const SHEBANG_BUFFER_SIZE = 256;

/** Nesting of #! interpreters the kernel allows before ELOOP (BINPRM_MAX_RECURSION). */
const MAX_INTERPRETER_DEPTH = 4;

export interface FileStat {
  isFile(): boolean;
  isDirectory(): boolean;
}

/** The file-system calls of the checks, injectable for tests. Each throws the errno error node:fs throws. */
export interface ExecFs {
  stat(file: string): FileStat;
  /** Returns when `file` is executable for us (access(2) with X_OK), throws otherwise. */
  access(file: string, mode: number): void;
  /** Up to `length` bytes from `position`; fewer at the end of the file. */
  read(file: string, position: number, length: number): Uint8Array;
}

export const nodeExecFs: ExecFs = {
  stat: (file) => fs.statSync(file),
  access: (file, mode) => fs.accessSync(file, mode),
  read: (file, position, length) => {
    const descriptor = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(length);
      return buffer.subarray(0, fs.readSync(descriptor, buffer, 0, length, position));
    } finally {
      fs.closeSync(descriptor);
    }
  },
};

export type Probe =
  | { kind: 'ok' }
  | { kind: 'missing' }
  | { kind: 'directory' }
  | { kind: 'not-regular' }
  | { kind: 'no-permission'; errno: string };

export function probeFile(file: string, fs: ExecFs): Probe {
  let stat: FileStat;
  try {
    stat = fs.stat(file);
  } catch (error) {
    const errno = errorCode(error);
    if (errno === 'EACCES' || errno === 'EPERM') return { kind: 'no-permission', errno };
    // ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG and anything stranger: nothing we could run is there.
    return { kind: 'missing' };
  }
  if (stat.isDirectory()) return { kind: 'directory' };
  if (!stat.isFile()) return { kind: 'not-regular' };
  try {
    // X_OK also fails on a noexec mount, where execve would fail with EACCES.
    fs.access(file, constants.X_OK);
  } catch (error) {
    return { kind: 'no-permission', errno: errorCode(error) ?? 'EACCES' };
  }
  return { kind: 'ok' };
}

/**
 * Checks that the kernel can start `file`: an ELF whose program loader exists, or a #! script whose
 * interpreter can in turn be started. Anything else gets ENOEXEC (or ENOENT for a missing
 * interpreter/loader) from execve, which Node 22.15–25 cannot report. A file we may execute but not
 * read (mode --x) cannot be inspected; the kernel may still run it, so it passes.
 */
export function checkFormat(command: string, file: string, cwd: string, fs: ExecFs, depth = 0): void {
  let head: Uint8Array;
  try {
    head = fs.read(file, 0, SHEBANG_BUFFER_SIZE);
  } catch {
    return;
  }
  if (isElf(head)) {
    const elf = elfInterpreter(file, head, fs);
    if (elf.kind === 'damaged') throw notExecutable(command, `${file} is a damaged ELF file`, 'command is not a valid executable');
    if (elf.kind === 'static') return;
    const loader = elf.loader;
    const target = path.resolve(cwd, loader);
    const probe = probeFile(target, fs);
    if (probe.kind === 'ok') return;
    throw new CommandNotExecutableError("command's program loader is missing", {
      input: command,
      hint: `${file} needs ${loader}, which ${describeProbe(probe)}: it was built for another system or C library (glibc vs musl)`,
    });
  }
  if (head[0] === 0x23 && head[1] === 0x21) {
    const interpreter = shebangInterpreter(head);
    if (interpreter === undefined) {
      throw notExecutable(command, `The #! line of ${file} names no interpreter (or is longer than ${SHEBANG_BUFFER_SIZE} bytes)`, 'command has an invalid #! line');
    }
    const target = path.resolve(cwd, interpreter);
    const probe = probeFile(target, fs);
    if (probe.kind !== 'ok') {
      const crlf = interpreter.endsWith('\r') ? '; the script has Windows line endings (CRLF), convert it with dos2unix' : '';
      throw new CommandNotExecutableError("command's interpreter cannot be run", {
        input: command,
        hint: `The #! line of ${file} names ${JSON.stringify(interpreter)}, which ${describeProbe(probe)}${crlf}`,
      });
    }
    if (depth + 1 >= MAX_INTERPRETER_DEPTH) {
      throw notExecutable(command, `Too many nested #! interpreters starting at ${file}`, 'command has an invalid #! line');
    }
    checkFormat(command, target, cwd, fs, depth + 1);
    return;
  }
  throw new CommandNotExecutableError('command is not a binary or a script with a #! line', {
    input: command,
    hint: `Add a #! line such as #!/bin/sh to ${file}, or run it through its interpreter`,
  });
}

function isElf(head: Uint8Array): boolean {
  return head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/**
 * The interpreter path of a #! line as Linux's binfmt_script reads it: after `#!` and blanks, up to
 * the first blank, NUL or newline, within the first SHEBANG_BUFFER_SIZE bytes. A name the buffer cuts
 * off, or no name at all, gives ENOEXEC (undefined here). A trailing CR stays part of the name.
 */
export function shebangInterpreter(head: Uint8Array): string | undefined {
  const newline = head.indexOf(0x0a, 2);
  const end = newline === -1 ? head.length : newline;
  let start = 2;
  while (start < end && (head[start] === 0x20 || head[start] === 0x09)) start++;
  let stop = start;
  while (stop < end && head[stop] !== 0x20 && head[stop] !== 0x09 && head[stop] !== 0x00) stop++;
  if (stop === start) return undefined;
  if (newline === -1 && stop === head.length && head.length >= SHEBANG_BUFFER_SIZE) return undefined;
  return Buffer.from(head.subarray(start, stop)).toString('utf8');
}

const PT_INTERP = 3;
/** The kernel refuses program header tables larger than this (64 KiB). */
const MAX_PROGRAM_HEADERS_BYTES = 65536;

type ElfLoader = { kind: 'dynamic'; loader: string } | { kind: 'static' } | { kind: 'damaged' };

/**
 * The PT_INTERP path of an ELF file (its dynamic loader, e.g. /lib64/ld-linux-x86-64.so.2), static
 * without one, or damaged when the headers are cut off (the kernel would fail too).
 */
function elfInterpreter(file: string, head: Uint8Array, fs: ExecFs): ElfLoader {
  const is64 = head[4] === 2;
  const little = head[5] !== 2;
  const header = Buffer.from(head);
  if (header.length < (is64 ? 64 : 52)) return { kind: 'damaged' };
  const u16 = (b: Buffer, at: number): number => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (b: Buffer, at: number): number => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const word = (b: Buffer, at: number): number =>
    is64 ? Number(little ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at)) : u32(b, at);
  const phoff = word(header, is64 ? 32 : 28);
  const phentsize = u16(header, is64 ? 54 : 42);
  const phnum = u16(header, is64 ? 56 : 44);
  const tableSize = phentsize * phnum;
  if (phnum === 0) return { kind: 'static' };
  if (phentsize < (is64 ? 56 : 32) || tableSize > MAX_PROGRAM_HEADERS_BYTES) return { kind: 'damaged' };
  const table = Buffer.from(fs.read(file, phoff, tableSize));
  if (table.length < tableSize) return { kind: 'damaged' };
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize;
    if (u32(table, at) !== PT_INTERP) continue;
    const offset = word(table, at + (is64 ? 8 : 4));
    const size = word(table, at + (is64 ? 32 : 16));
    if (size < 2 || size > 4096) return { kind: 'damaged' };
    const raw = Buffer.from(fs.read(file, offset, size));
    if (raw.length < size) return { kind: 'damaged' };
    const nul = raw.indexOf(0);
    return { kind: 'dynamic', loader: raw.subarray(0, nul === -1 ? raw.length : nul).toString('utf8') };
  }
  return { kind: 'static' };
}

function describeProbe(probe: Probe): string {
  switch (probe.kind) {
    case 'ok':
      return 'can be run';
    case 'missing':
      return 'does not exist';
    case 'directory':
      return 'is a directory';
    case 'not-regular':
      return 'is not a regular file';
    case 'no-permission':
      return 'is not executable for this user';
  }
}

export function notExecutable(command: string, hint: string, message = 'command is not executable'): CommandNotExecutableError {
  return new CommandNotExecutableError(message, { input: command, hint });
}

