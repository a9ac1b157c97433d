// The unix socket of a `unix:///path` address, checked once before the first request: a path that
// does not exist or is not a socket is a mistake in the address or the pod (the volume is not
// shared), which no retry fixes, so it fails at once. A socket nobody listens on is a stopped Agent
// or Proxy: its requests fail as refused connections and are retried until the deadline.

import fsp from 'node:fs/promises';
import { VaultUnavailableError, errorCode } from '../errors.ts';

const HINT =
  'check the path in the address, and that the Vault Agent or OpenBao Proxy runs and shares its socket with this container ' +
  '(in Kubernetes, the same emptyDir volume mounted in both)';

/** Throws a VaultUnavailableError unless `path` is a unix socket. */
export async function checkSocket(path: string): Promise<void> {
  const input = `unix://${path}`;
  let isSocket: boolean;
  try {
    isSocket = (await fsp.stat(path)).isSocket();
  } catch (error) {
    const code = errorCode(error);
    const problem = code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : code === 'EACCES' ? 'cannot be reached (permission denied)' : `cannot be looked at (${code ?? 'unknown error'})`;
    throw new VaultUnavailableError(`the unix socket ${problem}`, { input, hint: HINT });
  }
  if (!isSocket) throw new VaultUnavailableError('the path of the unix socket is not a socket', { input, hint: HINT });
}
