// The run command's command line in its plain form, read without commander: long options of the
// run command's rows (`--name VALUE`, `--name=VALUE`, `--flag`, `--no-flag`), then `--` or the first
// argument that is not an option, which starts CMD [ARGS...]. For anything else (help, version,
// `renew`, a short option, an unknown option, a value given to a boolean, an option missing its value)
// it answers undefined, and program.ts (commander) parses the command line: commander alone prints the
// help and explains mistakes.
//
// Why: loading commander and building its program costs ~4 ms of a ~25 ms start, and a plain command
// line does not need it. test/unit/cli/argv.test.ts checks that both agree on what this accepts.

import { optionsFor, type OptionId } from '../config/options.ts';
import type { FlagValues, RunCommandLine } from '../config/sources.ts';

/** What a long flag means: a value, one more value of a list, or a boolean (`--X` true, `--no-X` false). */
type FlagMeaning = { id: OptionId; takes: 'value' | 'repeated' } | { id: OptionId; takes: 'nothing'; value: boolean };

let flagTable: ReadonlyMap<string, FlagMeaning> | undefined;

/** The run command's long flags, as program.ts defines them for commander. */
function runFlags(): ReadonlyMap<string, FlagMeaning> {
  if (flagTable !== undefined) return flagTable;
  const table = new Map<string, FlagMeaning>();
  for (const row of optionsFor('run')) {
    const [primary] = row.flags;
    if (primary === undefined) continue;
    if (row.kind === 'boolean') {
      // Booleans have no aliases on the command line: only --X and --no-X.
      table.set(primary, { id: row.id, takes: 'nothing', value: true });
      table.set(`no-${primary}`, { id: row.id, takes: 'nothing', value: false });
      continue;
    }
    for (const flag of row.flags) table.set(flag, { id: row.id, takes: row.repeatable === true ? 'repeated' : 'value' });
  }
  flagTable = table;
  return table;
}

/** The run command line, or undefined when commander has to parse it (see the top of this file). */
export function scanRunCommandLine(argv: readonly string[]): RunCommandLine | undefined {
  if (argv[0] === 'renew') return undefined;
  const flags: FlagValues = {};
  // One list for the repeatable flags and their aliases together, in the order given, as program.ts keeps it.
  const repeated: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') return runCommandLine(flags, argv.slice(i + 1));
    if (!arg.startsWith('-')) return runCommandLine(flags, argv.slice(i));
    if (!arg.startsWith('--')) return undefined;
    const equals = arg.indexOf('=');
    const meaning = runFlags().get(equals === -1 ? arg.slice(2) : arg.slice(2, equals));
    if (meaning === undefined) return undefined;
    if (meaning.takes === 'nothing') {
      if (equals !== -1) return undefined;
      flags[meaning.id] = meaning.value;
      continue;
    }
    let value: string | undefined;
    if (equals !== -1) value = arg.slice(equals + 1);
    else value = argv[++i];
    if (value === undefined) return undefined;
    if (meaning.takes === 'repeated') {
      repeated.push(value);
      flags[meaning.id] = [...repeated];
    } else flags[meaning.id] = value;
  }
  return runCommandLine(flags, []);
}

function runCommandLine(flags: FlagValues, operands: readonly string[]): RunCommandLine {
  const [command, ...args] = operands;
  return { kind: 'run', flags, command, args };
}
