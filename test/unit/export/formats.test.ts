import { parseEnv } from 'node:util';
import dotenv from 'dotenv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../../src/errors.ts';
import { formatDotenv, formatGithubEnv, formatJson, formatShell, type ExportEntry } from '../../../src/export/formats.ts';
import { addMaskCommands, githubEnvEntry } from '../../../src/export/github.ts';
import { thrown } from '../../helpers/thrown.ts';

const entry = (name: string, value: string, line = 1): ExportEntry => ({ name, value, origin: `app.secrets:${line}` });

/** Characters that stress every quoting: quotes, backslash, $, =, #, whitespace, newlines, unicode. */
const TRICKY = fc.string({ maxLength: 24, unit: fc.constantFrom('a', 'Z', '0', "'", '"', '`', '\\', '$', '=', '#', ' ', '\t', '\n', '\r', 'é', '✓', '{', '}', ':', '/') });

describe('formatDotenv', () => {
  it('writes safe values bare, others in the first quoting that holds them whole', () => {
    expect(formatDotenv([entry('A', 'plain=value:1/2'), entry('B', ''), entry('C', "a\nb $HOME"), entry('D', "it's"), entry('E', 'it\'s `x`\ny')])).toBe(
      "A=plain=value:1/2\nB=\nC='a\nb $HOME'\nD=`it's`\nE=\"it's `x`\\ny\"\n",
    );
  });

  it('reads back through util.parseEnv and the dotenv package, or refuses the value (property)', () => {
    fc.assert(
      fc.property(TRICKY, (value) => {
        let text: string;
        try {
          text = formatDotenv([entry('NAME', value), entry('AFTER', 'x')]);
        } catch (error) {
          expect(error).toBeInstanceOf(EnvironmentError);
          expect(/[\r\0]/.test(value) || (value.includes("'") && value.includes('`')) || value.endsWith('\\')).toBe(true);
          return;
        }
        expect(parseEnv(text)).toEqual({ NAME: value, AFTER: 'x' });
        expect(dotenv.parse(text)).toEqual({ NAME: value, AFTER: 'x' });
      }),
      { numRuns: 500 },
    );
  });

  it('names the line and never shows the value of a value it refuses', () => {
    const error = thrown(() => formatDotenv([entry('OK', 'x'), entry('CRLF', 'secret-part\r\n', 2)])) as EnvironmentError;
    expect(error).toBeInstanceOf(EnvironmentError);
    expect(error.exitCode).toBe(7);
    expect(error.message).toBe('the secret CRLF holds a carriage return, which dotenv readers turn into a newline');
    expect(error.input).toBe('app.secrets:2');
    expect(error.hint).toBe('use --format json or shell');
  });

  it('refuses a name that is not an identifier, and a name given twice', () => {
    const bad = thrown(() => formatDotenv([entry('KV_A.B', 'x')])) as EnvironmentError;
    expect(bad.message).toBe('the secret KV_A.B has a name that a dotenv file cannot hold');
    const twice = thrown(() => formatDotenv([entry('A', 'x', 1), entry('A', 'y', 4)])) as EnvironmentError;
    expect(twice.message).toBe('the secret A is named twice (also app.secrets:1)');
    expect(twice.input).toBe('app.secrets:4');
  });
});

describe('formatShell', () => {
  it("quotes every value in ' and writes a ' as '\\''", () => {
    expect(formatShell([entry('A', "it's $HOME\n`x`"), entry('B', '')])).toBe("export A='it'\\''s $HOME\n`x`'\nexport B=''\n");
  });

  it('refuses a NUL character, which no shell variable holds', () => {
    expect((thrown(() => formatShell([entry('A', 'a\0b')])) as EnvironmentError).message).toBe('the secret A holds a NUL character, which a shell variable cannot carry');
  });
});

describe('formatJson', () => {
  it('is one object in file order, and takes any name', () => {
    const text = formatJson([entry('B', 'line\n"q"'), entry('KV_A.B', 'x\0y')]);
    expect(JSON.parse(text)).toEqual({ B: 'line\n"q"', 'KV_A.B': 'x\0y' });
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['B', 'KV_A.B']);
  });
});

describe('GitHub', () => {
  it('masks each value and each line of a multi-line one, once, escaping %, CR and LF', () => {
    expect(addMaskCommands(['100%', 'a\nb\n\nc', 'b'])).toBe('::add-mask::100%25\n::add-mask::a%0Ab%0A%0Ac\n::add-mask::a\n::add-mask::b\n::add-mask::c\n');
    expect(addMaskCommands([' ', ''])).toBe('');
  });

  it('draws another delimiter when the value contains the first', () => {
    const drawn = ['EOF', 'EOF2', 'D3'];
    const source = () => drawn.shift() ?? 'never';
    expect(githubEnvEntry('NAME', 'x\nEOF\nEOF2 y', source)).toBe('NAME<<D3\nx\nEOF\nEOF2 y\nD3\n');
  });

  it('writes the multi-line form, and refuses a carriage return, which the runner reads as a line end', () => {
    expect(formatGithubEnv([entry('A', 'one\ntwo')], () => 'DELIM')).toBe('A<<DELIM\none\ntwo\nDELIM\n');
    expect((thrown(() => formatGithubEnv([entry('A', 'a\rb')])) as EnvironmentError).message).toBe(
      'the secret A holds a carriage return, which the GitHub runner reads as a line end',
    );
  });
});
