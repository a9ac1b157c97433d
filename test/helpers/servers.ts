// The two shared OpenBao dev servers of the integration run, as tests see them. global-setup.ts
// starts them once (vitest globalSetup) and provides their address and root token; tests call
// kvServer(1) / kvServer(2). Both servers are shared by every test file and worker: seed under a
// unique path (uniqueName) and never remount `secret/` or `team/`.

import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createBaoApi } from './bao.ts';
import type { BaoApi, KvVersion } from './bao.ts';

/** The extra mount on each server, of the same KV version as its `secret/` (for `MOUNT team` secrets files). */
export const TEAM_MOUNT = 'team';

export const KV_SERVERS = [
  { name: 'kv1', version: 1, mounts: ['secret', TEAM_MOUNT] },
  { name: 'kv2', version: 2, mounts: ['secret', TEAM_MOUNT] },
] as const;

export type KvServerName = (typeof KV_SERVERS)[number]['name'];

export interface ProvidedBao {
  address: string;
  rootToken: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Address and root token of each shared dev server (set by test/helpers/global-setup.ts). */
    baoServers: Record<KvServerName, ProvidedBao>;
  }
}

export interface KvServer {
  name: KvServerName;
  /** KV version of both `secret/` and `team/` on this server. */
  version: KvVersion;
  address: string;
  rootToken: string;
  /** Root-token API client. */
  api: BaoApi;
}

/** The shared server whose `secret/` and `team/` mounts are KV `version`. */
export function kvServer(version: KvVersion): KvServer {
  const descriptor = KV_SERVERS.find((s) => s.version === version);
  if (descriptor === undefined) throw new Error(`no shared server for KV v${String(version)}`);
  const provided = inject('baoServers')[descriptor.name];
  return {
    name: descriptor.name,
    version,
    address: provided.address,
    rootToken: provided.rootToken,
    api: createBaoApi(provided.address, provided.rootToken),
  };
}

/** A name no other test uses, for secret paths, policies and mounts on the shared servers. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}
