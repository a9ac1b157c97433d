// The README is checked against the code it documents: its option reference must be what
// scripts/options-table.mjs generates from src/config/options.ts, its exit-code table must list every
// EXIT code, every vaultenv flag and npm script it names must exist, and its version 3 secrets-file
// example and table of line forms must parse to what they say.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { OPTIONS } from '../../src/config/options.ts';
import { EXIT } from '../../src/errors.ts';
import { parseSecretsFile } from '../../src/secrets-file/parse.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts', 'options-table.mjs');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The generator's functions (the script is plain JavaScript, so it is typed here). */
interface OptionsTableModule {
  renderOptionsTable(): string;
  expectedOptionsBlock(): string;
  readOptionsBlock(readme: string): string | undefined;
  replaceOptionsBlock(readme: string): string;
}
const generator = (await import(pathToFileURL(script).href)) as OptionsTableModule;

/** Flags the README names that belong to other programs (docker run and its --env-file, COPY), or are planned and marked so. */
const OTHER_FLAGS = new Set(['--init', '--from', '--env-file']);

/** The body of the README section whose heading is `## <title>`. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README section "${title}"`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('README options table', () => {
  it('is what scripts/options-table.mjs generates from src/config/options.ts', () => {
    const block = generator.readOptionsBlock(readme);
    expect(block, 'README has the <!-- options:start --> … <!-- options:end --> markers').toBeDefined();
    expect(block, 'run: node scripts/options-table.mjs --write').toBe(generator.expectedOptionsBlock());
    expect(generator.replaceOptionsBlock(readme)).toBe(readme);
  });

  it('has one row per option, in table order', () => {
    const rows = generator.renderOptionsTable().split('\n').slice(2);
    expect(rows).toHaveLength(OPTIONS.length);
    OPTIONS.forEach((option, i) => {
      const first = option.flags[0] === undefined ? `\`${option.metavar}\`` : `\`--${option.flags[0]}`;
      expect(rows[i], option.id).toContain(first);
      for (const name of option.env) expect(rows[i], option.id).toContain(`\`${name}\``);
    });
  });

  it('is checked by `node scripts/options-table.mjs --check`', () => {
    const result = spawnSync(process.execPath, [script, '--check'], { cwd: root, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('README exit codes', () => {
  const codes = [...section('Exit codes').matchAll(/^\| *([^|]+?) *\|/gm)].map((match) => match[1]);

  it('lists every code in EXIT (src/errors.ts)', () => {
    for (const [name, code] of Object.entries(EXIT)) expect(codes, `EXIT.${name}`).toContain(String(code));
  });

  it('lists no number that is not in EXIT', () => {
    const known = new Set<string>(Object.values(EXIT).map(String));
    for (const code of codes.filter((cell) => /^[0-9]+$/.test(cell ?? ''))) expect(known, `exit code ${code}`).toContain(code);
  });

  it("lists the code bin/vaultenv refuses an old Node with, which is EXIT's usage code", () => {
    const launcher = readFileSync(join(root, 'bin', 'vaultenv'), 'utf8');
    const exits = [...launcher.matchAll(/process\.exit(?:Code = |\()(\d+)/g)].map((match) => match[1]);
    expect(exits).toEqual([String(EXIT.usage)]);
    expect(codes).toContain(String(EXIT.usage));
  });

  it('says that vaultenv never exits with 1, and where 134 comes from', () => {
    const text = section('Exit codes').replace(/\s+/g, ' ');
    expect(text).toContain('vaultenv itself never exits with 1');
    expect(text).toContain('134 (an abort) comes only from Node 22.15 to 25');
  });
});

describe('README commands', () => {
  it('names only vaultenv flags that exist', () => {
    const known = new Set(['--help', '--version']);
    for (const option of OPTIONS) {
      for (const flag of option.flags) known.add(`--${flag}`);
      if (option.kind === 'boolean') for (const flag of option.flags) known.add(`--no-${flag}`);
    }
    // HTML comments are notes for editors (they name the generator script's own --write).
    const text = readme.replace(/<!--[\s\S]*?-->/g, '');
    const named = new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*(?![\w-])/g)].map((match) => match[0]));
    expect([...named].filter((flag) => !known.has(flag) && !OTHER_FLAGS.has(flag))).toEqual([]);
  });

  it('names only npm scripts that exist', () => {
    const scripts = Object.keys(packageJson.scripts);
    for (const [, name] of readme.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)) expect(scripts, `npm run ${name}`).toContain(name);
    expect(readme).toContain('npm test');
    expect(scripts).toContain('test');
  });
});

describe('README version 3 secrets file', () => {
  const text = section('The secrets file');
  const scope = { env: { DEPLOY_ENV: 'prod' }, withheld: new Set<string>() };

  it('has an example that parses to the lines it shows', () => {
    const example = /```\n(VERSION 3\n[^`]*)```/.exec(text)?.[1] ?? '';
    const refs = parseSecretsFile(example, 'README.md', scope);
    expect(refs.map((ref) => [ref.kind === 'key' ? ref.variable : `${ref.prefix}*`, ref.mount, ref.path, ref.version, ref.optional, ref.fallback, ref.kind === 'key' && ref.asFile === true])).toEqual([
      ['DB_PASSWORD', 'secret', 'app/db', undefined, false, undefined, false],
      ['DB_*', 'secret', 'app/db', undefined, false, undefined, false],
      ['API_KEY', 'secret', 'app/api', 3, false, undefined, false],
      ['SENTRY_DSN', 'secret', 'app/sentry', undefined, true, undefined, false],
      ['LOG_LEVEL', 'secret', 'app/cfg', undefined, true, 'info', false],
      ['TLS_KEY', 'secret', 'app/tls', undefined, false, undefined, true],
      ['REGION_DB', 'kv-prod', 'app/eu/db', undefined, false, undefined, false],
    ]);
  });

  it('has a table whose every line form parses in a version 3 file, with the names it gives', () => {
    const rows = [...text.matchAll(/^\| `([^`]+)` \| [^|]+ \| ([^|]+) \|$/gm)].map((match) => [match[1] ?? '', match[2] ?? ''] as const);
    expect(rows).toHaveLength(10);
    for (const [line, variables] of rows) {
      const file = line.startsWith('MOUNT ') ? `VERSION 3\n${line}\n` : `VERSION 3\nMOUNT secret\n${line}\n`;
      const [ref] = parseSecretsFile(file, 'README.md', scope);
      if (ref === undefined) continue;
      // The first variable the row names is the line's, or (for #*) starts with its prefix.
      const first = /`([A-Z_]+)/.exec(variables)?.[1] ?? '';
      if (ref.kind === 'key') expect(first, line).toBe(ref.variable);
      else expect(first.startsWith(ref.prefix), line).toBe(true);
    }
  });
});
