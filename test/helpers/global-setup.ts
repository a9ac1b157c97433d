// vitest globalSetup of the `integration` project: starts the two shared OpenBao dev servers once
// for the whole run (kv1: `secret/` and `team/` are KV v1; kv2: both KV v2), provides their address
// and root token to the tests (see servers.ts), and stops them at the end.

import type { TestProject } from 'vitest/node';
import { startBao } from './bao.ts';
import type { BaoServer } from './bao.ts';
import { KV_SERVERS, TEAM_MOUNT } from './servers.ts';
import type { KvServerName, ProvidedBao } from './servers.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: BaoServer[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((s) => s.stop()));
  };
  try {
    const servers = await Promise.all(
      KV_SERVERS.map(async (descriptor) => {
        const server = await startBao({ kvV1Secret: descriptor.version === 1 });
        started.push(server);
        await server.api.enableKv(TEAM_MOUNT, descriptor.version);
        return [descriptor.name, server] as const;
      }),
    );
    const provided = {} as Record<KvServerName, ProvidedBao>;
    for (const [name, server] of servers) provided[name] = { address: server.address, rootToken: server.rootToken };
    project.provide('baoServers', provided);
  } catch (err) {
    await stopAll();
    throw err;
  }
  return stopAll;
}
