// Bundles the CLI into one CommonJS file with every dependency inlined: dist/vaultenv.cjs, run by
// bin/vaultenv. Then, on Linux, the single executable dist/vaultenv-linux-<arch>, which needs no Node
// at all, built with the runtime VAULTENV_SEA_RUNTIME names: `bun` (the default, scripts/build-bun.mjs:
// `bun build --compile`, needs only glibc) or `node` (scripts/build-sea.mjs: a Node SEA, which also
// needs libstdc++ and libatomic); docs/bench.md says why Bun. VAULTENV_BUILD_SEA=0 skips the executable.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import { bundleOptions } from './bundle-options.mjs';
import { buildBun } from './build-bun.mjs';
import { buildSea } from './build-sea.mjs';

const BUNDLE = 'dist/vaultenv.cjs';
const runtime = process.env.VAULTENV_SEA_RUNTIME || 'bun';
if (runtime !== 'bun' && runtime !== 'node') throw new Error(`VAULTENV_SEA_RUNTIME must be "bun" or "node", not "${runtime}"`);
rmSync('dist/vaultenv.mjs', { force: true }); // dist/ holds only what this build writes: a stale ESM bundle (not built here) goes
await build(bundleOptions(BUNDLE));

if (process.env.VAULTENV_BUILD_SEA !== '0') {
  if (runtime === 'bun') buildBun({ bundle: BUNDLE });
  else await buildSea({ bundle: BUNDLE });
}
