// A run with --supervise: wires the supervisor (supervise/supervisor.ts) to the fetch of the secrets
// (each generation is the run's own all-or-nothing fetch), to a connection for the requests made while
// the program runs (without the start-up deadline), to the exec stage's child, signals and exit
// status, and to the real clock.

import { prepareAuth, type PreparedAuth } from '../auth/prepare.ts';
import { DEFAULTS } from '../config/options.ts';
import type { Config } from '../config/types.ts';
import { ConfigError, EXIT } from '../errors.ts';
import type { ProgramHost } from '../exec/run.ts';
import type { RunningChild } from '../exec/spawn.ts';
import type { Logger } from '../log.ts';
import type { Redactor } from '../redact.ts';
import { realRenewClock } from '../renew/loop.ts';
import { parseOnChange } from '../supervise/decide.ts';
import { supervise, type Generation } from '../supervise/supervisor.ts';
import type { SecretRead } from '../vault/fetch.ts';
import { realClock } from '../vault/clock.ts';
import { prepareConnection } from './connect.ts';

/** What the run's fetch tells a supervised run besides the environment. */
export interface FetchSink {
  onRead(read: SecretRead): void;
  connected(prepared: PreparedAuth, loginToken: string | undefined): void;
}

export interface SuperviseDeps {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  wellKnownTokenFiles: readonly string[];
  log: Logger;
  redactor: Redactor;
  programs: ProgramHost | undefined;
  /** The JavaScript runtime: on Bun, requests go through its own clients. */
  runtime?: 'node' | 'bun' | undefined;
  /** The run's fetch: secrets files → Vault → the program's environment, all or nothing. */
  prepare(sink: FetchSink): Promise<Record<string, string>>;
}

export async function runSupervised(config: Config, deps: SuperviseDeps): Promise<number> {
  const { programs: host, log } = deps;
  if (config.execMode === 'execve') {
    throw new ConfigError('--supervise cannot use exec mode "execve"', {
      input: '--exec-mode / VAULTENV_EXEC_MODE',
      hint: 'with --supervise vaultenv stays the parent of CMD: leave --exec-mode at auto or set it to spawn',
    });
  }
  if (config.mask) {
    // The supervised program's output is not piped through the mask: refused rather than shown unmasked.
    throw new ConfigError('--mask and --supervise cannot be combined', {
      input: '--mask / VAULTENV_MASK',
      hint: 'mask the program\'s output in its log pipeline, or run it without --supervise',
    });
  }
  if (host === undefined) throw new ConfigError('--supervise is not available here', { input: '--supervise', hint: 'run CMD without --supervise' });
  const request = (env: Readonly<Record<string, string>>) => ({
    command: config.command,
    args: config.args,
    env,
    usePath: config.usePath,
    searchPath: deps.env.PATH,
    cwd: deps.cwd,
    mode: 'spawn' as const,
  });

  const first = await fetchGeneration(config, deps);
  let current: RunningChild | undefined;
  let onStop: () => void = () => undefined;
  const stopRelaying = host.relay(
    () => current,
    (signal) => {
      if (signal === 'SIGTERM' || signal === 'SIGINT') onStop();
    },
  );
  let outcome;
  try {
    if (first.generation === undefined) {
      // Nothing read from Vault: nothing to renew or watch, so the program only runs as a child.
      log.info('--supervise: no secret to supervise; running the program as a child');
      current = await host.start(request(first.env));
      outcome = { kind: 'exited' as const, exit: await current.exited };
    } else {
      outcome = await supervise(
        first.generation,
        {
          watchIntervalMs: config.watchIntervalSeconds * 1000,
          onChange: parseOnChange(config.onChange),
          stopTimeoutMs: config.stopTimeoutSeconds * 1000,
          revoke: config.revoke,
          // The renewer's rule and its default fraction, for the token and the leases alike.
          renewFraction: DEFAULTS.renewFraction,
          retryBaseDelayMs: config.retryBaseDelayMs,
          retryAttempts: config.retryAttempts,
        },
        {
          fetch: async () => {
            const again = await fetchGeneration(config, deps);
            if (again.generation === undefined) throw new Error('a fetch that read secrets before read none');
            return again.generation;
          },
          start: async (env) => (current = await host.start(request(env))),
          clock: realRenewClock,
          log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
          secret: (value) => deps.redactor.add(value),
          onStop: (listener) => (onStop = listener),
        },
      );
    }
  } finally {
    // Before the exit status: re-raising the program's signal needs our listeners gone.
    stopRelaying();
  }
  if (outcome.kind === 'changed') return EXIT.secretChanged;
  return host.finish(outcome.exit);
}

/** One fetch of every secret, and the connection to supervise them with (none when nothing was read). */
async function fetchGeneration(config: Config, deps: SuperviseDeps): Promise<{ env: Record<string, string>; generation: Generation | undefined }> {
  const reads: SecretRead[] = [];
  let connection: { prepared: PreparedAuth; loginToken: string | undefined } | undefined;
  const env = await deps.prepare({
    onRead: (read) => reads.push(read),
    connected: (prepared, loginToken) => (connection = { prepared, loginToken }),
  });
  if (connection === undefined) return { env, generation: undefined };
  const { prepared, loginToken } = connection;
  // No start-up deadline while the program runs; instead no request takes longer than an interval, so a
  // Vault that accepts and never answers delays a renewal or a check by about an interval.
  const requestTimeoutMs = Math.min(config.requestTimeoutMs, config.watchIntervalSeconds * 1000);
  const { client } = await prepareConnection(
    { ...config, requestTimeoutMs },
    { env: deps.env, wellKnownTokenFiles: deps.wellKnownTokenFiles, clock: realClock, log: deps.log, redactor: deps.redactor, maxSockets: 2, transport: deps.runtime },
  );
  const token = loginToken ?? (prepared.kind === 'token' ? prepared.token : undefined);
  client.setToken(token);
  let readToken: Generation['readToken'];
  if (loginToken !== undefined) {
    const origin = `the token of the ${prepared.kind === 'login' ? prepared.login.method : ''} login`;
    readToken = () => Promise.resolve({ token: loginToken, origin });
  } else if (token !== undefined) {
    // Read again every cycle, as `vaultenv renew` does: a token file may be replaced.
    readToken = async () => {
      const again = await prepareAuth(config.auth, { env: deps.env, wellKnownTokenFiles: deps.wellKnownTokenFiles });
      if (again.kind !== 'token') return { token: undefined, origin: 'a login' };
      if (again.token !== undefined) deps.redactor.add(again.token);
      return { token: again.token, origin: again.origin };
    };
  }
  return { env, generation: { env, reads, client, readToken, ownToken: loginToken !== undefined } };
}
