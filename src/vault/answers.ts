// The shapes vaultenv accepts from outside, checked with zod: Vault's JSON answers, and the JSON files
// Vault's tooling writes (kubernetes-vault token files, AppRole secret ID files); a secret read, the
// one answer a run gets hundreds of, is checked by hand. The only importer of zod. Each check takes
// parsed JSON and gives back plain typed data, or undefined when the shape is wrong; the callers turn
// that into their own errors. A schema is built on first use: a run builds only those of the answers
// it gets (each costs start-up time).

import * as z from 'zod/mini';

/** A token goes into an HTTP header: printable ASCII without spaces. */
export const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/;

/** A schema, built the first time it is needed. */
function lazy<T>(build: () => T): () => T {
  let schema: T | undefined;
  return () => (schema ??= build());
}

/** `data` when `json` has the schema's shape, else undefined. */
function check<T>(schema: z.ZodMiniType<T>, json: unknown): T | undefined {
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

export interface MountDescription {
  path: string;
  type: string;
  options?: Record<string, unknown> | null | undefined;
}

/**
 * sys/internal/ui/mounts/<path>: the mount a path is under. Checked by hand, as
 * `z.object({ data: z.object({ path: z.string(), type: z.string(), options: z.nullish(z.record(z.string(), z.unknown())) }) })`
 * would check it (test/unit/vault/answers.property.test.ts holds it to that schema): every run that
 * reads a secret gets this answer first, and building the schema would load zod's code for it.
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

const kv2Deleted = lazy(() => z.object({ data: z.object({ data: z.null() }) }));

/**
 * The key/value map of a KV v1 or v2 secret read: `data` (v1) or `data.data` (v2), an object. Checked
 * by hand, as `z.object({ data: z.record(z.string(), z.unknown()) })` and its v2 form would check it
 * (test/unit/vault/answers.property.test.ts holds it to them): it runs once per secret, and zod's
 * generic parse allocates several times the answer's size for each.
 */
export function secretData(json: unknown, version: 1 | 2): Record<string, unknown> | undefined {
  const data = field(json, 'data');
  return jsonRecord(version === 2 ? field(data, 'data') : data);
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, key: string): unknown {
  return isJsonObject(value) ? value[key] : undefined;
}

/** A copy of an object's own keys and values, without `__proto__` (an assignment would set the prototype), as zod's record gives it. */
function jsonRecord(value: unknown): Record<string, unknown> | undefined {
  if (!isJsonObject(value)) return undefined;
  const record: Record<string, unknown> = {};
  for (const key of Object.keys(value)) if (key !== '__proto__') record[key] = value[key];
  return record;
}

/** A KV v2 secret deleted but not destroyed: `data: null`. */
export function isDeletedKv2Secret(json: unknown): boolean {
  return check(kv2Deleted(), json) !== undefined;
}

export interface LeaseFields {
  lease_id?: string | undefined;
  lease_duration?: number | undefined;
  renewable?: boolean | undefined;
}

const leaseAnswer = lazy(() =>
  z.object({ lease_id: z.optional(z.string()), lease_duration: z.optional(z.number()), renewable: z.optional(z.boolean()) }),
);

/** The lease of a secret read (a dynamic secret's), or of sys/leases/renew's answer: its id, TTL in seconds and renewability. */
export function leaseFields(json: unknown): LeaseFields | undefined {
  return check(leaseAnswer(), json);
}

const kv2VersionAnswer = lazy(() => z.object({ data: z.object({ metadata: z.object({ version: z.number() }) }) }));

/** The version of a KV v2 secret read (`data.metadata.version`). */
export function kv2ReadVersion(json: unknown): number | undefined {
  return check(kv2VersionAnswer(), json)?.data.metadata.version;
}

const kv2MetadataAnswer = lazy(() => z.object({ data: z.object({ current_version: z.number() }) }));

/** `<mount>/metadata/<path>` of KV v2: the secret's current version. */
export function kv2CurrentVersion(json: unknown): number | undefined {
  return check(kv2MetadataAnswer(), json)?.data.current_version;
}

const errorsAnswer = lazy(() => z.object({ errors: z.array(z.string()) }));

/** Vault's `{"errors": [...]}`. */
export function errorList(json: unknown): string[] | undefined {
  return check(errorsAnswer(), json)?.errors;
}

const loginAnswer = lazy(() => z.object({ auth: z.object({ client_token: z.string().check(z.minLength(1)) }) }));

/** auth/<mount>/login: the client token. */
export function loginClientToken(json: unknown): string | undefined {
  return check(loginAnswer(), json)?.auth.client_token;
}

const secretIdAnswer = lazy(() => z.object({ data: z.object({ secret_id: z.string().check(z.minLength(1)) }) }));

/** `{"data": {"secret_id": …}}`: sys/wrapping/unwrap of a wrapped secret ID, or a secret ID file holding Vault's answer. */
export function secretId(json: unknown): string | undefined {
  return check(secretIdAnswer(), json)?.data.secret_id;
}

const wrapAnswer = lazy(() => z.union([z.object({ token: z.string() }), z.object({ wrap_info: z.object({ token: z.string() }) })]));

/** A response-wrapping token: `{"token": …}` or Vault's `{"wrap_info": {"token": …}}`. */
export function wrappingToken(json: unknown): string | undefined {
  const answer = check(wrapAnswer(), json);
  if (answer === undefined) return undefined;
  return 'token' in answer ? answer.token : answer.wrap_info.token;
}

export interface TokenLookupData {
  accessor: string;
  ttl: number;
  creation_ttl: number;
  renewable: boolean;
  expire_time?: string | null | undefined;
}

const lookupAnswer = lazy(() =>
  z.object({
    data: z.object({
      accessor: z.string(),
      ttl: z.number(),
      creation_ttl: z.number(),
      renewable: z.boolean(),
      expire_time: z.optional(z.nullable(z.string())),
    }),
  }),
);

/** auth/token/lookup-self. */
export function tokenLookupData(json: unknown): TokenLookupData | undefined {
  return check(lookupAnswer(), json)?.data;
}

const renewAnswer = lazy(() => z.object({ auth: z.object({ lease_duration: z.number() }) }));

/** auth/token/renew-self: the new TTL in seconds. */
export function renewedLeaseDuration(json: unknown): number | undefined {
  return check(renewAnswer(), json)?.auth.lease_duration;
}

export interface KubernetesVaultTokenFile {
  clientToken: string;
  accessor?: string | undefined;
  leaseDuration?: number | undefined;
  renewable?: boolean | undefined;
  vaultAddr?: string | undefined;
}

const tokenFileShape = lazy(() =>
  z.object({
    clientToken: z.string().check(z.regex(TOKEN_CHARACTERS)),
    accessor: z.optional(z.string()),
    leaseDuration: z.optional(z.int().check(z.minimum(0))),
    renewable: z.optional(z.boolean()),
    vaultAddr: z.optional(z.string()),
  }),
);

/**
 * A kubernetes-vault token file (JSON): its fields, or the names of the fields that are wrong (names
 * from this schema, never from the file).
 */
export function kubernetesVaultTokenFile(json: unknown): { fields: KubernetesVaultTokenFile } | { invalid: string[] } {
  const parsed = tokenFileShape().safeParse(json);
  if (parsed.success) return { fields: parsed.data };
  return { invalid: [...new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '')))].filter((field) => field !== '') };
}
