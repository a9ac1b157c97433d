// The built CLI as a user runs it: the exec replaces vaultenv, arguments reach the program untouched,
// the program inherits a clean process, the spawn fallback relays signals, and every row of the
// README's exit-code table that needs no Vault server (the Vault rows are in
// test/integration/wrapper.test.ts).

import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, CLI_KIND, cliCommand, expectNoLeak, runCli } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';
import { readThroughSlowPipe } from '../helpers/slow-reader.ts';

const TRAP = new URL('../fixtures/exec/trap-signals.ts', import.meta.url).pathname;
const NODE = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'vaultenv-e2e-'));
const empty = join(dir, 'empty.secrets');
writeFileSync(empty, '# no secrets\n');
const printArgv = join(dir, 'print-argv.mjs');
writeFileSync(printArgv, 'console.log(JSON.stringify(process.argv.slice(2)));\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAKE_TOKEN = 'e2e-fake-token-value-0123456789';
const env = (extra: Record<string, string | undefined> = {}) => baseEnv({ VAULT_TOKEN: FAKE_TOKEN, ...extra });

describe('the exec', () => {
  const server = kvServer(2);
  const path = uniqueName('e2e');
  const secretValue = `pid-${uniqueName('v')}`;
  let secretsFile: string;

  beforeAll(async () => {
    await server.api.writeSecret('secret', 2, `${path}/app`, { value: secretValue });
    secretsFile = join(dir, 'pid.secrets');
    writeFileSync(secretsFile, `MY_SECRET=${path}/app#value\n`);
  });

  it('replaces vaultenv: the program reports vaultenv\'s PID and sees the secret', async () => {
    const result = await runCli(['--secrets-file', secretsFile, '--', '/bin/sh', '-c', 'echo "$$ ${#MY_SECRET}"'], {
      env: baseEnv({ VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken }),
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(`${result.pid} ${secretValue.length}`);
  });

  it('passes every argument after the command untouched, including ones that look like options', async () => {
    const args = ['-x', '--help', '', '--secrets-file', 'a b', 'ünï', '--'];
    const result = await runCli(['--secrets-file', empty, '--', NODE, printArgv, ...args], { env: env() });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(args);
  });

  it('needs no -- when the options come before the command', async () => {
    const result = await runCli(['--secrets-file', empty, NODE, printArgv, '--version', '-v'], { env: env() });
    expect(JSON.parse(result.stdout)).toEqual(['--version', '-v']);
  });

  it('hands the program blocking stdio: 20 MB through a slow pipe arrive whole', async () => {
    const total = 20_000_000;
    const [file, args] = cliCommand(['--secrets-file', empty, '--', 'head', '-c', String(total), '/dev/zero']);
    const { code, received, stderr } = await readThroughSlowPipe(file, args, env());
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(received).toBe(total);
  });

  it('hands the program default SIGPIPE: `yes | head -1` ends quietly', async () => {
    const stderrFile = join(dir, 'yes.stderr');
    const [file, argv] = cliCommand(['--secrets-file', empty, '--', 'yes']);
    const vaultenv = [file, ...argv].map((a) => `'${a}'`).join(' ');
    const script = `${vaultenv} 2>'${stderrFile}' | head -n 1; echo "status=\${PIPESTATUS[0]}"`;
    const child = spawn('bash', ['-c', script], { env: env(), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await new Promise((resolve) => child.on('close', resolve));
    expect(out).toBe('y\nstatus=141\n');
    expect(readFileSync(stderrFile, 'utf8')).toBe('');
  });
});

describe('the spawn fallback (--exec-mode spawn)', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('relays %s to the program once and ends with its exit code', async (signal) => {
    const log = join(dir, `${signal}.log`);
    const child = spawn(...cliCommand(['--exec-mode', 'spawn', '--secrets-file', empty, '--', NODE, TRAP, log, '43']), { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
    for (let i = 0; i < 300 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(out).toContain('ready');
    child.kill(signal);
    expect(await closed).toEqual({ code: 43, signal: null });
    expect(readFileSync(log, 'utf8')).toBe(`${signal}\n`);
  });

  it('dies by the signal that killed the program', async () => {
    const result = await runCli(['--exec-mode', 'spawn', '--secrets-file', empty, '--', '/bin/sh', '-c', 'kill -TERM $$'], { env: env() });
    expect(result).toMatchObject({ code: null, signal: 'SIGTERM' });
  });
});

describe('exit codes', () => {
  const notExecutable = join(dir, 'not-executable');
  writeFileSync(notExecutable, '#!/bin/sh\necho hi\n');
  chmodSync(notExecutable, 0o644);

  it.each([
    ['the program\'s own status', ['--secrets-file', empty, '--', '/bin/sh', '-c', 'exit 42'], {}, 42],
    ['2: an unknown option', ['--no-such-option', '--secrets-file', empty, 'true'], {}, 2],
    ['2: a missing secrets file option', ['true'], {}, 2],
    ['2: an invalid boolean', ['--secrets-file', empty, 'true'], { VAULTENV_INHERIT_ENV: 'yes' }, 2],
    ['3: a secrets file that does not exist', ['--secrets-file', join(dir, 'nope.secrets'), 'true'], {}, 3],
    ['3: an endless secrets file (/dev/zero), read only up to the limit', ['--secrets-file', '/dev/zero', 'true'], {}, 3],
    ['126: a command that is not executable', ['--secrets-file', empty, '--', notExecutable], {}, 126],
    ['127: a command that does not exist', ['--secrets-file', empty, '--', 'no-such-command-anywhere'], {}, 127],
    ['127: a bare name without --use-path', ['--secrets-file', empty, '--', 'sh', '-c', 'true'], { VAULTENV_USE_PATH: 'false' }, 127],
  ] as const)('%s', async (_label, args, extra, code) => {
    const result = await runCli(args, { env: env(extra), cwd: dir });
    expect(result.code).toBe(code);
    expectNoLeak(result, [FAKE_TOKEN]);
    if (code !== 42) expect(result.stderr).toMatch(/^vaultenv: [^\n]+\n$/);
  });

  // A command the kernel refuses after every check (ETXTBSY): test/e2e/failed-exec.test.ts.

  it.each([
    [['--exec-mode', 'execve'], 'vaultenv: --supervise cannot use exec mode "execve" (--exec-mode / VAULTENV_EXEC_MODE). With --supervise vaultenv stays the parent of CMD: leave --exec-mode at auto or set it to spawn\n'],
    [['--mask'], "vaultenv: --mask and --supervise cannot be combined (--mask / VAULTENV_MASK). Mask the program's output in its log pipeline, or run it without --supervise\n"],
  ])('2: --supervise with %j, before any request', async (extra, message) => {
    // Port 9 of the loopback answers nothing: a request would end in exit 6, not 2.
    const result = await runCli(['--supervise', ...extra, '--secrets-file', empty, '--', 'true'], { env: env({ VAULT_ADDR: 'http://127.0.0.1:9' }), cwd: dir });
    expect(result.stderr).toBe(message);
    expect(result.code).toBe(2);
  });

  it('2: a ./.env over 256 KiB, read only up to the limit', async () => {
    const project = mkdtempSync(join(dir, 'huge-env-'));
    writeFileSync(join(project, '.env'), `A=${'x'.repeat(100_000)}\nB=${'y'.repeat(100_000)}\nC=${'z'.repeat(100_000)}\n`);
    const result = await runCli(['--secrets-file', empty, '--', 'true'], { env: env(), cwd: project });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `vaultenv: config file is larger than 256 KiB (file ${join(project, '.env')}). It holds vaultenv settings and variables for the program: keep large data in a file of its own\n`,
    );
  });

  it('7: an environment entry too large for execve (from a variable in ./.env)', async () => {
    const project = mkdtempSync(join(dir, 'big-'));
    writeFileSync(join(project, '.env'), `BIG=${'x'.repeat(200_000)}\n`);
    const result = await runCli(['--secrets-file', empty, '--', 'true'], { env: env(), cwd: project });
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/^vaultenv: [^\n]+\n$/);
    expect(result.stderr).toContain('BIG');
    expect(result.stderr).not.toContain('xxxxxxxx');
  });
});

describe("Bun's runtime variables", () => {
  // The single executable runs on Bun, which takes BUN_OPTIONS and BUN_INSPECT before vaultenv's code
  // runs; the bundle runs on Node, which leaves them to the program.
  const onBun = CLI_KIND === 'sea' && process.env.VAULTENV_SEA_RUNTIME !== 'node';

  it(onBun ? 'refuse the run on Bun, on one line, before anything else' : 'reach the program from the bundle, which runs on Node', async () => {
    const result = await runCli(['--secrets-file', empty, '--', 'sh', '-c', 'echo "$BUN_OPTIONS"'], { env: env({ BUN_OPTIONS: '--smol' }) });
    if (onBun) {
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toBe(
        "vaultenv: BUN_OPTIONS is set, and the Bun runtime of vaultenv's executable takes it (the environment). They would run code or open an inspector in the process that holds the token: unset them for vaultenv, and give them to the program alone (vaultenv … -- env BUN_OPTIONS=… CMD)\n",
      );
    } else {
      expect(result).toMatchObject({ code: 0, stdout: '--smol\n', stderr: '' });
    }
  });
});
