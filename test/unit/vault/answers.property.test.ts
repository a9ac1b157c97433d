// secretData checks a secret read by hand: over generated JSON (objects, arrays, null and scalars
// where the data should be, `__proto__` and `constructor` keys, numeric keys), it gives what the zod
// schemas it replaces gave, to the key order, and never a value of another shape.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { secretData } from '../../../src/vault/answers.ts';

const kv1Answer = z.object({ data: z.record(z.string(), z.unknown()) });
const kv2Answer = z.object({ data: z.object({ data: z.record(z.string(), z.unknown()) }) });

function reference(json: unknown, version: 1 | 2): Record<string, unknown> | undefined {
  if (version === 2) {
    const parsed = kv2Answer.safeParse(json);
    return parsed.success ? parsed.data.data.data : undefined;
  }
  const parsed = kv1Answer.safeParse(json);
  return parsed.success ? parsed.data.data : undefined;
}

const KEYS = ['data', 'metadata', '__proto__', 'constructor', 'value', '1', '0', 'a', 'toString', 'lease_id'];
const key = fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 }));
/** JSON values whose objects often have the keys a secret read has, nested three deep. */
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, 0, 1.5, '', 's'),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value;
/** As the text Vault sends, parsed: JSON.parse makes `__proto__` an own key, which a literal would not. */
const answer = json.map((value) => JSON.parse(JSON.stringify({ data: value })) as unknown);
const v2Answer = json.map((value) => JSON.parse(JSON.stringify({ data: { data: value, metadata: { version: 1 } } })) as unknown);

describe('secretData against the zod schemas', () => {
  it.each([1, 2] as const)('gives what the KV v%i schema gives, for any JSON', (version) => {
    fc.assert(
      fc.property(fc.oneof(answer, v2Answer, json), (body) => {
        const ours = secretData(body, version);
        const theirs = reference(body, version);
        expect(ours).toEqual(theirs);
        if (ours !== undefined && theirs !== undefined) {
          expect(Object.keys(ours)).toEqual(Object.keys(theirs));
          expect(Object.getPrototypeOf(ours)).toBe(Object.prototype);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('drops an own __proto__ key and keeps the others, in their order', () => {
    const body = JSON.parse('{"data":{"data":{"b":"2","__proto__":{"x":"1"},"a":"1","constructor":"c"}}}') as unknown;
    const data = secretData(body, 2);
    expect(data).toEqual(reference(body, 2));
    expect(Object.keys(data ?? {})).toEqual(['b', 'a', 'constructor']);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(secretData(JSON.parse('{"data":[1]}') as unknown, 1)).toBeUndefined();
    expect(secretData(JSON.parse('{"data":{"data":[]}}') as unknown, 2)).toBeUndefined();
  });
});
