// Builds the child's environment from the secrets and the parent's environment, the way vaultenv
// 0.19 does: secrets first, then the inherited environment (process environment, then config-file
// variables), the blacklist applied to all of them, then the duplicate rule. Pure: the caller passes
// the process environment in and gets a fresh object out.

import { EnvironmentError } from '../errors.ts';
import type { DuplicateVariableBehavior } from '../config/types.ts';

export interface EnvEntry {
  name: string;
  value: string;
  /** Where the entry comes from, for the duplicate error: "secret at app.secrets:3", "the environment". */
  origin: string;
}

export interface EnvInputs {
  /** Entries placed before the secrets (a token exported after a login). */
  extra: readonly EnvEntry[];
  secrets: readonly EnvEntry[];
  processEnv: Readonly<Record<string, string | undefined>>;
  configFileVariables: ReadonlyArray<readonly [string, string]>;
  inheritEnv: boolean;
  blacklist: readonly string[];
  duplicates: DuplicateVariableBehavior;
}

export function buildChildEnvironment(inputs: EnvInputs): Record<string, string> {
  let entries: EnvEntry[];
  if (inputs.inheritEnv) {
    const blacklist = new Set(inputs.blacklist);
    entries = [...inputs.extra, ...inputs.secrets, ...inheritedEntries(inputs)].filter((entry) => !blacklist.has(entry.name));
  } else {
    // As in vaultenv 0.19, the blacklist is ignored without inheritance: only secrets are left to filter.
    entries = [...inputs.extra, ...inputs.secrets];
  }
  const kept = resolveDuplicates(entries, inputs.duplicates);
  const env: Record<string, string> = {};
  for (const entry of kept) env[entry.name] = entry.value;
  return env;
}

/** The process environment, then config-file variables whose names it does not have (as vaultenv 0.19's nubBy keeps them). */
function inheritedEntries(inputs: EnvInputs): EnvEntry[] {
  const entries: EnvEntry[] = [];
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(inputs.processEnv)) {
    if (value === undefined) continue;
    seen.add(name);
    entries.push({ name, value, origin: 'the inherited environment' });
  }
  for (const [name, value] of inputs.configFileVariables) {
    if (seen.has(name)) continue;
    seen.add(name);
    entries.push({ name, value, origin: 'a vaultenv config file' });
  }
  return entries;
}

function resolveDuplicates(entries: EnvEntry[], behavior: DuplicateVariableBehavior): EnvEntry[] {
  switch (behavior) {
    case 'error': {
      const firstByName = new Map<string, EnvEntry>();
      for (const entry of entries) {
        const first = firstByName.get(entry.name);
        if (first) {
          throw new EnvironmentError(`duplicate environment variable "${entry.name}"`, {
            input: `${first.origin} and ${entry.origin}`,
            hint: 'give the secret another name with NAME=path#key, blacklist the inherited one with --inherit-env-blacklist, or choose --duplicate-variable-behavior keep (inherited wins) or overwrite (secret wins)',
          });
        }
        firstByName.set(entry.name, entry);
      }
      return entries;
    }
    case 'overwrite': {
      // The first occurrence wins and keeps its place: the secret beats the inherited variable.
      const seen = new Set<string>();
      return entries.filter((entry) => !seen.has(entry.name) && Boolean(seen.add(entry.name)));
    }
    case 'keep': {
      // The last occurrence wins and keeps its place: the inherited variable beats the secret.
      const seen = new Set<string>();
      return entries
        .reverse()
        .filter((entry) => !seen.has(entry.name) && Boolean(seen.add(entry.name)))
        .reverse();
    }
  }
}
