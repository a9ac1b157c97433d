// The one bundle of the CLI: dist/vaultenv.cjs (run by bin/vaultenv) and the single executable's main.
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../src/cli/entry.ts', import.meta.url));

/** esbuild's options for the bundle written to `outfile`: CommonJS, every dependency inlined, minified. */
export function bundleOptions(outfile) {
  return {
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    // CommonJS, not ESM: a single executable's main must be, and bin/vaultenv (CommonJS too) loads
    // it with a plain require.
    platform: 'node',
    format: 'cjs',
    target: 'node22.12',
    minify: true,
    legalComments: 'none',
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

// Built-in modules a plain run never calls, or calls only at the end: commander's `child_process`
// (executable subcommands, which vaultenv has none of), the spawn fallback's `child_process` and `tty`,
// `fs/promises` (token, JWT, secret ID and TLS files, which a run with a token in VAULT_TOKEN reads
// none of), `crypto` (the digest of a ./.env whose address needs allowing), the Vault client's
// `http`, `https` and `http2` (a unix socket, a proxy tunnel, --http2 and its fallback), `net` (the
// connections of a run that fetches, and an IP address check), `tls` (connections over TLS, the
// single executable's explanation of a failed handshake, and the CONNECT tunnel of an https://
// address behind a proxy), `util` (parseEnv, for a config file that exists), `os` (errno
// and signal numbers, for a failed exec or a child killed by a signal), `v8` (tuning for a run of
// many requests), `module` (the compile cache written just before the exec, on Node only, whose
// launcher has loaded it already), and `worker_threads` (read just before the exec, which loads its
// internals anyway on Node; Bun answers from its global).
// Loading each costs start-up time, on Bun most of all (docs/bench.md).
// Import them by their default export only (`import tty from 'node:tty'`, then `tty.isatty(…)`): a
// named import fails the build.
const LOADED_ON_FIRST_USE = new Set(['child_process', 'crypto', 'fs/promises', 'http', 'http2', 'https', 'module', 'net', 'os', 'tls', 'tty', 'util', 'v8', 'worker_threads']);

/**
 * esbuild plugin: every Node built-in comes from `process.getBuiltinModule` on Node and from `require`
 * on Bun, as a small ESM module of the bundle that hands over the default export and the very names
 * its importer asks for. On Bun, the single executable's runtime, `require` loads a built-in sooner
 * (`node:net` in half the time) and getBuiltinModule has no advantage (docs/bench.md).
 *
 * Why: an ESM `import … from 'node:x'` builds the module's ESM facade, which reads every export and so
 * runs every lazy getter (costly for `node:process` and for commander's imports: docs/bench.md); a
 * CommonJS stand-in would be copied, export by export, into every module importing it; and reading
 * all of a module's exports runs its lazy ones (util.TextDecoder and util.diff are slow to build, and
 * reading them creates process.stderr). So each importer gets a module of its own with exactly the
 * names it imports (read from its import statement), and those of LOADED_ON_FIRST_USE load on first
 * use. The bundle then holds no `import` of a built-in at all, and a `require` only for Bun. The
 * names are read once, when the module is first needed (not live bindings: built-ins do not
 * reassign theirs), and a name the running Node lacks (the bundle runs on Node 22.12 and later)
 * fails at that moment, as an ESM import would, instead of leaving undefined behind.
 */
const builtinsFromProcess = {
  name: 'builtins-from-process',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, ({ path, importer, kind, namespace }) => {
      if (!isBuiltin(path)) return undefined;
      // The `require` of the modules below, left to the runtime.
      if (namespace === 'node-builtin' && kind === 'require-call') return { path, external: true };
      const name = path.replace(/^node:/, '');
      if (kind !== 'import-statement') throw new Error(`builtins-from-process: ${importer} loads ${path} by ${kind}; import it instead`);
      const names = importedNames(readFileSync(importer, 'utf8'), path, importer);
      const from = /[/\\]node_modules[/\\]/.test(importer) ? '?dependency' : '';
      return { path: `${name}?${names.join(',')}${from}`, namespace: 'node-builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, ({ path }) => {
      const [name = '', list = '', from = ''] = path.split('?');
      const fromDependency = from === 'dependency';
      const names = list === '' ? [] : list.split(',');
      const specifier = JSON.stringify(`node:${name}`);
      const load = `(typeof Bun === "undefined" ? process.getBuiltinModule(${specifier}) : require(${specifier}))`;
      if (LOADED_ON_FIRST_USE.has(name) && names.length > 0 && !fromDependency) {
        throw new Error(`builtins-from-process: import node:${name} by its default export only (it loads on first use)`);
      }
      // A dependency's named import (commander's stripVTControlCharacters) loads the module when the
      // dependency is evaluated, which vaultenv's code does on demand (help.ts).
      if (LOADED_ON_FIRST_USE.has(name) && names.length === 0) {
        const getters = Object.keys(process.getBuiltinModule(`node:${name}`)).map((key) => `get ${JSON.stringify(key)}() { return load()[${JSON.stringify(key)}]; }`);
        return { contents: `let loaded;\nconst load = () => (loaded ??= ${load});\nexport default {\n${getters.join(',\n')}\n};\n`, loader: 'js' };
      }
      if (names.length === 0) return { contents: `const m = ${load};\nexport default m;\n`, loader: 'js' };
      const missing = `for (const name of ${JSON.stringify(names)}) if (!(name in m)) throw new Error(\`this Node (\${process.version}) has no node:${name} export \${name}\`);`;
      return { contents: `const m = ${load};\n${missing}\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`, loader: 'js' };
    });
  },
};

/** The names `source` imports from `specifier` (`import d, { a, b as c } from 'specifier'`); the default is implied. */
function importedNames(source, specifier, importer) {
  const names = new Set();
  const quoted = specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  for (const [, clause = ''] of source.matchAll(new RegExp(`\\bimport\\s+([^'";]*?)\\s+from\\s+['"]${quoted}['"]`, 'g'))) {
    if (clause.startsWith('type ')) continue;
    if (clause.includes('*')) throw new Error(`builtins-from-process: ${importer} imports * from ${specifier}; import names or the default`);
    for (const item of /\{([^}]*)\}/.exec(clause)?.[1]?.split(',') ?? []) {
      const imported = item.trim().split(/\s+as\s+/)[0] ?? '';
      if (imported !== '' && !imported.startsWith('type ')) names.add(imported);
    }
  }
  return [...names].sort();
}

