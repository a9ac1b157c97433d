// `vaultenv export` against the shared OpenBao dev servers, on KV v1 and KV v2 mounts: each format
// reads back, through its own reader, the exact values (newlines, quotes, $, backslashes, =, unicode):
// shell through a real sh, dotenv through Node's util.parseEnv, the dotenv package and vaultenv's
// own config reader, json through JSON.parse, github through the runner's rules for $GITHUB_ENV.

import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import dotenv from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigFileSource } from '../../src/config/sources.ts';
import { baseEnv, expectNoLeak, runCli } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

/** Values every format carries, dotenv included. */
const VALUES: Record<string, string> = {
  MULTI_LINE: "line one\nline two with 'single' and \"double\" quotes\n",
  SHELLISH: 'back\\slash $HOME $(echo no) `tick` = ü ✓',
  TWO_QUOTES: 'it\'s "two" kinds = 2',
  TICK_AND_SINGLE: "it's `tick`\nnext = line",
  BARE: 'plain=value:1/2',
  EMPTY: '',
  SPACES: '  padded  ',
};
/** A value dotenv readers cannot all read back (every quote and a backslash), which shell and json carry. */
const HARD = 'every \'quote\' `kind` "and" a \\ backslash\r\nCRLF';

/** $GITHUB_ENV as the runner reads it: NAME=value lines, and NAME<<DELIMITER … DELIMITER blocks. */
function readGithubEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc !== null) {
      const [, name = '', delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
      if (i >= lines.length) throw new Error(`no closing delimiter for ${name}`);
      env[name] = value.join('\n');
    } else if (line.includes('=')) {
      env[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return env;
}

describe.each([1, 2] as const)('vaultenv export on KV v%i mounts', (version) => {
  const server = kvServer(version);
  const prefix = uniqueName('export');
  let dir: string;
  let token: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vaultenv-export-'));
    const data: Record<string, string> = { hard: HARD };
    for (const [name, value] of Object.entries(VALUES)) data[name.toLowerCase()] = value;
    await server.api.writeSecret('secret', version, `${prefix}/app`, data);
    const policy = uniqueName('read');
    await server.api.writePolicy(policy, `path "secret/${version === 2 ? 'data/' : ''}${prefix}/*" { capabilities = ["read"] }\n`);
    token = await server.api.createToken({ policies: [policy] });
    writeFileSync(join(dir, 'app.secrets'), Object.keys(VALUES).map((name) => `${name}=${prefix}/app#${name.toLowerCase()}\n`).join(''));
    writeFileSync(join(dir, 'hard.secrets'), `HARD=${prefix}/app#hard\n`);
    writeFileSync(join(dir, 'all.secrets'), `${readFileSync(join(dir, 'app.secrets'), 'utf8')}HARD=${prefix}/app#hard\n`);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const exportCli = (args: string[], env: Record<string, string> = {}) =>
    runCli(['export', ...args], { env: baseEnv({ VAULT_ADDR: server.address, VAULT_TOKEN: token, ...env }), cwd: dir });

  it('dotenv: util.parseEnv, the dotenv package and vaultenv’s config reader read back every value', async () => {
    const result = await exportCli(['--secrets-file', 'app.secrets']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(parseEnv(result.stdout)).toEqual(VALUES);
    expect(dotenv.parse(result.stdout)).toEqual(VALUES);
    expect(Object.fromEntries(parseConfigFileSource('exported.env', result.stdout, 'run').variables)).toEqual(VALUES);
    // A value of safe characters is written bare, so docker --env-file reads it too.
    expect(result.stdout).toContain('\nBARE=plain=value:1/2\n');
  });

  it('dotenv: a value no dotenv quoting carries is refused with exit 7, naming the line, not the value', async () => {
    const result = await exportCli(['--secrets-file', 'hard.secrets']);
    expectNoLeak(result, [HARD, token]);
    expect(result.code).toBe(7);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^vaultenv: the secret HARD holds a carriage return, which dotenv readers turn into a newline \(.*hard\.secrets:1\)\. Use --format json or shell\n$/);
  });

  it('shell: a real sh evaluates the lines back to every value', async () => {
    const result = await exportCli(['--secrets-file', 'all.secrets', '--format', 'shell']);
    expect(result.code).toBe(0);
    const names = [...Object.keys(VALUES), 'HARD'];
    const script = `${result.stdout}\nfor name in ${names.join(' ')}; do eval "printf '%s\\\\0' \\"\\$$name\\""; done`;
    const printed = execFileSync('sh', ['-c', script], { encoding: 'utf8', env: {} }).split('\0').slice(0, -1);
    expect(Object.fromEntries(names.map((name, i) => [name, printed[i]]))).toEqual({ ...VALUES, HARD });
  });

  it('json: one object in file order', async () => {
    const result = await exportCli(['--secrets-file', 'all.secrets', '--format', 'json']);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as Record<string, string>;
    expect(parsed).toEqual({ ...VALUES, HARD });
    expect(Object.keys(parsed)).toEqual([...Object.keys(VALUES), 'HARD']);
  });

  it('github: masks every value and each line first, then appends the multi-line form to $GITHUB_ENV', async () => {
    const githubEnv = join(dir, 'github-env');
    writeFileSync(githubEnv, 'EARLIER=1\n');
    const result = await exportCli(['--secrets-file', 'app.secrets', '--format', 'github'], { GITHUB_ENV: githubEnv, GITHUB_ACTIONS: 'true' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').slice(0, -1)).toEqual([
      "::add-mask::line one%0Aline two with 'single' and \"double\" quotes%0A",
      '::add-mask::line one',
      "::add-mask::line two with 'single' and \"double\" quotes",
      `::add-mask::${VALUES.SHELLISH}`,
      `::add-mask::${VALUES.TWO_QUOTES}`,
      '::add-mask::it\'s `tick`%0Anext = line',
      "::add-mask::it's `tick`",
      '::add-mask::next = line',
      `::add-mask::${VALUES.BARE}`,
      `::add-mask::${VALUES.SPACES}`,
    ]);
    const written = readFileSync(githubEnv, 'utf8');
    expect(written.startsWith('EARLIER=1\nMULTI_LINE<<ghadelimiter_')).toBe(true);
    expect(readGithubEnv(written)).toEqual({ EARLIER: '1', ...VALUES });
  });

  it('github: without $GITHUB_ENV it is a usage error before any request', async () => {
    const result = await exportCli(['--secrets-file', 'app.secrets', '--format', 'github']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('vaultenv: --format github needs GITHUB_ENV, and it is not set (GITHUB_ENV). Run it inside a GitHub Actions step, or use another --format\n');
  });

  it('--output: a new file of mode 0600, replacing the old one whole, no temporary file left', async () => {
    const target = join(dir, 'out.env');
    writeFileSync(target, 'OLD=1\n', { mode: 0o644 });
    const result = await exportCli(['--secrets-file', 'app.secrets', '--output', 'out.env']);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
    expect(lstatSync(target).mode & 0o777).toBe(0o600);
    expect(parseEnv(readFileSync(target, 'utf8'))).toEqual(VALUES);
    expect(readdirSync(dir).filter((name) => name.includes('.tmp'))).toEqual([]);
  });

  it('--output: a symbolic link is refused (exit 2) and its target untouched', async () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'untouched\n');
    symlinkSync(victim, join(dir, 'link.env'));
    const result = await exportCli(['--secrets-file', 'app.secrets', '--output', 'link.env']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('vaultenv: the output file link.env is a symbolic link (--output). Give the path of a regular file; vaultenv does not write secrets through a link\n');
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
  });
});
