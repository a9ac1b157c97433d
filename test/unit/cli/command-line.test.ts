import { describe, expect, it } from 'vitest';
import packageJson from '../../../package.json' with { type: 'json' };
import { parseCommandLine, readCommandLine, type CommandLine } from '../../../src/cli/command-line.ts';
import { OPTIONS, optionsFor, shownDefault } from '../../../src/config/options.ts';
import { ConfigError, renderError } from '../../../src/errors.ts';
import { rejected } from '../../helpers/thrown.ts';

async function run(argv: string[]): Promise<Extract<CommandLine, { kind: 'run' }>> {
  const result = await readCommandLine(argv);
  if (result.kind !== 'run') throw new Error(`expected a run, got ${result.kind}`);
  return result;
}

async function renew(argv: string[]): Promise<Extract<CommandLine, { kind: 'renew' }>> {
  const result = await readCommandLine(argv);
  if (result.kind !== 'renew') throw new Error(`expected renew, got ${result.kind}`);
  return result;
}

async function syntaxError(argv: string[]): Promise<ConfigError> {
  const error = await rejected(readCommandLine(argv));
  if (!(error instanceof ConfigError)) throw error;
  return error;
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
  ])('$argv → command $command, args $args', async ({ argv, command, args }) => {
    const result = await run(argv);
    expect(result.command).toBe(command);
    expect(result.args).toEqual(args);
  });

  it('keeps options after the command for the child', async () => {
    expect((await run(['--port', '1', 'ls', '--port', '2'])).flags).toEqual({ port: '1' });
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
    { argv: ['--token-file', '/t', 'x'], flags: { tokenFile: '/t' } },
    { argv: ['--kubernetes-role', 'r', '--kubernetes-jwt-file', '/j', 'x'], flags: { kubernetesRole: 'r', kubernetesJwtFile: '/j' } },
    {
      argv: ['--approle-role-id', 'id', '--approle-secret-id-file', '/s', '--approle-secret-id-wrapped', 'x'],
      flags: { approleRoleId: 'id', approleSecretIdFile: '/s', approleSecretIdWrapped: true },
    },
    { argv: ['--jwt-role', 'j', '--jwt-file', '/f', '--jwt-env', 'E', 'x'], flags: { jwtRole: 'j', jwtFile: '/f', jwtEnv: 'E' } },
    { argv: ['--export-token', 'x'], flags: { exportToken: true } },
    { argv: ['--no-export-token', 'x'], flags: { exportToken: false } },
    {
      argv: ['--ca-cert', '/ca', '--ca-path', '/cas', '--client-cert', '/c', '--client-key', '/k', '--tls-server-name', 'n', 'x'],
      flags: { caCert: '/ca', caPath: '/cas', clientCert: '/c', clientKey: '/k', tlsServerName: 'n' },
    },
    { argv: ['--namespace', 'team/a', 'x'], flags: { namespace: 'team/a' } },
    // Several credentials on the command line are config/load.ts's business (login > token; two logins: error).
    { argv: ['--token', 't', '--kubernetes-role', 'r', 'x'], flags: { token: 't', kubernetesRole: 'r' } },
    { argv: ['--kubernetes-role', 'r', '--github-token', 'g', 'x'], flags: { kubernetesRole: 'r', githubToken: 'g' } },
    { argv: ['x'], flags: {} },
  ])('$argv → $flags', async ({ argv, flags }) => {
    expect((await run(argv)).flags).toEqual(flags);
  });

  it('collects repeated --secrets-file and --secret-file into one list, in order', async () => {
    expect((await run(['--secrets-file', 'a', '--secret-file', 'b', '--secrets-file=c', 'x'])).flags).toEqual({
      secretsFiles: ['a', 'b', 'c'],
    });
  });

  it('declares no defaults: unset flags are absent', async () => {
    const { flags } = await run(['x']);
    expect(Object.keys(flags)).toEqual([]);
  });

  it('gives a fresh result per call (no state shared between parses)', async () => {
    await run(['--secrets-file', 'a', 'x']);
    expect((await run(['--secrets-file', 'b', 'x'])).flags).toEqual({ secretsFiles: ['b'] });
  });
});

/** A syntax error is one line with an input and a hint (renderError's `vaultenv: message (input). Hint`). */
function expectOneLine(error: ConfigError): void {
  expect(error.message).not.toContain('\n');
  expect(error.input).toBe('command line');
  expect(error.hint).not.toContain('\n');
  expect(renderError(error).text.trimEnd()).not.toContain('\n');
}

describe('parseCommandLine: errors', () => {
  it.each([
    { argv: ['--bogus', 'x'], message: "unknown option '--bogus'" },
    { argv: ['-x', 'ls'], message: "unknown option '-x'" },
    { argv: ['--port'], message: "option '--port <PORT>' argument missing" },
  ])('$argv is an error', async ({ argv, message }) => {
    const error = await syntaxError(argv);
    expect(error.message).toBe(message);
    expect(error.hint).toBe('run vaultenv --help for usage');
    expectOneLine(error);
  });

  it.each([['--interval', '5', 'x'], ['--once', 'x'], ['--no-once', 'x']])('%s: a renew option under the run command', async (...argv) => {
    const error = await syntaxError(argv);
    expect(error.message).toBe(`unknown option '${argv[0]}' (an option of vaultenv renew, not of the run command)`);
    expect(error.hint).toBe('run vaultenv renew --help for usage');
    expectOneLine(error);
  });

  it.each([
    { argv: ['--tokn', 'x'], message: "unknown option '--tokn'", hint: 'did you mean --token? Run vaultenv --help for usage' },
    { argv: ['--no-use-pth', 'x'], message: "unknown option '--no-use-pth'", hint: 'did you mean --no-use-path? Run vaultenv --help for usage' },
    { argv: ['--secretsfile', 'f', 'x'], message: "unknown option '--secretsfile'", hint: 'did you mean --secret-file or --secrets-file? Run vaultenv --help for usage' },
    { argv: ['-token', 'x'], message: "unknown option '-t'", hint: 'did you mean --token? Run vaultenv --help for usage' },
    { argv: ['renew', '--intervl', '5'], message: "unknown option '--intervl'", hint: 'did you mean --interval? Run vaultenv renew --help for usage' },
  ])('$argv: the suggestion is in the hint, on the same line', async ({ argv, message, hint }) => {
    const error = await syntaxError(argv);
    expect(error.message).toBe(message);
    expect(error.hint).toBe(hint);
    expectOneLine(error);
  });
});

describe('parseCommandLine: syntax errors never echo a value', () => {
  const SECRET = 's.SECRET-never-shown';
  it.each([
    { argv: [`-token=${SECRET}`, 'ls'], message: "unknown option '-t'" },
    { argv: [`-t${SECRET}`, 'ls'], message: "unknown option '-t'" },
    { argv: [`--tokn=${SECRET}`, 'x'], message: "unknown option '--tokn'" },
    { argv: [`--tokn=it's-${SECRET}'`, 'x'], message: "unknown option '--tokn'" },
    { argv: [`--tokn='${SECRET}`, 'x'], message: "unknown option '--tokn'" },
    { argv: [`--token ${SECRET}`, 'x'], message: "unknown option '--token…'" },
    { argv: [`--token'${SECRET}`, 'x'], message: "unknown option '--token…'" },
    { argv: [`--tok\n${SECRET}`, 'x'], message: "unknown option '--tok…'" },
    { argv: ['--token', `it's-${SECRET}`, `--tokn=${SECRET}`], message: "unknown option '--tokn'" },
    { argv: [`--inherit-env=it's-${SECRET}`, 'x'], message: "option '--inherit-env' takes no value" },
    { argv: ['renew', `-token=${SECRET}`], message: "unknown option '-t'" },
    { argv: ['renew', `--tokn=it's-${SECRET}`], message: "unknown option '--tokn'" },
    { argv: ['renew', `--secrets-file=${SECRET}`], message: "unknown option '--secrets-file' (an option of the run command, not of vaultenv renew)" },
  ])('$argv', async ({ argv, message }) => {
    const error = await syntaxError(argv);
    expect(error.message).toBe(message);
    for (const text of [error.message, error.input, error.hint, renderError(error).text]) expect(text).not.toContain('SECRET');
    expectOneLine(error);
  });
});

describe('parseCommandLine: a boolean flag given a value', () => {
  it.each([
    { argv: ['--inherit-env=false', 'x'], flag: '--inherit-env', hint: 'use --no-inherit-env (or --inherit-env) — boolean flags take no value' },
    { argv: ['--use-path=false', 'x'], flag: '--use-path', hint: 'use --no-use-path (or --use-path) — boolean flags take no value' },
    { argv: ['--no-inherit-env=true', 'x'], flag: '--no-inherit-env', hint: 'use --no-inherit-env (or --inherit-env) — boolean flags take no value' },
    { argv: ['--export-token=', 'x'], flag: '--export-token', hint: 'use --no-export-token (or --export-token) — boolean flags take no value' },
    { argv: ['renew', '--once=true'], flag: '--once', hint: 'use --no-once (or --once) — boolean flags take no value' },
    { argv: ['renew', '--connect-tls=0'], flag: '--connect-tls', hint: 'use --no-connect-tls (or --connect-tls) — boolean flags take no value' },
    { argv: ['--help=yes'], flag: '--help', hint: 'run vaultenv --help for usage' },
    { argv: ['--version=yes'], flag: '--version', hint: 'run vaultenv --help for usage' },
  ])('$argv', async ({ argv, flag, hint }) => {
    const error = await syntaxError(argv);
    expect(error.message).toBe(`option '${flag}' takes no value`);
    expect(error.hint).toBe(hint);
    expect(`${error.message} ${error.hint}`).not.toMatch(/true|false|yes|=0/);
    expectOneLine(error);
  });
});

describe('parseCommandLine: help and version', () => {
  it.each([['--help'], ['-h'], ['--secrets-file', 'f', '--help']])('%s returns the help text', async (...argv) => {
    const result = await readCommandLine(argv);
    expect(result.kind).toBe('help');
  });

  it('lists every flag with its environment names and default', async () => {
    const result = await readCommandLine(['--help']);
    if (result.kind !== 'help') throw new Error('expected help');
    const text = result.text.replace(/\s+/g, ' ');
    expect(text).toContain('Usage: vaultenv [options] [--] CMD [ARGS...]');
    for (const option of optionsFor('run')) {
      for (const flag of option.flags) expect(text).toContain(`--${flag}`);
      if (option.kind === 'boolean') expect(text).toContain(`--no-${option.flags[0]}`);
      if (option.env.length > 0) expect(text).toContain(`env: ${option.env.join(', ')}`);
      const shown = shownDefault(option);
      if (shown !== undefined && shown !== '') expect(text).toContain(`default: ${shown}`);
    }
  });

  it('--version returns the package version only', async () => {
    expect(await readCommandLine(['--version'])).toEqual({ kind: 'version', text: `${packageJson.version}\n` });
  });
});

describe('parseCommandLine: renew', () => {
  it.each([
    { argv: ['renew'], flags: {} },
    { argv: ['renew', '--interval', '5', '--renew-fraction', '0.25', '--once'], flags: { renewIntervalSeconds: '5', renewFraction: '0.25', renewOnce: true } },
    { argv: ['renew', '--no-once', '--interval=30'], flags: { renewOnce: false, renewIntervalSeconds: '30' } },
    { argv: ['renew', '--token-file', '/t', '--token', 't'], flags: { tokenFile: '/t', token: 't' } },
    {
      argv: ['renew', '--addr', 'https://v', '--host', 'h', '--port', '1', '--no-connect-tls', '--no-validate-certs'],
      flags: { addr: 'https://v', host: 'h', port: '1', tls: false, validateCerts: false },
    },
    {
      argv: ['renew', '--ca-cert', '/ca', '--ca-path', '/cas', '--client-cert', '/c', '--client-key', '/k', '--tls-server-name', 'n', '--namespace', 'ns'],
      flags: { caCert: '/ca', caPath: '/cas', clientCert: '/c', clientKey: '/k', tlsServerName: 'n', namespace: 'ns' },
    },
    {
      argv: ['renew', '--retry-attempts', '1', '--retry-base-delay-milliseconds', '2', '--request-timeout-milliseconds', '3', '--log-level', 'info'],
      flags: { retryAttempts: '1', retryBaseDelayMs: '2', requestTimeoutMs: '3', logLevel: 'info' },
    },
  ])('$argv → $flags', async ({ argv, flags }) => {
    expect(await renew(argv)).toEqual({ kind: 'renew', flags });
  });

  it.each([
    { argv: ['--', 'renew'], command: 'renew', args: [] },
    { argv: ['--', 'renew', '--once'], command: 'renew', args: ['--once'] },
    { argv: ['--secrets-file', 'f', 'renew'], command: 'renew', args: [] },
    { argv: ['--token', 't', 'renew', '--interval', '5'], command: 'renew', args: ['--interval', '5'] },
    { argv: ['ls', 'renew'], command: 'ls', args: ['renew'] },
  ])('renew only as the first argument: $argv runs $command', async ({ argv, command, args }) => {
    const result = await run(argv);
    expect(result.command).toBe(command);
    expect(result.args).toEqual(args);
  });

  it.each([
    ['--secrets-file', 's'],
    ['--secret-file', 's'],
    ['--kubernetes-role', 'r'],
    ['--github-token', 'g'],
    ['--approle-role-id', 'id'],
    ['--jwt-role', 'j'],
    ['--auth-backend', 'b'],
    ['--export-token'],
    ['--no-use-path'],
    ['--inherit-env'],
    ['--exec-mode', 'spawn'],
    ['--kv-version', '2'],
    ['--max-concurrent-requests', '1'],
  ])('rejects the run option %s under renew', async (...flags) => {
    const error = await syntaxError(['renew', ...flags]);
    expect(error.message).toBe(`unknown option '${flags[0]}' (an option of the run command, not of vaultenv renew)`);
    expect(error.hint).toBe('run vaultenv renew --help for usage');
    expectOneLine(error);
  });

  it('rejects an unknown option and arguments, without echoing them', async () => {
    expect((await syntaxError(['renew', '--bogus'])).message).toBe("unknown option '--bogus'");
    const error = await syntaxError(['renew', 's3cr3t-value']);
    expect(error.message).toBe('vaultenv renew takes no arguments, only options');
    expect(renderError(error).text).not.toContain('s3cr3t-value');
    expectOneLine(error);
    expect((await syntaxError(['renew', '--tokn=s3cr3t-value'])).message).not.toContain('s3cr3t-value');
    expect((await syntaxError(['renew', '--', 'ls'])).message).toBe('vaultenv renew takes no arguments, only options');
  });

  it('vaultenv renew --help shows its own usage and only its options', async () => {
    const result = await readCommandLine(['renew', '--help']);
    if (result.kind !== 'help') throw new Error('expected help');
    const text = result.text.replace(/\s+/g, ' ');
    expect(text).toContain('Usage: vaultenv renew [options]');
    for (const option of OPTIONS) {
      const shown = option.commands.includes('renew');
      for (const flag of option.flags) {
        if (shown) expect(text).toContain(`--${flag} `);
        else expect(text, flag).not.toMatch(new RegExp(`--${flag}[ ,]`));
      }
      if (shown && option.env.length > 0) expect(text).toContain(`env: ${option.env.join(', ')}`);
    }
    expect(text).not.toContain('CMD');
  });

  it('-h and --version work under renew', async () => {
    expect((await readCommandLine(['renew', '-h'])).kind).toBe('help');
    expect(await readCommandLine(['renew', '--version'])).toEqual({ kind: 'version', text: `${packageJson.version}\n` });
  });

  it('the run help lists no renew-only option and points to vaultenv renew --help', async () => {
    const result = await readCommandLine(['--help']);
    if (result.kind !== 'help') throw new Error('expected help');
    expect(result.text).not.toMatch(/--interval|--renew-fraction|--once/);
    expect(result.text).toContain('vaultenv renew --help');
  });
});

describe('parseCommandLine: every flag of the run command in every form', () => {
  /** Each form of each flag, with what it sets. */
  function everyFlagForm(): Array<{ argv: string[]; flags: Record<string, unknown> }> {
    const forms: Array<{ argv: string[]; flags: Record<string, unknown> }> = [];
    for (const row of optionsFor('run').filter((r) => r.flags.length > 0)) {
      const [primary] = row.flags;
      if (row.kind === 'boolean') {
        forms.push({ argv: [`--${primary}`], flags: { [row.id]: true } }, { argv: [`--no-${primary}`], flags: { [row.id]: false } });
        continue;
      }
      const value = (text: string): unknown => (row.repeatable === true ? [text] : text);
      for (const flag of row.flags) {
        forms.push(
          { argv: [`--${flag}`, 'v a=l'], flags: { [row.id]: value('v a=l') } },
          { argv: [`--${flag}=v=1`], flags: { [row.id]: value('v=1') } },
          { argv: [`--${flag}=`], flags: { [row.id]: value('') } },
          // An option's value is the next argument, whatever it looks like.
          { argv: [`--${flag}`, '--'], flags: { [row.id]: value('--') } },
        );
      }
    }
    return forms;
  }

  it.each(everyFlagForm())('$argv', ({ argv, flags }) => {
    expect(parseCommandLine([...argv, '--', 'cmd', 'arg'])).toEqual({ kind: 'run', flags, command: 'cmd', args: ['arg'] });
  });
});

describe('parseCommandLine: any command line is a reading or a one-line mistake that echoes no value', () => {
  // A fixed seed: the same command lines every run, thousands of them.
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
  }
  const SECRET = 'SECRETVALUE';
  const words = [
    ...optionsFor('run').flatMap((row) => row.flags.flatMap((flag) => [`--${flag}`, `--no-${flag}`, `--${flag}=${SECRET}`])),
    ...optionsFor('renew').flatMap((row) => row.flags.map((flag) => `--${flag}`)),
    // (An unknown option's name itself is shown: `--SECRETVALUE` would be.)
    SECRET, `-${SECRET}`, `--tokn=${SECRET}`, `--token ${SECRET}`, '--', '-', '-h', '--help', '--version', 'cmd', '', '=', '--=', '-5',
  ];
  const COMMANDS = ['renew', 'check', 'export', 'allow', 'deny'];

  it('reads each one', () => {
    const next = random(20_261_130);
    const kinds = new Map<string, number>();
    for (let n = 0; n < 4000; n++) {
      const length = Math.floor(next() * 7);
      const argv = Array.from({ length }, () => words[Math.floor(next() * words.length)] ?? '');
      // One in four starts with a command word, so that every command is read among them.
      if (next() < 0.25) argv.unshift(COMMANDS[Math.floor(next() * COMMANDS.length)] ?? '');
      const reading = parseCommandLine(argv);
      kinds.set(reading.kind, (kinds.get(reading.kind) ?? 0) + 1);
      if (reading.kind !== 'mistake') continue;
      const { text } = renderError(reading.error);
      expect(text.trimEnd(), JSON.stringify(argv)).not.toContain('\n');
      expect(text, JSON.stringify(argv)).not.toContain(SECRET);
    }
    // Every outcome occurs among them.
    expect([...kinds.keys()].sort()).toEqual(['allow', 'check', 'deny', 'export', 'help', 'mistake', 'renew', 'run', 'version']);
  });
});

describe('readCommandLine: vaultenv allow and deny', () => {
  it.each([
    { argv: ['allow'], line: { kind: 'allow', file: undefined } },
    { argv: ['allow', 'sub/.env'], line: { kind: 'allow', file: 'sub/.env' } },
    { argv: ['deny', '--', '-odd.env'], line: { kind: 'deny', file: '-odd.env' } },
    { argv: ['deny'], line: { kind: 'deny', file: undefined } },
  ])('$argv', async ({ argv, line }) => {
    expect(await readCommandLine(argv)).toEqual(line);
  });

  it('shows its help', async () => {
    const result = await readCommandLine(['allow', '--help']);
    if (result.kind !== 'help') throw new Error('expected help');
    expect(result.text.split('\n')[0]).toBe('Usage: vaultenv allow [FILE]');
    expect(((await readCommandLine(['deny', '-h'])) as { text: string }).text.split('\n')[0]).toBe('Usage: vaultenv deny [FILE]');
  });

  it.each([
    { argv: ['allow', 'a', 'b'], message: 'vaultenv allow takes one file at most' },
    { argv: ['deny', '--force=s3cr3t'], message: "unknown option '--force' (vaultenv deny takes no options)" },
  ])('$argv is an error that shows no argument', async ({ argv, message }) => {
    const error = await syntaxError(argv);
    expect(error.message).toBe(message);
    expect(error.hint).toBe(`run vaultenv ${argv[0] ?? ''} --help for usage`);
    expect(renderError(error).text).not.toContain('s3cr3t');
  });

  it('only as the first argument: `vaultenv -- allow` runs a program named allow', async () => {
    expect(await run(['--', 'allow'])).toMatchObject({ command: 'allow', args: [] });
  });
});

describe('readCommandLine: vaultenv check and export', () => {
  it('check takes the run options and an optional CMD [ARGS...]', async () => {
    expect(await readCommandLine(['check', '--secrets-file', 'f', '--format', 'json'])).toEqual({
      kind: 'check',
      flags: { secretsFiles: ['f'], format: 'json' },
      command: undefined,
      args: [],
    });
    expect(await readCommandLine(['check', '--mask', '--secrets-file', 'f', '--', 'app', '--port', '1'])).toEqual({
      kind: 'check',
      flags: { mask: true, secretsFiles: ['f'] },
      command: 'app',
      args: ['--port', '1'],
    });
  });

  it('export takes options only, and no run option about the program', async () => {
    expect(await readCommandLine(['export', '--secrets-file', 'f', '--format', 'shell', '--output', 'o', '--force'])).toEqual({
      kind: 'export',
      flags: { secretsFiles: ['f'], format: 'shell', output: 'o', force: true },
    });
    const stray = await syntaxError(['export', '--secrets-file', 'f', 'hunter2']);
    expect(renderError(stray).text).toBe('vaultenv: vaultenv export takes no arguments, only options (command line). Run vaultenv export --help for usage\n');
    const runOption = await syntaxError(['export', '--exec-mode', 'spawn']);
    expect(runOption.message).toBe("unknown option '--exec-mode' (an option of the run command, not of vaultenv export)");
    expect(runOption.hint).toBe('run vaultenv export --help for usage');
  });

  it('--output and --force belong to export, not to the run', async () => {
    const error = await syntaxError(['--force', '--', 'ls']);
    expect(error.message).toBe("unknown option '--force' (an option of vaultenv export, not of the run command)");
  });

  it('shows the help of each', async () => {
    const check = await readCommandLine(['check', '--help']);
    const exported = await readCommandLine(['export', '-h']);
    expect(check.kind === 'help' ? check.text : '').toMatch(/^Usage: vaultenv check \[options\] \[--\] \[CMD \[ARGS\.\.\.\]\]\n/);
    expect(exported.kind === 'help' ? exported.text : '').toMatch(/^Usage: vaultenv export \[options\]\n/);
    expect(exported.kind === 'help' ? exported.text : '').toContain('--output <FILE>');
    expect(exported.kind === 'help' ? exported.text : '').not.toContain('--exec-mode');
  });

  it('only as the first argument: `vaultenv -- check` runs a program named check', async () => {
    expect((await run(['--', 'check'])).command).toBe('check');
    expect((await run(['--secrets-file', 'f', 'export'])).command).toBe('export');
  });
});
