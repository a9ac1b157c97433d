// Generates the README's option reference from the one options table (src/config/options.ts), so the
// README cannot drift from --help. `node scripts/options-table.mjs` prints the Markdown table;
// `--write` replaces the block between the markers in README.md; `--check` exits 1 when README's block
// differs from what the table generates (test/unit/readme.test.ts runs the same functions).
// It imports the .ts table directly, which needs a Node that strips types (the project's Node 26): run
// it through `bash scripts/with-tools.sh node …`.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OPTIONS } from '../src/config/options.ts';

/** @typedef {import('../src/config/options.ts').OptionRow} OptionRow */

export const START_MARKER = '<!-- options:start -->';
export const END_MARKER = '<!-- options:end -->';
export const README_PATH = fileURLToPath(new URL('../README.md', import.meta.url));

/** Text for a table cell: `|` would end the cell, a newline the row. @param {string} text */
function cell(text) {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** @param {string} text */
function code(text) {
  return `\`${text}\``;
}

/** @param {OptionRow} row */
function flagsCell(row) {
  if (row.flags.length === 0) return `${code(row.metavar ?? row.id)} (positional)`;
  if (row.kind === 'boolean') return row.flags.flatMap((flag) => [code(`--${flag}`), code(`--no-${flag}`)]).join(', ');
  return row.flags.map((flag) => code(`--${flag} ${row.metavar ?? 'VALUE'}`)).join(', ');
}

/** @param {OptionRow} row */
function defaultCell(row) {
  if (row.default === undefined) return '—';
  if (row.default === '') return '(empty)';
  return code(row.default);
}

/** @param {OptionRow} row */
function meaningCell(row) {
  const values = row.values === undefined ? '' : ` Values: ${row.values.map(code).join(', ')}.`;
  return `${row.description}${values}`;
}

/**
 * The Markdown table: one row per OPTIONS row, in table order. Ends without a newline.
 * @param {readonly OptionRow[]} options
 * @returns {string}
 */
export function renderOptionsTable(options = OPTIONS) {
  const lines = ['| Flag(s) | Environment / config key(s) | Default | Meaning |', '|---|---|---|---|'];
  for (const row of options) {
    const env = row.env.length === 0 ? '—' : row.env.map(code).join(', ');
    lines.push(`| ${[flagsCell(row), env, defaultCell(row), meaningCell(row)].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** @param {string} readme @returns {{ from: number, to: number } | undefined} */
function markerIndexes(readme) {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start) return undefined;
  return { from: start + START_MARKER.length, to: end };
}

/**
 * What README holds between the markers, or undefined when the markers are missing.
 * @param {string} readme
 * @returns {string | undefined}
 */
export function readOptionsBlock(readme) {
  const at = markerIndexes(readme);
  return at === undefined ? undefined : readme.slice(at.from, at.to);
}

/**
 * The block as it must read between the markers: the table on lines of its own.
 * @param {readonly OptionRow[]} options
 * @returns {string}
 */
export function expectedOptionsBlock(options = OPTIONS) {
  return `\n${renderOptionsTable(options)}\n`;
}

/**
 * README with the block between the markers replaced by the generated table.
 * @param {string} readme
 * @param {readonly OptionRow[]} options
 * @returns {string}
 */
export function replaceOptionsBlock(readme, options = OPTIONS) {
  const at = markerIndexes(readme);
  if (at === undefined) throw new Error(`README has no ${START_MARKER} … ${END_MARKER} block`);
  return readme.slice(0, at.from) + expectedOptionsBlock(options) + readme.slice(at.to);
}

/** @param {readonly string[]} args @returns {number} */
function runCli(args) {
  if (args.includes('--write')) {
    const readme = readFileSync(README_PATH, 'utf8');
    const updated = replaceOptionsBlock(readme);
    if (updated !== readme) writeFileSync(README_PATH, updated);
    return 0;
  }
  if (args.includes('--check')) {
    const block = readOptionsBlock(readFileSync(README_PATH, 'utf8'));
    if (block === expectedOptionsBlock()) return 0;
    process.stderr.write(
      block === undefined
        ? `README.md: no ${START_MARKER} … ${END_MARKER} block\n`
        : 'README.md: the options table differs from src/config/options.ts; run node scripts/options-table.mjs --write\n',
    );
    return 1;
  }
  process.stdout.write(`${renderOptionsTable()}\n`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = runCli(process.argv.slice(2));
}
