import { describe, expect, it } from 'vitest';
import { scanRunCommandLine } from '../../../src/cli/argv.ts';
import { parseCommandLine } from '../../../src/cli/program.ts';
import { optionsFor } from '../../../src/config/options.ts';

const RUN_ROWS = optionsFor('run').filter((row) => row.flags.length > 0);

/** What commander makes of `argv`: the command line, or the name of what it did instead. */
function commander(argv: readonly string[]): unknown {
  try {
    return parseCommandLine(argv);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

/** Every flag of the run command in every form it is written in. */
function everyFlagForm(): string[][] {
  const forms: string[][] = [];
  for (const row of RUN_ROWS) {
    const [primary] = row.flags;
    if (row.kind === 'boolean') {
      forms.push([`--${primary}`], [`--no-${primary}`]);
      continue;
    }
    for (const flag of row.flags) forms.push([`--${flag}`, 'v a=l'], [`--${flag}=v=1`], [`--${flag}=`], [`--${flag}`, '--']);
  }
  return forms;
}

describe('scanRunCommandLine: the plain command lines, as commander reads them', () => {
  it.each(everyFlagForm().map((form) => ({ argv: [...form, '--', 'cmd', 'arg'] })))('$argv', ({ argv }) => {
    const scanned = scanRunCommandLine(argv);
    expect(scanned).toBeDefined();
    expect(scanned).toEqual(commander(argv));
  });

  it.each([
    ['ls'],
    [],
    ['--', 'cmd', '--'],
    ['--'],
    ['--secrets-file', 'a', '--secret-file', 'b', '--secrets-file=c', 'env'],
    ['--port', '1', '--port', '2', 'env'],
    ['--inherit-env', '--no-inherit-env', 'env'],
    ['--no-use-path', '--use-path', 'env', '--no-use-path'],
    ['--secrets-file', 'f', 'ls', '--help', '-h', '--version'],
    ['--port', '--host', 'env'],
    ['--token', '-t', '--', 'env'],
    ['--secrets-file', 'f', 'renew'],
    ['env', '--', '--'],
    ['--host=a=b', '--', '-', '--'],
  ])('%j', (...argv) => {
    const scanned = scanRunCommandLine(argv);
    expect(scanned).toBeDefined();
    expect(scanned).toEqual(commander(argv));
  });
});

describe('scanRunCommandLine: leaves to commander what needs it', () => {
  it.each([
    ['--help'],
    ['-h'],
    ['--version'],
    ['renew'],
    ['renew', '--once'],
    ['-t', 'x', 'env'],
    ['-'],
    ['-5'],
    ['--=x', 'env'],
    ['--unknown', 'env'],
    ['--inherit-env=true', 'env'],
    ['--no-inherit-env=false', 'env'],
    ['--secret-file-x', 'f'],
    ['--port'],
    ['--secrets-file', 'f', '--port'],
    ['--interval', '5', 'env'],
    ['--no-once', 'env'],
  ])('%j', (...argv) => {
    expect(scanRunCommandLine(argv)).toBeUndefined();
  });
});

describe('scanRunCommandLine: agrees with commander on random command lines', () => {
  // A fixed seed: the same command lines every run, thousands of them.
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
  }
  const words = [
    ...everyFlagForm().flat(),
    '--',
    '-',
    '-x',
    '-h',
    '--help',
    '--version',
    '--bogus',
    '--bogus=1',
    '--inherit-env=x',
    'renew',
    'cmd',
    '',
    '=',
    '--=',
  ];

  it('accepts most of them and reads each one it accepts as commander does', () => {
    const next = random(20_261_130);
    let accepted = 0;
    for (let n = 0; n < 4000; n++) {
      const length = Math.floor(next() * 7);
      const argv = Array.from({ length }, () => words[Math.floor(next() * words.length)] ?? '');
      const scanned = scanRunCommandLine(argv);
      if (scanned === undefined) continue;
      accepted++;
      expect(scanned, JSON.stringify(argv)).toEqual(commander(argv));
    }
    expect(accepted).toBeGreaterThan(1000);
  });
});
