// The report of `vaultenv check`: one entry per secrets-file line (ok, or the problem a run would stop
// at), then what else a run would stop at (the environment, the command), rendered as text lines or
// one JSON object, and the exit code a run would end with: that of the most severe problem. Pure:
// built from names, paths and errors, never from a value.

import { EXIT, type VaultenvError } from '../errors.ts';
import type { SecretRef } from '../secrets-file/secret-ref.ts';
import type { SecretProblem } from '../vault/fetch.ts';
import { normalizeMount } from '../vault/kv.ts';

export type LineStatus = 'ok' | SecretProblem;

export interface CheckedLine {
  ref: SecretRef;
  status: LineStatus;
  /** The error a run would stop with at this line. */
  error?: VaultenvError | undefined;
}

/** A problem that is not one line's: a duplicate name in the environment, a command that cannot run. */
export interface OtherProblem {
  what: 'environment' | 'command';
  error: VaultenvError;
}

export interface CheckReport {
  lines: readonly CheckedLine[];
  others: readonly OtherProblem[];
}

const WORDS: Record<LineStatus, string> = {
  ok: 'ok',
  'missing-key': 'missing key',
  'not-a-string': 'not a string',
  'invalid-name': 'a key makes an invalid variable name',
  'missing-secret': 'missing secret',
  'no-engine': 'no secrets engine at the mount',
  denied: 'denied',
  unavailable: 'Vault unavailable',
};

/**
 * Which problem decides the exit code when there are several, most severe first: Vault not answering
 * hides what it would say about the rest; a denial then says the token or policy is wrong, which may
 * hide missing secrets; the environment and the command come after the secrets, as in a run.
 */
const SEVERITY: readonly number[] = [EXIT.vault, EXIT.auth, EXIT.secretMissing, EXIT.environment, EXIT.notFound, EXIT.notExecutable];

function problems(report: CheckReport): VaultenvError[] {
  return [...report.lines.flatMap((line) => (line.error === undefined ? [] : [line.error])), ...report.others.map((other) => other.error)];
}

/** 0 when nothing would stop a run, else the run's exit code of the most severe problem. */
export function checkExitCode(report: CheckReport): number {
  const codes = new Set(problems(report).map((error) => error.exitCode));
  if (codes.size === 0) return 0;
  return SEVERITY.find((code) => codes.has(code)) ?? Math.min(...codes);
}

function target(ref: SecretRef): string {
  const version = ref.version === undefined ? '' : `@${ref.version}`;
  return `${normalizeMount(ref.mount)}/${ref.path}#${keyOf(ref)}${version}`;
}

/** The key a line names: `*` for every key. */
function keyOf(ref: SecretRef): string {
  return ref.kind === 'key' ? ref.key : '*';
}

/** The variable a line sets: for every key (`#*`), its prefix and `*`. */
function nameOf(ref: SecretRef): string {
  return ref.kind === 'key' ? ref.variable : `${ref.prefix}*`;
}

function where(ref: SecretRef): string {
  return `${ref.position.file}:${ref.position.line}`;
}

function hintOf(error: VaultenvError): string {
  const hint = error.hint ?? '';
  return hint === '' ? '' : `. ${hint.charAt(0).toUpperCase()}${hint.slice(1)}`;
}

/** `NAME ← mount/path#key: ok`, or the problem, its line and what to do; then the other problems and a summary. */
export function renderCheckText(report: CheckReport): string {
  const out = report.lines.map(({ ref, status, error }) =>
    status === 'ok' || error === undefined
      ? `${nameOf(ref)} ← ${target(ref)}: ok\n`
      : `${nameOf(ref)} ← ${target(ref)}: ${WORDS[status]} (${error.input ?? where(ref)})${hintOf(error)}\n`,
  );
  for (const { what, error } of report.others) {
    out.push(`${what}: ${error.message}${error.input === undefined ? '' : ` (${error.input})`}${hintOf(error)}\n`);
  }
  out.push(`${summary(report)}\n`);
  return out.join('');
}

function summary(report: CheckReport): string {
  const ok = report.lines.filter((line) => line.status === 'ok').length;
  const count = problems(report).length;
  const lines = `${report.lines.length} secret${report.lines.length === 1 ? '' : 's'}, ${ok} ok`;
  if (count === 0) return `check: ${lines}; a run would start the command`;
  return `check: ${lines}, ${count} problem${count === 1 ? '' : 's'}; a run would stop with exit code ${checkExitCode(report)}`;
}

/** The report as one JSON object, for machines. */
export function renderCheckJson(report: CheckReport): string {
  const exitCode = checkExitCode(report);
  const json = {
    ok: exitCode === 0,
    exitCode,
    secrets: report.lines.map(({ ref, status, error }) => ({
      name: nameOf(ref),
      mount: normalizeMount(ref.mount),
      path: ref.path,
      key: keyOf(ref),
      version: ref.version ?? null,
      file: ref.position.file,
      line: ref.position.line,
      status,
      ...(error === undefined ? {} : { exitCode: error.exitCode, message: error.message, hint: error.hint ?? null }),
    })),
    problems: report.others.map(({ what, error }) => ({ what, exitCode: error.exitCode, message: error.message, input: error.input ?? null, hint: error.hint ?? null })),
    summary: summary(report),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}
