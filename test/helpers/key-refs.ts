// Version 1 and 2 files give only one-key refs; the tests that read their variables and keys get them
// typed as such, and fail on a ref of another kind.

import type { KeyRef, SecretRef } from '../../src/secrets-file/secret-ref.ts';

export function keyRefs(refs: readonly SecretRef[]): KeyRef[] {
  return refs.map((ref) => {
    if (ref.kind !== 'key') throw new Error(`expected a one-key ref at line ${ref.position.line}, got ${ref.kind}`);
    return ref;
  });
}
