import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { SecretsFileError } from '../../../src/errors.ts';
import { parseSecretsFile } from '../../../src/secrets-file/parse.ts';
import { FIXTURE_SCOPE, projectRef } from '../../fixtures/secrets/scope.ts';
import { keyRefs } from '../../helpers/key-refs.ts';
import { thrownAs } from '../../helpers/thrown.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/secrets/', import.meta.url));

interface ExpectedError {
  line: number;
  column: number;
  message: string;
  hint: string;
}

function fixtureNames(kind: 'valid' | 'invalid'): string[] {
  return readdirSync(`${FIXTURES}${kind}`)
    .filter((file) => file.endsWith('.secrets'))
    .map((file) => file.slice(0, -'.secrets'.length))
    .sort();
}

function readFixture(kind: 'valid' | 'invalid', name: string): { text: string; expected: unknown } {
  return {
    text: readFileSync(`${FIXTURES}${kind}/${name}.secrets`, 'utf8'),
    expected: JSON.parse(readFileSync(`${FIXTURES}${kind}/${name}.json`, 'utf8')),
  };
}

const parseError = (text: string, fileName = 'test.secrets'): SecretsFileError =>
  thrownAs(SecretsFileError, () => parseSecretsFile(text, fileName, FIXTURE_SCOPE));

describe('valid fixtures', () => {
  const names = fixtureNames('valid');

  it('exist', () => {
    expect(names).toHaveLength(47);
  });

  it.each(names)('%s parses to its JSON', (name) => {
    const { text, expected } = readFixture('valid', name);
    const refs = parseSecretsFile(text, `${name}.secrets`, FIXTURE_SCOPE);
    expect(refs.map(projectRef)).toEqual(expected);
    for (const ref of refs) expect(ref.position.file).toBe(`${name}.secrets`);
  });
});

describe('invalid fixtures', () => {
  const names = fixtureNames('invalid');

  it('exist', () => {
    expect(names).toHaveLength(92);
  });

  it.each(names)('%s fails at its line and column', (name) => {
    const { text, expected } = readFixture('invalid', name);
    const { line, column, message, hint } = expected as ExpectedError;
    const error = parseError(text, `${name}.secrets`);
    expect(error.input).toBe(`${name}.secrets:${line}:${column}`);
    expect(error.message).toContain(message);
    expect(error.message).toMatch(/^secrets file: /);
    expect(error.hint).toBe(hint);
    expect(error.context).toHaveLength(2);
    expect(error.context[0]).toMatch(new RegExp(`^  ${line} \\| `));
    expect(error.context[1]).toMatch(/^ +\| [ \t]*\^$/);
  });
});

describe('parseSecretsFile', () => {
  it('records the column of the first character of a secret line', () => {
    const [ref] = parseSecretsFile('\n   foo#bar\n', 'app.secrets');
    expect(ref?.position).toEqual({ file: 'app.secrets', line: 2, column: 4 });
  });

  it('uses mount secret for a version 1 file', () => {
    expect(parseSecretsFile('a#b\n', 'f')[0]?.mount).toBe('secret');
  });

  it('renders the offending line and a caret under the column', () => {
    const error = parseError('ok#x\nfoo#bar#baz\n', 'app.secrets');
    expect(error.message).toBe("secrets file: unexpected second '#'");
    expect(error.input).toBe('app.secrets:2:8');
    expect(error.context).toEqual(['  2 | foo#bar#baz', '    |        ^']);
  });

  it('widens the gutter for long line numbers and counts columns in code points', () => {
    const text = `${'\n'.repeat(11)}🔑é#a b\n`;
    const error = parseError(text);
    expect(error.input).toBe('test.secrets:12:6');
    expect(error.context).toEqual(['  12 | 🔑é#a b', '     |      ^']);
  });

  it('keeps tabs in the caret line so the caret stays aligned', () => {
    const error = parseError('\tfoo#bar baz\n');
    expect(error.context).toEqual(['  1 | \tfoo#bar baz', '    | \t        ^']);
  });

  it('shows control characters in the context as U+FFFD', () => {
    const error = parseError('foo\u0001#bar\n');
    expect(error.context[0]).toBe('  1 | foo\uFFFD#bar');
    expect(error.context.join('\n')).not.toContain('\u0001');
  });

  // A line can be as long as a secrets file may be (1 MiB, read.ts).
  describe('a long line is shown as 80 code points around the column, cut with …', () => {
    const long = 'p'.repeat(1_000_000);

    it.each([
      // [the line, its column, the context line, the caret line]
      ['near its start', `ab#c d${long}`, 6, `  1 | ab#c d${'p'.repeat(74)}…`, `    | ${' '.repeat(5)}^`],
      ['in its middle', `${long} #key${long}`, 1_000_001, `  1 | …${'p'.repeat(40)} #key${'p'.repeat(35)}…`, `    | ${' '.repeat(41)}^`],
      ['at its end', `${long}`, 1_000_001, `  1 | …${'p'.repeat(80)}`, `    | ${' '.repeat(81)}^`],
    ])('%s', (_where, text, column, contextLine, caretLine) => {
      const error = parseError(text);
      expect(error.input).toBe(`test.secrets:1:${column}`);
      // Lengths first: a failing comparison of megabyte strings would take vitest minutes to print.
      expect(error.context.map((line) => line.length)).toEqual([contextLine.length, caretLine.length]);
      expect(error.context).toEqual([contextLine, caretLine]);
    });

    it('keeps a line of 80 code points whole', () => {
      const line = `${'p'.repeat(76)} #k`;
      expect(parseError(line).context).toEqual([`  1 | ${line}`, `    | ${' '.repeat(76)}^`]);
    });

    it.each([
      ['a variable name', `${'a-'.repeat(500_000)}=x#y`, `invalid variable name '${'a-'.repeat(20)}…'`],
      ['a version', `VERSION ${'7'.repeat(1_000_000)}`, `unsupported secrets file version '${'7'.repeat(40)}…'`],
    ])('and a message quotes at most 40 code points of %s', (_what, text, message) => {
      const error = parseError(text);
      expect(error.message.length).toBe(`secrets file: ${message}`.length);
      expect(error.message).toBe(`secrets file: ${message}`);
    });
  });

  it('never shows other lines of the file in an error', () => {
    const fake = 'hvs.CAESIFAKEFAKEFAKE';
    const text = `DB_PASSWORD=${fake}#x\nfoo bar\nOTHER=${fake}/y#z\n`;
    const error = parseError(text);
    expect(error.input).toBe('test.secrets:2:4');
    const shown = [error.message, error.input ?? '', error.hint ?? '', ...error.context].join('\n');
    expect(shown).not.toContain(fake);
    expect(shown).toContain('foo bar');
  });

  it('gives VERSION 1 a hint that a version 1 file has no header', () => {
    expect(parseError('VERSION 1\n').hint).toContain('version 1 file has no header');
  });

  it('ignores a BOM only at the start of the file', () => {
    expect(keyRefs(parseSecretsFile('\uFEFFfoo#bar\n', 'f'))[0]?.variable).toBe('FOO_BAR');
    // Elsewhere U+FEFF is neither whitespace nor a control character: part of the path, as in vaultenv.
    expect(parseSecretsFile('a#b\n\uFEFFfoo#bar\n', 'f')[1]?.path).toBe('\uFEFFfoo');
  });

  it('treats NEL (U+0085) as a control character and U+2028 as a path character, as Haskell does', () => {
    expect(parseError('foo\u0085#bar\n').message).toContain('U+0085');
    expect(parseSecretsFile('a\u2028b#c\n', 'f')[0]?.path).toBe('a\u2028b');
  });

  it('drops only one \\r before \\n', () => {
    // The remaining \r is trailing whitespace, which is allowed.
    expect(parseSecretsFile('foo#bar\r\r\n', 'f')).toHaveLength(1);
  });

  it('accepts all-comment, blank and empty files', () => {
    expect(parseSecretsFile('', 'f')).toEqual([]);
    expect(parseSecretsFile('\n\n', 'f')).toEqual([]);
    expect(parseSecretsFile('# only a comment', 'f')).toEqual([]);
  });
});

describe('version 3: ${NAME}', () => {
  const parse = (text: string, env: Record<string, string | undefined>) =>
    keyRefs(parseSecretsFile(`VERSION 3\nMOUNT kv-\${ENV:-dev}\n${text}\n`, 'f', { env, withheld: new Set(['VAULT_TOKEN']) }));

  it('takes a set variable over its default, and the default when it is unset or empty', () => {
    expect(parse('A=${R:-x}/db#k', { ENV: 'prod', R: 'eu' })[0]).toMatchObject({ mount: 'kv-prod', path: 'eu/db' });
    expect(parse('A=${R:-x}/db#k', {})[0]).toMatchObject({ mount: 'kv-dev', path: 'x/db' });
    expect(parse('A=${R:-x}/db#k', { ENV: '', R: '' })[0]).toMatchObject({ mount: 'kv-dev', path: 'x/db' });
  });

  it('takes an empty variable without a default as empty, as a shell does', () => {
    expect(parse('A=db${R}#k', { R: '' })[0]?.path).toBe('db');
  });

  it('reads no variable without a scope: every reference is unset', () => {
    const error = thrownAs(SecretsFileError, () => parseSecretsFile('VERSION 3\nMOUNT kv\nA=${R}#k\n', 'f'));
    expect(error.message).toBe('secrets file: variable R is not set');
    expect(error.input).toBe('f:3:3');
  });

  it("never quotes a variable's value in an error", () => {
    const value = 'hvs.CAESIFAKE value';
    const error = thrownAs(SecretsFileError, () => parse('A=${R}/db#k', { R: value }));
    expect(error.message).toBe('secrets file: the value of R holds whitespace');
    expect([error.message, error.hint, ...error.context].join('\n')).not.toContain('CAESIFAKE');
  });

  it('refuses a withheld credential even with a default', () => {
    expect(thrownAs(SecretsFileError, () => parse('A=${VAULT_TOKEN:-x}#k', {})).message).toBe('secrets file: ${VAULT_TOKEN} names a credential');
  });

  it('is no variable in a version 1 or 2 file', () => {
    expect(keyRefs(parseSecretsFile('VERSION 2\nMOUNT kv-${ENV}\nA=${R}#k@3?\n', 'f', { env: { ENV: 'x', R: 'y' }, withheld: new Set() }))[0]).toMatchObject({
      mount: 'kv-${ENV}',
      path: '${R}',
      key: 'k@3?',
    });
  });
});
