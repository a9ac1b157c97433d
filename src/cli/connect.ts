// Opens the connection to Vault for a command (the run and `vaultenv renew`): picks the token source
// (auth/prepare.ts), fills in the address and CA from a kubernetes-vault token file when none is
// configured, reads the TLS files, checks a unix socket, picks an outbound proxy, creates the HTTP
// client, and logs in when a login method is set.

import { requestGithubActionsToken } from '../auth/github-actions-token.ts';
import { prepareAuth, type PreparedAuth } from '../auth/prepare.ts';
import { describeEndpoint, parseAddress } from '../config/address.ts';
import type { ConnectionConfig, FetchConfig } from '../config/types.ts';
import type { Logger } from '../log.ts';
import type { Redactor } from '../redact.ts';
import { createVaultHttp, type QuickRegExps, type VaultHttp, type VaultHttpOptions } from '../vault/http.ts';
import { proxyFor } from '../vault/proxy-route.ts';
import { openTunnel } from '../vault/proxy-tunnel.ts';
import type { SessionClock } from '../vault/clock.ts';
import type { RetryPolicy } from '../vault/retry.ts';
import { readTlsMaterial } from '../vault/tls-files.ts';
import { checkSocket } from '../vault/unix-socket.ts';

export interface ConnectDeps {
  env: Readonly<Record<string, string | undefined>>;
  wellKnownTokenFiles: readonly string[];
  clock: SessionClock;
  log: Logger;
  redactor: Redactor;
  /** 0 means no limit. */
  maxSockets: number;
  /**
   * The run's retries, with its start-up deadline (every request ends by it) and its throttle gate;
   * `vaultenv renew` has neither, and retries in its own loop.
   */
  retry?: RetryPolicy;
  /** Which runtime's clients send the requests (vault/http.ts): Node's unless told otherwise. */
  transport?: 'node' | 'bun' | undefined;
  /** Whether an https:// address is tried over HTTP/2 on the Node transport (vault/http.ts). */
  http2?: boolean;
  quickRegExps?: QuickRegExps | undefined;
}

export interface Connection {
  client: VaultHttp;
  prepared: PreparedAuth;
  /** The token a login returned (undefined for a configured or file token, or none). */
  loginToken: string | undefined;
}

/** Where to connect: the configured address, else a kubernetes-vault token file's vaultAddr. */
function endpoint(config: ConnectionConfig, prepared: PreparedAuth): { host: string; port: number; tls: boolean; socketPath: string | undefined } {
  // A socket speaks plain HTTP, as the Vault CLI does with it: the host is only the Host header.
  if (config.socketPath !== undefined) return { host: 'localhost', port: 80, tls: false, socketPath: config.socketPath };
  if (!config.addressConfigured && prepared.kind === 'token' && prepared.vaultAddr !== undefined) {
    return { ...parseAddress(prepared.vaultAddr, { what: 'vaultAddr', input: `token file ${prepared.tokenFile ?? ''}`.trim() }), socketPath: undefined };
  }
  return { host: config.host, port: config.port, tls: config.tls, socketPath: undefined };
}

/**
 * Whether requests go to an Agent or Proxy that adds its own token (an agent address, or a unix
 * socket) with no credential configured: then no well-known token file is probed, so a developer's
 * ~/.vault-token never reaches a proxy that does not need it.
 */
export function tokenlessByDesign(config: ConnectionConfig): boolean {
  return config.auth.method === 'none' && (config.agentAddress || config.socketPath !== undefined);
}

/** The token files to probe when no credential is configured: none for an Agent or Proxy (tokenlessByDesign). */
export function wellKnownTokenFilesFor(config: ConnectionConfig, wellKnownTokenFiles: readonly string[]): readonly string[] {
  return tokenlessByDesign(config) ? [] : wellKnownTokenFiles;
}

export async function prepareConnection(config: ConnectionConfig, deps: ConnectDeps): Promise<{ client: VaultHttp; prepared: PreparedAuth }> {
  if (tokenlessByDesign(config)) {
    deps.log.info(
      `no credential configured and ${config.socketPath !== undefined ? 'the address is a unix socket' : 'the address is an agent address'}: ` +
        'requests go without a token for the Agent or Proxy to add its own; ~/.vault-token and the kubernetes-vault token file are not read',
    );
  }
  const prepared = await prepareAuth(config.auth, { env: deps.env, wellKnownTokenFiles: wellKnownTokenFilesFor(config, deps.wellKnownTokenFiles) });
  if (prepared.kind === 'token' && prepared.token !== undefined) deps.redactor.add(prepared.token);
  if (prepared.kind === 'token' && prepared.tokenFileReadableByOthers !== undefined) {
    // Not a failure: Kubernetes projects volume files with mode 0644 unless told otherwise.
    const mode = prepared.tokenFileReadableByOthers.toString(8).padStart(4, '0');
    deps.log.info(`token file ${prepared.tokenFile ?? ''} is readable by other users (mode ${mode}): chmod 600 where you can (in Kubernetes, the volume's defaultMode)`);
  }
  const { host, port, tls, socketPath } = endpoint(config, prepared);
  const caFromTokenFile = config.caCert === undefined && config.caPath === undefined && prepared.kind === 'token' ? prepared.caFile : undefined;
  const material = readTlsMaterial({
    caCert: config.caCert ?? caFromTokenFile,
    caPath: config.caPath,
    clientCert: config.clientCert,
    clientKey: config.clientKey,
  });
  if (socketPath !== undefined) await checkSocket(socketPath);
  const tunnel = socketPath === undefined ? proxyTunnel({ host, port, tls }, config.requestTimeoutMs, deps) : undefined;
  const where = describeEndpoint({ host, port, tls, socketPath, agentAddress: config.agentAddress });
  deps.log.info(`vault ${where}; credential: ${prepared.kind === 'login' ? `${prepared.login.method} login` : prepared.origin}`);
  const client = createVaultHttp({
    socketPath,
    tunnel,
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
    http2: deps.http2,
    quickRegExps: deps.quickRegExps,
    now: () => deps.clock.now(),
    log: (message) => deps.log.info(message),
  });
  return { client, prepared };
}

/** The tunnel through the outbound proxy the environment names for this address (proxy-route.ts), if any. */
function proxyTunnel(target: { host: string; port: number; tls: boolean }, timeoutMs: number, deps: ConnectDeps): VaultHttpOptions['tunnel'] {
  const route = proxyFor(target, deps.env);
  if (route === undefined) return undefined;
  // The proxy's password is a credential like the token: no line may show it.
  if (route.password !== undefined) deps.redactor.add(route.password);
  deps.log.info(
    `through the proxy ${route.host}:${route.port} (${route.variable}), in a CONNECT tunnel` +
      (target.tls ? '' : ': plain http, so the token crosses the proxy unencrypted inside the tunnel; use https://'),
  );
  return (host, port) => openTunnel(route, host, port, Math.min(timeoutMs, deps.retry?.deadline?.remainingMs() ?? Infinity));
}

/** prepareConnection, then the login if one is configured. */
export async function connect(config: FetchConfig, deps: ConnectDeps): Promise<Connection> {
  const { client, prepared } = await prepareConnection(config, deps);
  if (prepared.kind !== 'login') return { client, prepared, loginToken: undefined };
  try {
    deps.log.info(`logging in with ${prepared.login.method} auth`);
    // Loaded for a login alone: it checks Vault's answers with zod (vault/answers.ts), whose module a
    // run with a token never loads.
    const { login } = await import('../auth/login.ts');
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
          transport: deps.transport,
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
