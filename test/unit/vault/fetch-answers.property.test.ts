// fetch-answers.ts checks the answers every fetch reads by hand: over generated JSON (objects, arrays,
// null and scalars where the data should be, `__proto__` and `constructor` keys, numeric keys, numbers
// JSON.parse reads as Infinity), each check gives what the zod schema in its comment gives, to the key
// order, and never a value of another shape.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { errorList, isDeletedKv2Secret, kv2ReadVersion, leaseFields, mountDescription, secretData } from '../../../src/vault/fetch-answers.ts';

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

const mountSchema = z.object({ data: z.object({ path: z.string(), type: z.string(), options: z.nullish(z.record(z.string(), z.unknown())) }) });

/** Mount lookup answers, parsed from their text, with each field often present, often of the right type. */
const field = (right: fc.Arbitrary<unknown>) => fc.oneof(right, json);
const mountData = fc.record(
  { path: field(fc.constantFrom('secret/', 'kv/team/', '')), type: field(fc.constantFrom('kv', 'generic', 'database')), options: field(fc.oneof(fc.constant(null), fc.record({ version: fc.constantFrom('1', '2') }), json)), extra: json },
  { requiredKeys: [] },
);
const mountText = fc.oneof(mountData.map((data) => ({ data })), json.map((data) => ({ data })), json);

describe('mountDescription against the zod schema', () => {
  it('gives what the schema gives, for any JSON', () => {
    fc.assert(
      fc.property(mountText, (value) => {
        const body = JSON.parse(JSON.stringify(value)) as unknown;
        const ours = mountDescription(body);
        const parsed = mountSchema.safeParse(body);
        const theirs = parsed.success ? parsed.data.data : undefined;
        expect(ours).toEqual(theirs);
        if (ours !== undefined && theirs !== undefined) {
          expect(Object.keys(ours)).toEqual(Object.keys(theirs));
          expect('options' in ours).toBe('options' in theirs);
          if (ours.options && theirs.options) expect(Object.keys(ours.options)).toEqual(Object.keys(theirs.options));
        }
      }),
      { numRuns: 3000 },
    );
  });
});

const leaseSchema = z.object({ lease_id: z.optional(z.string()), lease_duration: z.optional(z.number()), renewable: z.optional(z.boolean()) });
const versionSchema = z.object({ data: z.object({ metadata: z.object({ version: z.number() }) }) });
const deletedSchema = z.object({ data: z.object({ data: z.null() }) });
const errorsSchema = z.object({ errors: z.array(z.string()) });

/**
 * A field often of the right type, often not; `big` stands for a number JSON.parse reads as ±Infinity
 * (a marker longer than any string the generators make, so that nothing else is replaced).
 */
const big = fc.constantFrom('<1e999>', '<-1e999>');
const withBig = (right: fc.Arbitrary<unknown>) => fc.oneof(right, json, big);
const readAnswer = fc.record(
  {
    lease_id: withBig(fc.constantFrom('', 'database/creds/app/x')),
    lease_duration: withBig(fc.constantFrom(0, 60, 2.5, -1)),
    renewable: withBig(fc.boolean()),
    errors: withBig(fc.array(fc.oneof(fc.string({ maxLength: 4 }), json), { maxLength: 3 })),
    data: fc.oneof(
      json,
      fc.record({ data: fc.oneof(fc.constant(null), json), metadata: fc.oneof(json, fc.record({ version: withBig(fc.constantFrom(1, 7)) }, { requiredKeys: [] })) }, { requiredKeys: [] }),
    ),
  },
  { requiredKeys: [] },
);
/** The text of an answer, with each `big` written as the number it stands for, parsed as Vault's answers are. */
const readBody = fc.oneof(readAnswer, json).map((value) => JSON.parse(JSON.stringify(value).replace(/"<(-?1e999)>"/g, '$1')) as unknown);

function zodData<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }, value: unknown): T | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

describe('the lease, version, deleted-secret and error-list checks against their zod schemas', () => {
  it('each gives what its schema gives, for any JSON', () => {
    fc.assert(
      fc.property(readBody, (body) => {
        expect(leaseFields(body)).toEqual(zodData(leaseSchema, body));
        expect(kv2ReadVersion(body)).toEqual(zodData(versionSchema, body)?.data.metadata.version);
        expect(isDeletedKv2Secret(body)).toBe(zodData(deletedSchema, body) !== undefined);
        expect(errorList(body)).toEqual(zodData(errorsSchema, body)?.errors);
      }),
      { numRuns: 3000 },
    );
  });

  it('the generated answers reach every outcome, Infinity among them', () => {
    const bodies = fc.sample(readBody, { numRuns: 3000, seed: 7 });
    expect(bodies.some((body) => leaseFields(body)?.lease_duration !== undefined)).toBe(true);
    const isObject = (body: unknown) => typeof body === 'object' && body !== null && !Array.isArray(body);
    expect(bodies.some((body) => isObject(body) && leaseFields(body) === undefined)).toBe(true);
    expect(bodies.some((body) => kv2ReadVersion(body) !== undefined)).toBe(true);
    expect(bodies.some((body) => isDeletedKv2Secret(body))).toBe(true);
    expect(bodies.some((body) => (errorList(body)?.length ?? 0) > 0)).toBe(true);
    // Numbers JSON.parse reads as Infinity (the `big` fields) are among them: zod's finite rule is exercised.
    expect(bodies.some((body) => isObject(body) && (body as Record<string, unknown>).lease_duration === Infinity)).toBe(true);
  });
});

