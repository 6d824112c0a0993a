// hax under hostile load (issue 13): its resident memory and event-loop delay
// (p99, max; from its own GET /metrics, hax_event_loop_delay_seconds over each
// phase) while
//   (b) 20 HA-link peers never confirm anything during 2,000 re-broadcasts,
//   (c) 2,000 connect + entrypoint + close storms,
//   (a) the largest body hax accepts is posted 4 times in parallel to POST /,
// next to the same figures at rest, in one run. hax runs as `hax run` in its
// own process against a real Consul agent, a fresh one for each phase. Targets: RSS <= 300 MiB and p99
// <= 50 ms in each phase.
//   node --import tsx bench/hostile/run.ts
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevAgent, freePort } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { demoCluster } from '../../src/demo/demo-cluster.ts';
import { DEFAULT_BODY_LIMIT } from '../../src/http/server.ts';
import { Codec } from '../../src/core/codec.ts';
import { LinkClient, OP_ENTRYPOINT_REQ, encodeEntrypointReq, encodeFrame, NO_COOKIE, ZERO_PARAMS } from '../../src/sim/link-client.ts';
import { PROCESS_CONTAINER, type Fid } from '../../src/fid.ts';
import { postFresh } from '../lib/post.ts';
import { printTable, writeResult } from '../lib/report.ts';
import net from 'node:net';

const NODE = 'hostile-node';
const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
const MiB = 2 ** 20;

const agent = await startDevAgent({ nodeName: NODE });
const consul = new ConsulClient(agent.url);
await seedCluster(consul, demoCluster(NODE), NODE);
const dir = mkdtempSync(join(tmpdir(), 'hax-hostile-'));
// Each phase gets a fresh hax: V8 keeps the heap a phase grew, which would
// be charged to the phases after it.
let haPort = 0, httpPort = 0, base = '', address = '';
let hax: ChildProcess | undefined;
async function freshHax(): Promise<void> {
  await stopHax();
  [haPort, httpPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${httpPort}`;
  address = `tcp:127.0.0.1:${haPort}`;
  hax = spawn(process.execPath, [...(process.env.HAX_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HAX_BENCH_PROFILE}`] : []), BIN, 'run', '--consul', agent.url, '--listen', address, '--http', `127.0.0.1:${httpPort}`, '--log-level', 'error'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/`)).ok) break; } catch { /* not yet */ }
    if (i > 600) throw new Error('hax did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}
async function stopHax(): Promise<void> {
  const h = hax;
  hax = undefined;
  if (!h || h.exitCode !== null) return;
  const exited = new Promise((r) => h.once('exit', r));
  h.kill('SIGTERM');
  await exited;
}

/** hax's RSS (MiB) and its event-loop delay since the previous scrape (ms). */
async function scrape(): Promise<{ rssMiB: number; p99ms: number; maxms: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  return {
    rssMiB: num(/^process_resident_memory_bytes (\S+)$/m) / MiB,
    p99ms: num(/^hax_event_loop_delay_seconds\{quantile="0\.99"\} (\S+)$/m) * 1000,
    maxms: num(/^hax_event_loop_delay_seconds\{quantile="1"\} (\S+)$/m) * 1000,
  };
}

const codec = await Codec.load();
const fid = (k: number): Fid => ({ container: PROCESS_CONTAINER, key: BigInt(k) });

/** A raw peer: a first entrypoint for process k, then it never reads or answers again. */
function silentPeer(k: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: haPort }, () => {
      s.write(encodeFrame(OP_ENTRYPOINT_REQ, 1n, encodeEntrypointReq({
        first: true, generation: 1n, processFid: fid(k), linkParams: ZERO_PARAMS, gitRev: 'bench', pid: 1n, cookieExpected: NO_COOKIE,
      })));
      s.once('data', () => { s.pause(); resolve(s); });   // the reply came: from now on it reads nothing
    });
    s.on('error', reject);
  });
}

const rows: { phase: string; rssMiB: number; p99ms: number; maxms: number; note: string }[] = [];
/** Runs `load`, scraping every 250 ms (each scrape covers the delay since the one before): the worst of each figure. */
async function phase(name: string, note: string, load: () => Promise<void>): Promise<void> {
  await freshHax();
  await scrape();   // starts the delay window
  const t0 = performance.now();
  const worst = { rss: 0, p99: 0, max: 0 };
  const take = (s: Awaited<ReturnType<typeof scrape>>) => {
    worst.rss = Math.max(worst.rss, s.rssMiB); worst.p99 = Math.max(worst.p99, s.p99ms); worst.max = Math.max(worst.max, s.maxms);
  };
  let sampling = Promise.resolve();
  const sampler = setInterval(() => { sampling = sampling.then(() => scrape().then(take)).catch(() => {}); }, 250);
  await load();
  clearInterval(sampler);
  await sampling;
  take(await scrape());
  rows.push({ phase: name, rssMiB: worst.rss, p99ms: worst.p99, maxms: worst.max, note: `${note}; ${((performance.now() - t0) / 1000).toFixed(1)} s` });
}

await phase('at rest', '5 s idle', () => new Promise((r) => setTimeout(r, 5000)));

// (b) 20 silent peers while an observer's NVEC SETs are re-broadcast 2,000 times
const silent: net.Socket[] = [];
await phase('(b) 20 silent peers, 2,000 rebroadcasts', '20 never-reading links', async () => {
  for (let i = 0; i < 20; i++) silent.push(await silentPeer(5000 + i));
  const obs = new LinkClient({ address, processFid: fid(2) });
  obs.on('message', (tag) => obs.delivered(tag));
  obs.on('error', () => {});
  await obs.connect();
  const drive = '0x6b00000000000001:0x1';
  for (let i = 0; i < 2000; i++) {
    const msg = codec.encodeMsg({ fid: '0:0', sourceProcess: '0:0', sourceService: '0:0', time: 0n, epoch: 0n, tag: 0n, type: 'NVEC',
      body: { hmnv_type: 'M0_HA_NVEC_SET', hmnv_id_of_get: 0n, hmnv_ignore_same_state: 0, hmnv_arr: [{ no_id: drive, no_state: i % 2 ? 'M0_NC_ONLINE' : 'M0_NC_REPAIRED' }] } });
    await new Promise<void>((resolve) => { const tag = obs.send(msg); const on = (t: number) => { if (t === tag) { obs.off('delivered', on); resolve(); } }; obs.on('delivered', on); });
  }
  obs.close();
});
for (const s of silent) s.destroy();

// (c) 2,000 connect + entrypoint + close
await phase('(c) 2,000 connect+entrypoint+close', 'storm', async () => {
  for (let i = 0; i < 2000; i += 50) {
    await Promise.all(Array.from({ length: 50 }, async (_, j) => (await silentPeer(10_000 + i + j)).destroy()));
  }
});
const linkCount = async () => ((await (await fetch(`${base}/api/v1/links`)).json()) as unknown[]).length;
const right = await linkCount();
const tReap = performance.now();
let after = right;
while (after > 0 && performance.now() - tReap < 90_000) { await new Promise((r) => setTimeout(r, 500)); after = await linkCount(); }
rows.at(-1)!.note += `; ${right} link(s) listed right after, ${after} after ${((performance.now() - tReap) / 1000).toFixed(0)} s (orphan grace 60 s)`;

// (a) the largest body hax accepts, 4 at once: a real Consul health payload
// (the entry shape a real agent sent, fixtures/consul-watch/014), one entry per
// service of a large cluster, as many as fit just under the body limit
// (POST / also caps the entries at the schema's maxItems).
const fixture = JSON.parse(readFileSync('/work/shared/fixtures/consul-watch/014-watch_service_web.json', 'utf8')) as { bodyParsed: Record<string, any>[] };
const template = fixture.bodyParsed[0];
const healthEntry = (i: number): string => {
  const node = `node-${String(i % 1000).padStart(4, '0')}`;
  const e = structuredClone(template);
  e.Node.Node = node;
  e.Service = { ...e.Service, ID: String(i), Service: 'ios', Tags: [], Meta: {}, Port: 21000 + (i % 1000) };
  e.Checks = e.Checks.map((c: Record<string, unknown>) => ({ ...c, Node: node, ServiceID: c.ServiceID ? String(i) : '', ServiceName: c.ServiceName ? 'ios' : '' }));
  return JSON.stringify(e);
};
const MAX_ITEMS = 20_000;
const entries: string[] = [];
let bytes = 2;
for (let i = 0; entries.length < MAX_ITEMS; i++) {
  const e = healthEntry(i);
  if (bytes + e.length + 1 > DEFAULT_BODY_LIMIT) break;
  entries.push(e); bytes += e.length + 1;
}
const big = Buffer.from(`[${entries.join(',')}]`);
let statuses: number[] = [];
await phase('(a) 4 × largest body', `4 × ${(big.length / MiB).toFixed(1)} MiB (${entries.length} health entries) to POST /`, async () => {
  statuses = (await Promise.all([0, 1, 2, 3].map(() => postFresh(httpPort, '/', big, { 'content-type': 'application/json' })))).map((r) => r.status);
});
rows.at(-1)!.note += `; answers ${statuses.join(',')}`;


printTable('hax under hostile load (RSS peak in the phase; event-loop delay over the phase)', ['phase', 'RSS MiB', 'loop p99 ms', 'loop max ms', 'what'],
  rows.map((r) => [r.phase, r.rssMiB, r.p99ms, r.maxms, r.note]));
const targets = rows.map((r) => ({ phase: r.phase, rssOk: r.rssMiB <= 300, p99Ok: r.p99ms <= 50 }));
console.log(`\ntargets (RSS <= 300 MiB, p99 <= 50 ms): ${targets.map((t) => `${t.phase}: ${t.rssOk && t.p99Ok ? 'met' : 'MISSED'}`).join('; ')}`);
console.log(`results: ${writeResult('hostile', { rows, targets, bodyBytes: big.length })}`);
await stopHax();
await agent.stop();
