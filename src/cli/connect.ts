// Opens the connection to Vault for a command (the run and `vaultenv renew`): picks the token source
// (auth/prepare.ts), fills in the address and CA from a kubernetes-vault token file when none is
// configured, reads the TLS files, creates the HTTP client, and logs in when a login method is set.

import { requestGithubActionsToken } from '../auth/github-actions-token.ts';
import { login } from '../auth/login.ts';
import { prepareAuth, type PreparedAuth } from '../auth/prepare.ts';
import { parseAddress } from '../config/address.ts';
import type { ConnectionConfig, FetchConfig } from '../config/types.ts';
import type { Logger } from '../log.ts';
import type { Redactor } from '../redact.ts';
import { createVaultHttp, type VaultHttp } from '../vault/http.ts';
import type { RetryClock, RetryPolicy } from '../vault/retry.ts';
import { readTlsMaterial } from '../vault/tls-files.ts';

export interface ConnectDeps {
  env: Readonly<Record<string, string | undefined>>;
  wellKnownTokenFiles: readonly string[];
  clock: RetryClock;
  log: Logger;
  redactor: Redactor;
  /** 0 means no limit. */
  maxSockets: number;
  /**
   * The run's retries, with its start-up deadline (every request ends by it) and its throttle gate;
   * `vaultenv renew` has neither, and retries in its own loop.
   */
  retry?: RetryPolicy;
  /** How requests are sent (vault/http.ts): Node's http modules unless told otherwise. */
  transport?: 'node' | 'fetch';
}

export interface Connection {
  client: VaultHttp;
  prepared: PreparedAuth;
  /** The token a login returned (undefined for a configured or file token, or none). */
  loginToken: string | undefined;
}

/** Where to connect: the configured address, else a kubernetes-vault token file's vaultAddr. */
function endpoint(config: ConnectionConfig, prepared: PreparedAuth): { host: string; port: number; tls: boolean } {
  if (!config.addressConfigured && prepared.kind === 'token' && prepared.vaultAddr !== undefined) {
    return parseAddress(prepared.vaultAddr, { what: 'vaultAddr', input: `token file ${prepared.tokenFile ?? ''}`.trim() });
  }
  return { host: config.host, port: config.port, tls: config.tls };
}

export async function prepareConnection(config: ConnectionConfig, deps: ConnectDeps): Promise<{ client: VaultHttp; prepared: PreparedAuth }> {
  const prepared = await prepareAuth(config.auth, { env: deps.env, wellKnownTokenFiles: deps.wellKnownTokenFiles });
  if (prepared.kind === 'token' && prepared.token !== undefined) deps.redactor.add(prepared.token);
  if (prepared.kind === 'token' && prepared.tokenFileReadableByOthers !== undefined) {
    // Not a failure: Kubernetes projects volume files with mode 0644 unless told otherwise.
    const mode = prepared.tokenFileReadableByOthers.toString(8).padStart(4, '0');
    deps.log.info(`token file ${prepared.tokenFile ?? ''} is readable by other users (mode ${mode}): chmod 600 where you can (in Kubernetes, the volume's defaultMode)`);
  }
  const { host, port, tls } = endpoint(config, prepared);
  const caFromTokenFile = config.caCert === undefined && config.caPath === undefined && prepared.kind === 'token' ? prepared.caFile : undefined;
  const material = await readTlsMaterial({
    caCert: config.caCert ?? caFromTokenFile,
    caPath: config.caPath,
    clientCert: config.clientCert,
    clientKey: config.clientKey,
  });
  deps.log.info(`vault ${tls ? 'https' : 'http'}://${host}:${port}; credential: ${prepared.kind === 'login' ? `${prepared.login.method} login` : prepared.origin}`);
  const client = createVaultHttp({
    host,
    port,
    tls,
    validateCerts: config.validateCerts,
    token: prepared.kind === 'token' ? prepared.token : undefined,
    timeoutMs: config.requestTimeoutMs,
    maxSockets: deps.maxSockets,
    ca: material.ca,
    clientCert: material.clientCert,
    clientKey: material.clientKey,
    serverName: config.tlsServerName,
    namespace: config.namespace,
    deadline: deps.retry?.deadline,
    transport: deps.transport,
  });
  return { client, prepared };
}

/** prepareConnection, then the login if one is configured. */
export async function connect(config: FetchConfig, deps: ConnectDeps): Promise<Connection> {
  const { client, prepared } = await prepareConnection(config, deps);
  if (prepared.kind !== 'login') return { client, prepared, loginToken: undefined };
  try {
    deps.log.info(`logging in with ${prepared.login.method} auth`);
    const token = await login(prepared.login, client, {
      backend: config.authBackend,
      retry: deps.retry ?? { baseDelayMs: config.retryBaseDelayMs, retries: config.retryAttempts },
      clock: deps.clock,
      env: deps.env,
      // Vault's error strings are quoted in messages: a server that echoed a credential must not show it.
      onCredential: (value) => deps.redactor.add(value),
      githubActionsToken: (audience) => {
        deps.log.info(`asking GitHub Actions for the job's ID token${audience === undefined ? '' : ` (audience ${audience})`}`);
        return requestGithubActionsToken(audience, {
          env: deps.env,
          timeoutMs: config.requestTimeoutMs,
          retry: deps.retry ?? { baseDelayMs: config.retryBaseDelayMs, retries: config.retryAttempts },
          clock: deps.clock,
          onCredential: (value) => deps.redactor.add(value),
        });
      },
    });
    deps.redactor.add(token);
    client.setToken(token);
    deps.log.info('login succeeded');
    return { client, prepared, loginToken: token };
  } catch (error) {
    client.close();
    throw error;
  }
}
