// Finds the file to run for CMD the way vaultenv 0.19's execvpe does: like a shell, PATH is searched for a
// name without a slash (vaultenv's own PATH, not the child's), and a path is taken from the working
// directory. The file found must pass file-format.ts's checks; what would fail is thrown as the
// not-found or not-executable error a shell reports, before anything runs.

import path from 'node:path';
import { CommandNotFoundError } from '../errors.ts';
import { checkFormat, nodeExecFs, notExecutable, probeFile, type ExecFs } from './file-format.ts';

/**
 * PATH when vaultenv's own PATH is unset: musl's execvp default, because vaultenv 0.19's release
 * binaries are static musl builds (glibc would use "/bin:/usr/bin").
 */
const DEFAULT_SEARCH_PATH = '/usr/local/bin:/bin:/usr/bin';

export interface ResolveOptions {
  usePath: boolean;
  /** vaultenv's own PATH (execvpe searches the parent's PATH, not the child's). */
  searchPath: string | undefined;
  cwd: string;
}

/**
 * Returns the absolute path of the file to execute for `command`, or throws CommandNotFoundError /
 * CommandNotExecutableError before anything runs. argv[0] stays `command` (the caller's business);
 * only the file is resolved.
 */
export function resolveCommand(command: string, options: ResolveOptions, fs: ExecFs = nodeExecFs): string {
  if (command === '') {
    throw new CommandNotFoundError('command not found', { input: "''", hint: 'The command name is empty' });
  }
  if (!options.usePath || command.includes('/')) {
    const file = path.resolve(options.cwd, command);
    const probe = probeFile(file, fs);
    switch (probe.kind) {
      case 'ok':
        checkFormat(command, file, options.cwd, fs);
        return file;
      case 'missing':
        throw new CommandNotFoundError('command not found', { input: command, hint: missingHint(command, options) });
      case 'directory':
        throw notExecutable(command, `${file} is a directory`);
      case 'not-regular':
        throw notExecutable(command, `${file} is not a regular file`);
      case 'no-permission':
        throw notExecutable(command, permissionHint(file, probe.errno));
    }
  }

  let denied: { file: string; errno: string } | undefined;
  for (const entry of (options.searchPath ?? DEFAULT_SEARCH_PATH).split(':')) {
    // An empty entry means the current directory (POSIX execvp); relative entries start there too.
    const file = path.resolve(options.cwd, entry, command);
    const probe = probeFile(file, fs);
    switch (probe.kind) {
      case 'ok':
        checkFormat(command, file, options.cwd, fs);
        return file;
      case 'no-permission':
        // Like a shell: keep looking, and report the first non-executable match only if nothing runs.
        denied ??= { file, errno: probe.errno };
        break;
      case 'missing':
      case 'directory':
      case 'not-regular':
        break;
    }
  }
  if (denied !== undefined) throw notExecutable(command, permissionHint(denied.file, denied.errno));
  throw new CommandNotFoundError('command not found', { input: command, hint: 'Check PATH or give an absolute path' });
}

function missingHint(command: string, options: ResolveOptions): string {
  if (!command.includes('/')) return `Vaultenv searches PATH only with --use-path; give a path such as ./${command}`;
  return path.isAbsolute(command) ? 'Check the path' : `Check the path; it is relative to the working directory ${options.cwd}`;
}

function permissionHint(file: string, errno: string): string {
  return `${file} is not executable for this user (${errno}): add the execute bit (chmod +x), or check the mount is not noexec`;
}

