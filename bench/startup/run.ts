// bench/startup: how long hax takes to start, as the Debian package runs it
// (compiled JavaScript, scripts/package.sh) against today's source-tree path
// (bin/hax.js through tsx), in the same run, runs interleaved:
//   hax --help        spawn to exit
//   hax run → READY   spawn to the READY=1 datagram on NOTIFY_SOCKET (as
//                     systemd sees it), against one Consul dev agent, hax's
//                     process fid given (--process-fid) as a configured node has it
// plus the floor: a Node that runs a one-line ES module. Target: the
// package's --help at most 150 ms (median).
//
// The package's tree is staged by `scripts/package.sh --stage-only` and
// copied out of the repository (to a temporary /usr/lib/hax), so that it
// resolves modules as an installed package does, not from the repo's
// node_modules.
// Run: node --import tsx bench/startup/run.ts [--runs N] [--run-runs N]
//   (prints a table, writes bench/results/startup.json)
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startDevAgent } from '../../src/consul/dev-agent.ts';
import { openNotifySocket } from '../../test/helpers/notify-socket.ts';
import { percentile, printTable, writeResult } from '../lib/report.ts';

const { values } = parseArgs({ options: { runs: { type: 'string' }, 'run-runs': { type: 'string' } } });
const HELP_RUNS = Number(values.runs ?? 20);
const RUN_RUNS = Number(values['run-runs'] ?? 6);
const TARGET_HELP_MS = 150;
// hax's own process fid, as a configured node finds it in Consul's catalog at
// once; the bare dev agent has none, and hax would retry for 10 s looking.
const PROCESS_FID = '0x7200000000000001:0x6';
const ROOT = new URL('../..', import.meta.url).pathname;

// ---- the two ways to start hax, and the floor -----------------------------

console.log('staging the package tree (scripts/package.sh --stage-only) …');
const staged = spawnSync('bash', ['scripts/package.sh', '--stage-only'], { cwd: ROOT, encoding: 'utf8' });
if (staged.status !== 0) { console.error(staged.stdout + staged.stderr); process.exit(1); }
const outside = mkdtempSync(join(tmpdir(), 'hax-startup-'));
cpSync(join(ROOT, 'build/deb/socket/root/usr/lib/hax'), join(outside, 'usr/lib/hax'), { recursive: true, verbatimSymlinks: true });
const trivial = join(outside, 'trivial.mjs');
writeFileSync(trivial, 'process.stdout.write("");\n');

const PATHS = {
  'package (compiled)': [join(outside, 'usr/lib/hax/bin/hax.js')],
  'source tree (tsx)': [join(ROOT, 'bin/hax.js')],
} as const;
type PathName = keyof typeof PATHS;

const elapsed = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

function timeExit(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => { err += d; });
    c.on('exit', (code) => (code === 0 ? resolve(elapsed(start)) : reject(new Error(`${args.join(' ')} exited ${code}: ${err}`))));
  });
}

async function timeReady(entry: string, consulUrl: string): Promise<number> {
  const notify = await openNotifySocket();
  const http = await freePort();
  const link = await freePort();
  const start = process.hrtime.bigint();
  const c = spawn(process.execPath, [entry, 'run', '--consul', consulUrl, '--listen', `tcp:127.0.0.1:${link}`, '--http', `127.0.0.1:${http}`, '--log-level', 'warn', '--process-fid', PROCESS_FID], {
    stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NOTIFY_SOCKET: notify.path },
  });
  const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
  try {
    await Promise.race([notify.waitFor('READY=1', 60_000), exited.then((code) => { throw new Error(`${entry} run exited ${code} before READY`); })]);
    return elapsed(start);
  } finally {
    c.kill('SIGTERM');
    await exited;
    notify.close();
  }
}

// ---- measure, interleaved --------------------------------------------------

const samples: Record<string, number[]> = {};
const add = (key: string, ms: number) => { (samples[key] ??= []).push(ms); };
const names = Object.keys(PATHS) as PathName[];

console.log(`hax --help: ${HELP_RUNS} runs of each, interleaved …`);
for (let i = 0; i < HELP_RUNS; i++) {
  add('floor|node, one-line ES module', await timeExit([trivial]));
  for (const name of i % 2 === 0 ? names : [...names].reverse()) add(`help|${name}`, await timeExit([PATHS[name][0], '--help']));
}

console.log(`hax run → READY: ${RUN_RUNS} runs of each, interleaved, against one Consul dev agent …`);
const agent = await startDevAgent();
try {
  for (let i = 0; i < RUN_RUNS; i++) {
    for (const name of i % 2 === 0 ? names : [...names].reverse()) add(`ready|${name}`, await timeReady(PATHS[name][0], agent.url));
  }
} finally {
  await agent.stop();
  rmSync(outside, { recursive: true, force: true });
}

// ---- report ------------------------------------------------------------------

const row = (key: string) => {
  const [what, path] = key.split('|') as [string, string];
  const v = samples[key]!;
  return { what: what === 'help' ? 'hax --help' : what === 'ready' ? 'hax run → READY' : 'floor', path, runs: v.length, median: percentile(v, 50), p90: percentile(v, 90), min: Math.min(...v) };
};
const rows = Object.keys(samples).map(row);
const median = (key: string) => percentile(samples[key]!, 50);
const speedup = (what: string) => median(`${what}|source tree (tsx)`) / median(`${what}|package (compiled)`);
printTable('hax start-up (ms, spawn to exit / spawn to READY=1)', ['command', 'path', 'runs', 'median', 'p90', 'min'],
  rows.map((r) => [r.what, r.path, r.runs, r.median, r.p90, r.min]));
const helpMedian = median('help|package (compiled)');
console.log(`\ncompiled vs tsx: --help ${speedup('help').toFixed(2)}x faster, run → READY ${speedup('ready').toFixed(2)}x faster`);
console.log(`target --help <= ${TARGET_HELP_MS} ms (median): ${helpMedian <= TARGET_HELP_MS ? 'met' : 'NOT met'} (${helpMedian.toFixed(1)} ms; the floor, a Node running a one-line module, is ${median('floor|node, one-line ES module').toFixed(1)} ms here)`);
const path = writeResult('startup', { rows, speedup: { help: speedup('help'), ready: speedup('ready') }, targetHelpMs: TARGET_HELP_MS, helpTargetMet: helpMedian <= TARGET_HELP_MS, samples });
console.log(`wrote ${path}`);
