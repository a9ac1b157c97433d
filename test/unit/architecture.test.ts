// Keeps the shape of src/ honest: data flows one way, config → secrets file → vault → env → exec,
// with auth and renew beside vault, and cli/ on top; nothing imports cli/. Each third-party package
// and node:http/https/http2 has exactly one adapter, and only cli/entry.ts uses Node's `process`.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src/', import.meta.url).pathname;

/** Which stages each stage may import (leaves: errors.ts, file-replace.ts, limited-read.ts, log.ts, redact.ts, importable from anywhere). */
const ALLOWED: Record<string, readonly string[]> = {
  config: ['config'],
  'secrets-file': ['secrets-file'],
  vault: ['vault', 'secrets-file', 'config'],
  auth: ['auth', 'vault', 'config'],
  env: ['env', 'config'],
  exec: ['exec', 'config'],
  files: ['files', 'config'],
  renew: ['renew', 'vault', 'config'],
  export: ['export'],
  supervise: ['supervise', 'renew', 'vault', 'config', 'exec'],
  cli: ['cli', 'config', 'secrets-file', 'vault', 'auth', 'env', 'files', 'exec', 'renew', 'export', 'supervise'],
};
const LEAVES = new Set(['errors.ts', 'file-replace.ts', 'limited-read.ts', 'log.ts', 'redact.ts']);

/** Packages (and built-ins) that only one file may import. */
const ADAPTERS: Record<string, string> = {
  commander: 'cli/help.ts',
  'zod/mini': 'vault/answers.ts',
  'node:http': 'vault/http.ts',
  'node:https': 'vault/http.ts',
  'node:http2': 'vault/h2-transport.ts',
};

/** The places (`file:line`) where `text` refers to the global `process`: not a property name, comment or string. */
function processUses(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const uses: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === 'process') {
      const { parent } = node;
      const isName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        ((ts.isPropertyAssignment(parent) || ts.isPropertySignature(parent) || ts.isMethodDeclaration(parent)) && parent.name === node);
      if (!isName) uses.push(`${path}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return uses;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function importsOf(text: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:^|\n)\s*(?:import|export)[^'"\n]*?from\s+'([^']+)'|(?:^|\n)\s*import\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|(?:getBuiltinModule|loadBuiltin)(?:<[^>]*>)?\('([^']+)'\)/g;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[1] ?? match[2] ?? match[3] ?? match[4];
    if (specifier !== undefined) specifiers.push(specifier);
  }
  return specifiers;
}

const files = sourceFiles(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));

describe('the shape of src/', () => {
  it('finds the source files and their imports', () => {
    // Every folder of src/ is a stage of the table, and every stage has its folder.
    const folders = new Set(files.flatMap((f) => (f.path.includes('/') ? [f.path.split('/')[0]] : [])));
    expect([...folders].sort()).toEqual(Object.keys(ALLOWED).sort());
    expect(files.filter((f) => !f.path.includes('/')).map((f) => f.path).sort()).toEqual([...LEAVES].sort());
    expect(importsOf(files.find((f) => f.path === 'cli/main.ts')?.text ?? '')).toContain('../config/load.ts');
  });

  it.each(files.map((f) => [f.path, f] as const))('%s imports only stages before it', (_path, file) => {
    const stage = file.path.includes('/') ? file.path.split('/')[0]! : undefined;
    for (const specifier of importsOf(file.text).filter((s) => s.startsWith('.'))) {
      const target = relative(SRC, join(SRC, file.path, '..', specifier));
      if (target.startsWith('..')) {
        expect(target, `${file.path} imports ${target} from outside src/`).toBe('../package.json');
        continue;
      }
      const targetStage = target.includes('/') ? target.split('/')[0]! : undefined;
      if (targetStage === undefined) {
        expect(LEAVES.has(target), `${file.path} imports ${target}, which is not a leaf module`).toBe(true);
        continue;
      }
      expect(stage, `leaf ${file.path} imports the stage ${targetStage}`).toBeDefined();
      expect(ALLOWED[stage!], `unknown stage ${stage}`).toBeDefined();
      expect(ALLOWED[stage!]!.includes(targetStage), `${file.path} (${stage}) imports ${target} (${targetStage})`).toBe(true);
    }
  });

  it('has one adapter per dependency', () => {
    for (const [module, adapter] of Object.entries(ADAPTERS)) {
      const importers = files.filter((f) => importsOf(f.text).includes(module)).map((f) => f.path);
      expect(importers, module).toEqual([adapter]);
    }
    // zod's full build (its chained API) is ten times the size of zod/mini, which is all we load.
    const fullZod = files.filter((f) => importsOf(f.text).some((m) => m === 'zod' || (m.startsWith('zod/') && m !== 'zod/mini')));
    expect(fullZod.map((f) => f.path)).toEqual([]);
  });

  it("uses Node's process object only in cli/entry.ts", () => {
    const offenders = files.filter((f) => f.path !== 'cli/entry.ts').flatMap((f) => processUses(f.path, f.text));
    expect(offenders).toEqual([]);
    // The check sees through comments and strings, and finds a use hidden in an expression.
    expect(processUses('x.ts', "// process.env\nconst a = 'process'; const b = { process: 1 }.process;")).toEqual([]);
    expect(processUses('x.ts', 'const { env } = (0, process);\nfoo(`${process.pid}`);')).toEqual(['x.ts:1', 'x.ts:2']);
  });
});
