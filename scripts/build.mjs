// Bundles the CLI into one CommonJS file with every dependency inlined: dist/vaultenv.cjs, run by
// bin/vaultenv. Then, on Linux, the single executable dist/vaultenv-linux-<arch> (scripts/build-sea.mjs),
// which needs no Node at all; VAULTENV_BUILD_SEA=0 skips it (the bundle alone takes well under a second).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import { bundleOptions } from './bundle-options.mjs';
import { buildSea } from './build-sea.mjs';

const BUNDLE = 'dist/vaultenv.cjs';
rmSync('dist/vaultenv.mjs', { force: true }); // dist/ holds only what this build writes: a stale ESM bundle (not built here) goes
await build(bundleOptions(BUNDLE));

if (process.env.VAULTENV_BUILD_SEA !== '0') await buildSea({ bundle: BUNDLE });
