import { describe, expect, it } from 'vitest';
import { VaultUnavailableError } from '../../../src/errors.ts';
import { Redactor } from '../../../src/redact.ts';
import { VaultFailure, describeFailure, describeVaultErrors, failureForStatus, unavailableError } from '../../../src/vault/failure.ts';

describe('describing a failure', () => {
  it("quotes Vault's own error strings, or adds nothing", () => {
    expect(describeVaultErrors(failureForStatus(403, ['permission denied', 'try again']))).toBe(': Vault says "permission denied; try again"');
    expect(describeVaultErrors(failureForStatus(502, []))).toBe('');
    expect(describeFailure(failureForStatus(503, ['Vault is sealed']))).toBe('HTTP 503: Vault says "Vault is sealed"');
    expect(describeFailure(new VaultFailure('unreachable', 'connection refused'))).toBe('connection refused');
  });

  it("quotes at most 200 characters of Vault's error strings, cut at a space, ending in …", () => {
    const words = 'word '.repeat(39); // 195 characters
    expect(describeVaultErrors(failureForStatus(500, [words.trimEnd()]))).toBe(`: Vault says "${words.trimEnd()}"`);
    expect(describeVaultErrors(failureForStatus(500, [`${words}overflowing`]))).toBe(`: Vault says "${words}…"`);
    const many = failureForStatus(500, Array.from({ length: 100 }, (_, i) => `error number ${i}`));
    const quoted = describeVaultErrors(many);
    expect(quoted).toMatch(/^: Vault says "error number 0; error number 1; .* …"$/);
    expect(quoted.length).toBeLessThanOrEqual(': Vault says "'.length + 200 + '…"'.length);
  });

  it('cuts never inside a word: a credential Vault echoes is quoted whole, so the redactor finds it, or not at all', () => {
    const credential = `CANARY${'c'.repeat(60)}`;
    const words = 'word '.repeat(30); // 150 characters: the credential straddles the 200th
    const cut = describeVaultErrors(failureForStatus(400, [`${words}${credential} and more after it`]));
    expect(cut).toBe(`: Vault says "${words}…"`);
    const whole = describeVaultErrors(failureForStatus(400, [`invalid JWT ${credential}`]));
    const redactor = new Redactor();
    redactor.add(credential);
    expect(redactor.redact(whole)).toBe(': Vault says "invalid JWT <redacted>"');
    expect(describeVaultErrors(failureForStatus(400, ['z'.repeat(1200)]))).toBe(': Vault says "…"');
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
