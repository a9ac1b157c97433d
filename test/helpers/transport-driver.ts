// Runs requests through the project's Vault HTTP client with a given transport and reports each
// outcome as plain data, so one scenario can be checked alike on every transport: in the test's own
// process (Node's http modules), and under Bun (Bun's fetch), which runs this file as a program:
//   bun test/helpers/transport-driver.ts '<Exercise as JSON>'   → prints the Outcome[] as JSON

import { readFileSync } from 'node:fs';
import { VaultFailure } from '../../src/vault/failure.ts';
import { createVaultHttp, type VaultHttpOptions } from '../../src/vault/http.ts';

export interface Exercise {
  options: Omit<VaultHttpOptions, 'deadline' | 'ca'> & { caFile?: string };
  /**
   * `cancelAfterMs`: the caller cancels the request that long after sending it (0: before).
   * `pauseBeforeMs`: the client stays idle that long before sending it.
   */
  requests: Array<{ method: 'GET' | 'POST' | 'PUT'; path: string; body?: unknown; cancelAfterMs?: number; pauseBeforeMs?: number }>;
}

export type Outcome =
  | { status: number; body: string; sent: number }
  | { kind: string; detail: string; input: string | undefined; retryAfterMs: number | undefined; sent: number };

/** Sends the requests one after another on one client, as a run does. */
export async function exercise({ options, requests }: Exercise): Promise<Outcome[]> {
  const { caFile, ...rest } = options;
  const client = createVaultHttp({ ...rest, ...(caFile !== undefined ? { ca: readFileSync(caFile, 'utf8') } : {}) });
  const outcomes: Outcome[] = [];
  try {
    for (const { method, path, body, cancelAfterMs, pauseBeforeMs } of requests) {
      if (pauseBeforeMs !== undefined) await new Promise((resolve) => setTimeout(resolve, pauseBeforeMs));
      const cancel = new AbortController();
      if (cancelAfterMs === 0) cancel.abort();
      const timer = cancelAfterMs === undefined ? undefined : setTimeout(() => cancel.abort(), cancelAfterMs);
      try {
        const response = await client.request(method, path, { signal: cancel.signal, ...(body === undefined ? {} : { body }) });
        outcomes.push({ status: response.status, body: response.body, sent: client.requestsSent });
      } catch (error) {
        if (!(error instanceof VaultFailure)) throw error;
        outcomes.push({ kind: error.kind, detail: error.detail, input: error.input, retryAfterMs: error.retryAfterMs, sent: client.requestsSent });
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    client.close();
  }
  return outcomes;
}

const runtime = globalThis as { Bun?: unknown; process?: { argv: string[] } };
if (runtime.Bun !== undefined && (import.meta as { main?: boolean }).main === true) {
  const spec = JSON.parse(runtime.process?.argv[2] ?? '{}') as Exercise;
  console.log(JSON.stringify(await exercise(spec)));
}
