// V8's settings for what a run does only a few times and for a run of many requests, which only the
// bundle on Node has (the single executable is Bun's): cli/entry.ts hands them to main as
// MainDeps.quickRegExps and MainDeps.beforeManyRequests. Each leaves V8's flags as the run began with
// them, or changes them for the rest of the run on purpose.

// Default import only: the bundle loads it on first use (scripts/bundle-options.mjs).
import v8 from 'node:v8';

/**
 * V8's optimizing compilers (Maglev, TurboFan) cost a run of hundreds of requests tens of MB at its
 * peak, and save it no time: the run is over before optimized code pays for its compiling
 * (docs/bench.md, "Memory at 1000 paths"). The young generation is left to grow as it fills: kept at
 * its first size, it saved little memory and cost time in scavenges. Only the bundle on Node has
 * these (the single executable is Bun's). Set when the secrets files turn out long, before they are
 * parsed, so a short run does not pay for loading node:v8.
 */
const MANY_REQUESTS_V8_FLAGS = '--no-turbofan --no-maglev';

/**
 * V8 compiles a regular expression at its first use into bytecode, which a peephole pass then
 * rewrites. For the largest one a run meets, Node's IPv6 pattern (checked against every host name),
 * that pass costs more than the compiling itself, for bytecode run once or twice before V8 compiles
 * the pattern to machine code. So it is off while that pattern compiles (vault/wire.ts
 * compileAddressCheck), and on again at once: V8 reads the flag only as it compiles a pattern, and
 * Node refuses its code cache of a built-in module loaded while V8's flags differ from the start's.
 */
export function withoutRegExpPeephole(compile: () => void): void {
  v8.setFlagsFromString('--no-regexp-peephole-optimization');
  try {
    compile();
  } finally {
    v8.setFlagsFromString('--regexp-peephole-optimization');
  }
}

/** What a run of many requests is, as far as the built-in modules it goes on to load are concerned. */
export interface ManyRequestsRun {
  /** Whether its address is https://. */
  tls: boolean;
  /** Whether it ends by starting the program (a run), or not (check, export). */
  execs: boolean;
}

/**
 * The built-in modules `run` loads after its secrets files are parsed: its connections' (with the
 * DNS lookup's, for a host name) and, when it starts the program, the exec stage's.
 */
export function modulesAhead(run: ManyRequestsRun): string[] {
  return ['node:net', 'node:dns', ...(run.tls ? ['node:tls'] : []), ...(run.execs ? ['node:worker_threads'] : [])];
}

/**
 * Sets MANY_REQUESTS_V8_FLAGS for the rest of the run, after loading (`load`) the built-in modules
 * it will need: Node compiles a built-in module loaded while V8's flags differ from the start's
 * without its code cache, which costs the run more time than the flags save it. (A unix socket or a
 * proxy's tunnel loads node:http or node:https too, and spawn mode child_process and tty: those
 * still compile without it.)
 */
export function beforeManyRequests(run: ManyRequestsRun, load: (name: string) => unknown): void {
  for (const name of modulesAhead(run)) load(name);
  v8.setFlagsFromString(MANY_REQUESTS_V8_FLAGS);
}
