// bench/http: POST / (a Consul service-watch payload) through hax's real HTTP
// layer and wasm core, against JSON.parse of the same bodies in the same run.
// Each request goes on a fresh connection, as Consul's watch handler sends it;
// the server runs in its own process (bench/http/server.ts), as hax does.
// Usage: node --import tsx bench/http/run.ts [--quick]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { alternatingBodies } from './payload.ts';
import { percentile, printTable, writeResult } from '../lib/report.ts';
import { postFresh } from '../lib/post.ts';

const quick = process.argv.includes('--quick');
const SIZES = [10, 100, 1000, 10000];

const post = async (port: number, body: Buffer): Promise<number> => (await postFresh(port, '/', body, { 'X-Consul-Index': '42' })).status;

async function main(): Promise<void> {
  const server = spawn(process.execPath, ['--import', 'tsx', new URL('./server.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { port } = await new Promise<{ port: number }>((resolve) => createInterface({ input: server.stdout! }).once('line', (l) => resolve(JSON.parse(l))));
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  for (const n of SIZES) {
    const texts = alternatingBodies(n);
    const bodies = texts.map((t) => Buffer.from(t));   // Consul's side holds bytes; only hax's work is timed
    const bytes = bodies[0].length;
    const budget = { minRuns: quick ? 5 : 20, minMs: quick ? 300 : 2000, maxRuns: n >= 10000 ? 60 : 2000 };
    for (let w = 0; w < 5; w++) await post(port, bodies[w % 2]);        // warm up
    // Interleaved: one POST, then JSON.parse of the same body, in turn, so
    // that the machine's speed drifting (a shared VM) moves both alike.
    const postMs: number[] = [];
    const parseMs: number[] = [];
    const started = performance.now();
    for (let k = 0; postMs.length < budget.maxRuns && (postMs.length < budget.minRuns || performance.now() - started < budget.minMs); k++) {
      const t0 = performance.now();
      const status = await post(port, bodies[k % 2]);
      postMs.push(performance.now() - t0);
      if (status !== 200) throw new Error(`POST / answered ${status}`);
      const t1 = performance.now();
      JSON.parse(texts[k % 2]);
      parseMs.push(performance.now() - t1);
    }
    const p50 = percentile(postMs, 50), p99 = percentile(postMs, 99), parse50 = percentile(parseMs, 50);
    const ratio = p50 / parse50;
    rows.push([String(n), (bytes / 1024).toFixed(0), p50, p99, 1000 / p50, parse50, percentile(parseMs, 99), ratio.toFixed(2) + '×']);
    results.push({ entries: n, bodyBytes: bytes, post: { runs: postMs.length, p50Ms: p50, p99Ms: p99, perSecond: 1000 / p50 }, jsonParse: { runs: parseMs.length, p50Ms: parse50, p99Ms: percentile(parseMs, 99) }, ratioP50: ratio });
  }
  server.kill('SIGTERM');
  printTable('POST / (fresh connection, validation, core, reply) vs JSON.parse of the same body', ['entries', 'KiB', 'POST p50 ms', 'POST p99 ms', 'POST/s', 'parse p50 ms', 'parse p99 ms', 'POST/parse'], rows);
  const at1000 = results.find((r) => r.entries === 1000) as { ratioP50: number };
  console.log(`\ntarget: POST / at most 1.5× JSON.parse at 1,000 entries — measured ${at1000.ratioP50.toFixed(2)}× (${at1000.ratioP50 <= 1.5 ? 'met' : 'NOT met'})`);
  console.log(`wrote ${writeResult('http', { results, target: { entries: 1000, maxRatio: 1.5, met: at1000.ratioP50 <= 1.5 } })}`);
}

await main();
