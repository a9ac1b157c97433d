// The Kubernetes recipes in examples/kubernetes must hang together as a pod would need them to: every
// mount names a volume and every volume is mounted; the paths vaultenv is given (its own executable,
// the secrets file, the token file, the service account token, the proxy's socket) lie in the volumes
// where another container or Kubernetes puts those files; vaultenv's command lines parse with vaultenv's own parser;
// no token is written into a manifest. Each check returns problems, and each is shown to fail on a
// broken copy of a manifest.

import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseCommandLine, type Reading } from '../../../src/cli/command-line.ts';
import type { FlagId } from '../../../src/config/options.ts';
import { parseEndpoint, resolveAddress } from '../../../src/config/address.ts';
import { parseFlagSource } from '../../../src/config/sources.ts';
import { parseSecretsFile } from '../../../src/secrets-file/parse.ts';
import type { SecretRef } from '../../../src/secrets-file/secret-ref.ts';
import { keyRefs } from '../../helpers/key-refs.ts';

const dir = fileURLToPath(new URL('../../../examples/kubernetes/', import.meta.url));

// --- the parts of the Kubernetes objects the checks read ---

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
}

interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  /** `Always` on an init container: a native sidecar, which starts (and passes its startup probe) before the app. */
  restartPolicy?: string;
  startupProbe?: { exec?: { command?: string[] } };
}

interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  configMap?: { name: string };
  projected?: { sources: { serviceAccountToken?: { path: string; audience?: string; expirationSeconds?: number } }[] };
}

interface PodSpec {
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  securityContext?: SecurityContext;
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: { template?: { metadata?: { annotations?: Record<string, string> }; spec: PodSpec } };
}

function load(file: string): Manifest[] {
  const documents = parseAllDocuments(readFileSync(join(dir, file), 'utf8'));
  if (!Array.isArray(documents)) throw new Error(`${file}: not a YAML stream`);
  return documents.map((document, index) => {
    if (document.errors.length > 0) throw new Error(`${file}, document ${index + 1}: ${document.errors[0]?.message ?? ''}`);
    return document.toJS() as Manifest;
  });
}

// --- facts about containers ---

const VAULTENV_IN_IMAGE = '/usr/local/bin/vaultenv';
/** Where kubernetes-vault's init container writes the token unless told otherwise, and where vaultenv looks first. */
const KUBERNETES_VAULT_TOKEN = '/var/run/secrets/boostport.com/vault-token';
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const SERVICE_ACCOUNT_DIR = posix.dirname(SERVICE_ACCOUNT_TOKEN);

const isVaultenvImage = (container: Container): boolean => /(?:^|\/)vaultenv(?::|@|$)/.test(container.image ?? '');
const isKubernetesVault = (container: Container): boolean => /kubernetes-vault/.test(container.image ?? '');

/** What the container runs: command (or the vaultenv image's entrypoint) then args; undefined when unknown. */
function argvOf(container: Container): string[] | undefined {
  const command = container.command ?? (isVaultenvImage(container) ? [VAULTENV_IN_IMAGE] : undefined);
  return command === undefined ? undefined : [...command, ...(container.args ?? [])];
}

interface Invocation {
  container: Container;
  argv: string[];
  line: Extract<Reading, { kind: 'run' | 'renew' }>;
}

/** The container's vaultenv command line, parsed by vaultenv's own parser; undefined when it runs something else. */
function invocationOf(container: Container, problems: string[]): Invocation | undefined {
  const argv = argvOf(container);
  if (argv === undefined || posix.basename(argv[0] ?? '') !== 'vaultenv') return undefined;
  try {
    const line = parseCommandLine(argv.slice(1));
    if (line.kind === 'mistake') throw line.error;
    if (line.kind === 'help' || line.kind === 'version' || line.kind === 'allow' || line.kind === 'deny' || line.kind === 'check' || line.kind === 'export') {
      problems.push(`${container.name}: vaultenv ${line.kind} starts nothing`);
      return undefined;
    }
    resolveAddress(parseFlagSource(line)); // checks the values, as vaultenv does at start
    return { container, argv, line };
  } catch (error) {
    problems.push(`${container.name}: vaultenv rejects ${argv.slice(1).join(' ')}: ${(error as Error).message}`);
    return undefined;
  }
}

function flag(invocation: Invocation, id: FlagId): string | undefined {
  const value = invocation.line.flags[id];
  if (Array.isArray(value)) return value.at(-1);
  return typeof value === 'string' ? value : undefined;
}

function envValue(container: Container, name: string): string | undefined {
  return container.env?.find((variable) => variable.name === name)?.value;
}

/** The volume and the path inside it where `path` lies for this container (the deepest mount wins). */
function locate(container: Container, path: string): { volume: string; inside: string } | undefined {
  const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
  for (const mount of mounts) {
    const base = mount.mountPath.replace(/\/+$/, '');
    if (path === base || path.startsWith(`${base}/`)) return { volume: mount.name, inside: posix.relative(base, path) };
  }
  return undefined;
}

const describeLocation = (where: { volume: string; inside: string } | undefined): string =>
  where === undefined ? 'no volume' : `${where.inside} in volume ${where.volume}`;

// --- the checks ---

interface Pod {
  deployment: Manifest;
  spec: PodSpec;
  all: Container[];
  volumes: Map<string, Volume>;
  configMaps: Map<string, Manifest>;
}

function podOf(manifests: Manifest[]): Pod {
  const deployment = manifests.find((manifest) => manifest.kind === 'Deployment');
  const spec = deployment?.spec?.template?.spec;
  if (deployment === undefined || spec === undefined) throw new Error('no Deployment with a pod template');
  return {
    deployment,
    spec,
    all: [...(spec.initContainers ?? []), ...spec.containers],
    volumes: new Map((spec.volumes ?? []).map((volume) => [volume.name, volume])),
    configMaps: new Map(manifests.filter((manifest) => manifest.kind === 'ConfigMap').map((manifest) => [manifest.metadata.name, manifest])),
  };
}

/** Checks every Deployment recipe shares: volumes, images, resources, users, no token literals, the app's command. */
function commonProblems(manifests: Manifest[]): { problems: string[]; app?: Invocation; pod: Pod; invocations: Invocation[] } {
  const problems: string[] = [];
  const pod = podOf(manifests);

  // Every mount names a volume of the pod, every volume is mounted, every ConfigMap volume's ConfigMap is here.
  const mounted = new Set<string>();
  for (const container of pod.all) {
    for (const mount of container.volumeMounts ?? []) {
      mounted.add(mount.name);
      if (!pod.volumes.has(mount.name)) problems.push(`${container.name}: the mount at ${mount.mountPath} names no volume (${mount.name})`);
    }
  }
  for (const volume of pod.volumes.values()) {
    if (!mounted.has(volume.name)) problems.push(`volume ${volume.name} is mounted by no container`);
    if (volume.configMap !== undefined && !pod.configMaps.has(volume.configMap.name)) problems.push(`volume ${volume.name}: no ConfigMap ${volume.configMap.name} in the file`);
  }

  for (const container of pod.all) {
    if ((container.image ?? '').trim() === '') problems.push(`${container.name}: no image`);
    const requests = container.resources?.requests ?? {};
    if (requests.cpu === undefined || requests.memory === undefined) problems.push(`${container.name}: no cpu and memory requests`);
    // No token in a manifest: no VAULT_TOKEN literal, no --token flag.
    for (const variable of container.env ?? []) {
      if (/^(?:VAULT|BAO)_TOKEN$|^VAULTENV_GITHUB_TOKEN$/.test(variable.name) && variable.value !== undefined) problems.push(`${container.name}: ${variable.name} has a literal value`);
    }
    for (const name of ['VAULT_ADDR', 'VAULT_AGENT_ADDR']) {
      const address = envValue(container, name);
      if (address === undefined) continue;
      try {
        parseEndpoint(address, { what: name, input: `container ${container.name}` });
      } catch (error) {
        problems.push(`${container.name}: ${name} ${address}: ${(error as Error).message}`);
      }
    }
    for (const word of argvOf(container) ?? container.args ?? []) {
      if (/^--(?:token|github-token)(?:=|$)/.test(word)) problems.push(`${container.name}: ${word.split('=')[0] ?? ''} puts a token on the command line`);
    }
  }

  // The containers running vaultenv are non-root with read-only root file systems.
  for (const container of pod.all.filter(isVaultenvImage)) {
    const nonRoot = container.securityContext?.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot;
    if (nonRoot !== true) problems.push(`${container.name}: not runAsNonRoot`);
    if (container.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${container.name}: root file system not read-only`);
  }

  const invocations = pod.all.map((container) => invocationOf(container, problems)).filter((invocation) => invocation !== undefined);

  // The app: the one main container not from the vaultenv image. Its command is vaultenv … -- entrypoint.
  const apps = pod.spec.containers.filter((container) => !isVaultenvImage(container));
  if (apps.length !== 1) return { problems: [...problems, `${apps.length} app containers, not 1`], pod, invocations };
  const appContainer = apps[0] as Container;
  const app = invocations.find((invocation) => invocation.container === appContainer);
  const argv = argvOf(appContainer) ?? [];
  if (app === undefined || app.line.kind !== 'run') {
    problems.push(`${appContainer.name}: the command does not start with vaultenv (${argv.join(' ')})`);
    return { problems, pod, invocations };
  }
  const separator = argv.indexOf('--');
  if (separator === -1 || argv[separator + 1] === undefined) problems.push(`${appContainer.name}: no -- before the wrapped command`);
  if ((appContainer.securityContext?.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot) !== true) problems.push(`${appContainer.name}: not runAsNonRoot`);

  // vaultenv itself lies where an init container copied it from the vaultenv image.
  const binary = locate(appContainer, argv[0] ?? '');
  const installers = (pod.spec.initContainers ?? []).filter((container) => isVaultenvImage(container) && argvOf(container)?.[0] === 'cp');
  const installed = installers.map((container) => {
    const words = argvOf(container) ?? [];
    if (words[1] !== VAULTENV_IN_IMAGE) problems.push(`${container.name}: copies ${words[1] ?? '(nothing)'}, not ${VAULTENV_IN_IMAGE}`);
    return locate(container, words.at(-1) ?? '');
  });
  if (binary === undefined) problems.push(`${appContainer.name}: ${argv[0] ?? ''} lies in no volume`);
  else if (!installed.some((where) => where?.volume === binary.volume && where.inside === binary.inside)) {
    problems.push(`${appContainer.name}: runs ${argv[0] ?? ''} (${describeLocation(binary)}), but no init container copies vaultenv there (${installed.map(describeLocation).join(', ') || 'none'})`);
  }

  // Each secrets file is a key of a ConfigMap mounted at its directory, and parses; a directory is
  // the mount of a ConfigMap, whose *.secrets keys are read.
  const secretsFiles = app.line.flags.secretsFiles;
  if (!Array.isArray(secretsFiles) || secretsFiles.length === 0) problems.push(`${appContainer.name}: no --secrets-file`);
  const refs: SecretRef[] = [];
  for (const file of Array.isArray(secretsFiles) ? secretsFiles : []) {
    const where = locate(appContainer, file);
    const configMapName = where === undefined ? undefined : pod.volumes.get(where.volume)?.configMap?.name;
    const data = configMapName === undefined ? {} : (pod.configMaps.get(configMapName)?.data ?? {});
    const keys = where?.inside === '' ? Object.keys(data).filter((key) => key.endsWith('.secrets')).sort() : [where?.inside ?? ''];
    if (configMapName === undefined) problems.push(`${appContainer.name}: the secrets file ${file} lies in no ConfigMap mount`);
    else if (keys.length === 0) problems.push(`${appContainer.name}: the secrets directory ${file} holds no *.secrets key of ConfigMap ${configMapName}`);
    for (const key of configMapName === undefined ? [] : keys) {
      const content = data[key];
      if (content === undefined) problems.push(`${appContainer.name}: the secrets file ${file} is not a key of ConfigMap ${configMapName ?? ''}`);
      else refs.push(...parseSecretsFile(content, `${configMapName ?? ''}/${key}`));
    }
  }

  // FILE secrets go into a folder of their own in an in-memory emptyDir (vaultenv refuses the
  // mount point itself, which belongs to root and is open to all).
  if (refs.some((ref) => ref.kind === 'key' && ref.asFile === true)) {
    const secretsDir = flag(app, 'secretsDir') ?? envValue(appContainer, 'VAULTENV_SECRETS_DIR');
    const where = secretsDir === undefined ? undefined : locate(appContainer, secretsDir);
    const volume = where === undefined ? undefined : pod.volumes.get(where.volume);
    if (secretsDir === undefined) problems.push(`${appContainer.name}: FILE secrets but no --secrets-dir`);
    else if (volume?.emptyDir?.medium !== 'Memory') problems.push(`${appContainer.name}: --secrets-dir ${secretsDir} (${describeLocation(where)}) is not in an in-memory emptyDir`);
    else if (where?.inside === '') problems.push(`${appContainer.name}: --secrets-dir ${secretsDir} is the mount point itself, not a folder in it`);
  }
  return { problems, app, pod, invocations };
}

/** The kubernetes-vault recipe: its init container writes the token file vaultenv and the renewer read. */
function kubernetesVaultProblems(manifests: Manifest[]): string[] {
  const { problems, app, pod, invocations } = commonProblems(manifests);
  if (app === undefined) return problems;

  const writers = (pod.spec.initContainers ?? []).filter(isKubernetesVault);
  if (writers.length !== 1) return [...problems, `${writers.length} kubernetes-vault init containers, not 1`];
  const writer = writers[0] as Container;
  const annotations = pod.deployment.spec?.template?.metadata?.annotations ?? {};
  if (annotations['pod.boostport.com/vault-init-container'] !== writer.name) problems.push(`the annotation pod.boostport.com/vault-init-container does not name ${writer.name}`);
  if (annotations['pod.boostport.com/vault-approle'] === undefined) problems.push('no pod.boostport.com/vault-approle annotation');
  if (envValue(writer, 'VAULT_ROLE_ID') === undefined) problems.push(`${writer.name}: no VAULT_ROLE_ID`);
  const credentials = envValue(writer, 'CREDENTIALS_PATH');
  const written = locate(writer, envValue(writer, 'TOKEN_PATH') ?? (credentials === undefined ? KUBERNETES_VAULT_TOKEN : posix.join(credentials, 'vault-token')));
  if (written === undefined) return [...problems, `${writer.name}: writes the token into no volume`];
  const tokenVolume = pod.volumes.get(written.volume);
  if (tokenVolume?.emptyDir?.medium !== 'Memory') problems.push(`volume ${written.volume} (the token) is not an in-memory emptyDir`);

  // The app reads that file: its --token-file, VAULTENV_TOKEN_FILE, or the path vaultenv probes first.
  const tokenFile = flag(app, 'tokenFile') ?? envValue(app.container, 'VAULTENV_TOKEN_FILE') ?? KUBERNETES_VAULT_TOKEN;
  const read = locate(app.container, tokenFile);
  if (read?.volume !== written.volume || read.inside !== written.inside) {
    problems.push(`${app.container.name}: reads the token at ${tokenFile} (${describeLocation(read)}), but ${writer.name} writes ${describeLocation(written)}`);
  }

  // The renewer: vaultenv renew --token-file on the same file.
  const renewers = invocations.filter((invocation) => invocation.line.kind === 'renew');
  if (renewers.length !== 1) problems.push(`${renewers.length} containers run vaultenv renew, not 1`);
  for (const renewer of renewers) {
    const file = flag(renewer, 'tokenFile');
    const where = file === undefined ? undefined : locate(renewer.container, file);
    if (file === undefined) problems.push(`${renewer.container.name}: vaultenv renew without --token-file`);
    else if (where?.volume !== written.volume || where.inside !== written.inside) {
      problems.push(`${renewer.container.name}: renews ${file} (${describeLocation(where)}), not the token ${writer.name} writes (${describeLocation(written)})`);
    }
  }
  return problems;
}

/** The Kubernetes auth recipe: a service account, a role, an address, and no kubernetes-vault. */
function kubernetesAuthProblems(manifests: Manifest[]): string[] {
  const { problems, app, pod, invocations } = commonProblems(manifests);
  if (app === undefined) return problems;

  const account = pod.spec.serviceAccountName;
  if (account === undefined) problems.push('no serviceAccountName');
  else if (!manifests.some((manifest) => manifest.kind === 'ServiceAccount' && manifest.metadata.name === account)) problems.push(`no ServiceAccount ${account} in the file`);
  if (flag(app, 'kubernetesRole') === undefined && envValue(app.container, 'VAULTENV_KUBERNETES_ROLE') === undefined) problems.push(`${app.container.name}: no --kubernetes-role or VAULTENV_KUBERNETES_ROLE`);
  if (flag(app, 'addr') === undefined && flag(app, 'host') === undefined && envValue(app.container, 'VAULT_ADDR') === undefined) problems.push(`${app.container.name}: no Vault address (a login has no token file to take it from)`);
  for (const container of pod.all.filter(isKubernetesVault)) problems.push(`${container.name}: kubernetes-vault in the Kubernetes auth recipe`);
  if (Object.keys(pod.deployment.spec?.template?.metadata?.annotations ?? {}).some((name) => name.startsWith('pod.boostport.com/'))) problems.push('kubernetes-vault annotations in the Kubernetes auth recipe');
  if (invocations.some((invocation) => invocation.line.kind === 'renew')) problems.push('a renewer, which a login at every start does not need');

  // The service account token vaultenv sends lies where Kubernetes puts one.
  const jwtFile = flag(app, 'kubernetesJwtFile') ?? envValue(app.container, 'VAULTENV_KUBERNETES_JWT_FILE') ?? SERVICE_ACCOUNT_TOKEN;
  const where = locate(app.container, jwtFile);
  const projected = where === undefined ? undefined : pod.volumes.get(where.volume)?.projected;
  const tokenSource = projected?.sources.find((source) => source.serviceAccountToken?.path === where?.inside);
  const automounted = pod.spec.automountServiceAccountToken !== false && posix.dirname(jwtFile) === SERVICE_ACCOUNT_DIR && where === undefined;
  if (tokenSource === undefined && !automounted) problems.push(`${app.container.name}: no service account token at ${jwtFile} (${describeLocation(where)})`);
  return problems;
}

const isBaoProxy = (container: Container): boolean => /openbao|vault/.test(container.image ?? '') && (argvOf(container) ?? []).includes('proxy');

/** The settings vaultenv could take a credential from: the proxy recipe sets none of them. */
const CREDENTIAL_FLAGS: FlagId[] = ['token', 'tokenFile', 'kubernetesRole', 'githubToken', 'approleRoleId', 'jwtRole'];
const CREDENTIAL_VARIABLES = ['VAULT_TOKEN', 'BAO_TOKEN', 'VAULTENV_TOKEN_FILE', 'BAO_TOKEN_PATH', 'VAULTENV_KUBERNETES_ROLE', 'VAULTENV_GITHUB_TOKEN', 'VAULTENV_APPROLE_ROLE_ID', 'VAULTENV_JWT_ROLE'];

/**
 * The OpenBao Proxy recipe: a native sidecar logs in with Kubernetes auth, forces its token onto every
 * request and listens on a unix socket in a volume the app shares; the app's vaultenv is given that
 * socket and no credential.
 */
function openbaoProxyProblems(manifests: Manifest[]): string[] {
  const { problems, app, pod, invocations } = commonProblems(manifests);
  if (app === undefined) return problems;

  const proxies = pod.all.filter(isBaoProxy);
  if (proxies.length !== 1) return [...problems, `${proxies.length} OpenBao Proxy containers, not 1`];
  const proxy = proxies[0] as Container;
  if (!(pod.spec.initContainers ?? []).includes(proxy) || proxy.restartPolicy !== 'Always') {
    problems.push(`${proxy.name}: not a native sidecar (an init container with restartPolicy: Always), so the app may start before the socket exists`);
  }

  // The proxy's configuration: a file of a ConfigMap mounted in the proxy.
  const configPath = (argvOf(proxy) ?? []).find((word) => word.startsWith('-config='))?.slice('-config='.length);
  const configAt = configPath === undefined ? undefined : locate(proxy, configPath);
  const configMapName = configAt === undefined ? undefined : pod.volumes.get(configAt.volume)?.configMap?.name;
  const hcl = configMapName === undefined || configAt === undefined ? undefined : pod.configMaps.get(configMapName)?.data?.[configAt.inside];
  if (hcl === undefined) return [...problems, `${proxy.name}: its -config=${configPath ?? ''} is no key of a ConfigMap mounted in it`];
  if (!/api_proxy\s*\{[^}]*use_auto_auth_token\s*=\s*"force"/.test(hcl)) problems.push(`${proxy.name}: api_proxy does not force its own token (use_auto_auth_token = "force")`);
  const tokenPath = /method\s+"kubernetes"[\s\S]*?token_path\s*=\s*"([^"]+)"/.exec(hcl)?.[1];
  const tokenAt = tokenPath === undefined ? undefined : locate(proxy, tokenPath);
  const projected = tokenAt === undefined ? undefined : pod.volumes.get(tokenAt.volume)?.projected;
  if (projected?.sources.find((source) => source.serviceAccountToken?.path === tokenAt?.inside) === undefined) {
    problems.push(`${proxy.name}: no service account token at ${tokenPath ?? '(no token_path of a kubernetes auto-auth method)'} (${describeLocation(tokenAt)})`);
  }
  const socket = /listener\s+"unix"\s*\{[^}]*address\s*=\s*"([^"]+)"/.exec(hcl)?.[1];
  if (socket === undefined) return [...problems, `${proxy.name}: no unix listener`];
  const served = locate(proxy, socket);
  if (served === undefined || pod.volumes.get(served.volume)?.emptyDir === undefined) problems.push(`${proxy.name}: the socket ${socket} lies in no emptyDir (${describeLocation(served)})`);
  if (!(proxy.startupProbe?.exec?.command ?? []).includes(socket)) problems.push(`${proxy.name}: no startup probe on ${socket}, so the app may start before the socket exists`);

  // The app's vaultenv: the socket as its address, seen through the same volume, and no credential.
  const address = flag(app, 'agentAddr') ?? flag(app, 'addr') ?? envValue(app.container, 'VAULT_AGENT_ADDR') ?? envValue(app.container, 'VAULT_ADDR') ?? '';
  const used = address.startsWith('unix://') ? locate(app.container, address.slice('unix://'.length)) : undefined;
  if (!address.startsWith('unix://')) problems.push(`${app.container.name}: the address ${address || '(none)'} is not the proxy's socket`);
  else if (served !== undefined && (used?.volume !== served.volume || used.inside !== served.inside)) {
    problems.push(`${app.container.name}: connects to ${address} (${describeLocation(used)}), but ${proxy.name} listens on ${describeLocation(served)}`);
  }
  const credentials = [
    ...CREDENTIAL_FLAGS.filter((id) => app.line.flags[id] !== undefined).map((id) => `flag ${id}`),
    ...CREDENTIAL_VARIABLES.filter((name) => app.container.env?.some((variable) => variable.name === name) === true),
  ];
  if (credentials.length > 0) problems.push(`${app.container.name}: configures a credential (${credentials.join(', ')}), but the proxy adds the token`);
  for (const container of pod.all.filter(isKubernetesVault)) problems.push(`${container.name}: kubernetes-vault in the proxy recipe`);
  if (invocations.some((invocation) => invocation.line.kind === 'renew')) problems.push('a renewer, which the proxy makes needless');
  return problems;
}

// --- the tests ---

type Mutation = (manifests: Manifest[]) => void;

const podSpec = (manifests: Manifest[]): PodSpec => podOf(manifests).spec;
const container = (manifests: Manifest[], name: string): Container => {
  const found = podOf(manifests).all.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no container ${name}`);
  return found;
};
/** Replaces the word after `flagName` in a container's command. */
const setFlag = (manifests: Manifest[], name: string, flagName: string, value: string): void => {
  const command = container(manifests, name).command ?? [];
  const at = command.indexOf(flagName);
  if (at === -1) throw new Error(`${name} has no ${flagName}`);
  command[at + 1] = value;
};

/** Breaks every recipe shares, each expected to be reported. */
const commonBreaks: { what: string; change: Mutation; problem: RegExp }[] = [
  { what: 'a mount of a missing volume', change: (m) => ((container(m, 'logstash').volumeMounts ?? [])[0] = { name: 'nope', mountPath: '/nope' }), problem: /names no volume \(nope\)/ },
  { what: 'an unmounted volume', change: (m) => podSpec(m).volumes?.push({ name: 'spare', emptyDir: {} }), problem: /volume spare is mounted by no container/ },
  { what: 'a missing ConfigMap', change: (m) => m.splice(m.findIndex((x) => x.metadata.name === 'logstash-secrets'), 1), problem: /no ConfigMap logstash-secrets/ },
  { what: 'a container without image', change: (m) => delete container(m, 'install-vaultenv').image, problem: /install-vaultenv: no image/ },
  { what: 'no resource requests', change: (m) => delete container(m, 'logstash').resources, problem: /logstash: no cpu and memory requests/ },
  { what: 'a VAULT_TOKEN literal', change: (m) => (container(m, 'logstash').env ??= []).push({ name: 'VAULT_TOKEN', value: 'hvs.x' }), problem: /VAULT_TOKEN has a literal value/ },
  { what: 'a --token flag', change: (m) => container(m, 'logstash').command?.splice(1, 0, '--token', 'hvs.x'), problem: /--token puts a token on the command line/ },
  { what: 'a misspelt flag', change: (m) => container(m, 'logstash').command?.splice(1, 0, '--secret-files', 'x'), problem: /vaultenv rejects .*--secret-files/ },
  { what: 'a renew flag in the run command', change: (m) => container(m, 'logstash').command?.splice(1, 0, '--interval', '5'), problem: /vaultenv rejects .*--interval/ },
  { what: 'a bad flag value', change: (m) => container(m, 'logstash').command?.splice(1, 0, '--addr', 'vault:8200'), problem: /vaultenv rejects .*--addr/ },
  { what: 'an app not wrapped', change: (m) => (container(m, 'logstash').command = ['/usr/local/bin/docker-entrypoint']), problem: /does not start with vaultenv/ },
  { what: 'no -- before the entrypoint', change: (m) => container(m, 'logstash').command?.splice(container(m, 'logstash').command?.indexOf('--') ?? 0, 1), problem: /no -- before the wrapped command/ },
  { what: 'vaultenv run from elsewhere', change: (m) => ((container(m, 'logstash').command ?? [])[0] = '/vaultenv/bin/vaultenv'), problem: /no init container copies vaultenv there/ },
  { what: 'vaultenv copied elsewhere', change: (m) => ((container(m, 'install-vaultenv').command ?? [])[2] = '/tmp/vaultenv'), problem: /no init container copies vaultenv there/ },
  { what: 'the copy of another file', change: (m) => ((container(m, 'install-vaultenv').command ?? [])[1] = '/bin/sh'), problem: /copies \/bin\/sh/ },
  { what: 'a secrets file outside the ConfigMap', change: (m) => setFlag(m, 'logstash', '--secrets-file', '/etc/logstash.secrets'), problem: /lies in no ConfigMap mount/ },
  { what: 'a secrets file the ConfigMap lacks', change: (m) => setFlag(m, 'logstash', '--secrets-file', '/etc/secrets.d/app.secrets'), problem: /is not a key of ConfigMap logstash-secrets/ },
  { what: 'a bad VAULT_ADDR', change: (m) => (container(m, 'logstash').env = [{ name: 'VAULT_ADDR', value: 'vault.example.com:8200' }]), problem: /logstash: VAULT_ADDR vault\.example\.com:8200/ },
  { what: 'a root vaultenv container', change: (m) => (container(m, 'install-vaultenv').securityContext = { runAsNonRoot: false, readOnlyRootFilesystem: true }), problem: /install-vaultenv: not runAsNonRoot/ },
  { what: 'a writable vaultenv container', change: (m) => (container(m, 'install-vaultenv').securityContext = { runAsNonRoot: true }), problem: /install-vaultenv: root file system not read-only/ },
  { what: 'a root app', change: (m) => ((container(m, 'logstash').securityContext ??= {}).runAsNonRoot = false), problem: /logstash: not runAsNonRoot/ },
];

function breaksFail(file: string, check: (manifests: Manifest[]) => string[], breaks: { what: string; change: Mutation; problem: RegExp }[]): void {
  it.each(breaks)('fails with $what', ({ change, problem }) => {
    const manifests = load(file);
    change(manifests);
    expect(check(manifests).join('\n')).toMatch(problem);
  });
}

describe('examples/kubernetes/deployment-kubernetes-vault.yaml', () => {
  const file = 'deployment-kubernetes-vault.yaml';

  it('hangs together: volumes, the token file, vaultenv, the renewer, the secrets ConfigMap', () => {
    expect(kubernetesVaultProblems(load(file))).toEqual([]);
  });

  it('has the ConfigMap with the Logstash secrets file', () => {
    const configMap = load(file).find((manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name === 'logstash-secrets');
    const refs = keyRefs(parseSecretsFile(configMap?.data?.['logstash.secrets'] ?? '', 'logstash.secrets'));
    expect(refs.map((ref) => `${ref.variable}=${ref.path}#${ref.key}`)).toEqual([
      'ELASTICSEARCH_USERNAME=elasticsearch/production#username',
      'ELASTICSEARCH_PASSWORD=elasticsearch/production#password',
    ]);
  });

  breaksFail(file, kubernetesVaultProblems, [
    ...commonBreaks,
    { what: 'a token file in another place', change: (m) => setFlag(m, 'logstash', '--token-file', '/tmp/vault-token'), problem: /reads the token at \/tmp\/vault-token/ },
    { what: 'a renewer on another file', change: (m) => setFlag(m, 'token-renewer', '--token-file', '/var/run/secrets/boostport.com/other'), problem: /renews .*other/ },
    { what: 'a renewer without --token-file', change: (m) => (container(m, 'token-renewer').command = ['/usr/local/bin/vaultenv', 'renew']), problem: /vaultenv renew without --token-file/ },
    { what: 'no renewer', change: (m) => podSpec(m).containers.splice(podSpec(m).containers.findIndex((c) => c.name === 'token-renewer'), 1), problem: /0 containers run vaultenv renew/ },
    { what: 'a token volume on disk', change: (m) => delete podSpec(m).volumes?.find((v) => v.name === 'vault-token')?.emptyDir?.medium, problem: /not an in-memory emptyDir/ },
    { what: 'the token mounted elsewhere in the app', change: (m) => ((container(m, 'logstash').volumeMounts ?? []).find((v) => v.name === 'vault-token')!.mountPath = '/vault'), problem: /reads the token at .* \(no volume\)/ },
    { what: 'no kubernetes-vault', change: (m) => podSpec(m).initContainers?.splice(0, 1), problem: /0 kubernetes-vault init containers/ },
    { what: 'an annotation naming another init container', change: (m) => (m.find((x) => x.kind === 'Deployment')!.spec!.template!.metadata!.annotations!['pod.boostport.com/vault-init-container'] = 'x'), problem: /does not name get-vault-token/ },
  ]);
});

describe('examples/kubernetes/deployment-kubernetes-auth.yaml', () => {
  const file = 'deployment-kubernetes-auth.yaml';

  it('hangs together: a service account, a role, an address, the service account token, no kubernetes-vault', () => {
    expect(kubernetesAuthProblems(load(file))).toEqual([]);
  });

  breaksFail(file, kubernetesAuthProblems, [
    ...commonBreaks,
    { what: 'no serviceAccountName', change: (m) => delete podSpec(m).serviceAccountName, problem: /no serviceAccountName/ },
    { what: 'no ServiceAccount object', change: (m) => m.splice(m.findIndex((x) => x.kind === 'ServiceAccount'), 1), problem: /no ServiceAccount logstash/ },
    { what: 'no role', change: (m) => container(m, 'logstash').command?.splice(container(m, 'logstash').command?.indexOf('--kubernetes-role') ?? 0, 2), problem: /no --kubernetes-role/ },
    { what: 'no address', change: (m) => (container(m, 'logstash').env = []), problem: /no Vault address/ },
    { what: 'a kubernetes-vault init container', change: (m) => podSpec(m).initContainers?.push({ name: 'kv', image: 'boostport/kubernetes-vault-init', resources: { requests: { cpu: '1m', memory: '1Mi' } } }), problem: /kv: kubernetes-vault/ },
    { what: 'a renewer', change: (m) => podSpec(m).containers.push({ ...container(m, 'install-vaultenv'), name: 'renewer', command: ['/usr/local/bin/vaultenv', 'renew', '--token-file', '/x'] }), problem: /a renewer/ },
    { what: 'a service account token in another place', change: (m) => setFlag(m, 'logstash', '--kubernetes-jwt-file', '/var/run/secrets/vault/jwt'), problem: /no service account token at \/var\/run\/secrets\/vault\/jwt/ },
    { what: 'FILE secrets on disk', change: (m) => delete podSpec(m).volumes?.find((v) => v.name === 'secret-files')?.emptyDir?.medium, problem: /--secrets-dir .* is not in an in-memory emptyDir/ },
    { what: 'FILE secrets without --secrets-dir', change: (m) => container(m, 'logstash').command?.splice(container(m, 'logstash').command?.indexOf('--secrets-dir') ?? 0, 2), problem: /FILE secrets but no --secrets-dir/ },
    { what: 'the emptyDir itself as --secrets-dir', change: (m) => setFlag(m, 'logstash', '--secrets-dir', '/var/run/vaultenv'), problem: /is the mount point itself/ },
    { what: 'a secrets directory without *.secrets keys', change: (m) => (m.find((x) => x.metadata.name === 'logstash-secrets')!.data = { 'README': 'x' }), problem: /holds no \*\.secrets key/ },
    { what: 'the default token path without automount', change: (m) => container(m, 'logstash').command?.splice(container(m, 'logstash').command?.indexOf('--kubernetes-jwt-file') ?? 0, 2), problem: /no service account token at \/var\/run\/secrets\/kubernetes\.io/ },
  ]);
});

describe('examples/kubernetes/deployment-openbao-proxy.yaml', () => {
  const file = 'deployment-openbao-proxy.yaml';
  const proxyConfig = (m: Manifest[]): Record<string, string> => m.find((x) => x.metadata.name === 'openbao-proxy')!.data!;

  it('hangs together: a native proxy sidecar with Kubernetes auto-auth, its socket shared with the app, vaultenv with no credential', () => {
    expect(openbaoProxyProblems(load(file))).toEqual([]);
  });

  breaksFail(file, openbaoProxyProblems, [
    ...commonBreaks,
    { what: 'another socket in the app', change: (m) => (container(m, 'logstash').env = [{ name: 'VAULT_AGENT_ADDR', value: 'unix:///run/openbao/agent.sock' }]), problem: /connects to unix:\/\/\/run\/openbao\/agent\.sock/ },
    { what: 'a TCP address in the app', change: (m) => (container(m, 'logstash').env = [{ name: 'VAULT_ADDR', value: 'https://vault.example.com:8200' }]), problem: /is not the proxy's socket/ },
    { what: 'a socket path vaultenv refuses', change: (m) => (container(m, 'logstash').env = [{ name: 'VAULT_AGENT_ADDR', value: 'unix://proxy.sock' }]), problem: /VAULT_AGENT_ADDR unix:\/\/proxy\.sock: invalid value/ },
    { what: 'the socket volume not mounted in the app', change: (m) => (container(m, 'logstash').volumeMounts = container(m, 'logstash').volumeMounts?.filter((v) => v.name !== 'bao-socket')), problem: /connects to .* \(no volume\)/ },
    { what: 'a token file for the app', change: (m) => container(m, 'logstash').command?.splice(1, 0, '--token-file', '/run/openbao/token'), problem: /configures a credential \(flag tokenFile\)/ },
    { what: 'BAO_TOKEN_PATH for the app', change: (m) => container(m, 'logstash').env?.push({ name: 'BAO_TOKEN_PATH', value: '/run/openbao/token' }), problem: /configures a credential \(BAO_TOKEN_PATH\)/ },
    { what: 'a proxy that does not force its token', change: (m) => (proxyConfig(m)['proxy.hcl'] = proxyConfig(m)['proxy.hcl']!.replace('"force"', 'true')), problem: /does not force its own token/ },
    { what: 'a service account token elsewhere', change: (m) => (proxyConfig(m)['proxy.hcl'] = proxyConfig(m)['proxy.hcl']!.replace('/var/run/secrets/vault/token', '/var/run/secrets/kubernetes.io/serviceaccount/token')), problem: /no service account token at \/var\/run\/secrets\/kubernetes\.io/ },
    { what: 'no unix listener', change: (m) => (proxyConfig(m)['proxy.hcl'] = proxyConfig(m)['proxy.hcl']!.replace('listener "unix"', 'listener "tcp"')), problem: /no unix listener/ },
    { what: 'a plain init container', change: (m) => delete container(m, 'openbao-proxy').restartPolicy, problem: /not a native sidecar/ },
    { what: 'no startup probe', change: (m) => delete container(m, 'openbao-proxy').startupProbe, problem: /no startup probe on \/run\/openbao\/proxy\.sock/ },
    { what: 'a socket on the root file system', change: (m) => (container(m, 'openbao-proxy').volumeMounts = container(m, 'openbao-proxy').volumeMounts?.filter((v) => v.name !== 'bao-socket')), problem: /the socket \/run\/openbao\/proxy\.sock lies in no emptyDir/ },
    { what: 'no proxy', change: (m) => podSpec(m).initContainers?.splice(1, 1), problem: /0 OpenBao Proxy containers/ },
    { what: 'a renewer', change: (m) => podSpec(m).containers.push({ ...container(m, 'install-vaultenv'), name: 'renewer', command: ['/usr/local/bin/vaultenv', 'renew', '--token-file', '/x'] }), problem: /a renewer/ },
  ]);
});

/** The supervise recipe: the Kubernetes auth recipe, with --supervise, a database lease, and time to revoke it. */
function superviseProblems(manifests: Manifest[]): string[] {
  const problems = kubernetesAuthProblems(manifests);
  const { app, pod } = commonProblems(manifests);
  if (app === undefined) return problems;
  if (app.line.flags.supervise !== true) problems.push(`${app.container.name}: no --supervise`);
  // Kubernetes' default grace period is 30 s; vaultenv needs the app's shutdown and then the revocation.
  const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
  const stopTimeout = Number(flag(app, 'stopTimeoutSeconds') ?? '10');
  if (grace < stopTimeout + 10) problems.push(`terminationGracePeriodSeconds ${grace} leaves no time to revoke after --stop-timeout ${stopTimeout}`);
  const files = app.line.flags.secretsFiles ?? [];
  const where = locate(app.container, files[0] ?? '');
  const configMap = where === undefined ? undefined : pod.configMaps.get(pod.volumes.get(where.volume)?.configMap?.name ?? '');
  const refs = parseSecretsFile(configMap?.data?.[where?.inside ?? ''] ?? '', 'secrets');
  const dynamic = refs.filter((ref) => ref.mount === 'database');
  if (new Set(dynamic.map((ref) => ref.path)).size !== 1 || dynamic.length !== 2) problems.push('the secrets file does not read both database credentials from one database/creds path');
  return problems;
}

describe('examples/kubernetes/deployment-supervise.yaml', () => {
  const file = 'deployment-supervise.yaml';

  it('hangs together: Kubernetes auth, --supervise, one database lease for both credentials, a grace period to revoke it', () => {
    expect(superviseProblems(load(file))).toEqual([]);
  });

  it.each([
    { what: 'no --supervise', change: (m: Manifest[]) => container(m, 'orders').command?.splice(1, 1), problem: /orders: no --supervise/ },
    { what: 'a short grace period', change: (m: Manifest[]) => (podSpec(m).terminationGracePeriodSeconds = 20), problem: /terminationGracePeriodSeconds 20 leaves no time/ },
    { what: 'a renewer beside it', change: (m: Manifest[]) => podSpec(m).containers.push({ ...container(m, 'install-vaultenv'), name: 'renewer', command: ['/usr/local/bin/vaultenv', 'renew', '--token-file', '/x'] }), problem: /a renewer/ },
  ])('fails with $what', ({ change, problem }) => {
    const manifests = load(file);
    change(manifests);
    expect(superviseProblems(manifests).join('\n')).toMatch(problem);
  });
});
