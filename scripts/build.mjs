// Bundles the CLI into one ESM file with every dependency inlined: dist/vaultenv.mjs, run by bin/vaultenv.
// Then, on Linux, the single executable dist/vaultenv-linux-<arch> (scripts/build-sea.mjs), which needs
// no Node at all; VAULTENV_BUILD_SEA=0 skips it (the bundle alone takes well under a second).
import { build } from 'esbuild';
import { BUNDLE_ALIASES, BUNDLE_PLUGINS } from './bundle-options.mjs';
import { buildSea } from './build-sea.mjs';

await build({
  entryPoints: ['src/cli/entry.ts'],
  outfile: 'dist/vaultenv.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22.12',
  minify: true,
  legalComments: 'none',
  alias: BUNDLE_ALIASES,
  plugins: BUNDLE_PLUGINS,
  logLevel: 'warning',
});

if (process.env.VAULTENV_BUILD_SEA !== '0') await buildSea();
