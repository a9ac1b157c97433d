import { describe, expect, it } from 'vitest';
import packageJson from '../../../package.json' with { type: 'json' };
import { parseCommandLine, type CommandLine } from '../../../src/cli/program.ts';
import { OPTIONS } from '../../../src/config/options.ts';
import { ConfigError } from '../../../src/errors.ts';

function run(argv: string[]): Extract<CommandLine, { kind: 'run' }> {
  const result = parseCommandLine(argv);
  if (result.kind !== 'run') throw new Error(`expected a run, got ${result.kind}`);
  return result;
}

function syntaxError(argv: string[]): ConfigError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseCommandLine: command and arguments', () => {
  it.each([
    { argv: ['ls'], command: 'ls', args: [] },
    { argv: ['--secrets-file', 'f', 'ls', '-la'], command: 'ls', args: ['-la'] },
    { argv: ['--secrets-file', 'f', '--', 'ls', '--help'], command: 'ls', args: ['--help'] },
    { argv: ['--secrets-file', 'f', 'ls', '--help'], command: 'ls', args: ['--help'] },
    { argv: ['ls', '--port', '1', '--', 'x'], command: 'ls', args: ['--port', '1', '--', 'x'] },
    { argv: ['--', '--weird-name', '-x'], command: '--weird-name', args: ['-x'] },
    { argv: ['--', 'cmd', '--'], command: 'cmd', args: ['--'] },
    { argv: ['env', '--version', '-h'], command: 'env', args: ['--version', '-h'] },
    { argv: [], command: undefined, args: [] },
    { argv: ['--secrets-file', 'f'], command: undefined, args: [] },
  ])('$argv → command $command, args $args', ({ argv, command, args }) => {
    const result = run(argv);
    expect(result.command).toBe(command);
    expect(result.args).toEqual(args);
  });

  it('keeps options after the command for the child', () => {
    expect(run(['--port', '1', 'ls', '--port', '2']).flags).toEqual({ port: '1' });
  });
});

describe('parseCommandLine: flags', () => {
  it.each([
    { argv: ['--host', 'vault.example', 'x'], flags: { host: 'vault.example' } },
    { argv: ['--port=8300', 'x'], flags: { port: '8300' } },
    { argv: ['--port', '-1', 'x'], flags: { port: '-1' } },
    { argv: ['--addr', 'https://v:1', 'x'], flags: { addr: 'https://v:1' } },
    { argv: ['--token', 't', 'x'], flags: { token: 't' } },
    { argv: ['--no-validate-certs', 'x'], flags: { validateCerts: false } },
    { argv: ['--validate-certs', 'x'], flags: { validateCerts: true } },
    { argv: ['--no-connect-tls', '--inherit-env', 'x'], flags: { tls: false, inheritEnv: true } },
    { argv: ['--no-use-path', 'x'], flags: { usePath: false } },
    { argv: ['--use-path', 'x'], flags: { usePath: true } },
    { argv: ['--inherit-env-blacklist', 'A,B', 'x'], flags: { inheritEnvBlacklist: 'A,B' } },
    { argv: ['--retry-base-delay-milliseconds', '5', 'x'], flags: { retryBaseDelayMs: '5' } },
    { argv: ['--request-timeout-milliseconds', '5', 'x'], flags: { requestTimeoutMs: '5' } },
    { argv: ['--kv-version', '2', '--exec-mode', 'spawn', 'x'], flags: { kvVersion: '2', execMode: 'spawn' } },
    { argv: ['--log-level', 'info', 'x'], flags: { logLevel: 'info' } },
    { argv: ['--duplicate-variable-behavior', 'keep', 'x'], flags: { duplicateVariableBehavior: 'keep' } },
    { argv: ['--max-concurrent-requests', '0', 'x'], flags: { maxConcurrentRequests: '0' } },
    { argv: ['--auth-backend', 'k8s', '--kubernetes-role', 'r', 'x'], flags: { authBackend: 'k8s', kubernetesRole: 'r' } },
    { argv: ['--github-token', 'g', 'x'], flags: { githubToken: 'g' } },
    { argv: ['x'], flags: {} },
  ])('$argv → $flags', ({ argv, flags }) => {
    expect(run(argv).flags).toEqual(flags);
  });

  it('collects repeated --secrets-file and --secret-file into one list, in order', () => {
    expect(run(['--secrets-file', 'a', '--secret-file', 'b', '--secrets-file=c', 'x']).flags).toEqual({
      secretsFiles: ['a', 'b', 'c'],
    });
  });

  it('declares no defaults: unset flags are absent', () => {
    const { flags } = run(['x']);
    expect(Object.keys(flags)).toEqual([]);
  });

  it('gives a fresh result per call (no state shared between parses)', () => {
    run(['--secrets-file', 'a', 'x']);
    expect(run(['--secrets-file', 'b', 'x']).flags).toEqual({ secretsFiles: ['b'] });
  });
});

describe('parseCommandLine: errors', () => {
  it.each([
    { argv: ['--token', 't', '--kubernetes-role', 'r', 'x'], message: /--token.*cannot be used with.*--kubernetes-role/ },
    { argv: ['--github-token', 'g', '--token', 't', 'x'], message: /cannot be used with/ },
    { argv: ['--kubernetes-role', 'r', '--github-token', 'g', 'x'], message: /cannot be used with/ },
    { argv: ['--bogus', 'x'], message: /^unknown option '--bogus'/ },
    { argv: ['-x', 'ls'], message: /^unknown option '-x'/ },
    { argv: ['--port'], message: /^option '--port <PORT>' argument missing/ },
  ])('$argv is an error', ({ argv, message }) => {
    const error = syntaxError(argv);
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/^error: /);
    expect(error.hint).toBe('run vaultenv --help for usage');
  });

  it('does not echo a value glued to an unknown flag', () => {
    const error = syntaxError(['--tokn=s3cr3t-value', 'x']);
    expect(error.message).not.toContain('s3cr3t-value');
    expect(error.message).toContain('--tokn');
  });
});

describe('parseCommandLine: help and version', () => {
  it.each([['--help'], ['-h'], ['--secrets-file', 'f', '--help']])('%s returns the help text', (...argv) => {
    const result = parseCommandLine(argv);
    expect(result.kind).toBe('help');
  });

  it('lists every flag with its environment names and default', () => {
    const result = parseCommandLine(['--help']);
    if (result.kind !== 'help') throw new Error('expected help');
    const text = result.text.replace(/\s+/g, ' ');
    expect(text).toContain('Usage: vaultenv [options] [--] CMD [ARGS...]');
    for (const option of OPTIONS) {
      for (const flag of option.flags) expect(text).toContain(`--${flag}`);
      if (option.kind === 'boolean') expect(text).toContain(`--no-${option.flags[0]}`);
      if (option.env.length > 0) expect(text).toContain(`env: ${option.env.join(', ')}`);
      if (option.default !== undefined && option.default !== '') expect(text).toContain(`default: ${option.default}`);
    }
  });

  it('--version returns the package version only', () => {
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version', text: `${packageJson.version}\n` });
  });
});
