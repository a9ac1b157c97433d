// Bundles the CLI into one ESM file with every dependency inlined: dist/vaultenv.mjs, run by bin/vaultenv.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/entry.ts'],
  outfile: 'dist/vaultenv.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22.12',
  minify: true,
  legalComments: 'none',
  // Bundled CommonJS dependencies (dotenv-parse-variables, debug) call require() for node built-ins.
  banner: { js: "import { createRequire as __vaultenvCreateRequire } from 'node:module'; const require = __vaultenvCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
