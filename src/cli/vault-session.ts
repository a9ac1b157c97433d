// One session with Vault for a command that fetches secrets (the run, check, export): the start-up
// deadline and the throttle gate, the connection and the login (connect.ts), the fetch the command
// asks for, and then the revocation of the token a login created, unless it is handed on
// (--export-token) or kept (--no-revoke-token). Each command shares it, so none has its own way to Vault.

import { revokeOwnToken } from '../auth/revoke.ts';
import { defaultWellKnownTokenFiles, type PreparedAuth } from '../auth/prepare.ts';
import type { FetchConfig } from '../config/types.ts';
import type { Logger } from '../log.ts';
import type { Redactor } from '../redact.ts';
import { distinctSecrets, type SecretRef } from '../secrets-file/secret-ref.ts';
import { createDeadline } from '../vault/deadline.ts';
import type { FetchOptions } from '../vault/fetch.ts';
import type { QuickRegExps, VaultHttp } from '../vault/http.ts';
import { realClock, type SessionClock } from '../vault/clock.ts';
import { ThrottleGate } from '../vault/throttle.ts';
import { connect } from './connect.ts';

export interface SessionDeps {
  env: Readonly<Record<string, string | undefined>>;
  wellKnownTokenFiles?: readonly string[] | undefined;
  clock?: SessionClock | undefined;
  log: Logger;
  redactor: Redactor;
  /** The JavaScript runtime: on Bun, requests go through its own clients, its fastest. */
  runtime?: 'node' | 'bun' | undefined;
  /**
   * How many distinct secrets the command reads, when it knows (see HTTP2_FROM_SECRETS). Counted only
   * where the answer is used (on Node), not by every run of a long file.
   */
  secretCount?: (() => number) | undefined;
  quickRegExps?: QuickRegExps | undefined;
}

/** What the run, check and export pass on to their session of main's dependencies (main.ts MainDeps). */
export type RuntimeDeps = Pick<SessionDeps, 'wellKnownTokenFiles' | 'clock' | 'runtime' | 'quickRegExps'>;

/** The session of a command that reads `refs`: main's runtime dependencies, the command's log and redactor. */
export function commandSession(
  deps: RuntimeDeps,
  env: SessionDeps['env'],
  log: Logger,
  redactor: Redactor,
  refs: readonly SecretRef[],
): SessionDeps {
  return {
    env,
    wellKnownTokenFiles: deps.wellKnownTokenFiles,
    clock: deps.clock,
    log,
    redactor,
    runtime: deps.runtime,
    quickRegExps: deps.quickRegExps,
    secretCount: () => distinctSecrets(refs),
  };
}

/**
 * With --http2, on Node over TLS, HTTP/2 carries every request on one connection, where HTTP/1.1
 * opens one per request in flight, each with its own handshake. But node:http2 takes longer to load
 * than one handshake takes: a single secret (its mount lookup, then its read, one after the other,
 * on one connection) is read sooner over HTTP/1.1. And each of its streams costs Node more than a
 * request of the socket transport, so without the option HTTP/1.1 is used: the handshakes HTTP/2
 * saves run side by side, and are worth less than that from a few dozen secrets on, even from a
 * server 12 ms away. docs/bench.md has the numbers.
 */
export const HTTP2_FROM_SECRETS = 2;

export interface Session {
  client: VaultHttp;
  /** The credential the session uses: a token (and where it came from) or a login. */
  prepared: PreparedAuth;
  /** The fetch options of this session: its retries, deadline, gate and whether a token is sent. */
  fetchOptions: FetchOptions;
  /** The token a login created (undefined for a configured or file token). */
  loginToken: string | undefined;
}

/**
 * Runs `use` with a connected session, then revokes a login's token unless `keepToken` (the
 * command hands it on) or --no-revoke-token says to keep it. A failed revocation is a warning.
 */
export async function withVaultSession<T>(
  config: FetchConfig,
  deps: SessionDeps,
  keepToken: boolean,
  use: (session: Session) => Promise<T>,
): Promise<T> {
  const clock = deps.clock ?? realClock;
  // Everything asked of Vault ends by one deadline (login, mount lookups, reads, retries), and waits
  // out a rate limit together.
  const retry = {
    baseDelayMs: config.retryBaseDelayMs,
    retries: config.retryAttempts,
    deadline: createDeadline(config.deadlineSeconds * 1000, () => clock.now()),
    gate: new ThrottleGate({ sleep: (ms, signal) => clock.sleep(ms, signal), now: () => clock.now() }),
  };
  try {
    const { client, prepared, loginToken } = await connect(config, {
      env: deps.env,
      wellKnownTokenFiles: deps.wellKnownTokenFiles ?? defaultWellKnownTokenFiles(deps.env),
      clock,
      log: deps.log,
      redactor: deps.redactor,
      maxSockets: config.maxConcurrentRequests,
      retry,
      // Bun's own clients are its fastest; its node:http is a layer over its fetch.
      transport: deps.runtime,
      quickRegExps: deps.quickRegExps,
      http2: config.http2 && deps.runtime !== 'bun' && (deps.secretCount?.() ?? HTTP2_FROM_SECRETS) >= HTTP2_FROM_SECRETS,
    });
    let succeeded = false;
    try {
      const result = await use({
        client,
        prepared,
        loginToken,
        fetchOptions: {
          kvVersion: config.kvVersion,
          concurrency: config.maxConcurrentRequests,
          retry,
          clock,
          log: (message) => deps.log.info(message),
          hasToken: prepared.kind === 'login' || prepared.token !== undefined,
        },
      });
      succeeded = true;
      return result;
    } finally {
      // Revoked also when the command failed: the token is of no more use. Only a command that
      // succeeded warns about a failed revocation: a failed one has its own error to report.
      if (loginToken !== undefined && !keepToken && config.revokeToken) {
        const failed = await revokeOwnToken(client);
        if (failed === undefined) deps.log.info('revoked the token of the login');
        else if (succeeded) deps.log.warn(`could not revoke the token of the login (auth/token/revoke-self: ${failed}); it expires by its TTL`);
      }
      client.close();
    }
  } finally {
    // A rate limit's wait that is still running (the command failed meanwhile) must not hold the process.
    retry.gate.dispose();
  }
}
