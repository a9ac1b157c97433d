// What both bundles (dist/vaultenv.mjs and the single executable's main) share.
import { fileURLToPath } from 'node:url';

export const BUNDLE_ALIASES = {
  debug: fileURLToPath(new URL('./stubs/debug.cjs', import.meta.url)),
};
