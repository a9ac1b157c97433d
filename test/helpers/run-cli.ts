// Runs the built CLI as a user would, with an explicit environment, and captures everything it prints.
// The environment is never inherited implicitly: tests say what the child may see.
// Which build runs is chosen by VAULTENV_TEST_CLI: unset or `bundle`, `node bin/vaultenv` (→ dist/vaultenv.cjs);
// `sea`, the single executable dist/vaultenv-linux-<arch>, run directly (scripts/test.sh runs the tests
// that spawn the CLI once more that way). Spawn the CLI through cliCommand, never `node CLI` by hand.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The bundle's launcher, bin/vaultenv (a Node script). */
export const CLI = fileURLToPath(new URL('../../bin/vaultenv', import.meta.url));
/** The single executable of this machine (scripts/build-sea.mjs). */
export const SEA = join(PROJECT_ROOT, 'dist', `vaultenv-${process.platform}-${process.arch}`);

export type CliKind = 'bundle' | 'sea';
function cliKind(value: string | undefined): CliKind {
  if (value === undefined || value === '' || value === 'bundle') return 'bundle';
  if (value === 'sea') return 'sea';
  throw new Error(`VAULTENV_TEST_CLI must be "bundle" or "sea", not "${value}"`);
}
/** The build under test. */
export const CLI_KIND: CliKind = cliKind(process.env.VAULTENV_TEST_CLI);
if (CLI_KIND === 'sea' && !existsSync(SEA)) throw new Error(`VAULTENV_TEST_CLI=sea but ${SEA} is missing: run npm run build`);

/** The file to spawn and its arguments for `vaultenv ...args` with the build under test (or the build `kind`). */
export function cliCommand(args: readonly string[], kind: CliKind = CLI_KIND): [file: string, argv: string[]] {
  return kind === 'sea' ? [SEA, [...args]] : [process.execPath, [CLI, ...args]];
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

// An empty home, so a ~/.vault-token left on the machine (`bao server -dev` writes one) is never
// picked up by a run that configures no credential.
let emptyHome: string | undefined;
function testHome(): string {
  emptyHome ??= mkdtempSync(join(tmpdir(), 'vaultenv-home-'));
  return emptyHome;
}

/** The environment every CLI run starts from: PATH (with our Node 26 first) and an empty HOME, nothing else. */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: testHome() };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return runBuild(CLI_KIND, args, options);
}

/**
 * Runs the bundle on Node whatever VAULTENV_TEST_CLI says: for what only the Node transport does
 * (HTTP/2). scripts/test.sh re-runs against the single executable only the files that call runCli.
 */
export function runBundle(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return runBuild('bundle', args, options);
}

function runBuild(kind: CliKind, args: readonly string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [file, argv] = cliCommand(args, kind);
    const child = spawn(file, argv, {
      env: options.env ?? baseEnv(),
      cwd: options.cwd ?? PROJECT_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid ?? -1 });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The variables `env` (the program) printed, one `NAME=value` per line: what the program got. */
export function envFromOutput(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** Fails the test when any of `secrets` (seeded values, tokens) appears in the run's output. */
export function expectNoLeak(result: Pick<CliResult, 'stdout' | 'stderr'>, secrets: readonly string[]): void {
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    if (result.stdout.includes(secret) || result.stderr.includes(secret)) {
      throw new Error(`a secret value or token leaked into the output (length ${secret.length})`);
    }
  }
}
