import { describe, expect, it } from 'vitest';
import { VaultUnavailableError } from '../../../src/errors.ts';
import { Redactor } from '../../../src/redact.ts';
import { VaultFailure, describeFailure, describeVaultErrors, failureForStatus, parseRetryAfter, unavailableError } from '../../../src/vault/failure.ts';

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

describe('Retry-After', () => {
  const now = Date.parse('2030-01-02T03:04:05Z');
  it.each<[string | undefined, number | undefined]>([
    ['120', 120_000],
    ['0', 0],
    ['007', 7_000],
    ['Wed, 02 Jan 2030 03:04:08 GMT', 3_000], // an HTTP date 3 s from now
    ['Wed, 02 Jan 2030 03:04:00 GMT', 0], // one that has passed
    ['99999999999999999999', 2_147_483_647], // no longer than a Node timer can wait
    [undefined, undefined],
    ['', undefined],
    ['1.5', undefined],
    ['-1', undefined],
    ['1e3', undefined],
    ['0x10', undefined],
    ['soon', undefined],
    ['2030-01-02T03:04:08Z', undefined], // a date, but not an HTTP date
  ])('%j is %j ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it('is kept from a 429 and a 503 only', () => {
    expect(failureForStatus(429, [], '2', now)).toMatchObject({ kind: 'throttled', retryAfterMs: 2_000 });
    expect(failureForStatus(503, [], '2', now)).toMatchObject({ kind: 'unavailable', retryAfterMs: 2_000 });
    expect(failureForStatus(429, [], undefined, now)).toMatchObject({ kind: 'throttled', retryAfterMs: undefined });
    expect(failureForStatus(500, [], '2', now)).toMatchObject({ kind: 'server-error', retryAfterMs: undefined });
    expect(failureForStatus(404, [], '2', now)).toMatchObject({ kind: 'not-found', retryAfterMs: undefined });
  });
});
