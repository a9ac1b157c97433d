// The Dockerfile is checked against the build it packages, since the tests run without a Docker
// engine: its build stage must install with npm ci and run the build CI runs (scripts/build.mjs) on
// the Node the tests run (scripts/setup.sh's NODE_PACKAGE_VERSION), its final stage must copy exactly
// the single executable that build writes, run as a non-root user and have vaultenv as its exec-form
// entrypoint, and nothing of Node's toolchain may reach the final image.
// examples/docker/Dockerfile.logstash is checked the same way. Each check is a function returning
// problems, and each is shown to fail on a broken copy of the file.

import { existsSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { parseSecretsFile } from '../../src/secrets-file/parse.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

const ARTIFACT_NAME = 'vaultenv-linux-x64';
const INSTALLED = '/usr/local/bin/vaultenv';
const BUILD_SCRIPT = 'scripts/build.mjs';
/** The scripts that may define the executable's path: the build, and the SEA step it calls. */
const BUILD_SCRIPTS = [BUILD_SCRIPT, 'scripts/build-sea.mjs'];
/** The Node the project builds and tests with (scripts/setup.sh), so the one the image's build stage must use. */
const NODE_VERSION = /^NODE_PACKAGE_VERSION="([0-9]+\.[0-9]+\.[0-9]+)"$/m.exec(read('scripts/setup.sh'))?.[1] ?? 'unknown';
/** The Bun that compiles the single executable (scripts/setup.sh, scripts/build-bun.mjs). */
const BUN_VERSION = /^BUN_PACKAGE_VERSION="([0-9]+\.[0-9]+\.[0-9]+)"$/m.exec(read('scripts/setup.sh'))?.[1] ?? 'unknown';

// --- a small Dockerfile parser ---

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

interface Stage {
  readonly base: string;
  /** FROM --platform=…, when given. */
  readonly platform: string | undefined;
  readonly name: string | undefined;
  readonly index: number;
  readonly instructions: Instruction[];
}

interface Dockerfile {
  /** ARG lines before the first FROM. */
  readonly globalArgs: Instruction[];
  readonly stages: Stage[];
}

/** Instructions with their line numbers: comments and blank lines dropped, `\` continuations joined. */
function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trimEnd();
    if (pending === undefined && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    if (pending !== undefined && line.trimStart().startsWith('#')) continue; // comment inside a continuation
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    pending = pending === undefined ? { text: body.trim(), line: index + 1 } : { text: `${pending.text} ${body.trim()}`, line: pending.line };
    if (continued) continue;
    const match = /^(\S+)\s*(.*)$/.exec(pending.text);
    if (match?.[1] !== undefined) instructions.push({ keyword: match[1].toUpperCase(), args: match[2] ?? '', line: pending.line });
    pending = undefined;
  }
  if (pending !== undefined) throw new Error(`line ${pending.line}: the file ends inside a continued line`);
  return instructions;
}

function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const { flags, rest } = splitFlags(instruction.args);
      const words = rest.split(/\s+/);
      const named = words.length === 3 && words[1]?.toUpperCase() === 'AS';
      if (words.length !== 1 && !named) throw new Error(`line ${instruction.line}: FROM ${instruction.args} is not "FROM image [AS name]"`);
      stages.push({ base: words[0] ?? '', platform: flags.get('platform'), name: named ? words[2] : undefined, index: stages.length, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
      globalArgs.push(instruction);
    } else {
      stages[stages.length - 1]?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** Leading `--name=value` flags (COPY --from=…, --chmod=…) and the rest. */
function splitFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args.trim();
  for (let match = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest); match !== null; match = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest)) {
    flags.set(match[1] ?? '', match[2] ?? '');
    rest = rest.slice(match[0].length);
  }
  return { flags, rest };
}

/** The words of an exec-form (JSON array) instruction, or undefined for the shell form. */
function execForm(args: string): string[] | undefined {
  if (!args.trimStart().startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((word) => typeof word === 'string')) throw new Error(`not a JSON array of strings: ${args}`);
  return parsed;
}

/** A COPY or ADD: its flags, sources and destination (exec form or words). */
function copyParts(instruction: Instruction): { flags: Map<string, string>; sources: string[]; dest: string } {
  const { flags, rest } = splitFlags(instruction.args);
  const words = execForm(rest) ?? rest.split(/\s+/);
  const dest = words.at(-1);
  if (words.length < 2 || dest === undefined) throw new Error(`line ${instruction.line}: ${instruction.keyword} needs a source and a destination`);
  return { flags, sources: words.slice(0, -1), dest };
}

function lastOf(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
}

/** The stage named `name`, or numbered `name` (COPY --from=0). */
function stageByRef(dockerfile: Dockerfile, ref: string): Stage | undefined {
  return dockerfile.stages.find((stage) => stage.name === ref || String(stage.index) === ref);
}

/** The WORKDIR in force at the end of a stage (relative WORKDIRs resolve against the previous one). */
function workdirOf(stage: Stage): string {
  let dir = '/';
  for (const instruction of stage.instructions) if (instruction.keyword === 'WORKDIR') dir = posix.resolve(dir, instruction.args.trim());
  return dir;
}

// --- what the build writes ---

/** scripts/build-sea.mjs, typed here (it is plain JavaScript). */
interface BuildSeaModule {
  /** Where the executable for a platform and architecture goes (absolute), or undefined where none is built. */
  seaPath?: (platform?: string, arch?: string) => string | undefined;
}

/**
 * The executable's path for linux-x64 (relative to the project), as the build writes it: asked from
 * scripts/build-sea.mjs's seaPath() when it exports one, else read from the scripts' text.
 */
async function artifactOfBuild(scripts: Record<string, string | undefined>): Promise<{ path?: string; problem?: string }> {
  const seaScript = join(root, 'scripts/build-sea.mjs');
  if (existsSync(seaScript)) {
    const module = (await import(pathToFileURL(seaScript).href)) as BuildSeaModule;
    if (typeof module.seaPath === 'function') {
      const path = module.seaPath('linux', 'x64');
      if (path === undefined) return { problem: 'scripts/build-sea.mjs builds no executable for linux-x64' };
      return { path: relative(root, path).split(sep).join('/') };
    }
  }
  return artifactFromScripts(scripts);
}

/**
 * The executable's path as the build scripts write it (relative to the project), read from their text:
 * a string literal ending in vaultenv-linux-x64. A bare file name is taken as one in dist/.
 */
function artifactFromScripts(scripts: Record<string, string | undefined>): { path?: string; problem?: string } {
  const found = new Set<string>();
  for (const text of Object.values(scripts)) {
    if (text === undefined) continue;
    for (const match of text.matchAll(/(['"`])((?:(?!\1)[^\s\\])*vaultenv-linux-x64)\1/g)) {
      const literal = posix.normalize(match[2] ?? '');
      found.add(literal.includes('/') ? literal : `dist/${literal}`);
    }
  }
  const present = Object.keys(scripts).filter((name) => scripts[name] !== undefined);
  if (found.size === 0) {
    return { problem: `none of ${present.join(', ')} names a path ending in ${ARTIFACT_NAME}: npm run build does not produce the single executable yet` };
  }
  if (found.size > 1) return { problem: `the build scripts name several paths for ${ARTIFACT_NAME}: ${[...found].join(', ')}` };
  return { path: [...found][0] };
}

/** Whether scripts/build.mjs produces the executable: it names it, or runs the SEA step that does. */
function buildProducesArtifact(scripts: Record<string, string | undefined>): string[] {
  const build = scripts[BUILD_SCRIPT];
  if (build === undefined) return [`${BUILD_SCRIPT} is missing`];
  if (build.includes(ARTIFACT_NAME) || /build-sea(\.mjs)?['"`]/.test(build)) return [];
  return [`${BUILD_SCRIPT} neither writes ${ARTIFACT_NAME} nor runs scripts/build-sea.mjs`];
}

/** Whether a RUN runs scripts/build.mjs: directly, or through an npm script whose command does. */
function runsBuildScript(command: string, npmScripts: Record<string, string>): boolean {
  if (command.includes(BUILD_SCRIPT)) return true;
  for (const match of command.matchAll(/\bnpm\s+run(?:-script)?\s+([\w:-]+)/g)) {
    if (npmScripts[match[1] ?? '']?.includes(BUILD_SCRIPT) === true) return true;
  }
  return false;
}

// --- the checks ---

/** Images whose file system holds Node, npm and node_modules: never the final stage's base. */
const NODE_BASE = /^(?:docker\.io\/)?(?:library\/)?node(?::|@|$)/;
/** Sources that would bring Node's toolchain into the final image. */
const TOOLCHAIN_SOURCE = /(?:^|\/)node_modules(?:\/|$)|(?:^|\/)\.tools(?:\/|$)|(?:^|\/)bin\/node$|(?:^|\/)(?:npm|npx)$|^\.\/?$|^\/$|^\/src\/?$/;

function dockerfileProblems(text: string, artifact: string, npmScripts: Record<string, string>): string[] {
  const problems: string[] = [];
  const dockerfile = parseDockerfile(text);
  const final = dockerfile.stages.at(-1);
  if (final === undefined) return ['no FROM'];

  // The final stage copies the executable, and only it, from the build stage.
  const copies = final.instructions.filter((instruction) => instruction.keyword === 'COPY' || instruction.keyword === 'ADD');
  const executableCopies = copies.map(copyParts).filter((copy) => copy.dest === INSTALLED);
  if (executableCopies.length !== 1) problems.push(`the final stage copies ${executableCopies.length} files to ${INSTALLED}, not 1`);
  const copy = executableCopies[0];
  const build = copy === undefined ? undefined : stageByRef(dockerfile, copy.flags.get('from') ?? '');
  if (copy !== undefined && build === undefined) problems.push(`COPY --from=${copy.flags.get('from') ?? ''} to ${INSTALLED} names no stage of this file`);
  if (copy !== undefined && build !== undefined) {
    const expected = posix.resolve(workdirOf(build), artifact);
    if (copy.sources.length !== 1 || posix.resolve(workdirOf(build), copy.sources[0] ?? '') !== expected) {
      problems.push(`the final stage copies ${copy.sources.join(' ')} to ${INSTALLED}, not the build's ${expected}`);
    }
    if (build === final) problems.push('the executable is copied from the final stage itself');
  }

  // The build stage installs the dependencies and runs the build CI runs.
  if (build !== undefined) {
    const runs = build.instructions.filter((instruction) => instruction.keyword === 'RUN');
    const buildRun = runs.findIndex((run) => runsBuildScript(run.args, npmScripts));
    if (buildRun === -1) problems.push(`the build stage (FROM ${build.base}) has no RUN of ${BUILD_SCRIPT} (directly or through npm run)`);
    const install = runs.findIndex((run) => /\bnpm\s+(?:ci|clean-install)\b/.test(run.args));
    if (install === -1 || (buildRun !== -1 && install > buildRun)) problems.push('the build stage does not install the dependencies from the lock file (npm ci) before building');
    if (!new RegExp(`^(?:docker\\.io/)?(?:library/)?node:${NODE_VERSION.replaceAll('.', '\\.')}(?:-|$)`).test(build.base)) {
      problems.push(`the build stage is FROM ${build.base}, not node:${NODE_VERSION} (scripts/setup.sh's NODE_PACKAGE_VERSION, the Node the tests run)`);
    }
    if (!runs.some((run) => new RegExp(`\\bnpm\\s+(?:install|i)\\b.*\\sbun@${BUN_VERSION.replaceAll('.', '\\.')}(?:\\s|$)`).test(run.args))) {
      problems.push(`the build stage does not install bun@${BUN_VERSION} (scripts/setup.sh's BUN_PACKAGE_VERSION, which compiles the executable)`);
    }
    if (build.platform !== undefined && build.platform !== 'linux/amd64') problems.push(`the build stage runs on ${build.platform}: its Node makes no ${ARTIFACT_NAME}`);
    if (final.platform !== build.platform) problems.push(`the final stage's platform (${final.platform ?? 'the host'}) is not the build stage's (${build.platform ?? 'the host'})`);
    if (build.instructions.some((instruction) => /\bVAULTENV_BUILD_SEA[= ]+["']?0\b/.test(instruction.args))) problems.push('the build stage sets VAULTENV_BUILD_SEA=0, which skips the executable');
  }

  // Nothing of Node's toolchain in the final image.
  if (NODE_BASE.test(final.base)) problems.push(`the final stage is FROM ${final.base}, an image with Node and npm in it`);
  for (const other of copies.map(copyParts)) {
    for (const source of other.sources) if (TOOLCHAIN_SOURCE.test(source)) problems.push(`the final stage copies ${source}`);
  }

  // A non-root user, numeric so that Kubernetes' runAsNonRoot can check it.
  const user = lastOf(final, 'USER')?.args.trim();
  if (user === undefined) problems.push('the final stage sets no USER: it would run as root');
  else {
    const [name] = user.split(':');
    if (name === 'root' || name === '0' || !/^[0-9]+(?::[0-9]+)?$/.test(user)) problems.push(`USER ${user} is root or not numeric`);
  }

  // vaultenv as the exec-form entrypoint.
  const entrypoint = lastOf(final, 'ENTRYPOINT');
  const words = entrypoint === undefined ? undefined : execForm(entrypoint.args);
  if (words === undefined) problems.push('the final stage has no exec-form ENTRYPOINT');
  else if (words[0] !== INSTALLED) problems.push(`ENTRYPOINT starts with ${words[0] ?? '(nothing)'}, not ${INSTALLED}`);
  return problems;
}

function dockerignoreProblems(text: string): string[] {
  const entries = new Set(text.split('\n').map((line) => line.trim().replace(/^\/|\/$/g, '')).filter((line) => line !== '' && !line.startsWith('#')));
  return ['node_modules', '.tools', 'dist', '.git'].filter((entry) => !entries.has(entry)).map((entry) => `.dockerignore does not exclude ${entry}`);
}

/** The image Dockerfile.logstash copies vaultenv from: a stage's base (ARG defaults substituted) or an image. */
function resolveFrom(dockerfile: Dockerfile, ref: string): string {
  const stage = stageByRef(dockerfile, ref);
  if (stage === undefined) return ref;
  return stage.base.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
    const arg = dockerfile.globalArgs.map((instruction) => /^(\w+)=(\S+)$/.exec(instruction.args.trim())).find((match) => match?.[1] === name);
    return arg?.[2] ?? whole;
  });
}

function logstashDockerfileProblems(text: string, contextDir: string): string[] {
  const problems: string[] = [];
  const dockerfile = parseDockerfile(text);
  const final = dockerfile.stages.at(-1);
  if (final === undefined) return ['no FROM'];
  const resolvedBase = resolveFrom(dockerfile, final.base.replace(/:\$\{?\w+\}?$/, ''));
  if (!/^docker\.elastic\.co\/logstash\/logstash/.test(resolvedBase)) problems.push(`the final stage is FROM ${final.base}, not the official Logstash image`);

  const copies = final.instructions.filter((instruction) => instruction.keyword === 'COPY').map(copyParts);
  const vaultenv = copies.find((copy) => copy.dest === INSTALLED);
  if (vaultenv === undefined) problems.push(`no COPY to ${INSTALLED}`);
  else {
    const from = vaultenv.flags.get('from');
    if (from === undefined || !/vaultenv/.test(resolveFrom(dockerfile, from))) problems.push(`${INSTALLED} is not copied --from the vaultenv image`);
    if (vaultenv.sources.join(' ') !== INSTALLED) problems.push(`the COPY to ${INSTALLED} takes ${vaultenv.sources.join(' ')}`);
  }

  const entrypoint = lastOf(final, 'ENTRYPOINT');
  const words = entrypoint === undefined ? undefined : execForm(entrypoint.args);
  if (words === undefined) return [...problems, 'no exec-form ENTRYPOINT'];
  if (words[0] !== INSTALLED) problems.push(`ENTRYPOINT starts with ${words[0] ?? '(nothing)'}, not ${INSTALLED}`);
  const separator = words.indexOf('--');
  if (separator === -1 || words[separator + 1] !== '/usr/local/bin/docker-entrypoint') problems.push("ENTRYPOINT does not end with -- and Logstash's /usr/local/bin/docker-entrypoint");

  // The secrets file the entrypoint names is put there by a COPY of a file in the build context.
  const secretsFlag = words.indexOf('--secrets-file');
  const secretsFile = secretsFlag === -1 ? undefined : words[secretsFlag + 1];
  const copied = copies.find((copy) => copy.dest === secretsFile);
  if (secretsFile === undefined) problems.push('ENTRYPOINT names no --secrets-file');
  else if (copied === undefined) problems.push(`nothing is copied to ${secretsFile}`);
  else {
    for (const source of copied.sources) {
      if (!existsSync(join(contextDir, source))) problems.push(`${source} (copied to ${secretsFile}) is not in ${contextDir}`);
      else parseSecretsFile(readFileSync(join(contextDir, source), 'utf8'), source);
    }
  }
  return problems;
}

// --- the tests ---

const npmScripts: Record<string, string> = packageJson.scripts;
const scriptTexts = Object.fromEntries(BUILD_SCRIPTS.map((path) => [path, existsSync(join(root, path)) ? read(path) : undefined]));
const dockerfileText = read('Dockerfile');
/** A stand-in for breaking-copy tests, so that they run whatever state the build scripts are in. */
const ARTIFACT_FOR_MUTATIONS = `dist/${ARTIFACT_NAME}`;

describe('Dockerfile', () => {
  it('parses: stages, flags, exec forms, continuations', () => {
    const parsed = parseDockerfile('ARG A=1\nFROM --platform=linux/amd64 x AS one\nRUN a \\\n  # note\n  b\nFROM y\nCOPY --from=one --chmod=0755 /a /b\nENTRYPOINT ["/b", "c"]\n');
    expect(parsed.globalArgs.map((instruction) => instruction.args)).toEqual(['A=1']);
    expect(parsed.stages.map((stage) => [stage.base, stage.name, stage.platform])).toEqual([['x', 'one', 'linux/amd64'], ['y', undefined, undefined]]);
    expect(parsed.stages[0]?.instructions[0]).toMatchObject({ keyword: 'RUN', args: 'a b', line: 3 });
    const copy = copyParts(parsed.stages[1]?.instructions[0] ?? { keyword: '', args: '', line: 0 });
    expect([copy.flags.get('from'), copy.flags.get('chmod'), copy.sources, copy.dest]).toEqual(['one', '0755', ['/a'], '/b']);
    expect(execForm(parsed.stages[1]?.instructions[1]?.args ?? '')).toEqual(['/b', 'c']);
    expect(() => parseDockerfile('RUN x\nFROM y\n')).toThrow(/before the first FROM/);
  });

  it(`npm run build (${BUILD_SCRIPT}) produces ${ARTIFACT_NAME}, and the build scripts name its path`, async () => {
    expect(buildProducesArtifact(scriptTexts)).toEqual([]);
    const artifact = await artifactOfBuild(scriptTexts);
    expect(artifact).toEqual({ path: `dist/${ARTIFACT_NAME}` });
  });

  it('builds with the build script and ships only the executable, as a non-root exec-form entrypoint', async () => {
    const artifact = (await artifactOfBuild(scriptTexts)).path ?? ARTIFACT_FOR_MUTATIONS;
    expect(dockerfileProblems(dockerfileText, artifact, npmScripts)).toEqual([]);
  });

  it('has a .dockerignore that keeps node_modules, .tools, dist and .git out of the build context', () => {
    expect(dockerignoreProblems(read('.dockerignore'))).toEqual([]);
    expect(dockerignoreProblems('node_modules\n.git\n')).toEqual(['.dockerignore does not exclude .tools', '.dockerignore does not exclude dist']);
  });

  it('finds the executable path in the build scripts, and says so when none names it', () => {
    expect(artifactFromScripts({ a: "const out = join(root, 'dist/vaultenv-linux-x64');" })).toEqual({ path: 'dist/vaultenv-linux-x64' });
    expect(artifactFromScripts({ a: 'const name = "vaultenv-linux-x64";' })).toEqual({ path: 'dist/vaultenv-linux-x64' });
    expect(artifactFromScripts({ a: "outfile: 'dist/vaultenv.cjs'", b: undefined }).problem).toMatch(/none of a names a path ending in vaultenv-linux-x64/);
    expect(artifactFromScripts({ a: "'dist/vaultenv-linux-x64'", b: "'out/vaultenv-linux-x64'" }).problem).toMatch(/several paths/);
    expect(buildProducesArtifact({ [BUILD_SCRIPT]: "outfile: 'dist/vaultenv.cjs'" })).toEqual([`${BUILD_SCRIPT} neither writes ${ARTIFACT_NAME} nor runs scripts/build-sea.mjs`]);
    expect(buildProducesArtifact({ [BUILD_SCRIPT]: "await import('./build-sea.mjs');" })).toEqual([]);
  });

  // Each check fails on a copy of the Dockerfile broken in one place.
  const breaks: { what: string; from: RegExp; to: string; problem: RegExp }[] = [
    { what: 'the build step removed', from: /^RUN npm run build$/m, to: 'RUN true', problem: /has no RUN of scripts\/build\.mjs/ },
    { what: 'a build through another npm script', from: /^RUN npm run build$/m, to: 'RUN npm run lint', problem: /has no RUN of scripts\/build\.mjs/ },
    { what: 'no dependency install', from: /^RUN npm ci\b.*$/m, to: 'RUN true', problem: /does not install the dependencies/ },
    { what: 'npm install instead of npm ci', from: /^RUN npm ci\b/m, to: 'RUN npm install', problem: /does not install the dependencies from the lock file \(npm ci\)/ },
    { what: 'the install after the build', from: /^(RUN npm ci\b.*)\n([^]*?)^(RUN npm run build)$/m, to: '$2$3\n$1', problem: /does not install the dependencies/ },
    { what: 'another artifact copied', from: /\/src\/dist\/vaultenv-linux-x64/, to: '/src/dist/vaultenv.cjs', problem: /not the build's \/src\/dist\/vaultenv-linux-x64/ },
    { what: 'a copy from an unknown stage', from: /--from=build/, to: '--from=builder', problem: /names no stage/ },
    { what: 'the executable installed elsewhere', from: /^(COPY --from=build .*) \/usr\/local\/bin\/vaultenv$/m, to: '$1 /vaultenv', problem: /copies 0 files to \/usr\/local\/bin\/vaultenv/ },
    { what: 'node_modules copied', from: /^USER /m, to: 'COPY --from=build /src/node_modules /opt/node_modules\nUSER ', problem: /copies \/src\/node_modules/ },
    { what: 'the Node binary copied', from: /^USER /m, to: 'COPY --from=build /usr/local/bin/node /usr/local/bin/node\nUSER ', problem: /copies \/usr\/local\/bin\/node/ },
    { what: 'the whole context copied', from: /^USER /m, to: 'COPY . /app\nUSER ', problem: /copies \./ },
    { what: 'a Node base image', from: /^FROM (.*)debian:bookworm-slim$/m, to: 'FROM $1node:26-slim', problem: /an image with Node and npm/ },
    { what: 'the build stage on another Node', from: /^FROM (.*)node:\S+ AS build$/m, to: 'FROM $1node:24-bookworm AS build', problem: /is FROM node:24-bookworm, not node:\d+\.\d+\.\d+ \(scripts\/setup\.sh/ },
    { what: 'the build stage on a floating Node 26', from: /^FROM (.*)node:\S+ AS build$/m, to: 'FROM $1node:26-bookworm AS build', problem: /is FROM node:26-bookworm, not node:/ },
    { what: 'the build stage on another Node 26', from: /^FROM (.*)node:\S+ AS build$/m, to: 'FROM $1node:26.1.0-bookworm AS build', problem: /is FROM node:26\.1\.0-bookworm, not node:/ },
    { what: 'an arm64 build', from: /^FROM --platform=linux\/amd64 node:/m, to: 'FROM --platform=linux/arm64 node:', problem: /runs on linux\/arm64/ },
    { what: 'stages on different platforms', from: /^FROM --platform=linux\/amd64 debian:/m, to: 'FROM debian:', problem: /final stage's platform \(the host\)/ },
    { what: 'no Bun', from: /^RUN npm install .*bun@.*$/m, to: 'RUN true', problem: /does not install bun@/ },
    { what: 'another Bun', from: /bun@[0-9.]+/, to: 'bun@1.0.0', problem: /does not install bun@/ },
    { what: 'the executable skipped', from: /^RUN npm run build$/m, to: 'ENV VAULTENV_BUILD_SEA=0\nRUN npm run build', problem: /skips the executable/ },
    { what: 'root', from: /^USER .*$/m, to: 'USER root', problem: /USER root is root/ },
    { what: 'uid 0', from: /^USER .*$/m, to: 'USER 0:0', problem: /USER 0:0 is root/ },
    { what: 'a user name', from: /^USER .*$/m, to: 'USER vaultenv', problem: /not numeric/ },
    { what: 'no USER', from: /^USER .*$/m, to: '', problem: /sets no USER/ },
    { what: 'a shell-form entrypoint', from: /^ENTRYPOINT .*$/m, to: 'ENTRYPOINT /usr/local/bin/vaultenv', problem: /no exec-form ENTRYPOINT/ },
    { what: 'another entrypoint', from: /^ENTRYPOINT .*$/m, to: 'ENTRYPOINT ["/bin/sh"]', problem: /starts with \/bin\/sh/ },
  ];
  it.each(breaks)('fails with $what', ({ from, to, problem }) => {
    expect(dockerfileText).toMatch(from);
    const problems = dockerfileProblems(dockerfileText.replace(from, to), ARTIFACT_FOR_MUTATIONS, npmScripts);
    expect(problems.join('\n')).toMatch(problem);
  });
});

describe('examples/docker/Dockerfile.logstash', () => {
  const path = 'examples/docker/Dockerfile.logstash';
  const text = read(path);
  const contextDir = join(root, 'examples/docker');

  it('copies vaultenv from the vaultenv image into Logstash and wraps its entrypoint', () => {
    expect(logstashDockerfileProblems(text, contextDir)).toEqual([]);
  });

  const breaks: { what: string; from: RegExp; to: string; problem: RegExp }[] = [
    { what: 'vaultenv copied from elsewhere', from: /--from=vaultenv/, to: '--from=docker.elastic.co/other', problem: /not copied --from the vaultenv image/ },
    { what: 'no vaultenv copy', from: /^COPY --from=vaultenv .*$/m, to: '', problem: /no COPY to \/usr\/local\/bin\/vaultenv/ },
    { what: 'a shell-form entrypoint', from: /^ENTRYPOINT .*$/m, to: 'ENTRYPOINT vaultenv', problem: /no exec-form ENTRYPOINT/ },
    { what: 'no -- before the entrypoint', from: /"--", /, to: '', problem: /does not end with --/ },
    { what: 'a secrets file nobody copies', from: /"\/etc\/secrets\.d\/logstash\.secrets", "--"/, to: '"/etc/other.secrets", "--"', problem: /nothing is copied to \/etc\/other\.secrets/ },
    { what: 'a missing secrets file', from: /^COPY logstash\.secrets/m, to: 'COPY missing.secrets', problem: /missing\.secrets .* is not in/ },
    { what: 'another base image', from: /docker\.elastic\.co\/logstash\/logstash:/, to: 'ubuntu:', problem: /not the official Logstash image/ },
  ];
  it.each(breaks)('fails with $what', ({ from, to, problem }) => {
    expect(text).toMatch(from);
    expect(logstashDockerfileProblems(text.replace(from, to), contextDir).join('\n')).toMatch(problem);
  });
});
