// A real OpenBao Proxy (`bao proxy`, the same binary as the dev servers) in front of a dev server, as
// a pod's sidecar runs it: auto-auth from a token file, `use_auto_auth_token = "force"` so it adds
// its own token to every request, a unix-socket listener and a TCP listener (no TLS). Runs under the
// same watchdog as the servers (bao.ts), so it dies with the test process.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WATCHDOG, findBaoBinary, httpRequest, trackGroup } from './bao.ts';
import { freePort } from './ports.ts';

export interface BaoProxy {
  /** `unix:///…/proxy.sock` */
  readonly socketAddress: string;
  readonly socketPath: string;
  /** `http://127.0.0.1:<port>` */
  readonly tcpAddress: string;
  readonly logFile: string;
  /** Stops the proxy: SIGTERM lets it remove its socket; SIGKILL leaves the socket file behind, with nobody listening. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 2_000;

/** Starts `bao proxy` in front of `vaultAddress`, logging in with `token` (auto-auth method token_file). */
export async function startBaoProxy(vaultAddress: string, token: string): Promise<BaoProxy> {
  // A short directory: a unix socket's path must fit in 107 bytes.
  const dir = mkdtempSync(path.join(tmpdir(), 'vbp-'));
  const socketPath = path.join(dir, 'proxy.sock');
  const tokenFile = path.join(dir, 'token');
  const configFile = path.join(dir, 'proxy.hcl');
  const logFile = path.join(dir, 'proxy.log');
  const pidFile = path.join(dir, 'proxy.pid');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const port = await freePort();
  writeFileSync(
    configFile,
    [
      `vault {\n  address = "${vaultAddress}"\n}`,
      `auto_auth {\n  method "token_file" {\n    config = {\n      token_file_path = "${tokenFile}"\n    }\n  }\n}`,
      'api_proxy {\n  use_auto_auth_token = "force"\n}',
      `listener "unix" {\n  address = "${socketPath}"\n  tls_disable = true\n}`,
      `listener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n}`,
    ].join('\n'),
  );
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', WATCHDOG, 'bao-proxy-watchdog', pidFile, findBaoBinary(), 'proxy', `-config=${configFile}`], {
      detached: true,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
      stdio: ['ignore', logFd, logFd, 'pipe'],
    });
  } finally {
    closeSync(logFd);
  }
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  if (child.pid !== undefined) trackGroup(child.pid);
  child.unref();
  (child.stdio[3] as unknown as { unref?: () => void } | null)?.unref?.();

  const tcpAddress = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`bao proxy exited during startup\n${readFileSync(logFile, 'utf8')}`);
    const ready = existsSync(socketPath) && (await httpRequest(`${tcpAddress}/v1/sys/health`, { timeoutMs: 1_000 }).then((r) => r.status === 200, () => false));
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`bao proxy not ready after ${START_TIMEOUT_MS} ms\n${readFileSync(logFile, 'utf8')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  return {
    socketAddress: `unix://${socketPath}`,
    socketPath,
    tcpAddress,
    logFile,
    async stop(signal = 'SIGTERM') {
      if (exited) return;
      child.ref();
      // SIGKILL goes to bao itself (the watchdog would only forward TERM); the watchdog then exits too.
      const target = signal === 'SIGKILL' ? Number(readFileSync(pidFile, 'utf8').trim()) : child.pid;
      if (target !== undefined) process.kill(target, signal);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exit, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
      clearTimeout(timer);
      if (!exited && child.pid !== undefined) {
        process.kill(-child.pid, 'SIGKILL');
        await exit;
      }
    },
  };
}

/** Removes the proxy's directory (its socket, token file and log) once it is stopped. */
export function removeProxyDir(proxy: BaoProxy): void {
  rmSync(path.dirname(proxy.socketPath), { recursive: true, force: true });
}
