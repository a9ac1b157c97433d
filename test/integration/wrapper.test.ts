// vaultenv's own behaviours, end to end: the built CLI against a real OpenBao dev server, every
// scenario once where secret/ and team/ are KV v1 and once where they are KV v2.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, envFromOutput, expectNoLeak, runCli, type CliResult } from '../helpers/run-cli.ts';
import { kvServer, uniqueName, TEAM_MOUNT } from '../helpers/servers.ts';
import { startProxy } from '../helpers/proxy.ts';
import { freePort } from '../helpers/ports.ts';

const ENV = '/usr/bin/env';

describe.each([1, 2] as const)('on KV v%i mounts', (version) => {
  const server = kvServer(version);
  const prefix = uniqueName('core');
  let dir: string;
  let readToken: string;
  // Every value and token seeded here; every failing run's output is checked for all of them.
  const secrets: string[] = [];
  const value = (label: string) => {
    const v = `${label}-${uniqueName('v')}`;
    secrets.push(v);
    return v;
  };
  const values = {
    apiKey: value('api'),
    foobar: value('foobar'),
    refresh: value('refresh'),
    teamKey: value('team'),
    dup: value('dup'),
  };

  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };
  const cli = (args: string[], env: Record<string, string | undefined> = {}, cwd?: string) =>
    runCli(args, { env: baseEnv({ VAULT_ADDR: server.address, VAULT_TOKEN: readToken, ...env }), cwd: cwd ?? dir });
  const failing = async (args: string[], env: Record<string, string | undefined> = {}, cwd?: string): Promise<CliResult> => {
    const result = await cli(args, env, cwd);
    expect(result.code).not.toBe(0);
    expectNoLeak(result, [...secrets, readToken, server.rootToken]);
    expect(result.stderr.trim().split('\n')[0]).toMatch(/^vaultenv: /);
    return result;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vaultenv-it-'));
    await server.api.writeSecret('secret', version, `${prefix}/production/third-party`, { 'api-key': values.apiKey, foobar: values.foobar, count: 3 });
    await server.api.writeSecret('secret', version, `${prefix}/production/another-third-party`, { 'refresh-token': values.refresh });
    await server.api.writeSecret(TEAM_MOUNT, version, `${prefix}/app`, { key: values.teamKey, dup: values.dup });
    const policy = uniqueName('read');
    const dataPrefix = version === 2 ? 'data/' : '';
    await server.api.writePolicy(
      policy,
      `path "secret/${dataPrefix}${prefix}/*" { capabilities = ["read"] }\npath "${TEAM_MOUNT}/${dataPrefix}${prefix}/*" { capabilities = ["read"] }\n`,
    );
    readToken = await server.api.createToken({ policies: [policy] });
    secrets.push(readToken);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a version 1 file: derived and custom names, configured by VAULT_ADDR alone, command found on PATH', async () => {
    const secretsFile = await file(
      'v1.secrets',
      `${prefix}/production/third-party#api-key\n${prefix}/production/another-third-party#refresh-token\nFOOBAR=${prefix}/production/third-party#foobar\n`,
    );
    const result = await cli(['--secrets-file', secretsFile, 'env']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const env = envFromOutput(result.stdout);
    const derived = prefix.toUpperCase().replaceAll('-', '_');
    expect(env[`${derived}_PRODUCTION_THIRD_PARTY_API_KEY`]).toBe(values.apiKey);
    expect(env[`${derived}_PRODUCTION_ANOTHER_THIRD_PARTY_REFRESH_TOKEN`]).toBe(values.refresh);
    expect(env.FOOBAR).toBe(values.foobar);
  });

  it('a version 2 file with two mounts', async () => {
    const secretsFile = await file(
      'v2.secrets',
      `VERSION 2\n\nMOUNT secret\n${prefix}/production/third-party#api-key\n\nMOUNT ${TEAM_MOUNT}\nTEAM_KEY=${prefix}/app#key\n${prefix}/app#dup\n`,
    );
    const result = await cli(['--secrets-file', secretsFile, '--', ENV]);
    expect(result.code).toBe(0);
    const env = envFromOutput(result.stdout);
    const derived = prefix.toUpperCase().replaceAll('-', '_');
    expect(env[`SECRET_${derived}_PRODUCTION_THIRD_PARTY_API_KEY`]).toBe(values.apiKey);
    expect(env.TEAM_KEY).toBe(values.teamKey);
    expect(env[`TEAM_${derived}_APP_DUP`]).toBe(values.dup);
  });

  describe('duplicates', () => {
    const dupFile = () => file('dup.secrets', `HOME=${prefix}/production/third-party#foobar\n`);

    it('error (the default): names the variable, exit 7, the command does not run', async () => {
      const result = await failing(['--secrets-file', await dupFile(), '--', ENV]);
      expect(result.code).toBe(7);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('duplicate environment variable "HOME"');
    });

    // The names are known from the secrets files and the environment: no secret is fetched, nor the
    // mount looked up, for a run that cannot start.
    it.each([
      ['a secret and an inherited variable', () => dupFile(), 'duplicate environment variable "HOME"'],
      ['two lines of the secrets file', () => file('dup-lines.secrets', `A=${prefix}/production/third-party#foobar\nA=${prefix}/app#key\n`), 'duplicate environment variable "A"'],
    ])('error: a duplicate of %s is found before the first request (exit 7, nothing requested)', async (_what, secretsFile, message) => {
      const proxy = await startProxy(server.address);
      try {
        const path = await secretsFile();
        const result = await failing(['--secrets-file', path, '--', ENV], { VAULT_ADDR: proxy.address });
        expect(result.code).toBe(7);
        expect(result.stderr).toMatch(new RegExp(`^vaultenv: ${message} \\([^\n]+\\)\\. [^\n]+\n$`));
        expect(proxy.count()).toBe(0);
      } finally {
        await proxy.close();
      }
    });

    it('keep: the inherited value wins', async () => {
      const result = await cli(['--duplicate-variable-behavior', 'keep', '--secrets-file', await dupFile(), '--', ENV], { HOME: '/home/inherited' });
      expect(result.code).toBe(0);
      expect(envFromOutput(result.stdout).HOME).toBe('/home/inherited');
    });

    it('overwrite: the secret wins (also from VAULTENV_DUPLICATE_VARIABLE_BEHAVIOR)', async () => {
      const result = await cli(['--secrets-file', await dupFile(), '--', ENV], { HOME: '/home/inherited', VAULTENV_DUPLICATE_VARIABLE_BEHAVIOR: 'overwrite' });
      expect(result.code).toBe(0);
      expect(envFromOutput(result.stdout).HOME).toBe(values.foobar);
    });
  });

  describe('inheritance and the blacklist', () => {
    const oneSecret = () => file('one.secrets', `FOOBAR=${prefix}/production/third-party#foobar\n`);

    it('inherits the environment by default and not with --no-inherit-env', async () => {
      const inherited = await cli(['--secrets-file', await oneSecret(), '--', ENV], { EXTRA: 'x' });
      expect(envFromOutput(inherited.stdout)).toMatchObject({ EXTRA: 'x', FOOBAR: values.foobar });
      const alone = await cli(['--no-inherit-env', '--secrets-file', await oneSecret(), '--', ENV], { EXTRA: 'x' });
      expect(alone.code).toBe(0);
      expect(envFromOutput(alone.stdout)).toEqual({ FOOBAR: values.foobar });
    });

    it('removes blacklisted names given by flag, by environment, and by ./.env', async () => {
      const secretsFile = await oneSecret();
      const byFlag = await cli(['--inherit-env-blacklist', 'EXTRA,FOOBAR', '--secrets-file', secretsFile, '--', ENV], { EXTRA: 'x', OTHER: 'o' });
      expect(envFromOutput(byFlag.stdout)).not.toHaveProperty('EXTRA');
      expect(envFromOutput(byFlag.stdout)).not.toHaveProperty('FOOBAR');
      expect(envFromOutput(byFlag.stdout)).toHaveProperty('OTHER', 'o');

      const byEnv = await cli(['--secrets-file', secretsFile, '--', ENV], { EXTRA: 'x', VAULTENV_INHERIT_ENV_BLACKLIST: 'EXTRA' });
      expect(envFromOutput(byEnv.stdout)).not.toHaveProperty('EXTRA');

      const project = await mkdtemp(join(dir, 'project-'));
      await writeFile(join(project, '.env'), 'VAULTENV_INHERIT_ENV_BLACKLIST=EXTRA\n');
      const byDotEnv = await cli(['--secrets-file', secretsFile, '--', ENV], { EXTRA: 'x' }, project);
      expect(byDotEnv.code).toBe(0);
      expect(envFromOutput(byDotEnv.stdout)).not.toHaveProperty('EXTRA');

      // An empty value in a higher source overrides the lower source's list and so keeps EXTRA.
      const emptied = await cli(['--secrets-file', secretsFile, '--', ENV], { EXTRA: 'x', VAULTENV_INHERIT_ENV_BLACKLIST: '' }, project);
      expect(envFromOutput(emptied.stdout)).toHaveProperty('EXTRA', 'x');
    });
  });

  describe('address rules', () => {
    it('an address and a conflicting port in the same source are an error', async () => {
      const secretsFile = await file('addr.secrets', `FOOBAR=${prefix}/production/third-party#foobar\n`);
      const result = await failing(['--secrets-file', secretsFile, '--', ENV], { VAULT_PORT: '1' });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/conflicting Vault address settings/);
    });

    it('across sources each field comes from the highest source: an address in ./.env, the port from the flag', async () => {
      const secretsFile = await file('addr2.secrets', `FOOBAR=${prefix}/production/third-party#foobar\n`);
      const project = await mkdtemp(join(dir, 'addr-'));
      const port = new URL(server.address).port;
      await writeFile(join(project, '.env'), `VAULT_ADDR=http://127.0.0.1:1\n`);
      // The host and the scheme come from ./.env and the token from the environment: that needs trust.
      const result = await cli(['--trust-dotenv', '--port', port, '--secrets-file', secretsFile, '--', ENV], { VAULT_ADDR: undefined }, project);
      expect(result.stderr).toBe('');
      expect(envFromOutput(result.stdout).FOOBAR).toBe(values.foobar);
    });

    it('accepts a URL given to --host, as a Kubernetes pod passes a kubernetes-vault address', async () => {
      const secretsFile = await file('host.secrets', `FOOBAR=${prefix}/production/third-party#foobar\n`);
      const result = await cli(['--host', server.address, '--secrets-file', secretsFile, '--', ENV], { VAULT_ADDR: undefined });
      expect(result.stderr).toBe('');
      expect(envFromOutput(result.stdout).FOOBAR).toBe(values.foobar);
    });
  });

  describe('failures: one line, a documented exit code, no secret in any output', () => {
    it('a bad token', async () => {
      const secretsFile = await file('bad-token.secrets', `FOOBAR=${prefix}/production/third-party#foobar\n`);
      const result = await failing(['--secrets-file', secretsFile, '--', ENV], { VAULT_TOKEN: 'not-a-real-token-value' });
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('Vault refused the token');
      expect(result.stderr).not.toContain('not-a-real-token-value');
    });

    it('no token at all', async () => {
      const secretsFile = await file('no-token.secrets', `FOOBAR=${prefix}/production/third-party#foobar\n`);
      const result = await failing(['--secrets-file', secretsFile, '--', ENV], { VAULT_TOKEN: undefined });
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('no Vault token given');
    });

    it('a missing path', async () => {
      const secretsFile = await file('missing-path.secrets', `X=${prefix}/production/nope#foobar\n`);
      const result = await failing(['--secrets-file', secretsFile, '--', ENV]);
      expect(result.code).toBe(5);
      expect(result.stderr).toContain(`secret not found: secret/${prefix}/production/nope`);
      expect(result.stderr).toContain('missing-path.secrets:1');
    });

    it('a missing key', async () => {
      const secretsFile = await file('missing-key.secrets', `OK=${prefix}/production/third-party#foobar\nX=${prefix}/production/third-party#nope\n`);
      const result = await failing(['--secrets-file', secretsFile, '--', ENV]);
      expect(result.code).toBe(5);
      expect(result.stderr).toContain('key "nope" not found');
      expect(result.stderr).toContain('missing-key.secrets:2');
    });

    it('a value that is not a string', async () => {
      const secretsFile = await file('number.secrets', `X=${prefix}/production/third-party#count\n`);
      const result = await failing(['--secrets-file', secretsFile, '--', ENV]);
      expect(result.code).toBe(5);
      expect(result.stderr).toContain('is a number, not a string');
    });

    it('an invalid secrets file is rejected before any request, an empty one is accepted', async () => {
      const invalid = await file('invalid.secrets', `FOOBAR=${prefix}/production/third-party#foobar\nnot a secret line\n`);
      const result = await failing(['--secrets-file', invalid, '--', ENV]);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('invalid.secrets:2:');
      const empty = await file('empty.secrets', '');
      const ok = await cli(['--secrets-file', empty, '--', ENV], { EXTRA: 'x' });
      expect(ok.code).toBe(0);
      expect(envFromOutput(ok.stdout).EXTRA).toBe('x');
    });
  });

  describe('requests', () => {
    it('N distinct paths on M mounts cost exactly N + M requests', async () => {
      const proxy = await startProxy(server.address);
      try {
        const secretsFile = await file(
          'count.secrets',
          [
            'VERSION 2',
            'MOUNT secret',
            `A=${prefix}/production/third-party#api-key`,
            `B=${prefix}/production/third-party#foobar`,
            `C=${prefix}/production/another-third-party#refresh-token`,
            `MOUNT ${TEAM_MOUNT}`,
            `D=${prefix}/app#key`,
            `E=${prefix}/app#dup`,
            '',
          ].join('\n'),
        );
        const result = await cli(['--secrets-file', secretsFile, '--', ENV], { VAULT_ADDR: proxy.address });
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(proxy.count()).toBe(3 + 2);
      } finally {
        await proxy.close();
      }
    });

    // Without the check, Vault resolves the `..` (its answer redirects to the cleaned path) and the
    // line reads team/<prefix>/app: a place the file does not name.
    it('a mount with a .. segment is refused before any request: exit 3, nothing requested', async () => {
      const proxy = await startProxy(server.address);
      try {
        const secretsFile = await file('dot-dot.secrets', `VERSION 2\nMOUNT secret/../${TEAM_MOUNT}\nKEY=${prefix}/app#key\n`);
        const result = await failing(['--secrets-file', secretsFile, '--', ENV], { VAULT_ADDR: proxy.address });
        expect(result.code).toBe(3);
        expect(result.stderr.split('\n')[0]).toBe(
          `vaultenv: secrets file: '..' segment in the mount name (${secretsFile}:2:14). Write the mount name without . and .. segments: ` +
            'Vault resolves them, so the line would read another place than it names (a/../b reads b)',
        );
        expect(proxy.count()).toBe(0);
      } finally {
        await proxy.close();
      }
    });

    it('a 403 is answered once and not retried', async () => {
      const proxy = await startProxy(server.address);
      try {
        proxy.inject({ match: (req) => req.path.includes('/third-party'), respond: { status: 403, body: '{"errors":["permission denied"]}' } });
        const secretsFile = await file('forbidden.secrets', `FOOBAR=${prefix}/production/third-party#foobar\n`);
        const result = await failing(['--secrets-file', secretsFile, '--', ENV], { VAULT_ADDR: proxy.address });
        expect(result.code).toBe(4);
        expect(result.stderr).toContain('permission denied');
        expect(proxy.count((req) => req.path.includes('/third-party'))).toBe(1);
      } finally {
        await proxy.close();
      }
    });

    it('Vault not yet listening at the start: succeeds once it listens, within the retry budget', async () => {
      const port = await freePort();
      const secretsFile = await file('later.secrets', `FOOBAR=${prefix}/production/third-party#foobar\n`);
      const started = Date.now();
      const run = cli(['--secrets-file', secretsFile, '--', ENV], { VAULT_ADDR: `http://127.0.0.1:${port}` });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const proxy = await startProxy(server.address, { port });
      try {
        const result = await run;
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(envFromOutput(result.stdout).FOOBAR).toBe(values.foobar);
        expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
      } finally {
        await proxy.close();
      }
    });

    it('transient 503s are retried and the run succeeds', async () => {
      const proxy = await startProxy(server.address);
      try {
        proxy.inject({ match: (req) => req.path.includes('/third-party'), times: 2, respond: { status: 503, body: '{"errors":["Vault is sealed"]}' } });
        const secretsFile = await file('flaky.secrets', `FOOBAR=${prefix}/production/third-party#foobar\n`);
        const result = await cli(['--secrets-file', secretsFile, '--', ENV], { VAULT_ADDR: proxy.address });
        expect(result.code).toBe(0);
        expect(envFromOutput(result.stdout).FOOBAR).toBe(values.foobar);
        expect(proxy.count((req) => req.path.includes('/third-party'))).toBe(3);
      } finally {
        await proxy.close();
      }
    });
  });
});
