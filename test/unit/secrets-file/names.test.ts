import { describe, it, expect } from 'vitest';
import { deriveVariableName } from '../../../src/secrets-file/names.ts';

describe('deriveVariableName', () => {
  it('joins path and key for a version 1 file, without a mount', () => {
    expect(deriveVariableName(undefined, 'production/third-party', 'api-key')).toBe('PRODUCTION_THIRD_PARTY_API_KEY');
  });

  it('prefixes the mount for a version 2 file', () => {
    expect(deriveVariableName('secret', 'third-party', 'api-key')).toBe('SECRET_THIRD_PARTY_API_KEY');
    expect(deriveVariableName('kv/team-a', 'db/main', 'pass.word')).toBe('KV_TEAM_A_DB_MAIN_PASS.WORD');
  });

  it('turns / and - into _ and keeps every other character', () => {
    expect(deriveVariableName(undefined, 'a-b/c_d', 'E-f')).toBe('A_B_C_D_E_F');
    expect(deriveVariableName(undefined, 'a.b@c+d:e', 'k~1%')).toBe('A.B@C+D:E_K~1%');
    expect(deriveVariableName('secret/', 'foo', 'bar')).toBe('SECRET__FOO_BAR');
  });

  it('upper-cases per code point with the simple mapping, as Haskell toUpper does', () => {
    expect(deriveVariableName(undefined, 'straße', 'maß')).toBe('STRAßE_MAß');
    expect(deriveVariableName(undefined, 'données', 'clé')).toBe('DONNÉES_CLÉ');
    expect(deriveVariableName(undefined, 'пароль', 'ключ')).toBe('ПАРОЛЬ_КЛЮЧ');
    // Full mappings to several code points are not applied: ŉ → ʼN, ǰ → J̌, ﬁ → FI in JS.
    expect(deriveVariableName(undefined, 'ŉǰ', 'ﬁ')).toBe('ŉǰ_ﬁ');
    // Greek with ypogegrammeni: JS gives two code points (ΑΙ), the simple mapping one (ᾼ).
    expect(deriveVariableName(undefined, 'ᾳ', 'ᾀ')).toBe('ᾼ_ᾈ');
    // Title-case letters and dotless i have simple upper-case forms.
    expect(deriveVariableName(undefined, 'ǅ', 'ı')).toBe('Ǆ_I');
  });

  it('keeps characters outside the Basic Multilingual Plane whole', () => {
    expect(deriveVariableName(undefined, '🔑/x', 'y')).toBe('🔑_X_Y');
    expect(deriveVariableName(undefined, '𐐨', 'k')).toBe('𐐀_K');
  });
});
