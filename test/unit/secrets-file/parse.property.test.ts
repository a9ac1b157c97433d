// Properties of the secrets-file parser over generated files: any text gives refs or the project's
// own positioned SecretsFileError, never another exception, and every position (a ref's, an
// error's) lies inside the text. The files are built from the grammar's pieces (headers, MOUNT,
// names, `=`, `#`, slashes, dots, escapes, blanks, line ends, a BOM, control and wide characters),
// so that most of them get deep into a line, and from arbitrary code points.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretsFileError } from '../../../src/errors.ts';
import { parseSecretsFile } from '../../../src/secrets-file/parse.ts';
import { keyRefs } from '../../helpers/key-refs.ts';

const PIECES = [
  'VERSION 2', 'VERSION', 'VERSION 1', 'MOUNT ', 'MOUNT', 'secret', 'kv/team', 'NAME=', 'A_1=', '1A=', '=', '#', '##', '/', '//',
  '.', '..', '%2e', '%', 'db', 'pass.word', 'x-y', ' ', '\t', '\u00a0', '\u3000', '\n', '\r\n', '\r', '\uFEFF', '\u0000', '\u0001',
  '\u007f', '\u202e', 'é', '🔑', '# comment',
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
          refs = keyRefs(parseSecretsFile(text, 'f.secrets'));
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
          for (const part of [ref.variable, ref.mount, ref.path, ref.key]) expect(part).not.toBe('');
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
        const refs = keyRefs(parseSecretsFile(text, 'f'));
        expect(refs.map((ref) => [ref.path, ref.key, ref.position.line])).toEqual(lines.map((l, i) => [l.path, l.key, i + 1]));
      }),
    );
  });
});
