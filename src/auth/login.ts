// vaultenv's login methods: Kubernetes (a service-account JWT), GitHub (a personal access token),
// AppRole (a role ID and a secret ID from a file, possibly response-wrapped) and JWT (a signed JWT
// from a file or a variable). Each is a POST to /v1/auth/<mount>/login that answers a client token.
// A refused login is an AuthError answered once (vaultenv 0.19 retries it nine times and calls it an
// "Internal Vault error"). Messages carry Vault's error strings, never a credential or a request body.

import { AuthError } from '../errors.ts';
import { DEFAULTS } from '../config/options.ts';
import type { AuthSetting } from '../config/types.ts';
import { TOKEN_CHARACTERS, loginClientToken, secretId, wrappingToken } from '../vault/answers.ts';
import { VaultFailure, describeVaultErrors, isRefusal, unavailableError } from '../vault/failure.ts';
import type { VaultHttp } from '../vault/http.ts';
import { encodeSegments, normalizeMount, parseJson } from '../vault/kv.ts';
import type { RetryClock } from '../vault/clock.ts';
import { withRetries, type RetryPolicy } from '../vault/retry.ts';
import { readCredentialFile, readError } from './token-file.ts';


export type LoginSetting = Extract<AuthSetting, { method: 'kubernetes' | 'github' | 'approle' | 'jwt' }>;

export interface LoginOptions {
  /** The auth method's mount; undefined means the method's name (kubernetes, github, approle, jwt). */
  backend: string | undefined;
  retry: RetryPolicy;
  clock: RetryClock;
  /** The process environment: a JWT given as `{ env: NAME }` is read from it. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads a credential file (the Kubernetes or JWT token, the secret-ID file); tests inject one. Default: readCredentialFile. */
  readFile?: (path: string) => Promise<string>;
  /**
   * Called with each credential as soon as it is read (a JWT, a secret ID, a wrapping token), before
   * it is sent: the caller registers it with the redactor, since Vault's error strings, which the
   * messages quote, could echo it.
   */
  onCredential?: (value: string) => void;
  /**
   * Asks GitHub Actions for the job's ID token, for a JWT login whose source is `githubActions`
   * (github-actions-token.ts, with the run's timeouts and retries).
   */
  githubActionsToken?: (audience: string | undefined) => Promise<string>;
}

export type SecretIdFile = { kind: 'secret-id'; secretId: string } | { kind: 'wrapped'; wrappingToken: string };

const WRAPPED_USED = 'the wrapped secret ID was already used or has expired';

/** Logs in and returns the client token. */
export async function login(setting: LoginSetting, client: VaultHttp, options: LoginOptions): Promise<string> {
  const backend = normalizeMount(options.backend ?? setting.method);
  const path = `/v1/auth/${encodeSegments(backend)}/login`;
  const input = `${setting.method} login at auth/${backend}`;
  const body = await loginBody(setting, client, options);
  try {
    return await withRetries(
      async () => {
        const response = await client.request('POST', path, { body });
        const token = loginClientToken(parseJson(response.body));
        if (token === undefined) throw new VaultFailure('bad-response', 'login answer has no client token');
        return token;
      },
      options.retry,
      options.clock,
    );
  } catch (error) {
    if (!(error instanceof VaultFailure)) throw error;
    if (isRefusal(error.kind)) throw new AuthError(`login refused (${error.detail})${describeVaultErrors(error)}`, { input, hint: REFUSED_HINTS[setting.method] });
    throw unavailableError('login failed', error, input);
  }
}

const REFUSED_HINTS: Record<LoginSetting['method'], string> = {
  kubernetes: 'check the role name, the auth mount (--auth-backend) and that the role binds this service account',
  github: 'check the GitHub token, its read:org scope and the auth mount (--auth-backend)',
  approle: 'check the role ID, that the secret ID is still valid (not used up, not expired) and the auth mount (--auth-backend)',
  jwt: "check the role name, the JWT (signature, expiry, audience and the role's bound claims) and the auth mount (--auth-backend)",
};

async function loginBody(setting: LoginSetting, client: VaultHttp, options: LoginOptions): Promise<Record<string, string>> {
  switch (setting.method) {
    case 'kubernetes':
      return { role: setting.role, jwt: await readJwtFile(setting.jwtPath, 'Kubernetes service-account token', options) };
    case 'github':
      return { token: setting.token };
    case 'approle': {
      const text = await readCredentialText(setting.secretIdFile, 'secret ID file', options);
      const file = parseSecretIdFile(text, setting.secretIdFile, setting.secretIdWrapped);
      options.onCredential?.(file.kind === 'wrapped' ? file.wrappingToken : file.secretId);
      const secretId = file.kind === 'wrapped' ? await unwrapSecretId(file.wrappingToken, setting.secretIdFile, client, options) : file.secretId;
      if (file.kind === 'wrapped') options.onCredential?.(secretId);
      return { role_id: setting.roleId, secret_id: secretId };
    }
    case 'jwt':
      return { role: setting.role, jwt: await jwtOf(setting.jwt, options) };
  }
}

async function jwtOf(source: Extract<LoginSetting, { method: 'jwt' }>['jwt'], options: LoginOptions): Promise<string> {
  if ('file' in source) return readJwtFile(source.file, 'JWT file', options);
  if ('githubActions' in source) {
    if (options.githubActionsToken === undefined) throw new Error('a GitHub Actions JWT source without a way to ask for the token');
    const jwt = await options.githubActionsToken(source.githubActions.audience);
    reportJwt(jwt, options);
    return jwt;
  }
  const value = options.env?.[source.env]?.trim();
  if (value === undefined || value === '') {
    throw new AuthError(`the JWT variable is ${value === undefined ? 'not set' : 'empty'}`, {
      input: `environment variable ${source.env}`,
      hint: 'set it to the JWT (your CI system can issue one), or give a JWT file',
    });
  }
  reportJwt(value, options);
  return value;
}

/** A JWT, and each of its segments: Vault could echo one segment (the claims) without the rest. */
function reportJwt(jwt: string, options: LoginOptions): void {
  options.onCredential?.(jwt);
  for (const segment of jwt.split('.')) if (segment.length >= MIN_REPORTED_SEGMENT && segment !== jwt) options.onCredential?.(segment);
}

/** Shorter JWT segments (an empty signature) are not worth redacting from every line. */
const MIN_REPORTED_SEGMENT = 16;

async function readCredentialText(path: string, what: string, options: LoginOptions): Promise<string> {
  const { readFile } = options;
  const read = readFile === undefined ? readCredentialFile(path, what) : readFile(path).catch((error: unknown) => Promise.reject(readError(what, path, error)));
  try {
    return await read;
  } catch (error) {
    if (error instanceof AuthError && path === DEFAULTS.kubernetesJwtFile && error.message.endsWith('not found')) {
      throw new AuthError(error.message, { input: path, hint: 'run inside a pod with a mounted service-account token, or use another way to authenticate' });
    }
    throw error;
  }
}

/** A JWT file (the Kubernetes service-account token, a CI JWT): trimmed, non-empty, reported as a credential. */
async function readJwtFile(path: string, what: string, options: LoginOptions): Promise<string> {
  const value = (await readCredentialText(path, what, options)).trim();
  if (value === '') throw new AuthError(`the ${what} is empty`, { input: path, hint: 'check what writes this file' });
  reportJwt(value, options);
  return value;
}

/**
 * What a secret-ID file holds: a secret ID, or a response-wrapping token for one. It is wrapped when
 * the setting says so, or when the file is a wrap-info JSON (`{"token": …}` or `{"wrap_info": {"token": …}}`,
 * what `vault write -wrap-ttl=… -format=json` prints); `{"data": {"secret_id": …}}` is a plain one.
 */
export function parseSecretIdFile(text: string, path: string, wrapped: boolean): SecretIdFile {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  const malformed = (problem: string) =>
    new AuthError('malformed secret ID file', {
      input: path,
      hint: `${problem}; it holds a secret ID, a response-wrapping token, or the JSON Vault answers when it creates either`,
    });
  if (trimmed === '') throw malformed('the file is empty');
  if (trimmed.startsWith('{')) {
    const json = parseJson(trimmed);
    const token = wrappingToken(json);
    if (token !== undefined) {
      if (!TOKEN_CHARACTERS.test(token)) throw malformed('the wrapping token is empty or contains spaces');
      return { kind: 'wrapped', wrappingToken: token };
    }
    const plain = secretId(json);
    if (plain !== undefined) return { kind: 'secret-id', secretId: plain };
    throw malformed(json === undefined ? 'the file looks like JSON but does not parse' : 'the JSON has no "token", "wrap_info.token" or "data.secret_id"');
  }
  if (/[\r\n]/.test(trimmed)) throw malformed('the file has several lines');
  if (wrapped) {
    if (!TOKEN_CHARACTERS.test(trimmed)) throw malformed('the wrapping token contains spaces or control characters');
    return { kind: 'wrapped', wrappingToken: trimmed };
  }
  return { kind: 'secret-id', secretId: trimmed };
}

/**
 * POST sys/wrapping/unwrap authenticated by the wrapping token alone, then clear it: the login that
 * follows is sent without a token, and the caller sets the client token it answers.
 */
async function unwrapSecretId(wrappingToken: string, file: string, client: VaultHttp, options: LoginOptions): Promise<string> {
  const input = `unwrapping the secret ID of ${file}`;
  let body: string;
  client.setToken(wrappingToken);
  try {
    body = (await withRetries(() => client.request('POST', '/v1/sys/wrapping/unwrap'), options.retry, options.clock)).body;
  } catch (error) {
    throw unwrapError(error, input);
  } finally {
    client.setToken(undefined);
  }
  const unwrapped = secretId(parseJson(body));
  if (unwrapped === undefined) {
    throw new AuthError('the wrapped response holds no secret ID', {
      input,
      hint: 'wrap the answer of auth/approle/role/<role>/secret-id (X-Vault-Wrap-TTL), not another response',
    });
  }
  return unwrapped;
}

function unwrapError(error: unknown, input: string): unknown {
  if (!(error instanceof VaultFailure)) return error;
  switch (error.kind) {
    case 'bad-request':
    case 'unauthorized':
    case 'forbidden':
      // Vault answers 400 "wrapping token is not valid or does not exist" for a used, expired or unknown one.
      return new AuthError(WRAPPED_USED, {
        input,
        hint: `a response-wrapped secret ID works once and only until its wrap TTL ends; get a fresh one${describeVaultErrors(error)}`,
      });
    default:
      return unavailableError('unwrapping the secret ID failed', error, input);
  }
}
