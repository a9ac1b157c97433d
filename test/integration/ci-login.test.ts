// The CI logins, through the built CLI against the shared OpenBao dev servers (KV v1 and KV v2), each
// with a JWT auth mount of this file's own that trusts a key generated here:
// - inside GitHub Actions, --jwt-role with no JWT source asks a local HTTP server standing in for
//   GitHub's ID-token endpoint (bearer request token, audience), and bao's jwt auth validates the
//   JWT it returns;
// - the token of a login is revoked before the program starts (a later token lookup fails), unless it
//   is exported or --no-revoke-token keeps it; a failed revocation is a warning.

import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateJwtKey, signJwt } from '../helpers/jwt.ts';
import { startProxy, type Proxy } from '../helpers/proxy.ts';
import { baseEnv, expectNoLeak, runCli } from '../helpers/run-cli.ts';
import { kvServer, uniqueName } from '../helpers/servers.ts';

const AUDIENCE = 'https://vault.example.test';
const REQUEST_TOKEN = `gh-request-${uniqueName('t')}`;
const key = generateJwtKey('RS256');

interface TokenRequest {
  url: string;
  authorization: string | undefined;
}

/** GitHub's ID-token endpoint, as far as vaultenv uses it: a JWT for the audience asked for. */
async function startTokenEndpoint(): Promise<{ url: string; requests: TokenRequest[]; issued: string[]; close: () => Promise<void> }> {
  const requests: TokenRequest[] = [];
  const issued: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const audience = new URL(req.url ?? '/', 'http://localhost').searchParams.get('audience') ?? 'https://github.com/acme';
    if (req.headers.authorization !== `bearer ${REQUEST_TOKEN}`) {
      res.writeHead(401).end('{"message":"bad request token"}');
      return;
    }
    const jwt = signJwt({ iss: 'https://token.actions.example.test', sub: 'repo:acme/shop:ref:refs/heads/main', aud: audience }, key);
    issued.push(jwt);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: 1, value: jwt }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/_apis/token?api-version=2.0`,
    requests,
    issued,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.each([1, 2] as const)('CI logins on KV v%i mounts', (version) => {
  const server = kvServer(version);
  const prefix = uniqueName('ci');
  const mount = uniqueName('jwt');
  const deployKey = `deploy-${uniqueName('v')}`;
  let dir: string;
  let endpoint: Awaited<ReturnType<typeof startTokenEndpoint>>;
  let proxy: Proxy;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vaultenv-ci-'));
    endpoint = await startTokenEndpoint();
    proxy = await startProxy(server.address);
    await server.api.writeSecret('secret', version, `${prefix}/deploy`, { key: deployKey });
    const policy = uniqueName('deploy');
    await server.api.writePolicy(policy, `path "secret/${version === 2 ? 'data/' : ''}${prefix}/*" { capabilities = ["read"] }\n`);
    await server.api.enableAuth(mount, 'jwt');
    expect((await server.api.request('POST', `auth/${mount}/config`, { jwt_validation_pubkeys: [key.publicKeyPem] })).status).toBe(204);
    const role = await server.api.request('POST', `auth/${mount}/role/ci`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: [AUDIENCE],
      token_policies: [policy],
      token_ttl: '5m',
    });
    expect(role.status).toBe(204);
    await writeFile(join(dir, 'deploy.secrets'), `DEPLOY_KEY=${prefix}/deploy#key\n`);
  });

  afterAll(async () => {
    await proxy?.close();
    await endpoint?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const inActions = { GITHUB_ACTIONS: 'true', ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN };
  const deploy = (flags: string[], command: string[], address = server.address) =>
    runCli([`--auth-backend`, mount, '--jwt-role', 'ci', '--no-github-mask', '--secrets-file', 'deploy.secrets', ...flags, '--', ...command], {
      env: baseEnv({ VAULT_ADDR: address, ...inActions, ACTIONS_ID_TOKEN_REQUEST_URL: endpoint.url }),
      cwd: dir,
    });
  /** The token the run's requests carried, as the proxy saw it. */
  const tokenSeen = (): string => {
    const read = proxy.log().find((req) => req.method === 'GET' && req.path.includes(`${prefix}/deploy`));
    const token = read?.headers['x-vault-token'];
    if (typeof token !== 'string') throw new Error('no read with a token went through the proxy');
    return token;
  };
  const lookup = async (token: string): Promise<number> => (await server.api.request('POST', 'auth/token/lookup', { token })).status;

  it('asks the GitHub endpoint for the ID token with the request token and --jwt-audience; bao validates it', async () => {
    endpoint.requests.length = 0;
    const result = await deploy(['--jwt-audience', AUDIENCE], ['printenv', 'DEPLOY_KEY']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${deployKey}\n`);
    expect(endpoint.requests).toEqual([
      { url: `/_apis/token?api-version=2.0&audience=${encodeURIComponent(AUDIENCE)}`, authorization: `bearer ${REQUEST_TOKEN}` },
    ]);
  });

  it('without --jwt-audience GitHub’s default audience is asked for, which this role does not bind: exit 4, no credential shown', async () => {
    endpoint.requests.length = 0;
    const result = await deploy([], ['printenv', 'DEPLOY_KEY']);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^vaultenv: login refused \\(HTTP 400\\): Vault says ".*" \\(jwt login at auth/${mount}\\)`));
    expect(endpoint.requests.map((req) => req.url)).toEqual(['/_apis/token?api-version=2.0']);
    expectNoLeak(result, [REQUEST_TOKEN, ...endpoint.issued, deployKey]);
  });

  it('a refused request token is exit 4, naming the endpoint, never the token', async () => {
    const result = await runCli(['--auth-backend', mount, '--jwt-role', 'ci', '--secrets-file', 'deploy.secrets', '--', 'true'], {
      env: baseEnv({ VAULT_ADDR: server.address, ACTIONS_ID_TOKEN_REQUEST_URL: endpoint.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong-request-token' }),
      cwd: dir,
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(
      'vaultenv: GitHub refused the ID token request (HTTP 401) (the GitHub Actions ID token request (ACTIONS_ID_TOKEN_REQUEST_URL)). Give the job `permissions: id-token: write`, or pass the JWT with --jwt-file or --jwt-env\n',
    );
    expectNoLeak(result, ['wrong-request-token']);
  });

  it('revokes the login’s token before the program starts: a later lookup of it fails', async () => {
    proxy.reset();
    const result = await deploy(['--jwt-audience', AUDIENCE], ['printenv', 'DEPLOY_KEY'], proxy.address);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${deployKey}\n`);
    const token = tokenSeen();
    const order = proxy.requests().map(({ method, path }) => `${method} ${path.replace(/\?.*/, '')}`);
    expect(order.at(-1)).toBe('POST /v1/auth/token/revoke-self');
    expect(await lookup(token)).toBe(403);
  });

  it('keeps an exported token (--export-token) and one kept by --no-revoke-token: their lookups succeed', async () => {
    proxy.reset();
    const exported = await deploy(['--jwt-audience', AUDIENCE, '--export-token'], ['printenv', 'VAULT_TOKEN'], proxy.address);
    expect(exported.code).toBe(0);
    const token = exported.stdout.trim();
    expect(token).toBe(tokenSeen());
    expect(proxy.count((req) => req.path === '/v1/auth/token/revoke-self')).toBe(0);
    expect(await lookup(token)).toBe(200);

    proxy.reset();
    const kept = await deploy(['--jwt-audience', AUDIENCE, '--no-revoke-token'], ['true'], proxy.address);
    expect(kept.code).toBe(0);
    expect(proxy.count((req) => req.path === '/v1/auth/token/revoke-self')).toBe(0);
    expect(await lookup(tokenSeen())).toBe(200);
  });

  it('a failed revocation is a warning: the program still starts', async () => {
    proxy.reset();
    const fault = proxy.inject({ match: (req) => req.path === '/v1/auth/token/revoke-self', respond: { status: 500, body: { errors: ['internal error'] } } });
    const result = await deploy(['--jwt-audience', AUDIENCE], ['printenv', 'DEPLOY_KEY'], proxy.address);
    fault.remove();
    expect(fault.hits()).toBe(1);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${deployKey}\n`);
    expect(result.stderr).toBe(
      'vaultenv: warning: could not revoke the token of the login (auth/token/revoke-self: HTTP 500: Vault says "internal error"); it expires by its TTL\n',
    );
    expect(await lookup(tokenSeen())).toBe(200);
  });
});
