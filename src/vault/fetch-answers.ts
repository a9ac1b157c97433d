// The answers every fetch of secrets reads, checked by hand: the mount lookup, secret reads (their
// data, a deleted KV v2 secret, the lease and version --supervise watches) and Vault's error lists.
// Each is checked as the zod schema in its comment would check it, and
// test/unit/vault/fetch-answers.property.test.ts holds each to that schema over generated JSON. By
// hand because every run that reads a secret gets these answers, hundreds of times in a long run:
// building a schema would load zod's code into every such run (answers.ts loads it for logins and
// token files alone), and zod's generic parse allocates several times an answer's size. Each check
// takes parsed JSON and gives back plain typed data, or undefined when the shape is wrong.

export interface MountDescription {
  path: string;
  type: string;
  options?: Record<string, unknown> | null | undefined;
}

/**
 * sys/internal/ui/mounts/<path>: the mount a path is under.
 * `z.object({ data: z.object({ path: z.string(), type: z.string(), options: z.nullish(z.record(z.string(), z.unknown())) }) })`
 */
export function mountDescription(json: unknown): MountDescription | undefined {
  const data = field(json, 'data');
  if (!isJsonObject(data)) return undefined;
  const { path, type } = data;
  if (typeof path !== 'string' || typeof type !== 'string') return undefined;
  if (!('options' in data)) return { path, type };
  const { options } = data;
  if (options === null || options === undefined) return { path, type, options };
  const record = jsonRecord(options);
  return record === undefined ? undefined : { path, type, options: record };
}

/**
 * The key/value map of a KV v1 or v2 secret read: `data` (v1) or `data.data` (v2), an object.
 * `z.object({ data: z.record(z.string(), z.unknown()) })`, and for v2 the same within `data`.
 */
export function secretData(json: unknown, version: 1 | 2): Record<string, unknown> | undefined {
  const data = field(json, 'data');
  return jsonRecord(version === 2 ? field(data, 'data') : data);
}

/** A KV v2 secret deleted but not destroyed: `data: null`. `z.object({ data: z.object({ data: z.null() }) })` */
export function isDeletedKv2Secret(json: unknown): boolean {
  const data = field(json, 'data');
  return isJsonObject(data) && data.data === null;
}

export interface LeaseFields {
  lease_id?: string | undefined;
  lease_duration?: number | undefined;
  renewable?: boolean | undefined;
}

/**
 * The lease of a secret read (a dynamic secret's), or of sys/leases/renew's answer: its id, TTL in
 * seconds and renewability.
 * `z.object({ lease_id: z.optional(z.string()), lease_duration: z.optional(z.number()), renewable: z.optional(z.boolean()) })`
 */
export function leaseFields(json: unknown): LeaseFields | undefined {
  if (!isJsonObject(json)) return undefined;
  const { lease_id, lease_duration, renewable } = json;
  if (lease_id !== undefined && typeof lease_id !== 'string') return undefined;
  if (lease_duration !== undefined && !isFiniteNumber(lease_duration)) return undefined;
  if (renewable !== undefined && typeof renewable !== 'boolean') return undefined;
  const lease: LeaseFields = {};
  if (lease_id !== undefined) lease.lease_id = lease_id;
  if (lease_duration !== undefined) lease.lease_duration = lease_duration;
  if (renewable !== undefined) lease.renewable = renewable;
  return lease;
}

/**
 * The version of a KV v2 secret read (`data.metadata.version`).
 * `z.object({ data: z.object({ metadata: z.object({ version: z.number() }) }) })`
 */
export function kv2ReadVersion(json: unknown): number | undefined {
  const version = field(field(field(json, 'data'), 'metadata'), 'version');
  return isFiniteNumber(version) ? version : undefined;
}

/** Vault's `{"errors": [...]}`. `z.object({ errors: z.array(z.string()) })` */
export function errorList(json: unknown): string[] | undefined {
  const errors = field(json, 'errors');
  if (!Array.isArray(errors) || !errors.every((error) => typeof error === 'string')) return undefined;
  return [...errors] as string[];
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, key: string): unknown {
  return isJsonObject(value) ? value[key] : undefined;
}

/** zod's number: finite (JSON.parse reads 1e999 as Infinity). */
function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A copy of an object's own keys and values, without `__proto__` (an assignment would set the prototype), as zod's record gives it. */
function jsonRecord(value: unknown): Record<string, unknown> | undefined {
  if (!isJsonObject(value)) return undefined;
  const record: Record<string, unknown> = {};
  for (const key of Object.keys(value)) if (key !== '__proto__') record[key] = value[key];
  return record;
}
