// Start-up and fetch cost of vaultenv against a local OpenBao dev server.
// Prints a table: median wall time of >= RUNS runs and peak RSS for bare `node -e 0`, and, for the
// bundle and the single executable side by side, `vaultenv --version` and `vaultenv … -- /bin/true`
// with secrets files naming 0, 1, 10, 100 and 1000 distinct paths (one key each, KV v2 at secret/).
// Runs on the project's Node 26 (npm run bench goes through scripts/with-tools.sh): the bundle is run by
// that node, and the single executable is a copy of it.
// Usage: npm run bench [-- --runs N]
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 21;
const SIZES = [0, 1, 10, 100, 1000];
const cli = join(root, 'bin', 'vaultenv');
const sea = join(root, 'dist', 'vaultenv-linux-x64');

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startBao() {
  const port = await freePort();
  const token = `bench-${Math.random().toString(36).slice(2)}`;
  const binary = execFileSync('sh', ['-c', 'command -v bao || command -v vault'], { encoding: 'utf8' }).trim();
  const child = spawn(binary, ['server', '-dev', '-dev-no-store-token', `-dev-root-token-id=${token}`, `-dev-listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const address = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${address}/v1/sys/health`)).ok) return { address, token, stop: () => child.kill('SIGKILL') };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('bao did not start');
}

async function seed(bao, count) {
  const paths = Array.from({ length: count }, (_, i) => `bench/s${i}`);
  for (let i = 0; i < paths.length; i += 50) {
    await Promise.all(
      paths.slice(i, i + 50).map((path) =>
        fetch(`${bao.address}/v1/secret/data/${path}`, {
          method: 'POST',
          headers: { 'X-Vault-Token': bao.token },
          body: JSON.stringify({ data: { value: `v-${path}` } }),
        }).then((r) => {
          if (!r.ok) throw new Error(`seeding ${path}: ${r.status}`);
        }),
      ),
    );
  }
  return paths;
}

function measure(argv, env) {
  const out = execFileSync('python3', [join(root, 'bench', 'rusage.py'), ...argv], { env, encoding: 'utf8' });
  const result = JSON.parse(out);
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}`);
  return result;
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
function measureAll(commands, env) {
  // Warm the page cache.
  for (const { argv } of commands) measure(argv, env);
  const samples = commands.map(() => []);
  for (let round = 0; round < RUNS; round++) commands.forEach(({ argv }, i) => samples[i].push(measure(argv, env)));
  return samples.map((runs) => ({ wall: median(runs.map((s) => s.wall_ms)), rss: Math.max(...runs.map((s) => s.maxrss_kb)) / 1024 }));
}

const bao = await startBao();
const work = mkdtempSync(join(tmpdir(), 'vaultenv-bench-'));
try {
  const paths = await seed(bao, Math.max(...SIZES));
  // A fresh home: bin/vaultenv's code cache (~/.cache/vaultenv) is written by the first run that execs,
  // and that is the warm-up of the 1-path run here, as a user's first run would fetch secrets.
  const home = join(work, 'home');
  mkdirSync(home);
  const env = { PATH: process.env.PATH, HOME: home, VAULT_ADDR: bao.address, VAULT_TOKEN: bao.token };
  const node = process.execPath;
  const clis = [['bundle', [node, cli]]];
  if (existsSync(sea)) clis.push(['single executable', [sea]]);
  const rows = [['vaultenv --version', ['--version']]];
  for (const size of SIZES) {
    const file = join(work, `${size}.secrets`);
    writeFileSync(file, paths.slice(0, size).map((p, i) => `S${i}=${p}#value\n`).join(''));
    rows.push([`${size} paths -- /bin/true`, ['--secrets-file', file, '--', '/bin/true']]);
  }
  measure([...clis[0][1], ...rows[2][1]], env); // the 1-path run writes the code cache
  const commands = [{ argv: [node, '-e', '0'] }];
  for (const [, args] of rows) for (const [, prefix] of clis) commands.push({ argv: [...prefix, ...args] });
  const [baseline, ...results] = measureAll(commands, env);
  const table = [['node -e 0', [baseline]], ...rows.map(([label], r) => [label, clis.map((_, c) => results[r * clis.length + c])])];
  const base = baseline.wall;
  console.log(`vaultenv bench: node ${process.versions.node}, ${RUNS} runs each (median wall time, peak RSS), OpenBao dev server on loopback`);
  const heads = clis.map(([name]) => `${name}: ms | × node -e 0 | MiB`).join(' | ');
  console.log(`| what | ${heads} |`);
  console.log(`| --- |${clis.map(() => ' ---: | ---: | ---: |').join('')}`);
  for (const [label, rows] of table) {
    const cells = rows.map((r) => `${r.wall.toFixed(1)} | ${(r.wall / base).toFixed(2)} | ${r.rss.toFixed(1)}`);
    while (cells.length < clis.length) cells.push(' | | ');
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
} finally {
  bao.stop();
  rmSync(work, { recursive: true, force: true });
}
