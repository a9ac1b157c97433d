// Start-up and fetch cost of vaultenv against a local OpenBao dev server, beside a reference wrapper.
// Prints a Markdown table per protocol: median wall time of RUNS interleaved rounds and peak RSS for
// bare `node -e 0`, and for the bundle, the single executable and (when named) the reference binary,
// `vaultenv --version` and `vaultenv … -- /bin/true` with secrets files naming 0, 1, 10, 100 and 1000
// distinct paths (one key each, KV v2 at secret/), with each build's time as a ratio of the reference's.
// Every measured binary is dropped from the page cache first and read back in a warm-up round, so a
// fresh build's peak RSS is taken as a deployed binary's is (dropFromPageCache).
//
// Usage: npm run bench [-- --runs N] [-- --tls] [-- --tls-only] [-- --sizes 0,1,10] [-- --exe NAME=PATH ...]
//                      [-- --reference-trust store|ca] [-- --floor]
//   --exe NAME=PATH (repeatable) measures another single executable in the same rounds, as its own
//                   column: a Node SEA beside the Bun one, say (docs/bench.md)
//   --floor         adds bench/floor.cjs, the least a program does for the same job, as a Bun
//                   executable built the way vaultenv's is and as a script run by this node (and,
//                   beside the Go peers, the executable with --kv-version 2): how far each build of
//                   vaultenv is from what its runtime allows
//   VAULTENV_BENCH_REFERENCE=/path/to/vaultenv  a wrapper with vaultenv's flags (Channable's vaultenv
//                                                0.19, say) measured in the same rounds
//   VAULTENV_BENCH_ENVCONSUL=/path/to/envconsul, VAULTENV_BENCH_VAULT_ENV=/path/to/vault-env
//                                                the Go peers, each given the same paths its own way
//                                                (envconsul: -secret flags; vault-env: vault:… variables),
//                                                and beside them the single executable with
//                                                --kv-version 2, which spares it the mount lookup
//                                                the peers do not make either
// --tls also runs everything over TLS (`bao server -dev-tls`, addressed as localhost, certificates
// verified): this project and the Go peers read the dev CA from VAULT_CACERT. vaultenv 0.19 takes no
// CA file: it reads the machine's trust store, so its users add their Vault's CA there. The reference
// is given that store with the dev CA added, as a copy named by SSL_CERT_FILE (the machine's store
// itself is left alone). --reference-trust ca gives it the dev CA alone instead: less to parse at
// every start than any real machine's store.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileArgs } from '../scripts/build-bun.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const flag = (name) => process.argv.indexOf(name);
const RUNS = flag('--runs') > 0 ? Number(process.argv[flag('--runs') + 1]) : 21;
const SIZES = flag('--sizes') > 0 ? process.argv[flag('--sizes') + 1].split(',').map(Number) : [0, 1, 10, 100, 1000];
const PROTOCOLS = flag('--tls-only') > 0 ? ['https'] : flag('--tls') > 0 ? ['http', 'https'] : ['http'];
const REFERENCE_TRUST = flag('--reference-trust') > 0 ? process.argv[flag('--reference-trust') + 1] : 'store';
if (REFERENCE_TRUST !== 'store' && REFERENCE_TRUST !== 'ca') throw new Error(`--reference-trust takes store or ca, not "${REFERENCE_TRUST}"`);
/** The machine's trust store as one file (Debian's; OpenSSL reads it by default). */
const MACHINE_STORE = '/etc/ssl/certs/ca-certificates.crt';
const REFERENCE = process.env.VAULTENV_BENCH_REFERENCE;
const PEERS = { envconsul: process.env.VAULTENV_BENCH_ENVCONSUL, vaultEnv: process.env.VAULTENV_BENCH_VAULT_ENV };
const EXTRA = process.argv.flatMap((arg, i) => (arg === '--exe' ? [process.argv[i + 1]] : [])).map((spec) => {
  const at = spec?.indexOf('=') ?? -1;
  if (at <= 0) throw new Error(`--exe takes NAME=PATH, not "${spec}"`);
  return [spec.slice(0, at), spec.slice(at + 1)];
});
const FLOOR = flag('--floor') > 0;
const cli = join(root, 'bin', 'vaultenv');
const sea = join(root, 'dist', `vaultenv-${process.platform}-${process.arch}`);
const bundle = join(root, 'dist', 'vaultenv.cjs');
/** One measured run is killed after this long (a wrapper that waits for something that never comes). */
const MEASURE_TIMEOUT_MS = 60_000;
/** Each start of bao waits this long at most for the server to answer. */
const START_TIMEOUT_MS = 20_000;

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startBao(work, tls) {
  const port = await freePort();
  const token = `bench-${Math.random().toString(36).slice(2)}`;
  const binary = execFileSync('sh', ['-c', 'command -v bao || command -v vault'], { encoding: 'utf8' }).trim();
  const certDir = join(work, `certs-${port}`);
  const args = ['server', '-dev', '-dev-no-store-token', `-dev-root-token-id=${token}`, `-dev-listen-address=127.0.0.1:${port}`];
  if (tls) {
    mkdirSync(certDir);
    args.push('-dev-tls', `-dev-tls-cert-dir=${certDir}`);
  }
  const child = spawn(binary, args, { stdio: 'ignore', env: { PATH: process.env.PATH, HOME: work } });
  const address = `${tls ? 'https' : 'http'}://localhost:${port}`;
  const ca = join(certDir, 'vault-ca.pem');
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      // curl checks the certificate against the dev CA as the CLIs will.
      execFileSync('curl', ['-fsS', '--max-time', '2', ...(tls ? ['--cacert', ca] : []), `${address}/v1/sys/health`], { stdio: 'ignore' });
      return { address, token, ca: tls ? ca : undefined, stop: () => child.kill('SIGKILL') };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error('bao did not start');
}

function seed(bao, count) {
  const paths = Array.from({ length: count }, (_, i) => `bench/s${i}`);
  // One curl per batch of writes keeps the seeding independent of Node's TLS settings.
  for (let i = 0; i < paths.length; i += 100) {
    const batch = paths.slice(i, i + 100);
    // curl's --next starts a new set of options: each write carries its own.
    const args = batch.flatMap((path) => [
      '--next', '-fsS', ...(bao.ca ? ['--cacert', bao.ca] : []), '-o', '/dev/null',
      '-X', 'POST', '-H', `X-Vault-Token: ${bao.token}`, '-d', JSON.stringify({ data: { value: `v-${path}` } }),
      `${bao.address}/v1/secret/data/${path}`,
    ]);
    try {
      execFileSync('curl', ['--parallel', ...args.slice(1)], { stdio: 'ignore' });
    } catch {
      throw new Error(`seeding the secrets failed (curl, ${bao.address})`); // not curl's command line: it holds the token
    }
  }
  return paths;
}

function measure(argv, env) {
  const out = execFileSync('python3', [join(root, 'bench', 'rusage.py'), ...argv], { env, encoding: 'utf8', timeout: MEASURE_TIMEOUT_MS, killSignal: 'SIGKILL' });
  const result = JSON.parse(out);
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}`);
  return result;
}

/** The CA file the reference reads over TLS (see the top of this file). */
function referenceTrust(work, ca) {
  if (REFERENCE_TRUST === 'ca') return ca;
  if (!existsSync(MACHINE_STORE)) throw new Error(`${MACHINE_STORE} is missing: install ca-certificates, or pass --reference-trust ca`);
  const file = join(work, 'machine-store-and-dev-ca.pem');
  writeFileSync(file, `${readFileSync(MACHINE_STORE, 'utf8')}\n${readFileSync(ca, 'utf8')}`);
  return file;
}

/**
 * Drops the measured binaries (and the bundle) from the page cache before the rounds. A file just
 * written, such as a fresh build, stays cached in large folios, and each page fault of a process that
 * maps it then maps a whole folio: that added about 5 MiB to the single executable's peak RSS,
 * against the same file read back from disk, as a binary from a container image is (docs/bench.md).
 * Read back, every binary is measured alike, however long ago it was built.
 */
function dropFromPageCache(paths) {
  const files = [...new Set(paths.filter((path) => path.startsWith('/') && existsSync(path)))];
  execFileSync('python3', [join(root, 'bench', 'page-cache.py'), ...files], { stdio: 'ignore' });
}

/** bench/floor.cjs as a Bun executable, compiled as scripts/build-bun.mjs compiles vaultenv's. */
function buildFloor(source, work) {
  const output = join(work, 'floor');
  if (!existsSync(output)) execFileSync('bun', [...compileArgs(), source, '--outfile', output], { cwd: root, stdio: 'ignore' });
  return output;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Medians of RUNS runs of every command, taken round-robin (each round runs every command once), so
 * that the machine's drift (a 2-core VM, a dev server settling after the seeding) falls on all rows
 * alike instead of on whichever row ran during it.
 */
function measureAll(commands) {
  dropFromPageCache([bundle, ...commands.flatMap((command) => command?.argv.slice(0, 2) ?? [])]);
  // Warm the page cache: each binary is read back from disk here, outside the rounds.
  for (const command of commands) if (command) measure(command.argv, command.env);
  const samples = commands.map(() => []);
  for (let round = 0; round < RUNS; round++) commands.forEach((command, i) => command && samples[i].push(measure(command.argv, command.env)));
  return samples.map((runs) => (runs.length === 0 ? undefined : { wall: median(runs.map((s) => s.wall_ms)), rss: Math.max(...runs.map((s) => s.maxrss_kb)) / 1024 }));
}

async function benchProtocol(protocol, work) {
  const tls = protocol === 'https';
  const bao = await startBao(work, tls);
  try {
    const paths = seed(bao, Math.max(...SIZES));
    // A fresh home: bin/vaultenv's compile cache (~/.cache/vaultenv) is written by the first run that
    // execs, the warm-up of the 1-path run here, as a user's first run would fetch secrets.
    const home = join(work, `home-${protocol}`);
    mkdirSync(home);
    const common = { PATH: process.env.PATH, HOME: home, VAULT_ADDR: bao.address, VAULT_TOKEN: bao.token };
    const ours = { ...common, ...(bao.ca ? { VAULT_CACERT: bao.ca } : {}) };
    const theirs = { ...common, ...(bao.ca ? { SSL_CERT_FILE: referenceTrust(work, bao.ca) } : {}) };
    // Each CLI: a name, and how it runs a row (undefined: it has no such command).
    const vaultenvLike = (prefix, env) => (row) => ({ argv: [...prefix, ...row.args], env });
    const clis = [['bundle', vaultenvLike([process.execPath, cli], ours)]];
    if (existsSync(sea)) clis.push(['single executable', vaultenvLike([sea], ours)]);
    // The Go peers are given API paths (secret/data/…) and ask Vault for no mount; told the mount's
    // KV version, the executable asks for none either: its column on the peers' footing.
    if (existsSync(sea) && (PEERS.envconsul || PEERS.vaultEnv)) {
      clis.push(['executable, --kv-version 2', (row) => (row.size === undefined ? undefined : { argv: [sea, '--kv-version', '2', ...row.args], env: ours })]);
    }
    for (const [name, path] of EXTRA) clis.push([name, vaultenvLike([path], ours)]);
    const peerEnv = { ...common, ...(bao.ca ? { VAULT_CACERT: bao.ca } : {}) };
    if (PEERS.envconsul) {
      // One -secret per path; its keys become SECRET_DATA_BENCH_S<n>_VALUE. No token renewal, one run.
      // With no secret at all it waits for one forever: no 0-path cell.
      clis.push(['envconsul', (row) => row.size === 0 ? undefined : ({
        argv: row.size === undefined ? [PEERS.envconsul, '-v'] : [PEERS.envconsul, '-once', '-vault-renew-token=false', ...paths.slice(0, row.size).map((p) => `-secret=secret/data/${p}`), '/bin/true'],
        env: peerEnv,
      })]);
    }
    if (PEERS.vaultEnv) {
      // Every variable whose value is vault:<path>#<key> is replaced; it has no version flag.
      clis.push(['vault-env', (row) => row.size === undefined ? undefined : ({
        argv: [PEERS.vaultEnv, '/bin/true'],
        env: { ...peerEnv, ...Object.fromEntries(paths.slice(0, row.size).map((p, i) => [`S${i}`, `vault:secret/data/${p}#value`])) },
      })]);
    }
    if (FLOOR) {
      const floorSource = join(root, 'bench', 'floor.cjs');
      const floorExe = buildFloor(floorSource, work);
      clis.push(['floor: Bun executable', vaultenvLike([floorExe], ours)]);
      if (PEERS.envconsul || PEERS.vaultEnv) {
        clis.push(['floor executable, --kv-version 2', (row) => (row.size === undefined ? undefined : { argv: [floorExe, '--kv-version', '2', ...row.args], env: ours })]);
      }
      clis.push(['floor: Node script', vaultenvLike([process.execPath, floorSource], ours)]);
    }
    if (REFERENCE) clis.push(['reference', vaultenvLike([REFERENCE], theirs)]);
    const rows = [{ label: '--version', args: ['--version'], size: undefined }];
    for (const size of SIZES) {
      const file = join(work, `${protocol}-${size}.secrets`);
      writeFileSync(file, paths.slice(0, size).map((p, i) => `S${i}=${p}#value\n`).join(''));
      rows.push({ label: `${size} paths -- /bin/true`, args: ['--secrets-file', file, '--', '/bin/true'], size });
    }
    const oneRow = rows.find((row) => row.size === 1);
    if (oneRow) measure(clis[0][1](oneRow).argv, ours); // the 1-path run writes the compile cache
    const commands = [{ argv: [process.execPath, '-e', '0'], env: common }];
    for (const row of rows) for (const [, command] of clis) commands.push(command(row));
    const [baseline, ...results] = measureAll(commands);
    return { baseline, clis, rows, results };
  } finally {
    bao.stop();
  }
}

function print(protocol, { baseline, clis, rows, results }) {
  const refIndex = clis.findIndex(([name]) => name === 'reference');
  console.log(`\n${protocol === 'https' ? 'Over TLS (certificates verified)' : 'Over plain HTTP'}: node -e 0 takes ${baseline.wall.toFixed(1)} ms`);
  const heads = clis.map(([name]) => (refIndex >= 0 && name !== 'reference' ? `${name}: ms | ÷ reference | MiB` : `${name}: ms | MiB`));
  console.log(`| what | ${heads.join(' | ')} |`);
  console.log(`| --- |${heads.map((h) => ' ---: |'.repeat(h.split('|').length)).join('')}`);
  rows.forEach(({ label }, r) => {
    const cells = clis.map(([name], c) => {
      const result = results[r * clis.length + c];
      const withRatio = refIndex >= 0 && name !== 'reference';
      if (result === undefined) return withRatio ? '— | — | —' : '— | —';
      const { wall, rss } = result;
      if (!withRatio) return `${wall.toFixed(1)} | ${rss.toFixed(1)}`;
      const reference = results[r * clis.length + refIndex]?.wall ?? NaN;
      return `${wall.toFixed(1)} | ${(wall / reference).toFixed(2)} | ${rss.toFixed(1)}`;
    });
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  });
}

const work = mkdtempSync(join(tmpdir(), 'vaultenv-bench-'));
try {
  console.log(
    `vaultenv bench: node ${process.versions.node}, ${RUNS} interleaved rounds (median wall time, peak RSS), OpenBao dev server on loopback` +
      (REFERENCE ? `, reference ${REFERENCE}` : '') +
      (REFERENCE && PROTOCOLS.includes('https') ? ` (over TLS it trusts ${REFERENCE_TRUST === 'store' ? "the machine's store with the dev CA added" : 'the dev CA alone'})` : ''),
  );
  for (const protocol of PROTOCOLS) print(protocol, await benchProtocol(protocol, work));
} finally {
  rmSync(work, { recursive: true, force: true });
}
