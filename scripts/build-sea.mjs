// Builds the single executable dist/vaultenv-<platform>-<arch> (Node's single executable application
// support): the CLI bundled as for dist/vaultenv.cjs, turned into a preparation blob by the running
// Node (`--experimental-sea-config`), injected with postject into a copy of that same Node binary.
// The result needs only the system's C and C++ runtime libraries (glibc, libstdc++, and libatomic,
// which Node 26 links): no node, no node_modules. Linux only; elsewhere it says so and builds
// nothing. Called by scripts/build.mjs; runs on its own too (node scripts/build-sea.mjs).
//
// The injected main is CommonJS, SEA's default format, as the bundle is (scripts/bundle-options.mjs).
// Inside the executable process.argv is [executable, argv0, ...args], like [node, script, ...args]:
// the entry's process.argv.slice(2) needs no change.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleOptions } from './bundle-options.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Where the executable goes for this machine, or undefined where none is built. */
export function seaPath(platform = process.platform, arch = process.arch) {
  return platform === 'linux' ? join(root, 'dist', `vaultenv-${platform}-${arch}`) : undefined;
}

// The settings of the preparation blob (main and output are filled in per build).
const SEA_CONFIG = {
  disableExperimentalSEAWarning: true,
  // The CLI's compiled code is stored in the blob, so that the executable does not compile it again at every start.
  useCodeCache: process.env.VAULTENV_SEA_CODE_CACHE !== '0',
  // NODE_OPTIONS is meant for the program vaultenv runs (often a Node app), not for vaultenv itself:
  // the executable ignores it, so no --require or --inspect can enter the process holding the token.
  // (The bundle, run by an ordinary node, still honours it.) The child still inherits the variable.
  execArgvExtension: 'none',
  // No --disable-sigusr1: it would also stop the spawn fallback from relaying SIGUSR1 to the program.
  // The entry's SIGUSR1 listener keeps the inspector closed, as in the bundle.
};

function run(file, args, what) {
  const result = spawnSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`build-sea: ${what} failed (${result.error?.message ?? `exit ${String(result.status ?? result.signal)}`})`);
  }
}

/**
 * Builds the executable from the bundle `bundle` (scripts/build.mjs passes dist/vaultenv.cjs; run on
 * its own, this script bundles afresh); returns its path, or undefined where none is built.
 */
// Stripping Node's symbols and debug info makes the executable about a fifth smaller and the injection
// quicker, with no difference in start-up time that could be measured; only a native crash stack
// loses its function names. VAULTENV_SEA_STRIP=0 keeps them.
export async function buildSea({ bundle, strip = process.env.VAULTENV_SEA_STRIP !== '0' } = {}) {
  const output = seaPath();
  if (output === undefined) {
    console.warn(`build-sea: no single executable on ${process.platform} (Linux only); the bundle is built`);
    return undefined;
  }
  const work = mkdtempSync(join(tmpdir(), 'vaultenv-sea-'));
  try {
    const main = bundle === undefined ? join(work, 'vaultenv.cjs') : resolve(bundle);
    if (bundle === undefined) await build(bundleOptions(main));

    const blob = join(work, 'sea-prep.blob');
    const config = join(work, 'sea-config.json');
    writeFileSync(config, JSON.stringify({ main, output: blob, ...SEA_CONFIG }, null, 2));
    // The blob must come from the very Node binary it is injected into.
    const node = realpathSync(process.execPath);
    run(node, ['--experimental-sea-config', config], 'writing the preparation blob');

    const partial = `${output}.partial`;
    rmSync(partial, { force: true });
    copyFileSync(node, partial);
    chmodSync(partial, 0o755);
    if (strip) {
      const stripped = spawnSync('strip', [partial], { encoding: 'utf8' });
      if (stripped.error !== undefined) console.warn(`build-sea: strip not run (${stripped.error.message}); the executable keeps its symbols`);
      else if (stripped.status !== 0) throw new Error(`build-sea: strip failed: ${stripped.stderr}`);
    }
    // postject's CLI (LIEF) prints harmless "Can't find string offset" warnings: shown only on failure.
    const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
    run(process.execPath, [postject, partial, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], 'postject');

    finishExecutable(partial, output, 'build-sea');
    return output;
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(`${output}.partial`, { force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const output = await buildSea();
  if (output !== undefined) {
    const mb = (statSync(output).size / 1024 / 1024).toFixed(1);
    console.log(`build-sea: ${output} (${mb} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

/**
 * Runs the new executable's `--version` (a broken build shows at once, not in the tests), then puts
 * it in place of the old one in one rename.
 */
export function finishExecutable(partial, output, tool) {
  const version = execFileSync(partial, ['--version'], { encoding: 'utf8', env: {} }).trim();
  const expected = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  if (!version.includes(expected)) throw new Error(`${tool}: the executable says "${version}", expected version ${expected}`);
  renameSync(partial, output);
}
