// The CI recipes in examples/ci must hang together: each workflow runs vaultenv with a JWT login
// (--jwt-role), whose JWT is the CI system's ID token (GitHub: vaultenv asks for it itself, with
// --jwt-audience, in a job allowed to ask; GitLab: --jwt-env naming an id_tokens variable), the
// secrets file exists and parses, the role and audiences match the Vault setup in the README, and no
// token is written into a workflow. A `vaultenv check` step checks the same. Each check is shown to
// fail on a broken copy.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCommandLine, type Reading } from '../../../src/cli/command-line.ts';
import { resolveAddress } from '../../../src/config/address.ts';
import { parseFlagSource } from '../../../src/config/sources.ts';
import { parseSecretsFile } from '../../../src/secrets-file/parse.ts';

const dir = fileURLToPath(new URL('../../../examples/ci/', import.meta.url));
const readme = readFileSync(join(dir, 'README.md'), 'utf8');

type RunLine = Extract<Reading, { kind: 'run' }>;
type CheckLine = Extract<Reading, { kind: 'check' }>;

interface GithubStep {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}

interface GithubJob {
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps: GithubStep[];
}

interface GithubWorkflow {
  env?: Record<string, string>;
  jobs: Record<string, GithubJob>;
}

interface GitlabJob {
  image?: string | { name: string };
  id_tokens?: Record<string, { aud?: string | string[] }>;
  variables?: Record<string, string>;
  script?: string[];
}

const load = <T,>(file: string): T => parse(readFileSync(join(dir, file), 'utf8')) as T;

/** The vaultenv command lines of a shell script: from the word vaultenv to the end of its line (after `\` joins). */
function vaultenvLines(script: string): string[][] {
  const lines = script.replace(/\\\n/g, ' ').split('\n');
  return lines.map((line) => line.trim().split(/\s+/)).filter((words) => words[0] === 'vaultenv' || (words[0] === 'exec' && words[1] === 'vaultenv'))
    .map((words) => (words[0] === 'exec' ? words.slice(1) : words));
}

/** The JWT-login checks both workflows share; `envDefined` says whether the named variable gets the ID token. */
function vaultenvProblems(
  where: string,
  words: string[],
  envDefined: (name: string) => boolean,
  jwtSource: 'jwt-env' | 'github' = 'jwt-env',
): { problems: string[]; line?: RunLine | CheckLine } {
  const problems: string[] = [];
  let line: Reading;
  try {
    line = parseCommandLine(words.slice(1));
    if (line.kind === 'mistake') throw line.error;
    if (line.kind === 'run') resolveAddress(parseFlagSource(line));
  } catch (error) {
    return { problems: [`${where}: vaultenv rejects ${words.slice(1).join(' ')}: ${(error as Error).message}`] };
  }
  if (line.kind !== 'run' && line.kind !== 'check') return { problems: [`${where}: vaultenv ${line.kind} runs no deploy`] };
  if (words.some((word) => /^--(?:token|github-token)(?:=|$)/.test(word))) problems.push(`${where}: a token on the command line`);
  const role = line.flags.jwtRole;
  const variable = line.flags.jwtEnv;
  if (typeof role !== 'string') problems.push(`${where}: no --jwt-role`);
  if (jwtSource === 'github') {
    // vaultenv asks GitHub for the ID token: no JWT source, and the audience the Vault role binds.
    if (typeof variable === 'string' || line.flags.jwtFile !== undefined) problems.push(`${where}: a JWT source where vaultenv should ask GitHub`);
    const audience = line.flags.jwtAudience;
    if (typeof audience !== 'string') problems.push(`${where}: no --jwt-audience`);
    else if (!audiencesInReadme(audience)) problems.push(`${where}: the audience ${audience} is in no bound_audiences of the README`);
  } else if (typeof variable !== 'string') problems.push(`${where}: no --jwt-env`);
  else if (!envDefined(variable)) problems.push(`${where}: --jwt-env ${variable} names no variable the job defines`);
  if (line.kind === 'run' && (words.indexOf('--') === -1 || line.command === undefined)) problems.push(`${where}: no -- before the deploy command`);
  const files = line.flags.secretsFiles;
  if (!Array.isArray(files) || files.length === 0) problems.push(`${where}: no --secrets-file`);
  for (const file of Array.isArray(files) ? files : []) {
    if (!existsSync(join(dir, file))) problems.push(`${where}: the secrets file ${file} is not in examples/ci`);
    else parseSecretsFile(readFileSync(join(dir, file), 'utf8'), file);
  }
  // The README's Vault side writes the role the workflow logs in with.
  if (typeof role === 'string' && !readme.includes(`auth/jwt/role/${role}`)) problems.push(`${where}: the README sets up no JWT role ${role}`);
  return { problems, line };
}

function audiencesInReadme(audience: string): boolean {
  return [...readme.matchAll(/"bound_audiences":\s*\[([^\]]*)\]/g)].some((match) => (match[1] ?? '').includes(`"${audience}"`));
}

/** Literal tokens in a workflow's env blocks: VAULT_TOKEN and friends may only come from an expression or a secret. */
function tokenLiteralProblems(where: string, env: Record<string, string> | undefined): string[] {
  return Object.entries(env ?? {})
    .filter(([name, value]) => /^(?:VAULT|BAO)_TOKEN$|^VAULTENV_GITHUB_TOKEN$/.test(name) && !/^\$\{\{.*\}\}$|^\$[A-Z_]+$/.test(String(value).trim()))
    .map(([name]) => `${where}: ${name} has a literal value`);
}

function githubProblems(workflow: GithubWorkflow): string[] {
  const problems: string[] = [];
  let deploys = 0;
  for (const [jobName, job] of Object.entries(workflow.jobs)) {
    problems.push(...tokenLiteralProblems(`job ${jobName}`, job.env), ...tokenLiteralProblems('workflow', workflow.env));
    for (const [index, step] of job.steps.entries()) {
      const where = `job ${jobName}, step ${step.name ?? index + 1}`;
      problems.push(...tokenLiteralProblems(where, step.env));
      for (const words of vaultenvLines(step.run ?? '')) {
        const { problems: found, line } = vaultenvProblems(where, words, () => false, 'github');
        problems.push(...found);
        if (line?.kind === 'run') deploys += 1;
        // No step may fetch the ID token by hand any more: vaultenv asks for it.
        for (const earlier of job.steps.slice(0, index)) {
          if ((earlier.run ?? '').includes('ACTIONS_ID_TOKEN_REQUEST_URL')) problems.push(`step ${earlier.name ?? ''}: fetches the ID token by hand`);
        }
      }
      if (vaultenvLines(step.run ?? '').length > 0 && job.permissions?.['id-token'] !== 'write') problems.push(`job ${jobName}: no permissions id-token: write`);
    }
  }
  if (deploys === 0) problems.push('no step runs vaultenv');
  return [...new Set(problems)];
}

/** GitLab's top-level keywords, which are not jobs. */
const GITLAB_KEYWORDS = new Set(['default', 'include', 'stages', 'variables', 'workflow', 'image', 'services', 'cache', 'before_script', 'after_script']);

function gitlabProblems(config: Record<string, GitlabJob>): string[] {
  const problems: string[] = [];
  let calls = 0;
  for (const [jobName, job] of Object.entries(config)) {
    if (GITLAB_KEYWORDS.has(jobName) || jobName.startsWith('.')) continue;
    problems.push(...tokenLiteralProblems(`job ${jobName}`, job.variables));
    for (const words of vaultenvLines((job.script ?? []).join('\n'))) {
      calls += 1;
      const { problems: found, line } = vaultenvProblems(`job ${jobName}`, words, (name) => job.id_tokens?.[name] !== undefined);
      problems.push(...found);
      const variable = line?.flags.jwtEnv;
      const token = typeof variable === 'string' ? job.id_tokens?.[variable] : undefined;
      if (token === undefined) continue;
      const audiences = token.aud === undefined ? [] : [token.aud].flat();
      if (audiences.length === 0) problems.push(`job ${jobName}: id_tokens ${String(variable)} has no aud`);
      for (const audience of audiences) if (!audiencesInReadme(audience)) problems.push(`job ${jobName}: the audience ${audience} is in no bound_audiences of the README`);
    }
  }
  if (calls === 0) problems.push('no job runs vaultenv');
  return problems;
}

type Break<T> = { what: string; change: (config: T) => void; problem: RegExp };

describe('examples/ci/github-actions.yml', () => {
  const file = 'github-actions.yml';
  const deploy = (workflow: GithubWorkflow): GithubStep => {
    const step = workflow.jobs.deploy?.steps.find((candidate) => candidate.name === 'Deploy');
    if (step === undefined) throw new Error('no Deploy step');
    return step;
  };
  const check = (workflow: GithubWorkflow): GithubStep => {
    const step = workflow.jobs.deploy?.steps.find((candidate) => candidate.name === 'Check the secrets');
    if (step === undefined) throw new Error('no check step');
    return step;
  };

  it('checks, then logs in with the ID token vaultenv asks GitHub for (--jwt-role, --jwt-audience), and reads deploy.secrets', () => {
    const workflow = load<GithubWorkflow>(file);
    expect(githubProblems(workflow)).toEqual([]);
    expect(workflow.jobs.deploy?.steps.map((step) => step.name ?? step.uses)).toEqual(['actions/checkout@v4', 'Install vaultenv', 'Check the secrets', 'Deploy']);
    expect(vaultenvLines(check(workflow).run ?? '')[0]?.slice(0, 2)).toEqual(['vaultenv', 'check']);
  });

  const breaks: Break<GithubWorkflow>[] = [
    { what: 'no id-token permission', change: (w) => delete w.jobs.deploy?.permissions?.['id-token'], problem: /no permissions id-token: write/ },
    { what: 'no --jwt-role', change: (w) => (deploy(w).run = (deploy(w).run ?? '').replace('--jwt-role deploy', '')), problem: /no --jwt-role/ },
    { what: 'no --jwt-audience', change: (w) => (deploy(w).run = (deploy(w).run ?? '').replace('--jwt-audience https://vault.example.com', '')), problem: /Deploy: no --jwt-audience/ },
    { what: 'a JWT variable besides', change: (w) => (deploy(w).run = (deploy(w).run ?? '').replace('--jwt-role deploy', '--jwt-role deploy --jwt-env X')), problem: /a JWT source where vaultenv should ask GitHub/ },
    { what: 'an audience Vault does not bind', change: (w) => (deploy(w).run = (deploy(w).run ?? '').replace('https://vault.example.com', 'sts.amazonaws.com')), problem: /audience sts\.amazonaws\.com is in no bound_audiences/ },
    { what: 'a step fetching the token by hand', change: (w) => w.jobs.deploy?.steps.splice(2, 0, { name: 'oidc', run: 'curl "$ACTIONS_ID_TOKEN_REQUEST_URL"' }), problem: /step oidc: fetches the ID token by hand/ },
    { what: 'a check of another role', change: (w) => (check(w).run = (check(w).run ?? '').replace('--jwt-role deploy', '--jwt-role release')), problem: /Check the secrets: the README sets up no JWT role release/ },
    { what: 'a missing secrets file', change: (w) => (deploy(w).run = (deploy(w).run ?? '').replace('deploy.secrets', 'prod.secrets')), problem: /prod\.secrets is not in examples\/ci/ },
    { what: 'a role the README does not set up', change: (w) => (deploy(w).run = (deploy(w).run ?? '').replace('--jwt-role deploy', '--jwt-role release')), problem: /no JWT role release/ },
    { what: 'a misspelt flag', change: (w) => (deploy(w).run = (deploy(w).run ?? '').replace('--jwt-audience', '--jwt-aud')), problem: /vaultenv rejects/ },
    { what: 'a --token flag', change: (w) => (deploy(w).run = `vaultenv --token hvs.x ${(deploy(w).run ?? '').replace(/^vaultenv /, '')}`), problem: /a token on the command line/ },
    { what: 'a VAULT_TOKEN literal', change: (w) => ((deploy(w).env ??= {}).VAULT_TOKEN = 'hvs.x'), problem: /VAULT_TOKEN has a literal value/ },
    { what: 'no -- before the command', change: (w) => (deploy(w).run = (deploy(w).run ?? '').replace(' -- ', ' ')), problem: /no -- before the deploy command/ },
    { what: 'no vaultenv at all', change: (w) => (deploy(w).run = './deploy.sh'), problem: /no step runs vaultenv/ },
  ];
  it.each(breaks)('fails with $what', ({ change, problem }) => {
    const workflow = load<GithubWorkflow>(file);
    change(workflow);
    expect(githubProblems(workflow).join('\n')).toMatch(problem);
  });
});

describe('examples/ci/gitlab-ci.yml', () => {
  const file = 'gitlab-ci.yml';
  const job = (config: Record<string, GitlabJob>): GitlabJob => {
    const found = config.deploy;
    if (found === undefined) throw new Error('no deploy job');
    return found;
  };
  const script = (config: Record<string, GitlabJob>, change: (line: string) => string): void => {
    job(config).script = (job(config).script ?? []).map(change);
  };

  it('logs in with the id_tokens token, with --jwt-role and --jwt-env, and reads deploy.secrets', () => {
    expect(gitlabProblems(load(file))).toEqual([]);
  });

  const breaks: Break<Record<string, GitlabJob>>[] = [
    { what: 'no id_tokens', change: (c) => delete job(c).id_tokens, problem: /--jwt-env VAULT_ID_TOKEN names no variable/ },
    { what: 'an id token without aud', change: (c) => (job(c).id_tokens = { VAULT_ID_TOKEN: {} }), problem: /has no aud/ },
    { what: 'an audience Vault does not bind', change: (c) => (job(c).id_tokens = { VAULT_ID_TOKEN: { aud: 'https://other.example.com' } }), problem: /audience https:\/\/other\.example\.com is in no bound_audiences/ },
    { what: 'no --jwt-role', change: (c) => script(c, (line) => line.replace('--jwt-role deploy', '')), problem: /no --jwt-role/ },
    { what: 'no --jwt-env', change: (c) => script(c, (line) => line.replace('--jwt-env VAULT_ID_TOKEN', '')), problem: /no --jwt-env/ },
    { what: 'a missing secrets file', change: (c) => script(c, (line) => line.replace('deploy.secrets', 'prod.secrets')), problem: /prod\.secrets is not in examples\/ci/ },
    { what: 'a renew command', change: (c) => (job(c).script = ['vaultenv renew --once']), problem: /vaultenv renew runs no deploy/ },
    { what: 'a VAULT_TOKEN literal', change: (c) => ((job(c).variables ??= {}).VAULT_TOKEN = 'hvs.x'), problem: /VAULT_TOKEN has a literal value/ },
    { what: 'no vaultenv at all', change: (c) => (job(c).script = ['./deploy.sh']), problem: /no job runs vaultenv/ },
  ];
  it.each(breaks)('fails with $what', ({ change, problem }) => {
    const config = load<Record<string, GitlabJob>>(file);
    change(config);
    expect(gitlabProblems(config).join('\n')).toMatch(problem);
  });
});

describe('examples/ci/README.md', () => {
  it('sets up the JWT auth method for both issuers, with bound claims and a user claim', () => {
    for (const issuer of ['https://token.actions.githubusercontent.com', 'https://gitlab.com']) {
      expect(readme).toMatch(new RegExp(`oidc_discovery_url=${issuer.replace(/[.]/g, '\\.')}\\b`));
      expect(readme).toMatch(new RegExp(`bound_issuer=${issuer.replace(/[.]/g, '\\.')}\\b`));
    }
    expect(readme).toContain('auth/jwt/config');
    expect(readme).toMatch(/"bound_claims": \{ "repository": /);
    expect(readme).toMatch(/"bound_claims": \{ "project_path": /);
    expect(readme.match(/"user_claim": /g)?.length).toBe(2);
  });
});
