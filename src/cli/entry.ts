// The bundle's entry point, and the only module that uses Node's `process`: everything below gets
// what it needs of it as arguments (test/unit/architecture.test.ts holds every other file to that).
import { nodeExecDeps, programHost, runCommand } from '../exec/run.ts';
import { guardInspectorSignal } from '../exec/signals.ts';
import { processOutput } from '../log.ts';
import { main } from './main.ts';
import tty from 'node:tty';

guardInspectorSignal(process);
// Bun knows whether this is its main thread without node:worker_threads, which is slow to load there.
const bun = (globalThis as { Bun?: { readonly isMainThread: boolean } }).Bun;
const execDeps = nodeExecDeps(process, bun === undefined ? undefined : () => bun.isMainThread);
process.exitCode = await main(process.argv.slice(2), process.env, {
  output: processOutput,
  cwd: process.cwd(),
  run: (request) => runCommand(request, execDeps),
  isTerminal: (fd) => tty.isatty(fd),
  programs: programHost(execDeps),
  runtime: bun === undefined ? 'node' : 'bun',
  uid: process.getuid?.(),
  onTerminate: (handler) => {
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  },
});
