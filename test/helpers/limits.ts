// Runs a program under resource limits, with core dumps enabled, and finds the core files it leaves:
// for the tests of a failed exec, which must never abort (and dump a core holding the secrets).
//
// Where a core would go comes from /proc/sys/kernel/core_pattern: a file name (relative to the
// working folder, or absolute), or a handler (`|…`: systemd-coredump, apport) that no test can look
// into; there only the exit status tells (a core is only written for a process killed by a signal).

import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/** Where a core file of a process running in `cwd` would be written, or undefined when a handler takes it. */
export function coreLocation(cwd: string): { dir: string; prefix: string } | undefined {
  const pattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
  if (pattern.startsWith('|')) return undefined;
  const file = resolve(cwd, pattern);
  return { dir: dirname(file), prefix: basename(file).split('%')[0] ?? '' };
}

/** The files where a core of a process in `cwd` would go (none to see when a handler takes cores). */
export function coreFolderEntries(cwd: string): string[] {
  const location = coreLocation(cwd);
  if (location === undefined) return [];
  return readdirSync(location.dir).filter((name) => name.startsWith(location.prefix));
}

export interface LimitedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Files that appeared where a core would go while it ran. */
  newCores: string[];
}

/** Runs `file args` in `cwd` through bash with core dumps enabled and, when given, `ulimit -s stackKib`. */
export function runWithLimits(file: string, args: readonly string[], options: { cwd: string; env: Record<string, string>; stackKib?: number }): Promise<LimitedRun> {
  const limits = `ulimit -c unlimited && ${options.stackKib === undefined ? '' : `ulimit -s ${options.stackKib} && `}exec "$@"`;
  const before = coreFolderEntries(options.cwd);
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['-c', limits, 'bash', file, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const newCores = coreFolderEntries(options.cwd).filter((name) => !before.includes(name));
      resolvePromise({ code, signal, stdout, stderr, newCores });
    });
  });
}
