// The bundle's entry point, and the only module that uses Node's `process`: everything below gets
// what it needs of it as arguments (test/unit/architecture.test.ts holds every other file to that).
import { nodeExecDeps, programHost, runCommand } from '../exec/run.ts';
import { guardInspectorSignal } from '../exec/signals.ts';
import { processOutput } from '../log.ts';
import { main } from './main.ts';
import { realClock } from '../vault/clock.ts';
import tty from 'node:tty';
import v8 from 'node:v8';

/**
 * V8's optimizing compilers (Maglev, TurboFan) and a young generation that doubles as it fills cost a
 * run of hundreds of requests tens of MB at its peak, and save it little or no time: the run is over
 * before optimized code pays for its compiling (docs/bench.md, "Memory at 1000 paths"). Only the
 * bundle on Node has them (the single executable is Bun's). Set when the secrets files turn out long,
 * before they are parsed, so a short run does not pay for loading node:v8.
 */
const MANY_REQUESTS_V8_FLAGS = '--no-turbofan --no-maglev --semi-space-growth-factor=1';

/**
 * V8 compiles a regular expression at its first use into bytecode, which a peephole pass then
 * rewrites. For the largest one a run meets, Node's IPv6 pattern (checked against every host name),
 * that pass costs more than the compiling itself, for bytecode run once or twice before V8 compiles
 * the pattern to machine code. So it is off while that pattern compiles (vault/wire.ts
 * compileAddressCheck), and on again at once: V8 reads the flag only as it compiles a pattern, and
 * Node refuses its code cache of a built-in module loaded while V8's flags differ from the start's.
 */
function withoutRegExpPeephole(compile: () => void): void {
  v8.setFlagsFromString('--no-regexp-peephole-optimization');
  try {
    compile();
  } finally {
    v8.setFlagsFromString('--regexp-peephole-optimization');
  }
}

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
  ...(bun === undefined ? { beforeManyRequests: () => v8.setFlagsFromString(MANY_REQUESTS_V8_FLAGS), quickRegExps: withoutRegExpPeephole } : {}),
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
