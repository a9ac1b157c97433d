// withoutRegExpPeephole in a Node process of its own (V8's flags are per process): the built-in
// modules loaded after it are compiled from Node's code cache, which Node refuses while V8's flags
// differ from those the process started with. Node's own count of the modules compiled without it
// (--expose-internals) is the probe; a flag left changed is the control that shows the probe works.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const TUNING = fileURLToPath(new URL('../../../src/cli/v8-tuning.ts', import.meta.url));

/** What `body` leaves behind: the built-ins loaded after it without their code cache, and how often `compile` ran. */
function afterwards(body: string): { withoutCache: string[]; compiled: number } {
  const script = `
    const { withoutRegExpPeephole } = require(${JSON.stringify(TUNING)});
    const v8 = require('node:v8');
    const net = require('node:net');
    const { internalBinding } = require('internal/test/binding');
    let compiled = 0;
    ${body}
    // Built-ins this process has not loaded yet.
    require('node:tls');
    require('node:http2');
    require('node:zlib');
    const usage = internalBinding('builtins').getCacheUsage();
    console.log(JSON.stringify({ withoutCache: [...usage.compiledWithoutCache], compiled }));
  `;
  const result = spawnSync(process.execPath, ['--expose-internals', '--no-warnings', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as { withoutCache: string[]; compiled: number };
}

describe('withoutRegExpPeephole', () => {
  it('runs the compile once, and leaves V8 as it found it: later built-ins come from the code cache', () => {
    expect(afterwards(`withoutRegExpPeephole(() => { compiled += 1; net.isIPv6('vault.example.com'); });`)).toEqual({ withoutCache: [], compiled: 1 });
  });

  it('leaves V8 as it found it when the compile throws', () => {
    const body = `try { withoutRegExpPeephole(() => { compiled += 1; throw new Error('x'); }); } catch {}`;
    expect(afterwards(body)).toEqual({ withoutCache: [], compiled: 1 });
  });

  it('(control) a flag left changed makes Node compile the later built-ins without their cache', () => {
    const { withoutCache } = afterwards(`v8.setFlagsFromString('--no-regexp-peephole-optimization');`);
    expect(withoutCache).toEqual(expect.arrayContaining(['tls']));
  });
});
