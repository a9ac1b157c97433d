import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MaskFilter } from '../../../src/exec/mask-stream.ts';

/** The filter's output for `chunks`, pushed one by one, then ended. */
function run(values: readonly string[], chunks: readonly (string | Buffer)[]): Buffer {
  const filter = new MaskFilter(values);
  const out = chunks.map((chunk) => filter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
  return Buffer.concat([...out, filter.end()]);
}

describe('MaskFilter', () => {
  it('replaces each value in one chunk', () => {
    expect(run(['hunter22', 's3cret-value'], ['pw hunter22 and s3cret-value.\n']).toString()).toBe('pw *** and ***.\n');
  });

  it('replaces a value split at every point between two chunks', () => {
    const text = 'before hunter22 after';
    for (let cut = 0; cut <= text.length; cut++) {
      expect(run(['hunter22'], [text.slice(0, cut), text.slice(cut)]).toString(), `cut at ${cut}`).toBe('before *** after');
    }
  });

  it('holds back only what could still be a value, and lets it go once it is not', () => {
    const filter = new MaskFilter(['hunter22']);
    expect(filter.push(Buffer.from('say hun')).toString()).toBe('say ');
    expect(filter.push(Buffer.from('gry')).toString()).toBe('hungry');
    expect(filter.end().toString()).toBe('');
  });

  it('at the end, passes on a held-back start of a value unmasked', () => {
    expect(run(['hunter22'], ['ends with hunt']).toString()).toBe('ends with hunt');
  });

  it('replaces the longer of two values that share a start', () => {
    expect(run(['abcd', 'abcdefgh'], ['x abcdefgh y abcd z']).toString()).toBe('x *** y *** z');
    expect(run(['abcd', 'abcdefgh'], ['x abcd', 'efgh y']).toString()).toBe('x *** y');
  });

  it('leaves values shorter than 4 characters alone', () => {
    expect(run(['abc', 'on'], ['abc is on']).toString()).toBe('abc is on');
  });

  it('replaces multi-byte UTF-8 values split inside a character, and leaves other bytes as they are', () => {
    const value = 'pässwörd✓';
    const bytes = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe]), Buffer.from(value), Buffer.from([0x80, 0x0a])]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(run([value], [bytes.subarray(0, cut), bytes.subarray(cut)]).equals(Buffer.from([0x00, 0xff, 0xfe, 0x2a, 0x2a, 0x2a, 0x80, 0x0a])), `cut at ${cut}`).toBe(true);
    }
  });

  it('gives the same output however the stream is cut (property)', () => {
    const value = fc.string({ minLength: 4, maxLength: 12, unit: fc.constantFrom('a', 'b', 'c', 'ä', '\n') });
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 3 }), fc.array(fc.string({ maxLength: 8, unit: fc.constantFrom('a', 'b', 'c', 'x', 'ä', '\n') }), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 5 }), (values, pieces, cuts) => {
        const text = Buffer.from(pieces.flatMap((piece, i) => [piece, values[i % values.length] ?? '']).join(''));
        const whole = run(values, [text]);
        const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points, text.length].slice(1).map((end, i, ends) => text.subarray(i === 0 ? 0 : (ends[i - 1] ?? 0), end));
        expect(run(values, chunks).equals(whole)).toBe(true);
        for (const v of values) expect(whole.includes(Buffer.from(v))).toBe(false);
      }),
    );
  });
});
