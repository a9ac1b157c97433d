// login() against a scripted VaultHttp: which requests it sends with which token, and how each
// answer becomes a token or an error. The real-server behaviour is in test/integration/auth-*.test.ts.
import { describe, expect, it } from 'vitest';
import { login, parseSecretIdFile, type LoginOptions, type LoginSetting } from '../../../src/auth/login.ts';
import { AuthError, VaultUnavailableError, renderError } from '../../../src/errors.ts';
import { Redactor } from '../../../src/redact.ts';
import { VaultFailure, failureForStatus } from '../../../src/vault/failure.ts';
import type { VaultHttp, VaultResponse } from '../../../src/vault/http.ts';
import { rejected, thrown } from '../../helpers/thrown.ts';

interface Sent {
  method: string;
  path: string;
  body: unknown;
  token: string | undefined;
}

type Answer = VaultResponse | VaultFailure;

function scriptedClient(answers: Answer[]): VaultHttp & { sent: Sent[] } {
  let token: string | undefined;
  const sent: Sent[] = [];
  return {
    sent,
    get requestsSent() {
      return sent.length;
    },
    request(method, path, options = {}) {
      sent.push({ method, path, body: options.body, token });
      const answer = answers.shift();
      if (answer === undefined) throw new Error('unexpected request');
      return answer instanceof VaultFailure ? Promise.reject(answer) : Promise.resolve(answer);
    },
    setToken(newToken) {
      token = newToken;
    },
    close() {},
  };
}

const ok = (body: unknown): VaultResponse => ({ status: 200, body: JSON.stringify(body) });
const loginOk = (token = 'hvs.client') => ok({ auth: { client_token: token } });

function options(files: Record<string, string> = {}, extra: Partial<LoginOptions> = {}): LoginOptions {
  return {
    backend: undefined,
    retry: { baseDelayMs: 1, retries: 2 },
    clock: { sleep: () => Promise.resolve(), random: () => 0 },
    readFile: (p) => (p in files ? Promise.resolve(files[p]!) : Promise.reject(Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' }))),
    ...extra,
  };
}

describe('login bodies and mounts', () => {
  it.each<{ setting: LoginSetting; files: Record<string, string>; path: string; body: unknown }>([
    { setting: { method: 'kubernetes', role: 'web', jwtPath: '/sa/token' }, files: { '/sa/token': 'eyJ.k8s.jwt\n' }, path: '/v1/auth/kubernetes/login', body: { role: 'web', jwt: 'eyJ.k8s.jwt' } },
    { setting: { method: 'github', token: 'ghp_x' }, files: {}, path: '/v1/auth/github/login', body: { token: 'ghp_x' } },
    {
      setting: { method: 'approle', roleId: 'rid', secretIdFile: '/s', secretIdWrapped: false },
      files: { '/s': 'sid-1\r\n' },
      path: '/v1/auth/approle/login',
      body: { role_id: 'rid', secret_id: 'sid-1' },
    },
    { setting: { method: 'jwt', role: 'ci', jwt: { file: '/j' } }, files: { '/j': ' eyJ.ci.jwt \n' }, path: '/v1/auth/jwt/login', body: { role: 'ci', jwt: 'eyJ.ci.jwt' } },
  ])('$setting.method posts its credentials to its default mount', async ({ setting, files, path, body }) => {
    const client = scriptedClient([loginOk()]);
    expect(await login(setting, client, options(files))).toBe('hvs.client');
    expect(client.sent).toEqual([{ method: 'POST', path, body, token: undefined }]);
  });

  it('uses the backend as the mount, trimmed of slashes and encoded per segment', async () => {
    const client = scriptedClient([loginOk()]);
    await login({ method: 'jwt', role: 'ci', jwt: { env: 'J' } }, client, options({}, { backend: '/ci/gitlab jobs/', env: { J: 'eyJ.x.y' } }));
    expect(client.sent[0]?.path).toBe('/v1/auth/ci/gitlab%20jobs/login');
  });
});

describe('JWT from the environment', () => {
  it.each([
    [{}, 'the JWT variable is not set'],
    [{ CI_JWT: '  \n' }, 'the JWT variable is empty'],
  ])('names the variable when it is missing or empty (%o)', async (env, message) => {
    const client = scriptedClient([]);
    const error = await rejected(login({ method: 'jwt', role: 'ci', jwt: { env: 'CI_JWT' } }, client, options({}, { env })));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe(message);
    expect((error as AuthError).input).toBe('environment variable CI_JWT');
    expect(client.sent).toEqual([]);
  });
});

describe('credential files', () => {
  it.each<[LoginSetting, string, string]>([
    [{ method: 'kubernetes', role: 'r', jwtPath: '/missing/token' }, 'Kubernetes service-account token not found', '/missing/token'],
    [{ method: 'jwt', role: 'r', jwt: { file: '/missing/jwt' } }, 'JWT file not found', '/missing/jwt'],
    [{ method: 'approle', roleId: 'r', secretIdFile: '/missing/sid', secretIdWrapped: false }, 'secret ID file not found', '/missing/sid'],
  ])('name an unreadable %s file', async (setting, message, input) => {
    const error = await rejected(login(setting, scriptedClient([]), options()));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe(message);
    expect((error as AuthError).input).toBe(input);
  });

  it.each<[string, (file: string) => LoginSetting, string]>([
    ['Kubernetes service-account token', (file) => ({ method: 'kubernetes', role: 'r', jwtPath: file }), 'Kubernetes service-account token'],
    ['JWT', (file) => ({ method: 'jwt', role: 'r', jwt: { file } }), 'JWT file'],
    ['secret ID', (file) => ({ method: 'approle', roleId: 'r', secretIdFile: file, secretIdWrapped: false }), 'secret ID file'],
  ])('refuse a %s file over 64 KiB, read from the disk up to the limit only', async (_label, setting, what) => {
    const error = await rejected(login(setting('/dev/zero'), scriptedClient([]), { ...options(), readFile: undefined }));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe(`${what} is larger than 64 KiB`);
    expect((error as AuthError).input).toBe('/dev/zero');
  });

  it('refuse an empty JWT file', async () => {
    const error = await rejected(login({ method: 'kubernetes', role: 'r', jwtPath: '/t' }, scriptedClient([]), options({ '/t': '\n' })));
    expect((error as AuthError).message).toBe('the Kubernetes service-account token is empty');
  });
});

describe('credentials reported for redaction', () => {
  const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJDQU5BUlktY2xhaW1zIn0.SIGNATURE-CANARY-0123456789';
  const SEGMENTS = JWT.split('.');

  it.each<{ what: string; setting: LoginSetting; files: Record<string, string>; env?: Record<string, string>; answers: Answer[]; expected: string[]; carriedBy: number[] }>([
    { what: 'the Kubernetes JWT', setting: { method: 'kubernetes', role: 'r', jwtPath: '/t' }, files: { '/t': `${JWT}\n` }, answers: [loginOk()], expected: [JWT, ...SEGMENTS], carriedBy: [0, 0, 0, 0] },
    { what: 'a JWT file', setting: { method: 'jwt', role: 'r', jwt: { file: '/j' } }, files: { '/j': JWT }, answers: [loginOk()], expected: [JWT, ...SEGMENTS], carriedBy: [0, 0, 0, 0] },
    { what: 'a JWT variable', setting: { method: 'jwt', role: 'r', jwt: { env: 'J' } }, files: {}, env: { J: ` ${JWT} ` }, answers: [loginOk()], expected: [JWT, ...SEGMENTS], carriedBy: [0, 0, 0, 0] },
    {
      what: 'a secret ID',
      setting: { method: 'approle', roleId: 'rid', secretIdFile: '/s', secretIdWrapped: false },
      files: { '/s': 'sid-CANARY\n' },
      answers: [loginOk()],
      expected: ['sid-CANARY'],
      carriedBy: [0],
    },
    {
      what: 'a wrapping token and the secret ID it unwraps',
      setting: { method: 'approle', roleId: 'rid', secretIdFile: '/w', secretIdWrapped: true },
      files: { '/w': 'hvs.WRAPCANARY' },
      answers: [ok({ data: { secret_id: 'sid-unwrapped-CANARY' } }), loginOk()],
      expected: ['hvs.WRAPCANARY', 'sid-unwrapped-CANARY'],
      carriedBy: [0, 1],
    },
  ])('reports $what before sending it', async ({ setting, files, env, answers, expected, carriedBy }) => {
    const client = scriptedClient(answers);
    const reported: { value: string; requestsBefore: number }[] = [];
    const onCredential = (value: string) => reported.push({ value, requestsBefore: client.sent.length });
    expect(await login(setting, client, options(files, { ...(env ? { env } : {}), onCredential }))).toBe('hvs.client');
    expect(reported.map((r) => r.value)).toEqual(expected);
    // Each credential is reported just before the request that carries it: the wrapping token before
    // the unwrap (request 0), the unwrapped secret ID before the login (request 1).
    const requestOf = (value: string) => client.sent.findIndex((sent) => sent.token === value || JSON.stringify(sent.body ?? null).includes(value));
    expect(reported.map(({ value }) => requestOf(value))).toEqual(carriedBy);
    expect(reported.map(({ requestsBefore }) => requestsBefore)).toEqual(carriedBy);
  });

  it('so that a login refusal echoing the JWT shows none of it once the credentials are in the redactor', async () => {
    const redactor = new Redactor();
    const client = scriptedClient([failureForStatus(400, [`invalid JWT ${JWT} (claims ${SEGMENTS[1]!})`])]);
    const error = await rejected(login({ method: 'jwt', role: 'r', jwt: { file: '/j' } }, client, options({ '/j': JWT }, { onCredential: (v) => redactor.add(v) })));
    const line = redactor.redact(renderError(error).text);
    expect(line).toContain('login refused (HTTP 400): Vault says "invalid JWT <redacted> (claims <redacted>)"');
    for (const part of ['CANARY', ...SEGMENTS]) expect(line).not.toContain(part);
  });
});

describe('parseSecretIdFile', () => {
  const wrapInfo = { token: 'hvs.WRAPCANARY', accessor: 'a', ttl: 60, creation_time: 't', creation_path: 'auth/approle/role/r/secret-id' };
  it.each<[string, boolean, unknown]>([
    ['sid-plain\n', false, { kind: 'secret-id', secretId: 'sid-plain' }],
    ['hvs.WRAPCANARY\n', true, { kind: 'wrapped', wrappingToken: 'hvs.WRAPCANARY' }],
    [JSON.stringify(wrapInfo), false, { kind: 'wrapped', wrappingToken: 'hvs.WRAPCANARY' }],
    [JSON.stringify({ request_id: 'x', wrap_info: wrapInfo }), false, { kind: 'wrapped', wrappingToken: 'hvs.WRAPCANARY' }],
    [JSON.stringify(wrapInfo), true, { kind: 'wrapped', wrappingToken: 'hvs.WRAPCANARY' }],
    [JSON.stringify({ data: { secret_id: 'sid-json', secret_id_accessor: 'a' } }), false, { kind: 'secret-id', secretId: 'sid-json' }],
  ])('reads %j (wrapped: %s)', (text, wrapped, expected) => {
    expect(parseSecretIdFile(text, '/s', wrapped)).toEqual(expected);
  });

  it.each<[string, boolean, RegExp]>([
    ['', false, /empty/],
    [' \n', true, /empty/],
    ['SIDCANARY\nSIDCANARY', false, /several lines/],
    ['{"secret":"SIDCANARY"}', false, /no "token"/],
    ['{"token":"SIDCANARY', false, /does not parse/],
    ['{"token":"SID CANARY"}', false, /spaces/],
    ['hvs.WRAP CANARY', true, /spaces/],
  ])('refuses %j (wrapped: %s) without its content', (text, wrapped, hint) => {
    const error = thrown(() => parseSecretIdFile(text, '/s', wrapped));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe('malformed secret ID file');
    expect((error as AuthError).input).toBe('/s');
    expect((error as AuthError).hint).toMatch(hint);
    expect(`${(error as AuthError).message} ${(error as AuthError).hint ?? ''}`).not.toMatch(/CANARY/);
  });
});

describe('wrapped secret IDs', () => {
  const setting: LoginSetting = { method: 'approle', roleId: 'rid', secretIdFile: '/w', secretIdWrapped: true };

  it('unwraps with the wrapping token alone, then logs in with the secret ID and no token', async () => {
    const client = scriptedClient([ok({ data: { secret_id: 'sid-unwrapped' } }), loginOk()]);
    expect(await login(setting, client, options({ '/w': 'hvs.wrapping\n' }))).toBe('hvs.client');
    expect(client.sent).toEqual([
      { method: 'POST', path: '/v1/sys/wrapping/unwrap', body: undefined, token: 'hvs.wrapping' },
      { method: 'POST', path: '/v1/auth/approle/login', body: { role_id: 'rid', secret_id: 'sid-unwrapped' }, token: undefined },
    ]);
  });

  it.each([400, 403])('reports a used or expired wrapping token (HTTP %i) once, without it', async (status) => {
    const client = scriptedClient([failureForStatus(status, ['wrapping token is not valid or does not exist'])]);
    const error = await rejected(login(setting, client, options({ '/w': 'hvs.WRAPCANARY' })));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe('the wrapped secret ID was already used or has expired');
    expect((error as AuthError).hint).toContain('wrapping token is not valid or does not exist');
    expect(`${(error as AuthError).message} ${(error as AuthError).hint ?? ''}`).not.toContain('WRAPCANARY');
    expect(client.sent).toHaveLength(1);
  });

  it('refuses a wrapped response that holds no secret ID', async () => {
    const client = scriptedClient([ok({ data: { something: 'else' } })]);
    const error = await rejected(login(setting, client, options({ '/w': 'hvs.wrapping' })));
    expect((error as AuthError).message).toBe('the wrapped response holds no secret ID');
    expect(client.sent).toHaveLength(1);
  });
});

describe('failures', () => {
  const setting: LoginSetting = { method: 'github', token: 'ghp_CANARY' };

  it.each([400, 401, 403, 404])('HTTP %i is a refused login, answered once, with Vault’s words', async (status) => {
    const client = scriptedClient([failureForStatus(status, ['invalid credentials'])]);
    const error = await rejected(login(setting, client, options()));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe(`login refused (HTTP ${status}): Vault says "invalid credentials"`);
    expect((error as AuthError).input).toBe('github login at auth/github');
    expect(client.sent).toHaveLength(1);
  });

  it('retries transient failures, then succeeds', async () => {
    const client = scriptedClient([new VaultFailure('unreachable', 'connection refused'), failureForStatus(503, []), loginOk()]);
    expect(await login(setting, client, options())).toBe('hvs.client');
    expect(client.sent).toHaveLength(3);
  });

  it('gives up after the retries as Vault unavailable', async () => {
    const client = scriptedClient([failureForStatus(502, []), failureForStatus(502, []), failureForStatus(502, [])]);
    const error = await rejected(login(setting, client, options()));
    expect(error).toBeInstanceOf(VaultUnavailableError);
    expect((error as VaultUnavailableError).message).toBe('login failed: HTTP 502');
    expect(client.sent).toHaveLength(3);
  });

  it('retries an answer without a client token', async () => {
    const client = scriptedClient([ok({ auth: null }), loginOk('hvs.second')]);
    expect(await login(setting, client, options())).toBe('hvs.second');
  });
});
