import { describe, expect, it } from 'vitest';
import { ConfigError, EXIT, SpecError, renderError } from '../../src/errors.ts';

describe('renderError', () => {
  it('renders one line: what failed, the input, the hint with a capital', () => {
    const { text, exitCode } = renderError(new ConfigError('no command given', { input: 'command line', hint: 'pass a command' }));
    expect(text).toBe('vaultenv: no command given (command line). Pass a command\n');
    expect(exitCode).toBe(EXIT.usage);
  });

  it('adds context lines after the message line', () => {
    const { text } = renderError(new SpecError('bad line', { input: 'f:2:3', context: ['  2 | a b', '    |  ^'] }));
    expect(text).toBe('vaultenv: bad line (f:2:3)\n  2 | a b\n    |  ^\n');
  });

  it('never prints the message of an unexpected error, and exits 70', () => {
    const { text, exitCode } = renderError(new TypeError('value s3cr3t-token is undefined'));
    expect(exitCode).toBe(70);
    expect(text).toContain('internal error (TypeError)');
    expect(text).not.toContain('s3cr3t-token');
  });
});
