import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/cli/command-line.ts';
import { defaultConfigFiles, loadCheckConfig, loadConfig, loadExportConfig, loadRenewConfig, type ConfigFiles } from '../../../src/config/load.ts';
import type { AuthSetting, Config, RenewConfig } from '../../../src/config/types.ts';
import { ConfigError, renderError } from '../../../src/errors.ts';
import { thrown } from '../../helpers/thrown.ts';

let dir: string;
let files: ConfigFiles;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vaultenv-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  files = { system: join(dir, 'etc.conf'), user: join(dir, 'user.conf'), local: join(dir, '.env') };
  await Promise.all(Object.values(files).map((path) => rm(path as string, { force: true })));
});

interface Setup {
  argv?: string[];
  env?: Record<string, string>;
  system?: string;
  user?: string;
  local?: string;
}

async function load(setup: Setup): Promise<Config> {
  await writeFiles(setup);
  const commandLine = parseCommandLine(setup.argv ?? ['--secrets-file', 's', 'cmd']);
  if (commandLine.kind !== 'run') throw new Error('expected a run');
  return loadConfig({ commandLine, env: setup.env ?? {}, cwd: dir, configFiles: files });
}

async function writeFiles(setup: Setup): Promise<void> {
  if (setup.system !== undefined) await writeFile(files.system, setup.system);
  if (setup.user !== undefined && files.user !== undefined) await writeFile(files.user, setup.user);
  if (setup.local !== undefined) await writeFile(files.local, setup.local);
}

/** `vaultenv renew ARGV...` (argv without the leading `renew`). */
async function loadRenew(setup: Setup): Promise<RenewConfig> {
  await writeFiles(setup);
  const commandLine = parseCommandLine(['renew', ...(setup.argv ?? [])]);
  if (commandLine.kind !== 'renew') throw new Error('expected renew');
  return loadRenewConfig({ commandLine, env: setup.env ?? {}, cwd: dir, configFiles: files });
}

async function loadError(setup: Setup, loader: (setup: Setup) => Promise<unknown> = load): Promise<ConfigError> {
  const error = await Promise.resolve()
    .then(() => loader(setup))
    .catch((e: unknown) => e);
  if (error instanceof ConfigError) return error;
  throw new Error(`expected a ConfigError, got ${String(error)}`);
}

/** Everything a ConfigError shows: no value may appear in it. */
const shown = (error: ConfigError): string => [error.message, error.input, error.hint, ...error.context].join(' ');
const argv = (...flags: string[]): string[] => [...flags, '--secrets-file', 's', 'cmd'];

/** Lets an address in ./.env receive a credential from elsewhere (trust.ts). */
const TRUST = { VAULTENV_TRUST_DOTENV: 'true' };

/** The defaults both commands share (ConnectionConfig), written out: the expected values, not the code's. */
const CONNECTION_DEFAULTS = {
  host: 'localhost',
  port: 8200,
  tls: true,
  validateCerts: true,
  caCert: undefined,
  caPath: undefined,
  clientCert: undefined,
  clientKey: undefined,
  tlsServerName: undefined,
  namespace: undefined,
  trustDotenv: false,
  addressConfigured: false,
  socketPath: undefined,
  agentAddress: false,
  auth: { method: 'none' },
  retryBaseDelayMs: 40,
  retryAttempts: 9,
  requestTimeoutMs: 30000,
  logLevel: 'error',
} as const;

describe('loadConfig: defaults', () => {
  it('fills every default', async () => {
    expect(await load({})).toEqual({
      ...CONNECTION_DEFAULTS,
      authBackend: undefined,
      secretsFiles: ['s'],
      command: 'cmd',
      args: [],
      inheritEnv: true,
      inheritEnvBlacklist: [],
      usePath: true,
      maxConcurrentRequests: 8,
      http2: false,
      duplicateVariableBehavior: 'error',
      kvVersion: 'auto',
      deadlineSeconds: 60,
      execMode: 'auto',
      supervise: false,
      watchIntervalSeconds: 60,
      onChange: 'restart',
      stopTimeoutSeconds: 10,
      revoke: true,
      exportToken: false,
      secretsDir: undefined,
      revokeToken: true,
      mask: false,
      githubMask: true,
      configFileVariables: [],
    } satisfies Config);
  });
});

describe('loadConfig: precedence defaults < /etc < user < ./.env < environment < flags', () => {
  const levels = {
    system: 'VAULTENV_RETRY_ATTEMPTS=1\nVAULTENV_MAX_CONCURRENT_REQUESTS=1\nVAULTENV_RETRY_BASE_DELAY=1\nVAULTENV_LOG_LEVEL=info\nVAULT_PORT=1\n',
    user: 'VAULTENV_MAX_CONCURRENT_REQUESTS=2\nVAULTENV_RETRY_BASE_DELAY=2\nVAULTENV_LOG_LEVEL=error\nVAULT_PORT=2\n',
    local: 'VAULTENV_RETRY_BASE_DELAY=3\nVAULTENV_LOG_LEVEL=info\nVAULT_PORT=3\n',
    env: { VAULTENV_LOG_LEVEL: 'error', VAULT_PORT: '4' },
    argv: ['--port', '5', '--secrets-file', 's', 'cmd'],
  };

  it('takes each field from the highest source that sets it', async () => {
    const config = await load(levels);
    expect(config.requestTimeoutMs).toBe(30000); // default
    expect(config.retryAttempts).toBe(1); // /etc
    expect(config.maxConcurrentRequests).toBe(2); // user
    expect(config.retryBaseDelayMs).toBe(3); // ./.env
    expect(config.logLevel).toBe('error'); // environment
    expect(config.port).toBe(5); // flags
  });

  it.each([
    ['system', 1],
    ['user', 2],
    ['local', 3],
  ] as const)('a field set only in the %s file', async (level, port) => {
    // An address in ./.env, with no credential of its own, needs trust (dotenv trust below).
    expect((await load({ [level]: `VAULT_PORT=${port}\n`, env: TRUST })).port).toBe(port);
  });

  it('skips a missing user file (no HOME)', async () => {
    files.user = undefined;
    expect((await load({ system: 'VAULT_PORT=1\n', local: 'VAULT_HOST=h\n', env: TRUST })).port).toBe(1);
  });

  it('lists and secrets files from a higher source replace the lower ones', async () => {
    const config = await load({
      system: 'VAULTENV_INHERIT_ENV_BLACKLIST=A,B\nVAULTENV_SECRETS_FILE=etc.secrets\n',
      env: { VAULTENV_INHERIT_ENV_BLACKLIST: '', VAULTENV_SECRETS_FILE: 'env.secrets' },
      argv: ['--secrets-file', 'a', '--secret-file', 'b', 'cmd'],
    });
    expect(config.inheritEnvBlacklist).toEqual(['']);
    expect(config.secretsFiles).toEqual(['a', 'b']);
  });

  it('takes the secrets file from a config file when no flag names one', async () => {
    expect((await load({ local: 'VAULTENV_SECRETS_FILE=./config/project.secrets\n', argv: ['cmd'] })).secretsFiles).toEqual([
      './config/project.secrets',
    ]);
  });

  it('validates a value even when a higher source overrides it', async () => {
    const error = await loadError({ system: 'VAULTENV_USE_PATH=yes\n', argv: ['--use-path', '--secrets-file', 's', 'cmd'] });
    expect(error.message).toBe('invalid value for VAULTENV_USE_PATH');
    expect(error.input).toBe(`file ${files.system} line 1`);
  });
});

describe('loadConfig: booleans', () => {
  it('--no-validate-certs really turns verification off (vaultenv kept it on)', async () => {
    const config = await load({ argv: ['--no-validate-certs', '--secrets-file', 's', 'cmd'] });
    expect(config.validateCerts).toBe(false);
  });

  it('--validate-certs overrides VAULTENV_VALIDATE_CERTS=false', async () => {
    expect((await load({ env: { VAULTENV_VALIDATE_CERTS: 'false' } })).validateCerts).toBe(false);
    expect((await load({ env: { VAULTENV_VALIDATE_CERTS: 'false' }, argv: ['--validate-certs', '--secrets-file', 's', 'x'] })).validateCerts).toBe(true);
  });

  it('--no-use-path and VAULTENV_USE_PATH=false', async () => {
    expect((await load({ argv: ['--no-use-path', '--secrets-file', 's', 'x'] })).usePath).toBe(false);
    expect((await load({ local: 'VAULTENV_USE_PATH=false\n' })).usePath).toBe(false);
  });
});

describe('loadConfig: address', () => {
  it('README example: VAULT_ADDR in a file, --port on the command line', async () => {
    const config = await load({ system: 'VAULT_ADDR=http://example.com:8200\n', argv: ['--port', '42', '--secrets-file', 's', 'x'] });
    expect(config).toMatchObject({ host: 'example.com', port: 42, tls: false });
  });

  it('an address in a higher source overrides host, port and TLS of lower ones', async () => {
    const config = await load({ system: 'VAULT_HOST=a\nVAULT_PORT=1\n', env: { BAO_ADDR: 'https://b' } });
    expect(config).toMatchObject({ host: 'b', port: 443, tls: true });
  });

  it('--host https://… is an address', async () => {
    const config = await load({ argv: ['--host', 'https://vault.example:8443', '--secrets-file', 's', 'x'] });
    expect(config).toMatchObject({ host: 'vault.example', port: 8443, tls: true });
  });

  it('a VAULT_HOST URL in a file is an address of that file', async () => {
    const config = await load({ local: 'VAULT_HOST=http://h\n', env: TRUST });
    expect(config).toMatchObject({ host: 'h', port: 80, tls: false });
  });

  it.each([
    [{ env: { VAULT_ADDR: 'https://v:1', VAULT_PORT: '2' } }, 'the environment'],
    [{ local: 'VAULT_ADDR=https://v\nVAULTENV_CONNECT_TLS=false\n' }, 'file LOCAL'],
    [{ argv: ['--addr', 'https://v', '--host', 'w', '--secrets-file', 's', 'x'] }, 'the command line'],
  ])('conflicting settings in one source: %j', async (setup, label) => {
    const error = await loadError(setup);
    expect(error.message).toBe(`conflicting Vault address settings in ${label.replace('LOCAL', files.local)}`);
  });

  it('settings in different sources do not conflict', async () => {
    const config = await load({ env: { VAULT_ADDR: 'https://v:1' }, argv: ['--no-connect-tls', '--secrets-file', 's', 'x'] });
    expect(config).toMatchObject({ host: 'v', port: 1, tls: false });
  });

  it('an --addr that does not parse is an error', async () => {
    const error = await loadError({ argv: ['--addr', 'localhost:8200', '--secrets-file', 's', 'x'] });
    expect(error.message).toBe('invalid value for flag --addr');
  });

  it('an alias conflict is an error', async () => {
    const error = await loadError({ env: { VAULT_ADDR: 'https://a', BAO_ADDR: 'https://b' } });
    expect(error.message).toBe('conflicting values for VAULT_ADDR and BAO_ADDR');
  });
});

const K8S_JWT = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const none: AuthSetting = { method: 'none' };
const token = (value: string): AuthSetting => ({ method: 'token', token: value });
const tokenFile = (path: string): AuthSetting => ({ method: 'token-file', path });
const kubernetes = (role: string, jwtPath = K8S_JWT): AuthSetting => ({ method: 'kubernetes', role, jwtPath });
const github = (value: string): AuthSetting => ({ method: 'github', token: value });
const approle = (roleId: string, secretIdFile: string, secretIdWrapped = false): AuthSetting => ({
  method: 'approle',
  roleId,
  secretIdFile,
  secretIdWrapped,
});

describe('loadConfig: unix sockets and agent addresses', () => {
  it('VAULT_ADDR=unix:///path: the socket, no agent address', async () => {
    const config = await load({ env: { VAULT_ADDR: 'unix:///run/bao/proxy.sock' } });
    expect(config).toMatchObject({ socketPath: '/run/bao/proxy.sock', agentAddress: false, addressConfigured: true });
  });

  it('VAULT_AGENT_ADDR wins over VAULT_ADDR in the environment; a flag --addr wins over both, as in the Vault CLI', async () => {
    const env = { VAULT_AGENT_ADDR: 'http://127.0.0.1:8100', VAULT_ADDR: 'https://vault.example:8200' };
    expect(await load({ env })).toMatchObject({ host: '127.0.0.1', port: 8100, tls: false, socketPath: undefined, agentAddress: true });
    expect(await load({ env, argv: argv('--addr', 'https://flag.example:8201') })).toMatchObject({
      host: 'flag.example',
      port: 8201,
      tls: true,
      agentAddress: false,
    });
    expect(await load({ env, argv: argv('--agent-addr', 'unix:///run/agent.sock') })).toMatchObject({ socketPath: '/run/agent.sock', agentAddress: true });
  });

  it('the highest source that sets the address says whether it is a socket; host and port still merge per field', async () => {
    expect(await load({ system: 'VAULT_ADDR=unix:///run/proxy.sock\n', env: { VAULT_PORT: '8300' } })).toMatchObject({
      socketPath: undefined,
      host: 'localhost',
      port: 8300,
    });
    expect(await load({ system: 'VAULT_ADDR=https://etc.example:8200\n', env: { VAULT_ADDR: 'unix:///run/proxy.sock' } })).toMatchObject({
      socketPath: '/run/proxy.sock',
    });
  });

  it('BAO_AGENT_ADDR is VAULT_AGENT_ADDR\'s alias: the same value or an error', async () => {
    expect(await load({ env: { BAO_AGENT_ADDR: 'unix:///s', VAULT_AGENT_ADDR: 'unix:///s' } })).toMatchObject({ socketPath: '/s', agentAddress: true });
    const error = await loadError({ env: { BAO_AGENT_ADDR: 'unix:///s', VAULT_AGENT_ADDR: 'unix:///t' } });
    expect(error.message).toBe('conflicting values for VAULT_AGENT_ADDR and BAO_AGENT_ADDR');
  });

  it('an empty VAULT_AGENT_ADDR is unset, as in the Vault CLI', async () => {
    expect(await load({ env: { VAULT_AGENT_ADDR: '', VAULT_ADDR: 'http://v:1' } })).toMatchObject({ host: 'v', agentAddress: false });
  });

  it('BAO_TOKEN_PATH is a token file, an alias of VAULTENV_TOKEN_FILE', async () => {
    expect((await load({ env: { BAO_TOKEN_PATH: '/run/token' } })).auth).toEqual({ method: 'token-file', path: '/run/token' });
    const error = await loadError({ env: { BAO_TOKEN_PATH: '/run/a', VAULTENV_TOKEN_FILE: '/run/b' } });
    expect(error.message).toBe('conflicting values for VAULTENV_TOKEN_FILE and BAO_TOKEN_PATH');
  });
});

describe('loadConfig: the credential rule (flags > environment > ./.env > user file > /etc)', () => {
  it.each<[string, Setup, AuthSetting]>([
    ['nothing anywhere', {}, none],
    ['VAULT_TOKEN', { env: { VAULT_TOKEN: 't' } }, token('t')],
    ['BAO_TOKEN', { env: { BAO_TOKEN: 't' } }, token('t')],
    ['--token', { argv: argv('--token', 't') }, token('t')],
    ['--token-file', { argv: argv('--token-file', '/run/t') }, tokenFile('/run/t')],
    ['VAULTENV_TOKEN_FILE', { env: { VAULTENV_TOKEN_FILE: '/run/t' } }, tokenFile('/run/t')],
    ['VAULTENV_TOKEN_FILE in ./.env', { local: 'VAULTENV_TOKEN_FILE=/run/t\n' }, tokenFile('/run/t')],
    ['VAULTENV_GITHUB_TOKEN', { env: { VAULTENV_GITHUB_TOKEN: 'g' } }, github('g')],
    ['VAULTENV_KUBERNETES_ROLE in the user file', { user: 'VAULTENV_KUBERNETES_ROLE=r\n' }, kubernetes('r')],
    // Each level wins over every lower one, whatever the kind of credential.
    ['a flag token beats an environment login', { argv: argv('--token', 't'), env: { VAULTENV_KUBERNETES_ROLE: 'r' } }, token('t')],
    ['a flag login beats an environment token', { argv: argv('--kubernetes-role', 'r'), env: { VAULT_TOKEN: 't' } }, kubernetes('r')],
    ['a flag login beats an /etc token', { system: 'VAULT_TOKEN=etc-token\n', argv: argv('--kubernetes-role', 'r') }, kubernetes('r')],
    ['the environment beats ./.env', { env: { VAULTENV_TOKEN_FILE: 'f' }, local: 'VAULTENV_GITHUB_TOKEN=g\n' }, tokenFile('f')],
    ['./.env beats the user file', { local: 'VAULT_TOKEN=t\n', user: 'VAULTENV_GITHUB_TOKEN=g\n' }, token('t')],
    ['the user file beats /etc', { user: 'VAULTENV_KUBERNETES_ROLE=r\n', system: 'VAULT_TOKEN=t\n' }, kubernetes('r')],
    ['/etc when nothing else', { system: 'VAULT_TOKEN=t\n' }, token('t')],
    ['of two tokens the higher level wins, not the larger', { system: 'VAULT_TOKEN=zzz\n', env: { VAULT_TOKEN: 'aaa' } }, token('aaa')],
    // Within a level a login method beats a token.
    ['environment: login beats VAULT_TOKEN', { env: { VAULT_TOKEN: 't', VAULTENV_KUBERNETES_ROLE: 'r' } }, kubernetes('r')],
    ['flags: login beats --token-file', { argv: argv('--token-file', 'f', '--github-token', 'g') }, github('g')],
    ['file: login beats VAULT_TOKEN', { local: 'VAULT_TOKEN=t\nVAULTENV_GITHUB_TOKEN=g\n' }, github('g')],
    // Empty values count as unset, in every source.
    ['an empty VAULT_TOKEN', { env: { VAULT_TOKEN: '' } }, none],
    ['an empty --token', { argv: argv('--token', ''), env: { VAULT_TOKEN: 't' } }, token('t')],
    ['an empty --kubernetes-role', { argv: argv('--kubernetes-role', ''), local: 'VAULT_TOKEN=t\n' }, token('t')],
    ['an empty VAULT_TOKEN does not hide a lower login', { local: 'VAULTENV_GITHUB_TOKEN=g\n', env: { VAULT_TOKEN: '' } }, github('g')],
    ['empty logins and token files', { env: { VAULTENV_APPROLE_ROLE_ID: '', VAULTENV_JWT_ROLE: '', VAULTENV_TOKEN_FILE: '' } }, none],
    // Modifiers are not credentials.
    [
      'modifiers alone configure nothing',
      {
        env: { VAULTENV_KUBERNETES_JWT_FILE: '/j', VAULTENV_APPROLE_SECRET_ID_FILE: '/s', VAULTENV_JWT_FILE: '/f', VAULT_AUTH_BACKEND: 'b' },
        system: 'VAULT_TOKEN=t\n',
      },
      token('t'),
    ],
  ])('%s', async (_name, setup, auth) => {
    expect((await load(setup)).auth).toEqual(auth);
  });

  it.each<[Setup, string, string]>([
    [{ argv: argv('--kubernetes-role', 'r', '--jwt-role', 'j', '--jwt-file', 'f') }, '--kubernetes-role and --jwt-role are both given', 'the command line'],
    [{ argv: argv('--github-token', 'g', '--kubernetes-role', 'r') }, '--kubernetes-role and --github-token are both given', 'the command line'],
    [{ env: { VAULTENV_GITHUB_TOKEN: 'g', VAULTENV_APPROLE_ROLE_ID: 'id' } }, 'VAULTENV_GITHUB_TOKEN and VAULTENV_APPROLE_ROLE_ID are both given', 'the environment'],
    [
      { local: 'VAULTENV_KUBERNETES_ROLE=r\nVAULTENV_GITHUB_TOKEN=g\nVAULTENV_JWT_ROLE=j\n' },
      'VAULTENV_KUBERNETES_ROLE, VAULTENV_GITHUB_TOKEN and VAULTENV_JWT_ROLE are all given',
      'file LOCAL',
    ],
    [{ argv: argv('--token', 't', '--token-file', 'f') }, '--token and --token-file are both given', 'the command line'],
    [{ env: { VAULT_TOKEN: 't', VAULTENV_TOKEN_FILE: 'f' } }, 'VAULT_TOKEN and VAULTENV_TOKEN_FILE are both given', 'the environment'],
    [{ env: { BAO_TOKEN: 't', VAULTENV_TOKEN_FILE: 'f', VAULTENV_GITHUB_TOKEN: 'g' } }, 'BAO_TOKEN and VAULTENV_TOKEN_FILE are both given', 'the environment'],
    // Every level is checked, also one a higher level overrides.
    [{ system: 'VAULT_TOKEN=t\nVAULTENV_TOKEN_FILE=f\n', argv: argv('--token', 'x') }, 'VAULT_TOKEN and VAULTENV_TOKEN_FILE are both given', 'file SYSTEM'],
  ])('%j is an error', async (setup, message, input) => {
    const error = await loadError(setup);
    expect(error.message).toBe(message);
    expect(error.input).toBe(input.replace('LOCAL', files.local).replace('SYSTEM', files.system));
    expect(error.hint).toBe(
      /token-file|TOKEN_FILE/.test(message)
        ? 'Give the token or the token file, not both'
        : 'Configure one login method per source; a higher source overrides a lower one',
    );
  });

  it('a login and a token in different levels are no error', async () => {
    expect((await load({ env: { VAULTENV_KUBERNETES_ROLE: 'r' }, local: 'VAULT_TOKEN=t\nVAULTENV_GITHUB_TOKEN=g\n' })).auth).toEqual(kubernetes('r'));
  });
});

describe('loadConfig: login methods', () => {
  it.each<[string, Setup, AuthSetting]>([
    ['kubernetes: the default JWT file', { argv: argv('--kubernetes-role', 'r') }, kubernetes('r')],
    ['kubernetes: --kubernetes-jwt-file', { argv: argv('--kubernetes-role', 'r', '--kubernetes-jwt-file', '/j') }, kubernetes('r', '/j')],
    ['kubernetes: the JWT file from a lower level', { argv: argv('--kubernetes-role', 'r'), system: 'VAULTENV_KUBERNETES_JWT_FILE=/etc-j\n' }, kubernetes('r', '/etc-j')],
    ['kubernetes: an empty JWT file is the default', { env: { VAULTENV_KUBERNETES_ROLE: 'r', VAULTENV_KUBERNETES_JWT_FILE: '' } }, kubernetes('r')],
    ['approle: flags', { argv: argv('--approle-role-id', 'id', '--approle-secret-id-file', '/s') }, approle('id', '/s')],
    ['approle: environment', { env: { VAULTENV_APPROLE_ROLE_ID: 'id', VAULTENV_APPROLE_SECRET_ID_FILE: '/s' } }, approle('id', '/s')],
    ['approle: the secret ID file from a lower level', { env: { VAULTENV_APPROLE_ROLE_ID: 'id' }, system: 'VAULTENV_APPROLE_SECRET_ID_FILE=/s\n' }, approle('id', '/s')],
    [
      'approle: --approle-secret-id-wrapped',
      { argv: argv('--approle-role-id', 'id', '--approle-secret-id-wrapped'), local: 'VAULTENV_APPROLE_SECRET_ID_FILE=/w\n' },
      approle('id', '/w', true),
    ],
    [
      'approle: VAULTENV_APPROLE_SECRET_ID_WRAPPED',
      { user: 'VAULTENV_APPROLE_ROLE_ID=id\nVAULTENV_APPROLE_SECRET_ID_FILE=/w\nVAULTENV_APPROLE_SECRET_ID_WRAPPED=true\n' },
      approle('id', '/w', true),
    ],
    ['jwt: --jwt-file', { argv: argv('--jwt-role', 'j', '--jwt-file', '/f') }, { method: 'jwt', role: 'j', jwt: { file: '/f' } }],
    ['jwt: --jwt-env', { argv: argv('--jwt-role', 'j', '--jwt-env', 'CI_JOB_JWT') }, { method: 'jwt', role: 'j', jwt: { env: 'CI_JOB_JWT' } }],
    ['jwt: environment', { env: { VAULTENV_JWT_ROLE: 'j', VAULTENV_JWT_ENV: 'ID_TOKEN' } }, { method: 'jwt', role: 'j', jwt: { env: 'ID_TOKEN' } }],
    ['jwt: file', { local: 'VAULTENV_JWT_ROLE=j\nVAULTENV_JWT_FILE=/f\n' }, { method: 'jwt', role: 'j', jwt: { file: '/f' } }],
    [
      'jwt: the highest level setting the file or the variable decides between them',
      { env: { VAULTENV_JWT_ROLE: 'j', VAULTENV_JWT_ENV: 'ID_TOKEN' }, system: 'VAULTENV_JWT_FILE=/f\n' },
      { method: 'jwt', role: 'j', jwt: { env: 'ID_TOKEN' } },
    ],
    [
      'jwt: the JWT file from a lower level',
      { argv: argv('--jwt-role', 'j'), system: 'VAULTENV_JWT_FILE=/f\n' },
      { method: 'jwt', role: 'j', jwt: { file: '/f' } },
    ],
    [
      'jwt: inside GitHub Actions with no JWT source, the ID token GitHub gives, for --jwt-audience',
      { argv: argv('--jwt-role', 'j', '--jwt-audience', 'https://vault.example.com'), env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://t.example/x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'r' } },
      { method: 'jwt', role: 'j', jwt: { githubActions: { audience: 'https://vault.example.com' } } },
    ],
    [
      "jwt: inside GitHub Actions without --jwt-audience, GitHub's default audience",
      { env: { VAULTENV_JWT_ROLE: 'j', ACTIONS_ID_TOKEN_REQUEST_URL: 'https://t.example/x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'r' } },
      { method: 'jwt', role: 'j', jwt: { githubActions: { audience: undefined } } },
    ],
    [
      'jwt: a JWT source given wins over GitHub Actions',
      { argv: argv('--jwt-role', 'j', '--jwt-env', 'MY_JWT'), env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://t.example/x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'r' } },
      { method: 'jwt', role: 'j', jwt: { env: 'MY_JWT' } },
    ],
  ])('%s', async (_name, setup, auth) => {
    expect((await load(setup)).auth).toEqual(auth);
  });

  it.each<[Setup, string]>([
    [{ argv: argv('--approle-role-id', 'id') }, '--approle-role-id is given without a secret ID file'],
    [{ env: { VAULTENV_APPROLE_ROLE_ID: 'id', VAULTENV_APPROLE_SECRET_ID_FILE: '' } }, 'VAULTENV_APPROLE_ROLE_ID is given without a secret ID file'],
    [{ argv: argv('--jwt-role', 'j') }, '--jwt-role is given without a JWT'],
    [{ env: { VAULTENV_JWT_ROLE: 'j' } }, 'VAULTENV_JWT_ROLE is given without a JWT'],
    // A job without `permissions: id-token: write` has the request URL but no request token.
    [{ env: { VAULTENV_JWT_ROLE: 'j', ACTIONS_ID_TOKEN_REQUEST_URL: 'https://t.example/x' } }, 'VAULTENV_JWT_ROLE is given without a JWT'],
    [{ argv: argv('--jwt-role', 'j', '--jwt-file', '/f', '--jwt-env', 'X') }, '--jwt-file and --jwt-env are both given'],
    [{ system: 'VAULTENV_JWT_FILE=/f\nVAULTENV_JWT_ENV=X\n', argv: argv('--token', 't') }, 'VAULTENV_JWT_FILE and VAULTENV_JWT_ENV are both given'],
  ])('%j is an error', async (setup, message) => {
    const error = await loadError(setup);
    expect(error.message).toBe(message);
    expect(error.hint).toMatch(/--approle-secret-id-file|--jwt-file|JWT comes from a file/);
  });

  it('merges the auth backend per field', async () => {
    expect((await load({ system: 'VAULT_AUTH_BACKEND=k8s-prod\n' })).authBackend).toBe('k8s-prod');
  });

  it.each<[Setup, boolean]>([
    [{}, false],
    [{ argv: argv('--export-token') }, true],
    [{ argv: argv('--no-export-token'), env: { VAULTENV_EXPORT_TOKEN: 'true' } }, false],
    [{ env: { VAULTENV_EXPORT_TOKEN: 'true' } }, true],
    [{ system: 'VAULTENV_EXPORT_TOKEN=true\n' }, true],
  ])('exportToken: %j → %s', async (setup, exportToken) => {
    expect((await load(setup)).exportToken).toBe(exportToken);
  });
});

describe('loadConfig: TLS files', () => {
  type TlsFiles = Pick<Config, 'caCert' | 'caPath' | 'clientCert' | 'clientKey' | 'tlsServerName'>;
  const tls = (overrides: Partial<TlsFiles>): TlsFiles => ({
    caCert: undefined,
    caPath: undefined,
    clientCert: undefined,
    clientKey: undefined,
    tlsServerName: undefined,
    ...overrides,
  });

  it.each<[string, Setup, TlsFiles]>([
    ['--ca-cert', { argv: argv('--ca-cert', '/ca.pem') }, tls({ caCert: '/ca.pem' })],
    ['VAULT_CACERT', { env: { VAULT_CACERT: '/ca.pem' } }, tls({ caCert: '/ca.pem' })],
    ['BAO_CACERT in a file', { system: 'BAO_CACERT=/ca.pem\n' }, tls({ caCert: '/ca.pem' })],
    ['--ca-path', { argv: argv('--ca-path', '/cas') }, tls({ caPath: '/cas' })],
    ['VAULT_CAPATH and BAO_CAPATH agreeing', { env: { VAULT_CAPATH: '/cas', BAO_CAPATH: '/cas' } }, tls({ caPath: '/cas' })],
    ['--tls-server-name', { argv: argv('--tls-server-name', 'vault.internal') }, tls({ tlsServerName: 'vault.internal' })],
    ['BAO_TLS_SERVER_NAME', { env: { BAO_TLS_SERVER_NAME: 'v' } }, tls({ tlsServerName: 'v' })],
    ['client pair from flags', { argv: argv('--client-cert', '/c', '--client-key', '/k') }, tls({ clientCert: '/c', clientKey: '/k' })],
    ['client pair from the environment', { env: { VAULT_CLIENT_CERT: '/c', BAO_CLIENT_KEY: '/k' } }, tls({ clientCert: '/c', clientKey: '/k' })],
    [
      'the higher pair replaces the lower one as a whole',
      { env: { VAULT_CLIENT_CERT: '/c2', VAULT_CLIENT_KEY: '/k2' }, system: 'VAULT_CLIENT_CERT=/c1\nVAULT_CLIENT_KEY=/k1\n' },
      tls({ clientCert: '/c2', clientKey: '/k2' }),
    ],
    [
      'the other TLS settings merge per field',
      { env: { VAULT_CACERT: '/ca2' }, local: 'VAULT_CACERT=/ca1\nVAULT_CAPATH=/cas\nVAULT_TLS_SERVER_NAME=n\n' },
      tls({ caCert: '/ca2', caPath: '/cas', tlsServerName: 'n' }),
    ],
    ['empty values count as unset', { env: { VAULT_CACERT: '', VAULT_CLIENT_CERT: '', VAULT_CLIENT_KEY: '' } }, tls({})],
  ])('%s', async (_name, setup, tlsFiles) => {
    const { caCert, caPath, clientCert, clientKey, tlsServerName } = await load(setup);
    expect({ caCert, caPath, clientCert, clientKey, tlsServerName }).toEqual(tlsFiles);
  });

  it.each<[Setup, string]>([
    [{ argv: argv('--client-cert', '/c') }, '--client-cert is given without --client-key'],
    [{ argv: argv('--client-key', '/k') }, '--client-key is given without --client-cert'],
    [{ env: { BAO_CLIENT_CERT: '/c' } }, 'BAO_CLIENT_CERT is given without VAULT_CLIENT_KEY'],
    [{ env: { VAULT_CLIENT_CERT: '/c' }, system: 'VAULT_CLIENT_CERT=/c1\nVAULT_CLIENT_KEY=/k1\n' }, 'VAULT_CLIENT_CERT is given without VAULT_CLIENT_KEY'],
    [{ local: 'VAULT_CLIENT_KEY=/k\n' }, 'VAULT_CLIENT_KEY is given without VAULT_CLIENT_CERT'],
  ])('%j is an error', async (setup, message) => {
    const error = await loadError(setup);
    expect(error.message).toBe(message);
    expect(error.hint).toMatch(/certificate and its key/);
  });
});

describe('loadConfig: VAULT_SKIP_VERIFY', () => {
  it.each<[Setup, boolean]>([
    [{ env: { VAULT_SKIP_VERIFY: 'true' } }, false],
    [{ env: { VAULT_SKIP_VERIFY: 'false' } }, true],
    [{ env: { VAULT_SKIP_VERIFY: '1' } }, false],
    [{ env: { VAULT_SKIP_VERIFY: '0' } }, true],
    [{ env: { BAO_SKIP_VERIFY: 'true' } }, false],
    [{ env: { VAULT_SKIP_VERIFY: 'true', BAO_SKIP_VERIFY: '1' } }, false],
    [{ local: 'VAULT_SKIP_VERIFY=1\n' }, false],
    [{ env: { VAULT_SKIP_VERIFY: 'true', VAULTENV_VALIDATE_CERTS: 'false' } }, false],
    [{ env: { VAULT_SKIP_VERIFY: '0', VAULTENV_VALIDATE_CERTS: 'true' } }, true],
    // Different sources: the higher one wins, as for any option.
    [{ env: { VAULT_SKIP_VERIFY: 'true' }, argv: argv('--validate-certs') }, true],
    [{ system: 'VAULTENV_VALIDATE_CERTS=false\n', env: { VAULT_SKIP_VERIFY: 'false' } }, true],
    [{ system: 'VAULT_SKIP_VERIFY=true\n', env: { VAULTENV_VALIDATE_CERTS: 'true' } }, true],
  ])('%j → validateCerts %s', async (setup, validateCerts) => {
    expect((await load(setup)).validateCerts).toBe(validateCerts);
  });

  it.each<[Setup, string]>([
    [{ env: { VAULT_SKIP_VERIFY: 'true', VAULTENV_VALIDATE_CERTS: 'true' } }, 'VAULTENV_VALIDATE_CERTS and VAULT_SKIP_VERIFY'],
    [{ env: { VAULT_SKIP_VERIFY: '0', VAULTENV_VALIDATE_CERTS: 'false' } }, 'VAULTENV_VALIDATE_CERTS and VAULT_SKIP_VERIFY'],
    [{ local: 'VAULTENV_VALIDATE_CERTS=false\nBAO_SKIP_VERIFY=false\n' }, 'VAULTENV_VALIDATE_CERTS and BAO_SKIP_VERIFY'],
    [{ env: { VAULT_SKIP_VERIFY: 'true', BAO_SKIP_VERIFY: '0' } }, 'VAULT_SKIP_VERIFY and BAO_SKIP_VERIFY'],
  ])('%j conflicts', async (setup, names) => {
    const error = await loadError(setup);
    expect(error.message).toBe(`conflicting values for ${names}`);
  });

  it('names the opposite meaning in the hint', async () => {
    const error = await loadError({ env: { VAULT_SKIP_VERIFY: 'true', VAULTENV_VALIDATE_CERTS: 'true' } });
    expect(error.hint).toMatch(/VAULT_SKIP_VERIFY means the opposite of VAULTENV_VALIDATE_CERTS/);
  });

  it('an empty VAULT_SKIP_VERIFY counts as unset, as in the Vault CLI', async () => {
    expect((await load({ env: { VAULT_SKIP_VERIFY: '', VAULTENV_VALIDATE_CERTS: 'false' } })).validateCerts).toBe(false);
    expect((await load({ system: 'VAULT_SKIP_VERIFY=true\n', env: { VAULT_SKIP_VERIFY: '' } })).validateCerts).toBe(false);
  });

  it.each(['yes', 'TRUE', 't', ' 1', '2'])('rejects VAULT_SKIP_VERIFY=%j', async (value) => {
    const error = await loadError({ env: { VAULT_SKIP_VERIFY: value } });
    expect(error.message).toBe('invalid value for environment variable VAULT_SKIP_VERIFY');
    expect(error.hint).toBe('Expected true, false, 1 or 0');
  });
});

describe('loadConfig: stray whitespace in tokens, the namespace, the auth mount and the TLS server name', () => {
  it.each<[string, Setup, AuthSetting]>([
    ['VAULT_TOKEN with a trailing newline (a mounted Kubernetes secret)', { env: { VAULT_TOKEN: 's.abc\n' } }, token('s.abc')],
    ['BAO_TOKEN with surrounding spaces', { env: { BAO_TOKEN: '  s.abc\r\n' } }, token('s.abc')],
    ['VAULT_TOKEN and BAO_TOKEN equal once trimmed', { env: { VAULT_TOKEN: 's.abc\n', BAO_TOKEN: 's.abc' } }, token('s.abc')],
    ['--token with a trailing newline', { argv: argv('--token', 's.abc\n') }, token('s.abc')],
    ['VAULT_TOKEN in ./.env with a trailing space', { local: 'VAULT_TOKEN="s.abc "\n' }, token('s.abc')],
    ['VAULTENV_GITHUB_TOKEN with a trailing newline', { env: { VAULTENV_GITHUB_TOKEN: 'ghp_abc\n' } }, github('ghp_abc')],
    ['a VAULT_TOKEN of whitespace only is not set', { env: { VAULT_TOKEN: ' \n' }, system: 'VAULT_TOKEN=etc\n' }, token('etc')],
    ['a --token of whitespace only is not set', { argv: argv('--token', '\n'), env: { VAULT_TOKEN: 'env' } }, token('env')],
  ])('%s', async (_name, setup, auth) => {
    expect((await load(setup)).auth).toEqual(auth);
  });

  const SECRET = 'hvs.STRAY-never-shown';
  it.each<[Setup, string, string]>([
    [{ env: { VAULT_TOKEN: `${SECRET}\nx` } }, 'environment variable VAULT_TOKEN', 'set in the environment'],
    [{ env: { BAO_TOKEN: `${SECRET} x` } }, 'environment variable BAO_TOKEN', 'set in the environment'],
    [{ argv: argv('--token', `${SECRET}\tx`) }, 'flag --token', 'command line'],
    [{ env: { VAULTENV_GITHUB_TOKEN: `${SECRET}\rx` } }, 'environment variable VAULTENV_GITHUB_TOKEN', 'set in the environment'],
    [{ argv: argv('--github-token', `${SECRET}\u0000`) }, 'flag --github-token', 'command line'],
    [{ env: { VAULT_NAMESPACE: `${SECRET}\n` } }, 'environment variable VAULT_NAMESPACE', 'set in the environment'],
    [{ env: { BAO_NAMESPACE: `${SECRET} x` } }, 'environment variable BAO_NAMESPACE', 'set in the environment'],
    [{ argv: argv('--namespace', `${SECRET}\n`) }, 'flag --namespace', 'command line'],
    [{ system: `VAULT_NAMESPACE="${SECRET} x"\n` }, 'VAULT_NAMESPACE', 'file SYSTEM line 1'],
    [{ env: { VAULT_AUTH_BACKEND: `${SECRET}\n` } }, 'environment variable VAULT_AUTH_BACKEND', 'set in the environment'],
    [{ argv: argv('--auth-backend', `${SECRET} x`) }, 'flag --auth-backend', 'command line'],
    [{ env: { VAULT_TLS_SERVER_NAME: `${SECRET}\n` } }, 'environment variable VAULT_TLS_SERVER_NAME', 'set in the environment'],
    [{ argv: argv('--tls-server-name', `${SECRET} x`) }, 'flag --tls-server-name', 'command line'],
  ])('%j is an error naming the setting, never the value', async (setup, what, input) => {
    const error = await loadError(setup);
    expect(error.message).toBe(`invalid value for ${what}`);
    expect(error.input).toBe(input.replace('SYSTEM', files.system));
    expect(error.hint).toMatch(/check for a stray newline or space$/);
    expect(shown(error)).not.toContain('STRAY');
  });

  it.each(['127.0.0.1', '10.0.0.12', '::1', '[fd00::1]', 'fe80::1%eth0'])('an IP address as the TLS server name (%s) is an error at start: SNI names hosts', async (address) => {
    const error = await loadError({ env: { VAULT_TLS_SERVER_NAME: address } });
    expect(error.message).toBe('invalid value for environment variable VAULT_TLS_SERVER_NAME');
    expect(error.hint).toBe('TLS sends a host name as the server name, never an IP address: leave it unset to check the certificate against the address');
  });

  it.each(['vault.internal', 'v', 'vault-1.example.com', '1.example', '2001.db8'])('a host name as the TLS server name (%s) is taken', async (name) => {
    expect((await load({ argv: argv('--tls-server-name', name) })).tlsServerName).toBe(name);
  });

  it('vaultenv renew trims and checks the token and namespace too', async () => {
    expect((await loadRenew({ env: { VAULT_TOKEN: 's.abc\n' } })).auth).toEqual(token('s.abc'));
    const error = await loadError({ env: { VAULT_NAMESPACE: 'ns\n' } }, loadRenew);
    expect(error.message).toBe('invalid value for environment variable VAULT_NAMESPACE');
  });
});

describe('loadConfig: namespace and addressConfigured', () => {
  it.each<[Setup, string | undefined]>([
    [{}, undefined],
    [{ argv: argv('--namespace', 'team-a') }, 'team-a'],
    [{ env: { VAULT_NAMESPACE: 'team-a' } }, 'team-a'],
    [{ env: { BAO_NAMESPACE: 'team-a/sub' } }, 'team-a/sub'],
    [{ system: 'VAULT_NAMESPACE=etc\n', env: { VAULT_NAMESPACE: 'env' } }, 'env'],
    [{ system: 'VAULT_NAMESPACE=etc\n', env: { VAULT_NAMESPACE: '' } }, 'etc'],
  ])('namespace: %j → %s', async (setup, namespace) => {
    expect((await load(setup)).namespace).toBe(namespace);
  });

  it('rejects VAULT_NAMESPACE and BAO_NAMESPACE that differ', async () => {
    expect((await loadError({ env: { VAULT_NAMESPACE: 'a', BAO_NAMESPACE: 'b' } })).message).toBe('conflicting values for VAULT_NAMESPACE and BAO_NAMESPACE');
  });

  it.each<[Setup, boolean]>([
    [{}, false],
    [{ env: { VAULTENV_CONNECT_TLS: 'false' } }, false],
    [{ argv: argv('--no-connect-tls') }, false],
    [{ env: { VAULT_TOKEN: 't', VAULT_NAMESPACE: 'n' } }, false],
    [{ system: 'VAULT_ADDR=https://v\n' }, true],
    [{ env: { BAO_ADDR: 'http://v:1' } }, true],
    [{ env: { VAULT_HOST: 'v' } }, true],
    [{ local: 'VAULT_PORT=1\n', env: TRUST }, true],
    [{ argv: argv('--host', 'https://v') }, true],
    [{ argv: argv('--port', '8201') }, true],
  ])('addressConfigured: %j → %s', async (setup, addressConfigured) => {
    expect((await load(setup)).addressConfigured).toBe(addressConfigured);
  });
});

describe('loadRenewConfig', () => {
  it('fills every default, and needs no command or secrets file', async () => {
    expect(await loadRenew({})).toEqual({
      ...CONNECTION_DEFAULTS,
      renewIntervalSeconds: 10,
      renewFraction: 0.5,
      renewOnce: false,
    } satisfies RenewConfig);
  });

  it('reads its own options from flags', async () => {
    const config = await loadRenew({ argv: ['--interval', '3', '--renew-fraction', '.25', '--once'] });
    expect(config).toMatchObject({ renewIntervalSeconds: 3, renewFraction: 0.25, renewOnce: true });
  });

  it('reads its own options from the environment and config files, by the same precedence', async () => {
    const config = await loadRenew({
      env: { VAULTENV_RENEW_INTERVAL: '30', VAULTENV_RENEW_ONCE: 'true' },
      system: 'VAULTENV_RENEW_INTERVAL=60\nVAULTENV_RENEW_FRACTION=1\n',
      argv: ['--no-once'],
    });
    expect(config).toMatchObject({ renewIntervalSeconds: 30, renewFraction: 1, renewOnce: false });
  });

  it('reads the connection options like the run command', async () => {
    const config = await loadRenew({
      system: 'VAULT_ADDR=https://vault.example:8201\nVAULTENV_TOKEN_FILE=/var/run/secrets/boostport.com/vault-token\n',
      env: { VAULT_CACERT: '/ca.pem', VAULT_NAMESPACE: 'ns', VAULT_SKIP_VERIFY: '0' },
      argv: ['--retry-attempts', '2', '--request-timeout-milliseconds', '500', '--log-level', 'info'],
    });
    expect(config).toMatchObject({
      host: 'vault.example',
      port: 8201,
      tls: true,
      validateCerts: true,
      addressConfigured: true,
      namespace: 'ns',
      caCert: '/ca.pem',
      auth: { method: 'token-file', path: '/var/run/secrets/boostport.com/vault-token' },
      retryAttempts: 2,
      requestTimeoutMs: 500,
      logLevel: 'info',
    });
  });

  it('applies the credential rule to tokens', async () => {
    expect((await loadRenew({ argv: ['--token', 't'], env: { VAULTENV_TOKEN_FILE: 'f' } })).auth).toEqual(token('t'));
    expect((await loadRenew({ env: { BAO_TOKEN: 't' }, local: 'VAULTENV_TOKEN_FILE=f\n' })).auth).toEqual(token('t'));
    const error = await loadError({ env: { VAULT_TOKEN: 't', VAULTENV_TOKEN_FILE: 'f' } }, loadRenew);
    expect(error.message).toBe('VAULT_TOKEN and VAULTENV_TOKEN_FILE are both given');
  });

  it("ignores the run command's options in the environment and config files (a sidecar shares them)", async () => {
    const config = await loadRenew({
      env: { VAULTENV_KUBERNETES_ROLE: 'r', VAULTENV_SECRETS_FILE: 's', CMD: 'x', VAULTENV_USE_PATH: 'not-checked', VAULT_TOKEN: 't' },
      local: 'VAULTENV_JWT_ROLE=j\nVAULTENV_EXPORT_TOKEN=yes\n',
    });
    expect(config.auth).toEqual(token('t'));
  });

  it.each<[Setup, string]>([
    [{ argv: ['--interval', '0'] }, 'invalid value for flag --interval'],
    [{ argv: ['--interval', '1.5'] }, 'invalid value for flag --interval'],
    [{ env: { VAULTENV_RENEW_INTERVAL: '' } }, 'invalid value for environment variable VAULTENV_RENEW_INTERVAL'],
    [{ argv: ['--renew-fraction', '0'] }, 'invalid value for flag --renew-fraction'],
    [{ argv: ['--renew-fraction', '1.5'] }, 'invalid value for flag --renew-fraction'],
    [{ argv: ['--renew-fraction', '5e-1'] }, 'invalid value for flag --renew-fraction'],
    [{ env: { VAULTENV_RENEW_FRACTION: ' 0.5' } }, 'invalid value for environment variable VAULTENV_RENEW_FRACTION'],
    [{ local: 'VAULTENV_RENEW_ONCE=1\n' }, 'invalid value for VAULTENV_RENEW_ONCE'],
  ])('%j is an error', async (setup, message) => {
    expect((await loadError(setup, loadRenew)).message).toBe(message);
  });
});

describe('loadConfig: command and arguments', () => {
  it('takes CMD and ARGS... from the environment when not given', async () => {
    const config = await load({ env: { CMD: '/bin/echo', 'ARGS...': ' a  b\tc ' }, argv: ['--secrets-file', 's'] });
    expect(config.command).toBe('/bin/echo');
    expect(config.args).toEqual(['a', 'b', 'c']);
  });

  it('takes CMD from a config file', async () => {
    expect((await load({ local: 'CMD=env\n', argv: ['--secrets-file', 's'] })).command).toBe('env');
  });

  it('positional arguments beat ARGS..., and ARGS... is used only when none are given', async () => {
    const env = { 'ARGS...': 'from env' };
    expect((await load({ env, argv: ['--secrets-file', 's', 'cmd', 'x'] })).args).toEqual(['x']);
    expect((await load({ env, argv: ['--secrets-file', 's', 'cmd'] })).args).toEqual(['from', 'env']);
  });

  it('reports a missing command', async () => {
    const error = await loadError({ argv: ['--secrets-file', 's'] });
    expect(error.message).toBe('no command given');
    expect(error.hint).toMatch(/vaultenv \[options\] \[--\] CMD \[ARGS\.\.\.\]/);
  });

  it('reports a missing secrets file', async () => {
    const error = await loadError({ argv: ['cmd'] });
    expect(error.message).toBe('no secrets file given');
    expect(error.hint).toBe('pass --secrets-file FILE or set VAULTENV_SECRETS_FILE');
  });

  it('reports the command first when both are missing', async () => {
    expect((await loadError({ argv: [] })).message).toBe('no command given');
  });
});

describe('loadConfig: config-file variables', () => {
  it('./.env first, then the user file, then /etc; the first file naming a variable wins', async () => {
    const config = await load({
      system: 'SHARED=etc\nETC_ONLY=1\nVAULT_PORT=1\n',
      user: 'USER_ONLY=2\nSHARED=user\n',
      local: 'LOCAL_ONLY=3\nSHARED=local\n',
    });
    expect(config.configFileVariables).toEqual([
      ['LOCAL_ONLY', '3'],
      ['SHARED', 'local'],
      ['USER_ONLY', '2'],
      ['ETC_ONLY', '1'],
      ['VAULT_PORT', '1'],
    ]);
  });

  it('does not expand variables or run commands', async () => {
    const config = await load({ local: 'A=$(touch /tmp/vaultenv-should-not-exist)\nB=${HOME}\n' });
    expect(config.configFileVariables).toEqual([
      ['A', '$(touch /tmp/vaultenv-should-not-exist)'],
      ['B', '${HOME}'],
    ]);
  });
});

describe('loadConfig: secrets stay out of errors', () => {
  const token = 'hvs.TOKEN-VALUE-never-printed';

  it.each<Setup>([
    { env: { VAULT_TOKEN: token, BAO_TOKEN: 'other' } },
    { env: { VAULT_TOKEN: token, VAULT_PORT: 'x' } },
    { env: { VAULT_TOKEN: token, VAULT_ADDR: 'nonsense' } },
    { env: { VAULT_TOKEN: token }, argv: ['--secrets-file', 's'] },
    { env: { VAULTENV_GITHUB_TOKEN: token, VAULTENV_LOG_LEVEL: token } },
    { local: `VAULT_TOKEN=${token}\nBAO_TOKEN=x\n` },
    { env: { VAULTENV_APPROLE_ROLE_ID: token } },
    { env: { VAULTENV_APPROLE_ROLE_ID: token, VAULTENV_KUBERNETES_ROLE: token } },
    { env: { VAULTENV_JWT_ROLE: token } },
    { env: { VAULTENV_JWT_ROLE: token, VAULTENV_JWT_FILE: token, VAULTENV_JWT_ENV: token } },
    { argv: argv('--token', token, '--token-file', token) },
    { argv: argv('--approle-role-id', token) },
    { local: `VAULTENV_GITHUB_TOKEN=${token}\nVAULTENV_TOKEN_FILE=x\nVAULT_TOKEN=${token}\n` },
    { env: { VAULT_CLIENT_CERT: token } },
    { env: { VAULT_SKIP_VERIFY: token } },
    { env: { VAULT_NAMESPACE: token, BAO_NAMESPACE: 'other' } },
  ])('%j', async (setup) => {
    expect(shown(await loadError(setup))).not.toContain('TOKEN-VALUE');
  });

  it.each<Setup>([
    { argv: ['--renew-fraction', token] },
    { env: { VAULTENV_RENEW_INTERVAL: token } },
    { env: { VAULT_TOKEN: token, VAULTENV_TOKEN_FILE: token } },
  ])('renew: %j', async (setup) => {
    expect(shown(await loadError(setup, loadRenew))).not.toContain('TOKEN-VALUE');
  });
});

describe('defaultConfigFiles', () => {
  it.each([
    [{ XDG_CONFIG_HOME: '/x', HOME: '/h' }, '/x/vaultenv/vaultenv.conf'],
    [{ HOME: '/h' }, '/h/.config/vaultenv/vaultenv.conf'],
    [{ XDG_CONFIG_HOME: '', HOME: '/h' }, '/h/.config/vaultenv/vaultenv.conf'],
    [{ XDG_CONFIG_HOME: 'relative', HOME: '/h' }, '/h/.config/vaultenv/vaultenv.conf'],
    [{}, undefined],
  ])('%j → %s', (env, user) => {
    expect(defaultConfigFiles(env, '/work')).toEqual({ system: '/etc/vaultenv.conf', user, local: '/work/.env' });
  });
});

describe('loadCheckConfig and loadExportConfig', () => {
  it('check: CMD is optional, the format text by default; a format of export is refused', () => {
    const check = (argv: string[], env: Record<string, string> = {}) => {
      const commandLine = parseCommandLine(['check', ...argv]);
      if (commandLine.kind !== 'check') throw new Error('expected check');
      return loadCheckConfig({ commandLine, env, cwd: dir, configFiles: files });
    };
    const config = check(['--secrets-file', 's']);
    expect([config.command, config.format]).toEqual([undefined, 'text']);
    expect(check(['--secrets-file', 's', '--format', 'json', 'app']).command).toBe('app');
    const error = thrown(() => check(['--secrets-file', 's'], { VAULTENV_FORMAT: 'shell' })) as ConfigError;
    expect(renderError(error).text).toBe('vaultenv: vaultenv check has no format "shell" (--format / VAULTENV_FORMAT). The formats of vaultenv check are text or json\n');
  });

  it('export: dotenv by default; text is refused; --force is not read from config files', async () => {
    await writeFile(files.local, 'VAULTENV_EXPORT_FORCE=true\n');
    const exported = (argv: string[], env: Record<string, string> = {}) => {
      const commandLine = parseCommandLine(['export', ...argv]);
      if (commandLine.kind !== 'export') throw new Error('expected export');
      return loadExportConfig({ commandLine, env, cwd: dir, configFiles: files });
    };
    const config = exported(['--secrets-file', 's']);
    expect([config.format, config.force, config.output]).toEqual(['dotenv', false, undefined]);
    expect(exported(['--secrets-file', 's', '--force', '--output', 'o.env']).force).toBe(true);
    expect(exported(['--secrets-file', 's'], { VAULTENV_EXPORT_FORCE: 'true' }).force).toBe(true);
    expect((thrown(() => exported(['--secrets-file', 's', '--format', 'text'])) as ConfigError).message).toBe('vaultenv export has no format "text"');
    expect((thrown(() => exported([])) as ConfigError).message).toBe('no secrets file given');
  });
});
