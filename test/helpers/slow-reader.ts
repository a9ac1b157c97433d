// Streams a command's stdout into a reader that pauses as soon as data arrives, so the writer's pipe
// fills up: a program whose stdout was left non-blocking then fails with EAGAIN instead of waiting.

import { spawn } from 'node:child_process';

const PAUSE_MS = 500;

export async function readThroughSlowPipe(
  file: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; received: number; stderr: string }> {
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let received = 0;
  let stderr = '';
  let paused = false;
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (!paused) {
      paused = true;
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), PAUSE_MS);
    }
  });
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (c, s) => resolve({ code: c, signal: s })),
  );
  return { code, signal, received, stderr };
}
