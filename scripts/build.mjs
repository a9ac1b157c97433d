// Bundles the CLI into one CommonJS file with every dependency inlined: dist/vaultenv.cjs, run by
// bin/vaultenv. Then, on Linux, the single executable dist/vaultenv-linux-<arch> (scripts/build-sea.mjs),
// which needs no Node at all; VAULTENV_BUILD_SEA=0 skips it (the bundle alone takes well under a second).
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { bundleOptions } from './bundle-options.mjs';
import { buildSea } from './build-sea.mjs';

const BUNDLE = 'dist/vaultenv.cjs';
rmSync('dist/vaultenv.mjs', { force: true }); // the ESM bundle of earlier versions
await build(bundleOptions(BUNDLE));
// The first line names the build by a hash of its code: bin/vaultenv keys its code cache on it (V8
// itself would take a cache made for another bundle of the same length).
const code = readFileSync(BUNDLE, 'utf8');
writeFileSync(BUNDLE, `/*! vaultenv build ${createHash('sha256').update(code).digest('hex').slice(0, 32)} */\n${code}`);

if (process.env.VAULTENV_BUILD_SEA !== '0') await buildSea({ bundle: BUNDLE });
