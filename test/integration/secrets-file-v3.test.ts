// Version 3 secrets files end to end: the built CLI against the real OpenBao servers, once where
// secret/ is KV v1 and once where it is KV v2, behind a counting proxy. Each row of the README's
// table of line forms: every key with and without a prefix, versions, optional lines and defaults,
// ${NAME}, values that are not strings, FILE secrets, and a directory of secrets files of different
// versions; with the requests each run sends, and no secret in any failing run's output.

import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startProxy, type Proxy } from '../helpers/proxy.ts';
import { baseEnv, envFromOutput, expectNoLeak, runCli, type CliResult } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const ENV = '/usr/bin/env';

describe.each([1, 2] as const)('version 3 files on KV v%i', (version) => {
  const server = kvServer(version);
  const prefix = uniqueName('v3');
  /** The prefix as a derived name writes it. */
  const NAME = prefix.toUpperCase().replaceAll('-', '_');
  const dir = mkdtempSync(join(tmpdir(), 'vaultenv-v3-'));
  const secrets: string[] = [];
  const value = (label: string): string => {
    const v = `${label}-${uniqueName('v')}`;
    secrets.push(v);
    return v;
  };
  const db = { username: value('user'), password: value('pass') };
  const api = [value('api1'), value('api2'), value('api3')];
  const euPassword = value('eu');
  const pem = `-----BEGIN PRIVATE KEY-----\n${value('pem')}\n-----END PRIVATE KEY-----\n`;
  let token: string;
  let proxy: Proxy;
  let files = 0;

  const file = (text: string, name = `f${++files}.secrets`): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const run = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runCli(args, { env: baseEnv({ VAULT_ADDR: proxy.address, VAULT_TOKEN: token, ...env }), cwd: dir });
  const succeeds = async (args: string[], env: Record<string, string> = {}): Promise<Record<string, string>> => {
    const result = await run([...args, '--', ENV], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return envFromOutput(result.stdout);
  };
  const fails = async (args: string[], env: Record<string, string> = {}): Promise<CliResult> => {
    const result = await run([...args, '--', ENV], env);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expectNoLeak(result, [...secrets, token, server.rootToken]);
    return result;
  };
  /** Requests the last run sent: mount lookups and reads. */
  const lookups = () => proxy.count((r) => r.path.startsWith('/v1/sys/internal/ui/mounts/'));
  const reads = () => proxy.log().filter((r) => !r.path.startsWith('/v1/sys/')).map((r) => r.path);
  const read = (path: string, pinned?: number) =>
    version === 2 ? `/v1/secret/data/${prefix}/${path}${pinned === undefined ? '' : `?version=${pinned}`}` : `/v1/secret/${prefix}/${path}`;

  beforeAll(async () => {
    await server.api.writeSecret('secret', version, `${prefix}/db`, db);
    for (const key of api) await server.api.writeSecret('secret', version, `${prefix}/api`, { key });
    await server.api.writeSecret('secret', version, `${prefix}/eu/db`, { password: euPassword });
    await server.api.writeSecret('secret', version, `${prefix}/cfg`, { port: 5432, ratio: 0.25, enabled: true, obj: { a: [1, 'x'], b: null }, nothing: null });
    await server.api.writeSecret('secret', version, `${prefix}/tls`, { key: pem });
    await server.api.writeSecret('secret', version, `forbidden-${prefix}/app`, { k: value('forbidden') });
    const policy = uniqueName('v3-read');
    await server.api.writePolicy(policy, `path "secret/${version === 2 ? 'data/' : ''}${prefix}/*" { capabilities = ["read"] }\n`);
    token = await server.api.createToken({ policies: [policy] });
    proxy = await startProxy(server.address);
  });

  beforeEach(() => proxy.reset());

  afterAll(async () => {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('#* names every key: derived names without a prefix, prefix + key with one; one request for both lines', async () => {
    const env = await succeeds(['--secrets-file', file(`VERSION 3\nMOUNT secret\n${prefix}/db#*\nDB_=${prefix}/db#*\n`)]);
    expect(env[`SECRET_${NAME}_DB_USERNAME`]).toBe(db.username);
    expect(env[`SECRET_${NAME}_DB_PASSWORD`]).toBe(db.password);
    expect(env.DB_USERNAME).toBe(db.username);
    expect(env.DB_PASSWORD).toBe(db.password);
    expect(lookups()).toBe(1);
    expect(reads()).toEqual([read('db')]);
  });

  it('@N reads versions 1, 2 and the latest of a secret written three times (KV v2); KV v1 refuses a version before any read', async () => {
    const secretsFile = file(`VERSION 3\nMOUNT secret\nV1=${prefix}/api#key@1\nV2=${prefix}/api#key@2\nAGAIN=${prefix}/api#key@2\nLATEST=${prefix}/api#key\n`);
    if (version === 2) {
      const env = await succeeds(['--secrets-file', secretsFile]);
      expect([env.V1, env.V2, env.AGAIN, env.LATEST]).toEqual([api[0], api[1], api[1], api[2]]);
      expect(lookups()).toBe(1);
      expect(reads().sort()).toEqual([read('api'), read('api', 1), read('api', 2)].sort());
      return;
    }
    const result = await fails(['--secrets-file', secretsFile]);
    expect(result.code).toBe(5);
    expect(result.stderr).toBe(
      `vaultenv: version 1 of secret/${prefix}/api asked for, but the mount "secret" is not KV v2 and keeps no versions (${secretsFile}:3). Remove @N from the line, or read the secret from a KV v2 mount\n`,
    );
    expect(lookups()).toBe(1);
    expect(reads()).toEqual([]);
  });

  it('? leaves a missing secret or key unset with an info line, ?=default sets the default; 403 still fails', async () => {
    const secretsFile = file(
      `VERSION 3\nMOUNT secret\nUSER=${prefix}/db#username\nSENTRY_DSN=${prefix}/missing#dsn?\nNO_KEY=${prefix}/db#nokey?\nLOG_LEVEL=${prefix}/missing#level?=info\nMODE=${prefix}/db#mode?=fast and safe\n`,
    );
    const result = await run(['--secrets-file', secretsFile, '--log-level', 'info', '--', ENV]);
    expect(result.code).toBe(0);
    const env = envFromOutput(result.stdout);
    expect(env.USER).toBe(db.username);
    expect(Object.hasOwn(env, 'SENTRY_DSN')).toBe(false);
    expect(Object.hasOwn(env, 'NO_KEY')).toBe(false);
    expect(env.LOG_LEVEL).toBe('info');
    expect(env.MODE).toBe('fast and safe');
    const info = result.stderr.split('\n').filter((line) => line.includes(`${secretsFile}:`));
    expect(info).toEqual([
      `vaultenv: info: ${secretsFile}:4: secret secret/${prefix}/missing not found; SENTRY_DSN is left unset (optional)`,
      `vaultenv: info: ${secretsFile}:5: key "nokey" not found in secret secret/${prefix}/db; NO_KEY is left unset (optional)`,
      `vaultenv: info: ${secretsFile}:6: secret secret/${prefix}/missing not found; LOG_LEVEL is set to the line's default`,
      `vaultenv: info: ${secretsFile}:7: key "mode" not found in secret secret/${prefix}/db; MODE is set to the line's default`,
    ]);
    expect(lookups()).toBe(1);
    expect(reads().sort()).toEqual([read('db'), read('missing')].sort());

    proxy.reset();
    const forbidden = await fails(['--secrets-file', file(`VERSION 3\nMOUNT secret\nK=forbidden-${prefix}/app#k?\n`)]);
    expect(forbidden.code).toBe(4);
    expect(forbidden.stderr).toMatch(new RegExp(`^vaultenv: permission denied reading secret secret/forbidden-${prefix}/app`));
  });

  it('${NAME} in MOUNT lines and paths: set, defaulted; unset is a positioned error before any request', async () => {
    const secretsFile = file(`VERSION 3\nMOUNT \${KV_MOUNT}\nEU=${prefix}/\${REGION}/db#password\nDEFAULTED=${prefix}/\${UNSET_REGION:-eu}/db#password\n`);
    const env = await succeeds(['--secrets-file', secretsFile], { KV_MOUNT: 'secret', REGION: 'eu' });
    expect(env.EU).toBe(euPassword);
    expect(env.DEFAULTED).toBe(euPassword);
    expect(reads()).toEqual([read('eu/db')]);

    proxy.reset();
    const result = await fails(['--secrets-file', secretsFile], { REGION: 'eu' });
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `vaultenv: secrets file: variable KV_MOUNT is not set (${secretsFile}:2:7). Set KV_MOUNT in vaultenv's environment, or give a default: \${KV_MOUNT:-value}\n  2 | MOUNT \${KV_MOUNT}\n    |       ^\n`,
    );
    expect(proxy.count()).toBe(0);
  });

  it('a number, a boolean and an object as JSON text, null as missing; a version 2 file refuses them as vaultenv does', async () => {
    const lines = `PORT=${prefix}/cfg#port\nRATIO=${prefix}/cfg#ratio\nENABLED=${prefix}/cfg#enabled\nOBJ=${prefix}/cfg#obj\n`;
    const env = await succeeds(['--secrets-file', file(`VERSION 3\nMOUNT secret\n${lines}NOTHING=${prefix}/cfg#nothing?=none\n`)]);
    expect([env.PORT, env.RATIO, env.ENABLED, env.OBJ, env.NOTHING]).toEqual(['5432', '0.25', 'true', '{"a":[1,"x"],"b":null}', 'none']);

    const v2File = file(`VERSION 2\nMOUNT secret\n${lines}`);
    const result = await fails(['--secrets-file', v2File]);
    expect(result.code).toBe(5);
    expect(result.stderr).toBe(
      `vaultenv: value of key "port" in secret secret/${prefix}/cfg is a number, not a string (${v2File}:3). Store the value as a string in Vault; environment variables can only hold strings\n`,
    );
  });

  describe('FILE', () => {
    let secretsDir: string;
    beforeEach(() => {
      secretsDir = join(dir, uniqueName('files'));
    });
    afterEach(() => rmSync(secretsDir, { recursive: true, force: true }));

    it('writes the value into a file of mode 0600 in a 0700 folder of the user, and the variable holds its path', async () => {
      const env = await succeeds(['--secrets-dir', secretsDir, '--secrets-file', file(`VERSION 3\nMOUNT secret\nFILE TLS_KEY=${prefix}/tls#key\n`)]);
      expect(env.TLS_KEY).toBe(join(secretsDir, 'TLS_KEY'));
      expect(readFileSync(join(secretsDir, 'TLS_KEY'), 'utf8')).toBe(pem);
      const stats = lstatSync(join(secretsDir, 'TLS_KEY'));
      expect([stats.isFile(), stats.mode & 0o777, stats.uid]).toEqual([true, 0o600, process.getuid?.()]);
      expect(statSync(secretsDir).mode & 0o777).toBe(0o700);
      expect(Object.values(env)).not.toContain(pem);
    });

    it('defaults to vaultenv-<uid> in $XDG_RUNTIME_DIR', async () => {
      mkdirSync(secretsDir, { mode: 0o700 });
      const env = await succeeds(['--secrets-file', file(`VERSION 3\nMOUNT secret\nFILE TLS_KEY=${prefix}/tls#key\n`)], { XDG_RUNTIME_DIR: secretsDir });
      const expected = join(secretsDir, `vaultenv-${process.getuid?.() ?? ''}`, 'TLS_KEY');
      expect(env.TLS_KEY).toBe(expected);
      expect(readFileSync(expected, 'utf8')).toBe(pem);
    });

    it('refuses a symlink planted where the file goes: exit 7, nothing written through it, the program not started', async () => {
      mkdirSync(secretsDir, { mode: 0o700 });
      const victim = join(dir, uniqueName('victim'));
      writeFileSync(victim, 'untouched');
      symlinkSync(victim, join(secretsDir, 'TLS_KEY'));
      const result = await fails(['--secrets-dir', secretsDir, '--secrets-file', file(`VERSION 3\nMOUNT secret\nFILE TLS_KEY=${prefix}/tls#key\n`)]);
      expect(result.code).toBe(7);
      expect(result.stderr).toBe(
        `vaultenv: a symbolic link stands where a FILE secret goes, refused (FILE TLS_KEY, ${join(secretsDir, 'TLS_KEY')}). Remove it: only vaultenv writes into the secrets folder\n`,
      );
      expect(readFileSync(victim, 'utf8')).toBe('untouched');
    });

    it('refuses a symlink as the folder before any request', async () => {
      const target = join(dir, uniqueName('target'));
      mkdirSync(target, { mode: 0o700 });
      symlinkSync(target, secretsDir);
      const result = await fails(['--secrets-dir', secretsDir, '--secrets-file', file(`VERSION 3\nMOUNT secret\nFILE TLS_KEY=${prefix}/tls#key\n`)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^vaultenv: folder for FILE secrets is a symbolic link, refused \(--secrets-dir /);
      expect(proxy.count()).toBe(0);
    });
  });

  it('a directory: every *.secrets file in name order, each with its own version; one request per distinct path in all', async () => {
    const folder = join(dir, uniqueName('secrets.d'));
    mkdirSync(folder);
    writeFileSync(join(folder, '20-v3.secrets'), `VERSION 3\nMOUNT secret\nALL_=${prefix}/db#*\nV1=${prefix}/api#key${version === 2 ? '@1' : ''}\n`);
    writeFileSync(join(folder, '10-v1.secrets'), `APP_USER=${prefix}/db#username\n`);
    writeFileSync(join(folder, 'README'), 'not read\n');
    const env = await succeeds(['--secrets-file', folder]);
    expect(env.APP_USER).toBe(db.username);
    expect(env.ALL_USERNAME).toBe(db.username);
    expect(env.ALL_PASSWORD).toBe(db.password);
    expect(env.V1).toBe(version === 2 ? api[0] : api[2]);
    expect(lookups()).toBe(1);
    expect(reads().sort()).toEqual([read('db'), read('api', version === 2 ? 1 : undefined)].sort());
  });
});
