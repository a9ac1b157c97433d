import { describe, expect, it } from 'vitest';
import { githubTokenUrl, githubTokenValue } from '../../../src/auth/github-actions-token.ts';
import { AuthError } from '../../../src/errors.ts';
import { thrown } from '../../helpers/thrown.ts';

describe('githubTokenUrl', () => {
  it('adds the audience to the URL GitHub gives the job, keeping its own query', () => {
    expect(githubTokenUrl('https://pipelines.example.test/abc/_apis/token?api-version=2.0', 'https://vault.example.com').href).toBe(
      'https://pipelines.example.test/abc/_apis/token?api-version=2.0&audience=https%3A%2F%2Fvault.example.com',
    );
  });

  it('asks for no audience without --jwt-audience: GitHub then uses its default', () => {
    expect(githubTokenUrl('https://pipelines.example.test/t?api-version=2.0', undefined).search).toBe('?api-version=2.0');
  });

  it.each(['not a url', 'file:///etc/passwd'])('refuses %s as an AuthError', (endpoint) => {
    const error = thrown(() => githubTokenUrl(endpoint, undefined));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).input).toBe('the GitHub Actions ID token request (ACTIONS_ID_TOKEN_REQUEST_URL)');
  });
});

describe('githubTokenValue', () => {
  it('takes the JWT under "value", and nothing else', () => {
    expect(githubTokenValue('{"count":1,"value":"aaa.bbb.ccc"}')).toBe('aaa.bbb.ccc');
    expect(githubTokenValue('{"value":"not a jwt"}')).toBeUndefined();
    expect(githubTokenValue('{"value":42}')).toBeUndefined();
    expect(githubTokenValue('<html>')).toBeUndefined();
  });
});
