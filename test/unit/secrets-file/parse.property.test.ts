// Properties of the secrets-file parser over generated files: any text gives refs or the project's
// own positioned SecretsFileError, never another exception, and every position (a ref's, an
// error's) lies inside the text; and every file that is not a version 3 file parses exactly as the
// parser before version 3 parsed it (test/fixtures/secrets/reference/parse-v2.ts), to the same refs
// or the same error. The files are built from the grammar's pieces (headers, MOUNT, FILE, names,
// `=`, `#`, slashes, dots, escapes, version 3's `*`, `?`, `@` and `${…}`, blanks, line ends, a BOM,
// control and wide characters), so that most of them get deep into a line, and from arbitrary code
// points.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretsFileError } from '../../../src/errors.ts';
import { parseSecretsFile } from '../../../src/secrets-file/parse.ts';
import { parseSecretsFileV2 } from '../../fixtures/secrets/reference/parse-v2.ts';
import { FIXTURE_SCOPE, projectRef } from '../../fixtures/secrets/scope.ts';

const PIECES = [
  'VERSION 2', 'VERSION', 'VERSION 1', 'MOUNT ', 'MOUNT', 'secret', 'kv/team', 'NAME=', 'A_1=', '1A=', '=', '#', '##', '/', '//',
  '.', '..', '%2e', '%', 'db', 'pass.word', 'x-y', ' ', '\t', '\u00a0', '\u3000', '\n', '\r\n', '\r', '\uFEFF', '\u0000', '\u0001',
  '\u007f', '\u202e', 'é', '🔑', '# comment', 'VERSION 3', 'FILE ', 'FILE', '*', '?', '@', '@3', '@0', '?=', '$', '${', '}', ':-',
  '${REGION}', '${DOTS}', '${UNSET}', '${UNSET:-x}', '${EMPTY}', '${VAULT_TOKEN}', '${SPACED}',
];

/** Text made of the grammar's pieces, or of any code points. */
const secretsText = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((pieces) => pieces.join('')),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** The lines as the parser numbers them: split at \n, one \r before it dropped, a BOM at the start ignored. */
function linesOf(text: string): string[][] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  return body.split('\n').map((line) => Array.from(line.endsWith('\r') ? line.slice(0, -1) : line));
}

function expectInside(text: string, line: number, column: number): void {
  const lines = linesOf(text);
  expect(line).toBeGreaterThanOrEqual(1);
  expect(line).toBeLessThanOrEqual(lines.length);
  expect(column).toBeGreaterThanOrEqual(1);
  expect(column).toBeLessThanOrEqual((lines[line - 1]?.length ?? 0) + 1);
}

describe('parseSecretsFile on any text', () => {
  it('gives refs or a SecretsFileError whose line and column lie inside the text', () => {
    fc.assert(
      fc.property(secretsText, (text) => {
        let refs;
        try {
          refs = parseSecretsFile(text, 'f.secrets', FIXTURE_SCOPE);
        } catch (error) {
          expect(error).toBeInstanceOf(SecretsFileError);
          const failure = error as SecretsFileError;
          const match = /^f\.secrets:(\d+):(\d+)$/.exec(failure.input ?? '');
          expect(match, failure.input).not.toBeNull();
          expectInside(text, Number(match?.[1]), Number(match?.[2]));
          expect(failure.exitCode).toBe(3);
          expect(failure.context).toHaveLength(2);
          expect(failure.message + (failure.hint ?? '') + failure.context.join('')).not.toMatch(/[\n\r]/);
          return;
        }
        for (const ref of refs) {
          expect(ref.position.file).toBe('f.secrets');
          expectInside(text, ref.position.line, ref.position.column);
          const parts = ref.kind === 'key' ? [ref.variable, ref.key] : [ref.prefix];
          for (const part of [...parts, ref.mount, ref.path]) expect(part).not.toBe('');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parses every well-formed line it generates, at the line it is on', () => {
    const segment = fc.stringMatching(/^[a-z0-9_.-]{1,8}$/).filter((s) => s !== '.' && s !== '..');
    const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('/'));
    const line = fc.record({ name: fc.option(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), { nil: undefined }), path, key: segment });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 10 }), (lines) => {
        const text = lines.map(({ name, path: p, key }) => `${name === undefined ? '' : `${name}=`}${p}#${key}\n`).join('');
        const refs = parseSecretsFile(text, 'f');
        expect(refs.map((ref) => [ref.path, ref.kind === 'key' ? ref.key : '*', ref.position.line])).toEqual(lines.map((l, i) => [l.path, l.key, i + 1]));
      }),
    );
  });

  it('parses every file that is not a version 3 file as the parser before version 3 did', () => {
    fc.assert(fc.property(secretsText, expectAsBefore), { numRuns: 3000 });
  });

  it('reads lines near the plain form NAME=path#key (read in one match) as the parser before version 3 did', () => {
    fc.assert(fc.property(plainLinesText, expectAsBefore), { numRuns: 3000 });
  });

  it('parses every valid version 1 and 2 fixture as the parser before version 3 did', () => {
    const dir = fileURLToPath(new URL('../../fixtures/secrets/valid/', import.meta.url));
    const names = readdirSync(dir).filter((name) => name.endsWith('.secrets') && !readFileSync(join(dir, name), 'utf8').includes('VERSION 3'));
    expect(names).toHaveLength(43);
    for (const name of names) {
      const text = readFileSync(join(dir, name), 'utf8');
      expect(parseSecretsFile(text, name, FIXTURE_SCOPE), name).toEqual(
        parseSecretsFileV2(text, name).map((ref) => ({ kind: 'key', ...ref, nonString: 'error' })),
      );
    }
  });
});

/** Asserts that `text` parses to the refs, or fails with the error, of the parser before version 3 (unless it is a version 3 file). */
function expectAsBefore(text: string): void {
  const before = outcome(() => parseSecretsFileV2(text, 'f.secrets').map(({ variable, mount, path, key, position }) => ({ variable, mount, path, key, position })));
  if (before.kind === 'error' && before.message === "secrets file: unsupported secrets file version '3'") return;
  const now = outcome(() =>
    parseSecretsFile(text, 'f.secrets', FIXTURE_SCOPE).map((ref) => {
      // Version 1 and 2 refs: one key, read as vaultenv 0.19 reads it, none of version 3's fields.
      expect(projectRef(ref)).not.toHaveProperty('values');
      expect([ref.kind, ref.version, ref.optional, ref.fallback, ref.kind === 'key' ? ref.asFile : true]).toEqual(['key', undefined, undefined, undefined, undefined]);
      const { mount, path, position } = ref;
      return ref.kind === 'key' ? { variable: ref.variable, mount, path, key: ref.key, position } : {};
    }),
  );
  expect(now).toEqual(before);
}

/**
 * Files of lines that are plain secret lines or nearly so: names, paths and keys of the characters
 * the one-match reading takes, and what it leaves to the full reading (dot segments, `%`, `//`,
 * whitespace around, a second `=` or `#`, a wide character), in a version 1 file or in a version 2
 * file, with or without a MOUNT line before them.
 */
const PLAIN_PIECES = ['A', 'b', 'z', '_', '0', '9', '-', '.', '..', '/', '//', '=', '#', 'NAME=', '_X1=', '1A=', 'db', 'pass.word', ' ', '\t', '%', '%2e', 'é', '@', '?'];
const plainLine = fc.array(fc.constantFrom(...PLAIN_PIECES), { minLength: 1, maxLength: 10 }).map((pieces) => pieces.join(''));
const plainLinesText = fc
  .tuple(fc.constantFrom('', 'VERSION 2\nMOUNT secret\n', 'VERSION 2\nMOUNT kv/team/\n', 'VERSION 2\n'), fc.array(plainLine, { minLength: 1, maxLength: 8 }))
  .map(([head, lines]) => head + lines.join('\n'));

type Outcome = { kind: 'refs'; refs: unknown } | { kind: 'error'; message: string; input: string | undefined; hint: string | undefined; context: readonly string[] };

function outcome(parse: () => unknown): Outcome {
  try {
    return { kind: 'refs', refs: parse() };
  } catch (error) {
    if (!(error instanceof SecretsFileError)) throw error;
    return { kind: 'error', message: error.message, input: error.input, hint: error.hint, context: error.context };
  }
}
