// `vaultenv renew`: the token-renewer sidecar, a container beside the program's that keeps alive the
// token of a shared token file (one that kubernetes-vault's init container writes, say). Wires the
// renew loop (renew/loop.ts) to the connection (connect.ts), the real clock and SIGTERM/SIGINT.

import { prepareAuth } from '../auth/prepare.ts';
import type { RenewConfig } from '../config/types.ts';
import type { Logger } from '../log.ts';
import type { Redactor } from '../redact.ts';
import { realRenewClock, runRenewer } from '../renew/loop.ts';
import { realClock } from '../vault/clock.ts';
import { prepareConnection, wellKnownTokenFilesFor } from './connect.ts';

export interface RenewCommandDeps {
  env: Readonly<Record<string, string | undefined>>;
  wellKnownTokenFiles: readonly string[];
  log: Logger;
  redactor: Redactor;
  /** Aborted on SIGTERM/SIGINT. */
  signal: AbortSignal;
  /** The JavaScript runtime: on Bun, requests go through its own clients. */
  runtime?: 'node' | 'bun' | undefined;
}

export async function runRenewCommand(config: RenewConfig, deps: RenewCommandDeps): Promise<void> {
  // The renewer has no start-up deadline (it runs as long as the program beside it). Instead no request
  // takes longer than the interval: a Vault that accepts and never answers delays a check by about an
  // interval, not by --request-timeout-milliseconds, and the loop logs it and tries again.
  const requestTimeoutMs = Math.min(config.requestTimeoutMs, config.renewIntervalSeconds * 1000);
  const { client } = await prepareConnection({ ...config, requestTimeoutMs }, { ...deps, clock: realClock, maxSockets: 1, transport: deps.runtime });
  try {
    const { renewIntervalSeconds, renewOnce, renewFraction, retryBaseDelayMs, retryAttempts } = config;
    const loop = { intervalMs: renewIntervalSeconds * 1000, once: renewOnce, renewFraction, retryBaseDelayMs, retryAttempts };
    await runRenewer(loop, {
      client,
      // Re-read every cycle, so a token file replaced by whoever writes it (kubernetes-vault's init
      // container, a Vault Agent) is picked up.
      readToken: async () => {
        const again = await prepareAuth(config.auth, { env: deps.env, wellKnownTokenFiles: wellKnownTokenFilesFor(config, deps.wellKnownTokenFiles) });
        // The login options are run-only (config/options.ts), so renew's auth is none, a token or a
        // token file. This narrows the type; were it ever a login, the loop ends with "no token to renew".
        if (again.kind !== 'token') return { token: undefined, origin: `${again.login.method} login` };
        if (again.token !== undefined) deps.redactor.add(again.token);
        return { token: again.token, origin: again.origin };
      },
      clock: realRenewClock,
      log: { info: (m) => deps.log.info(m), warn: (m) => deps.log.warn(m) },
      signal: deps.signal,
    });
  } finally {
    client.close();
  }
}
