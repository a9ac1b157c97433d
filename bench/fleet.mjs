// A fleet under a rate-limit quota: K launches of the built CLI started at once, each fetching N
// distinct paths, against a local OpenBao dev server with a rate-limit quota of RATE requests per
// second on every path. Prints a Markdown table: launches started and failed, wall time of the whole
// fleet, p50 and p99 of one launch's time, the quota's floor (the requests the fleet must make, one
// mount lookup and N reads per launch, divided by RATE), and the 429 answers the server gave (its
// own counter, vault_quota_rate_limit_violation, read from sys/metrics).
// Each CLI first runs one fleet without the quota: what starting the fleet costs the machine, under
// every other row. Several CLIs (--cli, repeated) take turns, fleet by fleet, so that the machine's
// drift falls on all of them alike; each gets a row of medians.
// Bounded: every launch is killed after --launch-timeout seconds, the server is killed at the end,
// and all traffic stays on 127.0.0.1.
// Usage: npm run bench:fleet [-- --launches 60 --paths 10 --rate 150 --runs 1 --no-headers --cli FILE ...]
//   --no-headers   leaves OpenBao's rate-limit response headers off, its default (a 429 has no Retry-After)
//   --cli FILE     a CLI to launch: a bundle (*.cjs, run by this node) or an executable; default bin/vaultenv
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBao } from '../test/helpers/bao.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const launcher = join(root, 'bin', 'vaultenv');
const { values: flags } = parseArgs({
  options: {
    launches: { type: 'string', default: '60' },
    paths: { type: 'string', default: '10' },
    rate: { type: 'string', default: '150' },
    runs: { type: 'string', default: '1' },
    'launch-timeout': { type: 'string', default: '120' },
    'no-headers': { type: 'boolean', default: false },
    cli: { type: 'string', multiple: true, default: [launcher] },
  },
});
const LAUNCHES = positive('launches');
const PATHS = positive('paths');
const RATE = positive('rate');
const RUNS = positive('runs');
const LAUNCH_TIMEOUT_MS = positive('launch-timeout') * 1000;
const QUOTA = 'bench-fleet';
const REQUESTS = LAUNCHES * (PATHS + 1);
const FLOOR_MS = (REQUESTS / RATE) * 1000;

function positive(name) {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not ${flags[name]}`);
  return n;
}

/** [file, args] that run `cli`: a bundle or the launcher through this node, anything else directly. */
function command(cli, args) {
  return cli.endsWith('.cjs') || cli.endsWith('.js') || cli === launcher ? [process.execPath, [cli, ...args]] : [cli, args];
}

/** Runs one launch; resolves with its exit code (null when killed), its time from spawn to exit and its stderr. */
function launch(cli, args, env) {
  return new Promise((resolve) => {
    const started = performance.now();
    const [file, argv] = command(cli, args);
    const child = spawn(file, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), LAUNCH_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - started, stderr });
    });
  });
}

async function ok(response, what) {
  if (response.status < 200 || response.status > 299) throw new Error(`${what}: HTTP ${response.status} ${response.text.slice(0, 200)}`);
  return response;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server's count of 429s for the quota (0 before the first one). Retried past a 429 of its own. */
async function violations(bao) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const response = await bao.api.request('GET', 'sys/metrics?format=prometheus');
    if (response.status === 429) {
      await sleep(1100);
      continue;
    }
    await ok(response, 'sys/metrics');
    const line = response.text.split('\n').find((l) => l.startsWith('vault_quota_rate_limit_violation{') && l.includes(`name="${QUOTA}"`));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  throw new Error('sys/metrics stayed rate-limited');
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** One fleet of `cli`: all launches at once. */
async function fleet(bao, cli, args, env, quota) {
  const before = quota ? await violations(bao) : 0;
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: LAUNCHES }, () => launch(cli, args, env)));
  const wallMs = performance.now() - started;
  await sleep(1100); // a fresh window of the quota for the next request
  const failed = results.filter((r) => r.code !== 0);
  if (failed.length > 0) console.error(`${basename(cli)}: first failure: ${failed[0].stderr.trim()}`);
  const times = results.map((r) => r.ms);
  return {
    quota,
    started: results.length - failed.length,
    failed: failed.length,
    codes: [...new Set(failed.map((r) => r.code))],
    wallMs,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    throttled: quota ? (await violations(bao)) - before : undefined,
  };
}

const seconds = (ms) => (ms / 1000).toFixed(2);
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function row(label, r) {
  const failed = `${r.failed}${r.codes.length === 0 ? '' : ` (exit ${r.codes.join(', ')})`}`;
  const quota = r.quota ? `${RATE}/s` : 'none';
  const q = (text) => (r.quota ? text : '');
  return (
    `| ${label} | ${quota} | ${r.started} | ${failed} | ${seconds(r.wallMs)} | ${q((r.wallMs / FLOOR_MS).toFixed(2))} | ` +
    `${seconds(r.p50)} | ${seconds(r.p99)} | ${q(seconds(FLOOR_MS))} | ${q(String(r.throttled))} | ${q((r.throttled / REQUESTS).toFixed(2))} |`
  );
}

const bao = await startBao();
const work = mkdtempSync(join(tmpdir(), 'vaultenv-fleet-'));
try {
  for (let i = 0; i < PATHS; i++) await bao.api.writeSecret('secret', 2, `fleet/s${i}`, { value: `fleet-value-${i}` });
  const secretsFile = join(work, 'fleet.secrets');
  writeFileSync(secretsFile, Array.from({ length: PATHS }, (_, i) => `S${i}=fleet/s${i}#value\n`).join(''));
  const home = join(work, 'home');
  mkdirSync(home);
  const env = { PATH: process.env.PATH, HOME: home, VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken };
  const args = ['--secrets-file', secretsFile, '--', '/bin/true'];
  const clis = flags.cli;
  const results = new Map(clis.map((cli) => [cli, []]));
  for (const cli of clis) {
    // One launch alone: it writes bin/vaultenv's code cache, as earlier starts of a fleet would have.
    const warm = await launch(cli, args, env);
    if (warm.code !== 0) throw new Error(`${cli}: the warm-up launch failed (exit ${warm.code}): ${warm.stderr.trim()}`);
    results.get(cli).push(await fleet(bao, cli, args, env, false));
  }
  await ok(await bao.api.request('POST', 'sys/quotas/config', { enable_rate_limit_response_headers: !flags['no-headers'] }), 'sys/quotas/config');
  await ok(await bao.api.request('POST', `sys/quotas/rate-limit/${QUOTA}`, { rate: RATE }), 'the rate-limit quota');
  await sleep(1100);
  for (let run = 0; run < RUNS; run++) for (const cli of clis) results.get(cli).push(await fleet(bao, cli, args, env, true));

  console.log(
    `vaultenv fleet bench: node ${process.versions.node}; ${LAUNCHES} launches × ${PATHS} paths (+1 mount lookup each) = ${REQUESTS} requests; ` +
      `rate-limit headers ${flags['no-headers'] ? 'off' : 'on'}; ${RUNS} run${RUNS === 1 ? '' : 's'} with the quota per CLI`,
  );
  console.log('| CLI | quota | started | failed | wall s | × floor | p50 s | p99 s | floor s | 429s | 429s per request |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const cli of clis) {
    const label = basename(cli);
    const rows = results.get(cli);
    for (const r of rows) console.log(row(label, r));
    const limited = rows.filter((r) => r.quota);
    if (limited.length > 1) {
      const m = (key) => median(limited.map((r) => r[key]));
      const summary = { quota: true, started: m('started'), failed: m('failed'), codes: [], wallMs: m('wallMs'), p50: m('p50'), p99: m('p99'), throttled: m('throttled') };
      console.log(row(`**${label}, median**`, summary));
    }
  }
} finally {
  await bao.stop();
  rmSync(work, { recursive: true, force: true });
}
