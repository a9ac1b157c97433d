// Builds the single executable dist/vaultenv-<platform>-<arch> with Bun: `bun build --compile` turns
// the bundle (dist/vaultenv.cjs, which scripts/build.mjs writes first) into one file that carries the
// Bun runtime (.tools/bun, the npm package bun@<setup.sh's BUN_PACKAGE_VERSION>). The result needs only
// glibc (2.17 or newer: libc, libm, libdl, libpthread): no node, no node_modules, no libstdc++ and
// no libatomic. Linux only. Called by scripts/build.mjs when VAULTENV_SEA_RUNTIME is bun (the default;
// `node` builds the Node SEA of scripts/build-sea.mjs instead); runs on its own too
// (node scripts/build-bun.mjs, after the bundle).
//
// --bytecode stores the code compiled ahead of time, as Node SEA's code cache does; --minify makes
// the embedded source smaller. VAULTENV_BUN_BYTECODE=0 leaves the bytecode out (docs/bench.md
// measures both).
//
// --compile-jit-policy multiplies JavaScriptCore's tier-up thresholds from the first instruction on.
// A run is over within a second, before optimized code would pay for its compiling: with the
// thresholds raised, every run is quicker and holds less memory, most of all one of a thousand
// requests (docs/bench.md, "JavaScriptCore's JIT thresholds"). When vaultenv stays running as the
// program's parent (spawn mode, --mask, --supervise), cli/entry.ts puts the normal policy back.
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finishExecutable, seaPath } from './build-sea.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

// A Bun executable reads ./.env and ./bunfig.toml of the folder it starts in unless told not to:
// ./.env would set VAULT_ADDR and the rest behind the user's back (src/config/ decides what a .env
// may set, and when: test/e2e/dotenv-trust.test.ts fails against an executable built without these
// flags), and bunfig.toml could preload code into the process that holds the token.
const NO_AUTOLOAD = ['--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', '--no-compile-autoload-tsconfig', '--no-compile-autoload-package-json'];

/** The tier-up threshold scale the executable starts with (1 is JavaScriptCore's normal policy). */
const JIT_POLICY = 1000;

/** `bun build` arguments that make a single executable the way vaultenv's is made (the bench builds its floor with them). */
export function compileArgs({ bytecode = true } = {}) {
  return ['build', '--compile', ...NO_AUTOLOAD, `--compile-jit-policy=${JIT_POLICY}`, '--minify', ...(bytecode ? ['--bytecode'] : [])];
}

/** Builds the executable from the bundle `bundle`; returns its path, or undefined where none is built. */
export function buildBun({ bundle = join(root, 'dist', 'vaultenv.cjs'), bytecode = process.env.VAULTENV_BUN_BYTECODE !== '0' } = {}) {
  const output = seaPath();
  if (output === undefined) {
    console.warn(`build-bun: no single executable on ${process.platform} (Linux only); the bundle is built`);
    return undefined;
  }
  const partial = `${output}.partial`;
  rmSync(partial, { force: true });
  try {
    const args = [...compileArgs({ bytecode }), resolve(bundle), '--outfile', partial];
    // scripts/with-tools.sh puts .tools/bun first on PATH; VAULTENV_BUN names another (the Dockerfile's).
    const result = spawnSync(process.env.VAULTENV_BUN || 'bun', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.status !== 0) {
      process.stderr.write((result.stdout ?? '') + (result.stderr ?? ''));
      throw new Error(`build-bun: bun build failed (${result.error?.message ?? `exit ${String(result.status ?? result.signal)}`}); run through scripts/with-tools.sh after scripts/setup.sh`);
    }
    finishExecutable(partial, output, 'build-bun');
    return output;
  } finally {
    rmSync(partial, { force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const output = buildBun();
  if (output !== undefined) {
    const mb = (statSync(output).size / 1024 / 1024).toFixed(1);
    console.log(`build-bun: ${output} (${mb} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}
