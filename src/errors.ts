// The one error hierarchy. Every failure a user can cause or meet is a VaultenvError subclass with a
// stable `code`, an `exitCode` from the README's table, the `input` it concerns (a file and line, a
// flag, a Vault path) and a `hint` on what to do. Only cli/main.ts prints them (renderError below).
// Messages never contain secret values or tokens: they are built from names, paths and statuses.

export const EXIT = {
  usage: 2,
  secretsFile: 3,
  auth: 4,
  secretMissing: 5,
  vault: 6,
  environment: 7,
  internal: 70,
  /** --supervise --on-change exit: a secret changed or a lease ended, and the program was stopped. */
  secretChanged: 75,
  notExecutable: 126,
  notFound: 127,
} as const;

export interface ErrorDetails {
  /** Which input the failure concerns: "flag --port", "app.secrets:3:7", "secret/data/db". */
  input?: string;
  /** What the user can do about it. */
  hint?: string;
  /** Extra lines printed after the message (a source line and a caret under it). */
  context?: readonly string[];
  cause?: unknown;
}

export abstract class VaultenvError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: number;
  readonly input: string | undefined;
  readonly hint: string | undefined;
  readonly context: readonly string[];

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.input = details.input;
    this.hint = details.hint;
    this.context = details.context ?? [];
  }
}

/** A flag, environment variable or config-file value is wrong or missing. */
export class ConfigError extends VaultenvError {
  readonly code = 'config';
  readonly exitCode = EXIT.usage;
}

/** The secrets file cannot be read or does not parse. */
export class SecretsFileError extends VaultenvError {
  readonly code = 'secrets-file';
  readonly exitCode = EXIT.secretsFile;
}

/** Vault refused the credentials or the policy denies a path (401/403, failed login). */
export class AuthError extends VaultenvError {
  readonly code = 'auth';
  readonly exitCode = EXIT.auth;
}

/** A secret path, a key in it, or a string value is missing. */
export class SecretMissingError extends VaultenvError {
  readonly code = 'secret-missing';
  readonly exitCode = EXIT.secretMissing;
}

/** Vault could not be reached, was unavailable, or answered something we cannot use. */
export class VaultUnavailableError extends VaultenvError {
  readonly code = 'vault';
  readonly exitCode = EXIT.vault;
}

/** The child's environment cannot be built (duplicate name, size limits, invalid entry). */
export class EnvironmentError extends VaultenvError {
  readonly code = 'environment';
  readonly exitCode = EXIT.environment;
}

/** The command does not exist (a shell's exit code for it). */
export class CommandNotFoundError extends VaultenvError {
  readonly code = 'command-not-found';
  readonly exitCode = EXIT.notFound;
}

/** The command exists but cannot be executed (a shell's exit code for it). */
export class CommandNotExecutableError extends VaultenvError {
  readonly code = 'command-not-executable';
  readonly exitCode = EXIT.notExecutable;
}

/** The `code` of a Node error (ENOENT, EACCES, ECONNREFUSED, ERR_…), or undefined. */
export function errorCode(error: unknown): string | undefined {
  const code: unknown = error instanceof Error && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Why a file could not be read, from the error code alone (never from the error's message), as the
 * end of a sentence that starts with what the file is: "<secrets file> not found", "<token file> is
 * not readable (permission denied)". Every reader of a file the user names uses it.
 */
export function describeFileError(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'not found';
    case 'EACCES':
    case 'EPERM':
      return 'is not readable (permission denied)';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'cannot be read (too many levels of symbolic links)';
    default:
      return `cannot be read (${code ?? 'unknown error'})`;
  }
}

/**
 * The one-line rendering: `vaultenv: <what failed> (<which input>). <hint>`, then any context lines.
 * Anything that is not a VaultenvError is a bug in vaultenv; its message is not printed because it
 * could carry data we did not vet (a response body, an environment value).
 */
export function renderError(error: unknown): { text: string; exitCode: number } {
  if (error instanceof VaultenvError) {
    let line = `vaultenv: ${error.message}`;
    if (error.input !== undefined) line += ` (${error.input})`;
    if (error.hint !== undefined) line += `. ${error.hint.charAt(0).toUpperCase()}${error.hint.slice(1)}`;
    const lines = [line, ...error.context];
    return { text: lines.join('\n') + '\n', exitCode: error.exitCode };
  }
  const kind = error instanceof Error ? error.name : typeof error;
  return {
    text: `vaultenv: internal error (${kind}). This is a bug in vaultenv; please report it with the command line you ran, without secrets.\n`,
    exitCode: EXIT.internal,
  };
}
