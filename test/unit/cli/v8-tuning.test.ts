// cli/v8-tuning.ts in Node processes of their own (V8's flags are per process): the built-in modules
// a run loads after the tuning are compiled from Node's code cache, which Node refuses while V8's
// flags differ from those the process started with. Node's own count of the modules compiled
// without it (--expose-internals) is the probe; a flag left changed is the control that shows the
// probe works.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { modulesAhead } from '../../../src/cli/v8-tuning.ts';

const TUNING = fileURLToPath(new URL('../../../src/cli/v8-tuning.ts', import.meta.url));

/**
 * What `body` leaves behind: of the built-ins `later` (not loaded before `body`), those then
 * compiled without their code cache, and the `compiled` count `body` kept.
 */
function afterwards(body: string, later: readonly string[]): { withoutCache: string[]; compiled: number } {
  const script = `
    const tuning = require(${JSON.stringify(TUNING)});
    const v8 = require('node:v8');
    const { internalBinding } = require('internal/test/binding');
    let compiled = 0;
    ${body}
    for (const name of ${JSON.stringify(later)}) require(name);
    const usage = internalBinding('builtins').getCacheUsage();
    const later = ${JSON.stringify(later.map((name) => name.replace(/^node:/, '')))};
    console.log(JSON.stringify({ withoutCache: [...usage.compiledWithoutCache].filter((id) => later.includes(id)), compiled }));
  `;
  const result = spawnSync(process.execPath, ['--expose-internals', '--no-warnings', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as { withoutCache: string[]; compiled: number };
}

/** Built-ins that a bare Node process has not loaded. */
const UNLOADED = ['node:tls', 'node:http2', 'node:zlib'];

describe('withoutRegExpPeephole', () => {
  it('runs the compile once, and leaves V8 as it found it: later built-ins come from the code cache', () => {
    const body = `const net = require('node:net'); tuning.withoutRegExpPeephole(() => { compiled += 1; net.isIPv6('vault.example.com'); });`;
    expect(afterwards(body, UNLOADED)).toEqual({ withoutCache: [], compiled: 1 });
  });

  it('leaves V8 as it found it when the compile throws', () => {
    const body = `try { tuning.withoutRegExpPeephole(() => { compiled += 1; throw new Error('x'); }); } catch {}`;
    expect(afterwards(body, UNLOADED)).toEqual({ withoutCache: [], compiled: 1 });
  });

  it('(control) a flag left changed makes Node compile the later built-ins without their cache', () => {
    expect(afterwards(`v8.setFlagsFromString('--no-regexp-peephole-optimization');`, UNLOADED).withoutCache.toSorted()).toEqual(['http2', 'tls', 'zlib']);
  });
});

describe('beforeManyRequests', () => {
  it('loads the modules the run goes on to need before it changes the flags', () => {
    const ahead = modulesAhead({ tls: true, execs: true });
    const result = afterwards(`tuning.beforeManyRequests({ tls: true, execs: true }, (name) => { compiled += 1; require(name); });`, ahead);
    expect(result).toEqual({ withoutCache: [], compiled: ahead.length });
  });

  it('(control) without them loaded first, Node compiles them without their cache', () => {
    const ahead = modulesAhead({ tls: true, execs: true });
    expect(afterwards(`tuning.beforeManyRequests({ tls: true, execs: true }, () => {});`, ahead).withoutCache.length).toBe(ahead.length);
  });

  it('names the connections’ modules, tls for an https:// address, and the exec stage’s for a run that starts the program', () => {
    expect(modulesAhead({ tls: false, execs: false })).toEqual(['node:net', 'node:dns']);
    expect(modulesAhead({ tls: true, execs: false })).toEqual(['node:net', 'node:dns', 'node:tls']);
    expect(modulesAhead({ tls: false, execs: true })).toEqual(['node:net', 'node:dns', 'node:worker_threads']);
  });
});
