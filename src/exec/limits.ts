// Checks the child's argv and environment against what execve(2) accepts, before anything runs: a
// failed process.execve aborts Node 22.15–25 (E2BIG included). The budget for all of them together
// comes from the stack's soft limit, as the kernel computes it. Errors name the variable or the
// argument's position, never a value: values are secrets.

import { EnvironmentError } from '../errors.ts';
import type { ExecFs } from './file-format.ts';

/** Linux MAX_ARG_STRLEN: one argument or one `NAME=value`, counting its NUL (32 pages of 4 KiB). */
const MAX_ARG_STRLEN = 128 * 1024;

/**
 * Linux's budget for argv + envp (fs/exec.c, bprm_stack_limits) is a quarter of the stack's soft
 * limit (`ulimit -s`), at most three quarters of _STK_LIM (8 MiB), and at least ARG_MAX (32 pages),
 * which the kernel has always allowed.
 */
const MAX_ARG_BUDGET = 6 * 1024 * 1024;
const MIN_ARG_BUDGET = 128 * 1024;

/** The budget for the default 8 MiB stack, assumed when /proc/self/limits cannot be read. */
const DEFAULT_ARG_BUDGET = 2 * 1024 * 1024;

/** Where Linux shows the process's limits; it is about 1.4 KiB long. */
const PROC_LIMITS = '/proc/self/limits';
const PROC_LIMITS_READ_BYTES = 8192;

/**
 * The argv + envp budget execve(2) allows this process, from the soft "Max stack size" of
 * /proc/self/limits; DEFAULT_ARG_BUDGET when that cannot be read or understood.
 */
export function execArgBudget(fs: Pick<ExecFs, 'read'>): number {
  let text: string;
  try {
    text = Buffer.from(fs.read(PROC_LIMITS, 0, PROC_LIMITS_READ_BYTES)).toString('latin1');
  } catch {
    return DEFAULT_ARG_BUDGET;
  }
  const soft = /^Max stack size +(\d+|unlimited) /m.exec(text)?.[1];
  if (soft === undefined) return DEFAULT_ARG_BUDGET;
  const quarter = soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft) / 4;
  return Math.max(MIN_ARG_BUDGET, Math.min(MAX_ARG_BUDGET, Math.floor(quarter)));
}

/** Room for what the kernel adds on the same stack: the file name, and for a #! script the interpreter, its argument and the script path. */
const ARG_MAX_MARGIN = 4 * 1024;

/** Each argv/envp string also costs a pointer on the new stack (64-bit). */
const POINTER_SIZE = 8;

/**
 * Throws EnvironmentError when execve would refuse `argv`/`env`: a NUL byte anywhere, an
 * empty variable name or one containing `=`, one string longer than MAX_ARG_STRLEN, or all of them
 * together over `argBudget` (execArgBudget) - ARG_MAX_MARGIN.
 */
export function checkExecLimits(file: string, argv: readonly string[], env: Readonly<Record<string, string>>, argBudget: number): void {
  // Every error concerns the command about to run: the input names it (its path, cut at a NUL).
  const input = `command ${file.split('\0')[0] ?? ''}`;
  const fail = (message: string, hint: string): EnvironmentError => new EnvironmentError(message, { input, hint });
  let total = byteLength(file) + 1;
  argv.forEach((arg, index) => {
    if (arg.includes('\0')) {
      throw fail(`argument ${index} of the command contains a NUL byte`, 'A program argument cannot contain NUL');
    }
    const size = byteLength(arg) + 1;
    if (size > MAX_ARG_STRLEN) {
      throw fail(
        `argument ${index} of the command is too long (${kib(size)})`,
        `One argument may be at most ${kib(MAX_ARG_STRLEN)} including its NUL; pass large data through a file`,
      );
    }
    total += size + POINTER_SIZE;
  });
  for (const [name, value] of Object.entries(env)) {
    const shown = nameForDisplay(name);
    if (name === '') throw fail('an environment variable has an empty name', 'Every variable needs a name');
    if (name.includes('=')) throw fail(`environment variable name ${shown} contains "="`, 'The part after "=" would become the value');
    if (name.includes('\0')) {
      throw fail(`environment variable name ${shown} contains a NUL byte`, 'Variable names cannot contain NUL; check the names in the secrets file');
    }
    if (typeof value !== 'string') {
      throw fail(`environment variable ${shown} has no string value`, 'Every value must be a string; this is a bug in vaultenv, please report it');
    }
    if (value.includes('\0')) {
      throw fail(
        `the value of environment variable ${shown} contains a NUL byte`,
        'Environment values cannot contain NUL; store binary secrets encoded (base64)',
      );
    }
    const size = byteLength(name) + 1 + byteLength(value) + 1;
    if (size > MAX_ARG_STRLEN) {
      throw fail(
        `environment variable ${shown} is too large (${kib(size)})`,
        `One NAME=value may be at most ${kib(MAX_ARG_STRLEN)} (Linux MAX_ARG_STRLEN); pass large secrets through a file`,
      );
    }
    total += size + POINTER_SIZE;
  }
  const budget = argBudget - ARG_MAX_MARGIN;
  if (total > budget) throw fail(`the command's arguments and environment are too large (${kib(total)}, limit ${kib(budget)})`, TOO_LARGE_HINT);
}

/** What to do about E2BIG, here and when execve(2) itself reports it (execve.ts). */
export const TOO_LARGE_HINT =
  'Inherit fewer variables (--no-inherit-env), pass large secrets through files, or raise the stack size limit (ulimit -s): Linux allows a quarter of it, at most 6 MiB';

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function kib(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KiB`;
}

/** A variable name as shown in errors: quoted, cut at the first `=` or NUL (what follows could be a value). */
function nameForDisplay(name: string): string {
  const cut = name.search(/[=\0]/);
  return JSON.stringify(cut === -1 ? name : name.slice(0, cut));
}
