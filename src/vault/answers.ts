// The shapes vaultenv accepts from outside that are checked with zod: the answers of logins, token
// lookups and renewals and KV v2 metadata, and the JSON files Vault's tooling writes (kubernetes-vault
// token files, AppRole secret ID files). The only importer of zod. The answers every fetch of secrets
// reads (the mount lookup, secret reads, error lists) are checked by hand in fetch-answers.ts, so
// that a run that logs in nowhere and reads no token file never loads zod (its module costs start-up
// time). Each check takes parsed JSON and gives back plain typed data, or undefined when the shape
// is wrong; the callers turn that into their own errors. A schema is built on first use: a run
// builds only those of the answers it gets.

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

const kv2MetadataAnswer = lazy(() => z.object({ data: z.object({ current_version: z.number() }) }));

/** `<mount>/metadata/<path>` of KV v2: the secret's current version. */
export function kv2CurrentVersion(json: unknown): number | undefined {
  return check(kv2MetadataAnswer(), json)?.data.current_version;
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
