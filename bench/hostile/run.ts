// hax under hostile load (issue 13): its resident memory and event-loop delay
// (p99, max; from its own GET /metrics, hax_event_loop_delay_seconds over each
// phase) while
//   (b) 20 HA-link peers never confirm anything during 2,000 re-broadcasts,
//   (c) 2,000 connect + entrypoint + close storms,
//   (a) the largest body hax accepts is posted 4 times in parallel to POST /
//       (last: V8 keeps the heap it grew, which would hide the others' cost),
// next to the same figures at rest, in one run. hax runs as `hax run` in its
// own process against a real Consul agent. Targets: RSS <= 300 MiB and p99
// <= 50 ms in each phase.
//   node --import tsx bench/hostile/run.ts
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
const [haPort, httpPort] = [await freePort(), await freePort()];
const dir = mkdtempSync(join(tmpdir(), 'hax-hostile-'));
const hax = spawn(process.execPath, [BIN, 'run', '--consul', agent.url, '--listen', `tcp:127.0.0.1:${haPort}`, '--http', `127.0.0.1:${httpPort}`, '--log-level', 'error'],
  { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
const base = `http://127.0.0.1:${httpPort}`;
for (let i = 0; ; i++) {
  try { if ((await fetch(`${base}/`)).ok) break; } catch { /* not yet */ }
  if (i > 600) throw new Error('hax did not start');
  await new Promise((r) => setTimeout(r, 100));
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
const address = `tcp:127.0.0.1:${haPort}`;
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

// (a) the largest body hax accepts, 4 at once: a JSON array of health entries just under the limit
const entry = JSON.stringify({ Node: { Node: NODE, Address: '127.0.0.1' }, Service: { ID: '3', Service: 'ios', Address: 'inet:tcp:127.0.0.1', Port: 21001 }, Checks: [{ Node: NODE, CheckID: 'serfHealth', Status: 'passing', ServiceID: '' }] });
const n = Math.floor((DEFAULT_BODY_LIMIT - 2) / (entry.length + 1));
const big = Buffer.from(`[${Array(n).fill(entry).join(',')}]`);
let statuses: number[] = [];
await phase('(a) 4 × largest body', `4 × ${(big.length / MiB).toFixed(1)} MiB to POST /`, async () => {
  statuses = (await Promise.all([0, 1, 2, 3].map(() => postFresh(httpPort, '/', big, { 'content-type': 'application/json' })))).map((r) => r.status);
});
rows.at(-1)!.note += `; answers ${statuses.join(',')}`;


printTable('hax under hostile load (RSS peak in the phase; event-loop delay over the phase)', ['phase', 'RSS MiB', 'loop p99 ms', 'loop max ms', 'what'],
  rows.map((r) => [r.phase, r.rssMiB, r.p99ms, r.maxms, r.note]));
const targets = rows.map((r) => ({ phase: r.phase, rssOk: r.rssMiB <= 300, p99Ok: r.p99ms <= 50 }));
console.log(`\ntargets (RSS <= 300 MiB, p99 <= 50 ms): ${targets.map((t) => `${t.phase}: ${t.rssOk && t.p99Ok ? 'met' : 'MISSED'}`).join('; ')}`);
console.log(`results: ${writeResult('hostile', { rows, targets, bodyBytes: big.length })}`);
hax.kill('SIGTERM');
await new Promise((r) => hax.once('exit', r));
await agent.stop();
