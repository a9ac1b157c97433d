import { describe, expect, it } from 'vitest';
import { VaultUnavailableError } from '../../../src/errors.ts';
import { VaultFailure, describeFailure, describeVaultErrors, failureForStatus, unavailableError } from '../../../src/vault/failure.ts';

describe('describing a failure', () => {
  it("quotes Vault's own error strings, or adds nothing", () => {
    expect(describeVaultErrors(failureForStatus(403, ['permission denied', 'try again']))).toBe(': Vault says "permission denied; try again"');
    expect(describeVaultErrors(failureForStatus(502, []))).toBe('');
    expect(describeFailure(failureForStatus(503, ['Vault is sealed']))).toBe('HTTP 503: Vault says "Vault is sealed"');
    expect(describeFailure(new VaultFailure('unreachable', 'connection refused'))).toBe('connection refused');
  });

  it('builds the "unavailable" error with a hint for the kind of failure, unless the caller gives one', () => {
    const error = unavailableError('login failed', failureForStatus(503, ['Vault is sealed']), 'github login at auth/github');
    expect(error).toBeInstanceOf(VaultUnavailableError);
    expect(error.message).toBe('login failed: HTTP 503: Vault says "Vault is sealed"');
    expect(error.input).toBe('github login at auth/github');
    expect(error.hint).toMatch(/sealed, in standby/);
    expect(unavailableError('x', new VaultFailure('unreachable', 'connection refused'), 'i').hint).toMatch(/VAULT_ADDR/);
    expect(unavailableError('x', new VaultFailure('invalid-request', 'invalid character in a request header (token or namespace)'), 'i').hint).toMatch(
      /control characters/,
    );
    expect(unavailableError('x', failureForStatus(418, []), 'i').hint).toMatch(/check the Vault server/);
    expect(unavailableError('x', failureForStatus(503, []), 'i', 'my hint').hint).toBe('my hint');
  });
});
