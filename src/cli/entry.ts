// The bundle's entry point, and the only module that uses Node's `process`: everything below gets
// what it needs of it as arguments (test/unit/architecture.test.ts holds every other file to that).
import { nodeExecDeps, programHost, runCommand } from '../exec/run.ts';
import { guardInspectorSignal } from '../exec/signals.ts';
import { processOutput } from '../log.ts';
import { main } from './main.ts';
import { realClock } from '../vault/clock.ts';
import tty from 'node:tty';
import { beforeManyRequests, withoutRegExpPeephole } from './v8-tuning.ts';

/** What vaultenv uses of Bun's global, where it runs as the single executable. */
interface BunGlobal {
  readonly isMainThread: boolean;
  /** Absent from older Bun releases; the executable is built with one that has it. */
  readonly unsafe: { setJITPolicy?: (scale: number) => void };
}

guardInspectorSignal(process);
const bun = (globalThis as { Bun?: BunGlobal }).Bun;
const execDeps = nodeExecDeps(
  process,
  bun === undefined
    ? {}
    : {
        // Bun knows whether this is its main thread without node:worker_threads, which is slow to load there.
        isMainThread: () => bun.isMainThread,
        // The single executable starts with JavaScriptCore's JIT thresholds raised (scripts/build-bun.mjs),
        // which suits a run that is over within a second. A parent that relays a program's output and
        // signals for as long as it runs gets the normal policy back.
        staysRunning: () => bun.unsafe.setJITPolicy?.(1),
        // Bun keeps no compile cache of Node's: nothing to write, and node:module, slow to load
        // there, stays unloaded.
        flushCompileCache: () => {},
      },
);
const exitCode = await main(process.argv.slice(2), process.env, {
  output: processOutput,
  cwd: process.cwd(),
  run: (request) => runCommand(request, execDeps),
  isTerminal: (fd) => tty.isatty(fd),
  programs: programHost(execDeps),
  runtime: bun === undefined ? 'node' : 'bun',
  // Monotonic time without the global `performance`, which Node loads at its first use (vault/clock.ts).
  clock: { ...realClock, now: () => Number(process.hrtime.bigint()) / 1e6 },
  ...(bun === undefined ? { beforeManyRequests: (run) => beforeManyRequests(run, (name) => process.getBuiltinModule(name)), quickRegExps: withoutRegExpPeephole } : {}),
  uid: process.getuid?.(),
  onTerminate: (handler) => {
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  },
});
process.exitCode = exitCode;
// Bun cannot cancel a TCP connection being opened (vault/socket-transport.ts): one to a server that
// drops packets would hold the exit for the kernel's connect timeout, minutes after the deadline.
// Everything vaultenv writes is written synchronously, so nothing is lost by not waiting.
if (bun !== undefined) process.exit(exitCode);
