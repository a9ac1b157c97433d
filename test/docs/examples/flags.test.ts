// Every flag written anywhere under examples/ must be one vaultenv has (a row of OPTIONS, `--no-` of a
// boolean row, --help or --version), or one of the listed flags of the other programs the recipes call.
// And every vaultenv command line in the recipes' READMEs and Dockerfiles must parse with vaultenv's own
// parser (the manifests' and workflows' command lines are parsed by kubernetes.test.ts and ci.test.ts).

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/cli/command-line.ts';
import { OPTIONS } from '../../../src/config/options.ts';
import { parseFlagSource } from '../../../src/config/sources.ts';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** Flags of the other programs the recipes run, and which program each belongs to. */
const OTHER_FLAGS: Record<string, string> = {
  '--from': 'Dockerfile COPY',
  '--build-arg': 'docker build',
  '--rm': 'docker run',
  '--init': 'docker run',
  '--no-install-recommends': 'apt-get install',
  '--fail': 'curl',
  '--silent': 'curl',
  '--show-error': 'curl',
  '--get': 'curl',
  '--header': 'curl',
  '--data-urlencode': 'curl',
  '--exit-status': 'jq',
  '--raw-output': 'jq',
};

/** vaultenv's flags: each row's flags, --no-X of boolean rows, and commander's --help and --version. */
function vaultenvFlags(): Set<string> {
  const known = new Set(['--help', '--version']);
  for (const row of OPTIONS) {
    for (const flag of row.flags) {
      known.add(`--${flag}`);
      if (row.kind === 'boolean') known.add(`--no-${flag}`);
    }
  }
  return known;
}

/** The `--flag` words of a text (a lone `--` and YAML's `---` are not flags). */
function flagsIn(text: string): string[] {
  return [...text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*(?![\w-])/g)].map((match) => match[0]);
}

function unknownFlags(text: string, known: Set<string>): string[] {
  return flagsIn(text).filter((flag) => !known.has(flag) && OTHER_FLAGS[flag] === undefined);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** vaultenv command lines in a README: code-block lines (with `\` continuations joined) and inline code. */
function readmeCommandLines(text: string): string[][] {
  const lines: string[] = [];
  for (const block of text.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)) lines.push(...(block[1] ?? '').replace(/\\\n/g, ' ').split('\n'));
  for (const span of text.matchAll(/`(vaultenv [^`]+)`/g)) lines.push(span[1] ?? '');
  return lines
    .map((line) => line.trim().replace(/^exec\s+/, '').split(/\s+/))
    .filter((words) => words[0] === 'vaultenv');
}

/** Why vaultenv would refuse these arguments, or undefined when it takes them. */
function refusal(args: string[]): string | undefined {
  try {
    const line = parseCommandLine(args);
    if (line.kind === 'mistake') return line.error.message;
    if (line.kind === 'run' || line.kind === 'renew') parseFlagSource(line);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('flags in examples/', () => {
  const known = vaultenvFlags();

  it('lists only flags of other programs that vaultenv does not have', () => {
    expect(Object.keys(OTHER_FLAGS).filter((flag) => known.has(flag))).toEqual([]);
  });

  it('are vaultenv flags or listed flags of the other programs', () => {
    const files = filesUnder(examples);
    expect(files.map((file) => relative(examples, file)).sort()).toEqual([
      'ci/README.md',
      'ci/deploy.secrets',
      'ci/github-actions.yml',
      'ci/gitlab-ci.yml',
      'docker/Dockerfile.logstash',
      'docker/README.md',
      'docker/logstash.secrets',
      'kubernetes/README.md',
      'kubernetes/deployment-kubernetes-auth.yaml',
      'kubernetes/deployment-kubernetes-vault.yaml',
      'kubernetes/deployment-openbao-proxy.yaml',
      'kubernetes/deployment-supervise.yaml',
    ]);
    for (const file of files) expect(unknownFlags(readFileSync(file, 'utf8'), known), relative(examples, file)).toEqual([]);
  });

  it('fails on a flag vaultenv does not have, or --no- of a flag that is not boolean', () => {
    expect(unknownFlags('vaultenv --secrets-files a -- b', known)).toEqual(['--secrets-files']);
    expect(unknownFlags('vaultenv --no-token-file -- b', known)).toEqual(['--no-token-file']);
    expect(unknownFlags('vaultenv --no-inherit-env --renew-fraction 0.5 --- -- x', known)).toEqual([]);
  });
});

describe('vaultenv command lines in the READMEs and Dockerfiles of examples/', () => {
  const files = filesUnder(examples);

  it('parse with vaultenv’s parser', () => {
    const checked: string[] = [];
    for (const file of files.filter((path) => path.endsWith('.md'))) {
      for (const words of readmeCommandLines(readFileSync(file, 'utf8'))) {
        checked.push(`${relative(examples, file)}: ${words.slice(0, 3).join(' ')}`);
        expect(refusal(words.slice(1)), `${relative(examples, file)}: ${words.join(' ')}`).toBeUndefined();
      }
    }
    for (const file of files.filter((path) => /Dockerfile/.test(path))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/^ENTRYPOINT (\[.*\])$/gm)) {
        const words = JSON.parse(match[1] ?? '[]') as string[];
        if (!words[0]?.endsWith('/vaultenv')) continue;
        checked.push(`${relative(examples, file)}: ${words.slice(0, 3).join(' ')}`);
        expect(refusal(words.slice(1)), `${relative(examples, file)}: ${words.join(' ')}`).toBeUndefined();
      }
    }
    expect(checked.sort(), 'the command lines found').toEqual([
      'ci/README.md: vaultenv --jwt-role deploy',
      'ci/README.md: vaultenv --jwt-role deploy',
      'ci/README.md: vaultenv check',
      'docker/Dockerfile.logstash: /usr/local/bin/vaultenv --secrets-file /etc/secrets.d/logstash.secrets',
      'kubernetes/README.md: vaultenv --secrets-file /etc/secrets.d/logstash.secrets',
      'kubernetes/README.md: vaultenv --supervise',
      'kubernetes/README.md: vaultenv --token-file /var/run/secrets/boostport.com/vault-token',
      'kubernetes/README.md: vaultenv renew',
      'kubernetes/README.md: vaultenv renew --token-file',
    ]);
  });

  it('fails on a line vaultenv refuses', () => {
    const [words] = readmeCommandLines('```sh\nvaultenv renew --secrets-file x\n```\n');
    expect(refusal(words?.slice(1) ?? [])).toMatch(/--secrets-file/);
    expect(refusal(['--retry-attempts', 'many', '--', 'x'])).toMatch(/retry-attempts/);
    expect(readmeCommandLines('run `vaultenv --a b` and\n```\nexec vaultenv --x \\\n  --y\n```\n')).toEqual([['vaultenv', '--x', '--y'], ['vaultenv', '--a', 'b']]);
  });
});
