// The one bundle of the CLI: dist/vaultenv.cjs (run by bin/vaultenv) and the single executable's main.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../src/cli/entry.ts', import.meta.url));

/** esbuild's options for the bundle written to `outfile`: CommonJS, every dependency inlined, minified. */
export function bundleOptions(outfile) {
  return {
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    // CommonJS, not ESM: a single executable's main must be, and bin/vaultenv runs the bundle as a
    // vm.Script, whose code cache can be taken after the run (see there).
    platform: 'node',
    format: 'cjs',
    target: 'node22.12',
    minify: true,
    legalComments: 'none',
    alias: { debug: fileURLToPath(new URL('./stubs/debug.cjs', import.meta.url)) },
    plugins: [wrapEntryForCommonJs, builtinsFromProcess],
    logLevel: 'warning',
  };
}

/**
 * esbuild plugin: the entry module's statements run in an async function (its imports stay on top):
 * src/cli/entry.ts ends in a top-level await, which CommonJS cannot hold.
 */
const wrapEntryForCommonJs = {
  name: 'wrap-entry-for-commonjs',
  setup(b) {
    b.onLoad({ filter: /[/\\]src[/\\]cli[/\\]entry\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const imports = source.match(/^import\b[^;]*;/gm) ?? [];
      const body = source.replace(/^import\b[^;]*;/gm, '');
      // A rejection stays unhandled: Node prints it and exits 1, as it does for a rejected top-level await.
      return { contents: `${imports.join('\n')}\nvoid (async () => {\n${body}\n})();\n`, loader: 'ts' };
    });
  },
};

// Built-in modules a run with no secrets never calls: commander's `child_process` (only for executable
// subcommands, which vaultenv has none of), the spawn fallback's `child_process` and `tty`, the address
// check's `net`, the execve check's `worker_threads`. Each costs ~2-3 ms to load. Import them by their
// default export only (`import tty from 'node:tty'`, then `tty.isatty(…)`): a named import fails the build.
const LOADED_ON_FIRST_USE = new Set(['child_process', 'net', 'tty', 'worker_threads']);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * esbuild plugin: every Node built-in comes from `process.getBuiltinModule`, as an ESM module of the bundle.
 *
 * Why: an ESM `import … from 'node:x'` builds the module's ESM facade, which reads every export and so
 * runs every lazy getter (`node:process` alone cost ~4 ms, commander's imports ~9 ms of a ~24 ms
 * `node -e 0`); and a CommonJS stand-in would be copied, export by export, into every module that
 * imports it (~1.4 ms). Here each built-in is one small ESM module: its named exports are the module's
 * plain values (read once; Node's lazy getters such as util.TextDecoder are left out, so importing one
 * fails the build instead of loading it); those of LOADED_ON_FIRST_USE load on first use. The bundle
 * then holds no `import`/`require` of a built-in at all, so it needs no createRequire banner either.
 */
const builtinsFromProcess = {
  name: 'builtins-from-process',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, ({ path }) => {
      const name = path.replace(/^node:/, '');
      return builtinModules.includes(name) ? { path: name, namespace: 'node-builtin' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, ({ path: name }) => {
      const load = `process.getBuiltinModule(${JSON.stringify(`node:${name}`)})`;
      const exported = process.getBuiltinModule(`node:${name}`);
      if (LOADED_ON_FIRST_USE.has(name)) {
        const getters = Object.keys(exported).map((key) => `get ${JSON.stringify(key)}() { return load()[${JSON.stringify(key)}]; }`);
        return { contents: `let loaded;\nconst load = () => (loaded ??= ${load});\nexport default {\n${getters.join(',\n')}\n};\n`, loader: 'js' };
      }
      if (name === 'process') return { contents: `export default process;\n`, loader: 'js' };
      const plain = Object.keys(exported).filter(
        (key) => IDENTIFIER.test(key) && key !== 'default' && 'value' in (Object.getOwnPropertyDescriptor(exported, key) ?? {}),
      );
      return { contents: `const m = ${load};\nexport default m;\nexport const { ${plain.join(', ')} } = m;\n`, loader: 'js' };
    });
  },
};

