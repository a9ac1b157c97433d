import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'vaultenv-export-unit-'));
const NO_FILES = { system: join(dir, 'none.conf'), user: undefined, local: join(dir, '.env') };
writeFileSync(join(dir, 'empty.secrets'), '# nothing yet\n');

async function exportTo(argv: string[], terminal: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['export', ...argv], { VAULT_TOKEN: 'hvs.unit-token' }, {
    output: { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) },
    cwd: dir,
    run: () => Promise.reject(new Error('export starts nothing')),
    configFiles: NO_FILES,
    wellKnownTokenFiles: [],
    isTerminal: (fd) => fd === 1 && terminal,
  });
  return { code, stdout, stderr };
}

describe('vaultenv export and a terminal', () => {
  it('refuses to print secrets to a terminal, before reading the secrets file', async () => {
    const result = await exportTo(['--secrets-file', 'missing.secrets'], true);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'vaultenv: vaultenv export would print secrets to a terminal (stdout). Write them to a file with --output FILE, redirect stdout, or pass --force to print them\n',
    );
  });

  it('prints to a terminal with --force, and to anything else without it', async () => {
    expect(await exportTo(['--secrets-file', 'empty.secrets', '--force', '--format', 'json'], true)).toEqual({ code: 0, stdout: '{}\n', stderr: '' });
    expect(await exportTo(['--secrets-file', 'empty.secrets', '--format', 'json'], false)).toEqual({ code: 0, stdout: '{}\n', stderr: '' });
  });
});
