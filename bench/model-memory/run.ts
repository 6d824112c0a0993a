// bench/model-memory: the core's model memory against the cluster's size.
// For each size the hare-layout seeder's m0conf/ tree is parsed as hax parses
// it and loaded into a fresh core; the wasm instance's linear memory (it only
// grows) is read after one load and after RELOADS more whole reloads (a
// reload builds the new model beside the old one: the high-water mark).
// Bytes per object is the slope between sizes, so the fixed part (the
// input/output regions, the initial heap) drops out. Baseline, same run: the
// host's V8 heap holding the same tree as parsed rows (ConfRow[]).
// Usage: node --expose-gc --import tsx bench/model-memory/run.ts [--quick]
import { FIXTURES_DIR } from '../../test/helpers/fixtures.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreHost } from '../../src/core/core-host.ts';
import { CONF, type ConfRow } from '../../src/core/records.ts';
import { parseConfTree, type KvItem } from '../../src/model/conf-tree.ts';
import { printTable, writeResult } from '../lib/report.ts';

const FIXTURE = `${FIXTURES_DIR}hare-layout/`;
const quick = process.argv.includes('--quick');
const SIZES = quick ? [100, 500, 1000] : [100, 250, 500, 750, 1000];
const RELOADS = 3;
const gc = (globalThis as { gc?: () => void }).gc;

interface Row { nodes: number; objects: number; afterLoad: number; afterReloads: number; hostRowsBytes: number }

function tree(nodes: number, dir: string): ConfRow[] {
  const out = join(dir, `cluster-${nodes}.json`);
  execFileSync('python3', [`${FIXTURE}seed.py`, 'gen', '--nodes', String(nodes), '--out', out], { stdio: 'pipe' });
  const cl = JSON.parse(readFileSync(out, 'utf8')) as { kv: { key: string; value: string }[] };
  const items: KvItem[] = cl.kv.filter((x) => x.key.startsWith('m0conf/')).map((x, i) => ({ key: x.key, value: x.value, modifyIndex: 10 + i }));
  return parseConfTree(items, '');
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length, mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2; }
  return num / den;
}

async function main(): Promise<void> {
  if (!existsSync(`${FIXTURE}seed.py`)) { console.log(`bench/model-memory: skipped, the fixture is absent (${FIXTURE})`); return; }
  if (!gc) throw new Error('run with node --expose-gc (the host baseline needs a full GC)');
  const dir = mkdtempSync(join(tmpdir(), 'hax-model-memory-'));
  const rows: Row[] = [];
  try {
    for (const nodes of SIZES) {
      gc();
      const before = process.memoryUsage().heapUsed;
      const conf = tree(nodes, dir);
      gc();
      const hostRowsBytes = process.memoryUsage().heapUsed - before;
      const core = await CoreHost.load();
      const d = core.confLoaded(1, conf);
      if (d.reason.code !== 'CONF_LOADED') throw new Error(d.reason.text);
      const afterLoad = core.memoryBytes;
      for (let i = 0; i < RELOADS; i++) core.confLoaded(2 + i, conf);
      if (core.trapCount > 0) throw new Error(`the core trapped at ${nodes} nodes`);
      rows.push({ nodes, objects: conf.filter((r) => r.type !== CONF.poolMember).length, afterLoad, afterReloads: core.memoryBytes, hostRowsBytes });
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
  const objs = rows.map((r) => r.objects);
  const perObject = { afterLoad: slope(objs, rows.map((r) => r.afterLoad)), afterReloads: slope(objs, rows.map((r) => r.afterReloads)), hostRows: slope(objs, rows.map((r) => r.hostRowsBytes)) };
  const mib = (b: number) => b / 2 ** 20;
  printTable('the core\'s model memory (wasm linear memory, MiB) against the host\'s parsed rows (V8 heap, MiB)', ['nodes', 'objects', 'core after load', `core after ${RELOADS} reloads`, 'host rows (baseline)'],
    rows.map((r) => [String(r.nodes), r.objects, mib(r.afterLoad), mib(r.afterReloads), mib(r.hostRowsBytes)]));
  console.log(`\nbytes per object (slope over the sizes): core after one load ${perObject.afterLoad.toFixed(0)}, core high-water with reloads ${perObject.afterReloads.toFixed(0)}; host rows ${perObject.hostRows.toFixed(0)}`);
  console.log('wasm memory grows in 64 KiB pages and never shrinks: the figures are high-water marks (a whole reload holds the old and the new model at once).');
  console.log(`wrote ${writeResult('model-memory', { reloads: RELOADS, sizes: rows, bytesPerObject: perObject })}`);
}

await main();
