// GitHub Actions' side of the secrets: the workflow commands that mask values in the job log
// (`::add-mask::`), and the entries of $GITHUB_ENV that hand a secret to the job's later steps, in
// the multi-line form with a random delimiter that the value cannot end early. Pure text: the
// caller writes it.

import crypto from 'node:crypto';

/**
 * `::add-mask::` for each value and for each line of a multi-line value (the runner masks line by
 * line), blank lines left out, each once; escaped as the runner unescapes command data.
 */
export function addMaskCommands(values: readonly string[]): string {
  const masked = new Set<string>();
  for (const value of values) {
    const lines = /[\r\n]/.test(value) ? value.split(/\r?\n|\r/) : [];
    for (const part of [value, ...lines]) if (part.trim() !== '') masked.add(part);
  }
  return [...masked].map((part) => `::add-mask::${escapeCommandData(part)}\n`).join('');
}

/** The escaping of a workflow command's data: %, CR and LF (as @actions/core does). */
function escapeCommandData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** A random delimiter; `random` is injectable so the tests can force a collision. */
export type DelimiterSource = () => string;
const randomDelimiter: DelimiterSource = () => `ghadelimiter_${crypto.randomBytes(16).toString('hex')}`;

/**
 * One $GITHUB_ENV entry: `NAME<<DELIMITER`, the value, the delimiter, each on its own line. The
 * delimiter is drawn again until the value does not contain it, so the value cannot end the entry
 * early or inject another variable.
 */
export function githubEnvEntry(name: string, value: string, delimiter: DelimiterSource = randomDelimiter): string {
  let chosen = delimiter();
  for (let attempt = 0; value.includes(chosen) || name.includes(chosen); attempt++) {
    if (attempt >= 100) throw new Error('no delimiter the value does not contain');
    chosen = delimiter();
  }
  return `${name}<<${chosen}\n${value}\n${chosen}\n`;
}
