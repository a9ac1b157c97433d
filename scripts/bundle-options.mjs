// What both bundles (dist/vaultenv.mjs and the single executable's main) share.
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

export const BUNDLE_ALIASES = {
  debug: fileURLToPath(new URL('./stubs/debug.cjs', import.meta.url)),
};

/**
 * esbuild plugin: every Node built-in comes from `process.getBuiltinModule`, when the bundle first reads
 * one of its exports.
 *
 * Why: an ESM `import … from 'node:x'` builds the module's ESM facade, which reads every export and so
 * runs every lazy getter (`node:process` alone cost ~4 ms, commander's imports ~9 ms of a ~24 ms
 * `node -e 0`); and a run with no secrets never calls commander's `child_process` (executable
 * subcommands), the spawn fallback's `child_process` and `tty`, or `net`, each ~2-3 ms to load. The
 * bundle then holds no `import`/`require` of a built-in at all, so it needs no createRequire banner.
 */
export const builtinsFromProcess = {
  name: 'builtins-from-process',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, ({ path }) => {
      const name = path.replace(/^node:/, '');
      return builtinModules.includes(name) ? { path: name, namespace: 'node-builtin' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, ({ path: name }) => {
      const load = `process.getBuiltinModule(${JSON.stringify(`node:${name}`)})`;
      const exported = process.getBuiltinModule(`node:${name}`);
      // A module that exports a function (node:events), and process itself, are handed over as they are.
      if (typeof exported !== 'object' || name === 'process') return { contents: `module.exports = ${load};`, loader: 'js' };
      // Otherwise a getter per export, resolved when first read. Not the exports object itself: the
      // bundle's ESM interop copies property descriptors, and reading the descriptor of one of Node's
      // lazy exports (util.TextDecoder, say) loads it (~3.5 ms for TextDecoder).
      const getters = Object.keys(exported).map((key) => `get ${JSON.stringify(key)}() { return load()[${JSON.stringify(key)}]; }`);
      return {
        contents: `let loaded;\nconst load = () => (loaded ??= ${load});\nmodule.exports = {\n${getters.join(',\n')}\n};`,
        loader: 'js',
      };
    });
  },
};

export const BUNDLE_PLUGINS = [builtinsFromProcess];
