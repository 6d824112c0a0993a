// bench/hare-layout: hax on the original hax's own Consul state, seeded by
// ../shared/fixtures/hare-layout/seed.py for 1, 10, 100 and 1,000 nodes
// (1,000 left out of --quick), against a real Consul agent. Per size:
//   start-up (startHax → ready) and hax's RSS after load, against a plain
//     client's read of m0conf/;
//   an outside change (another node's state PUT under m0conf/) → hax's model,
//     against a plain client's blocking query woken by the same change;
//   at rest after those: hax's connections to the agent (each blocking query
//     holds one) and the agent's CPU;
//   POST / (the service-watch payload with 10 % of the checks failing) →
//     the broadcast handed to the links (the response returns after that);
//   a process event → processes/<fid> durable (hax acknowledges after the txn).
// The original on this machine: 7.8 s and 366 ms at 100 nodes.
// hax runs in its own process (hax-child.ts), as in production.
// Usage: node --import tsx bench/hare-layout/run.ts [--quick]
import { FIXTURES_DIR } from '../../test/helpers/fixtures.ts';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevAgent, freePort } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Codec } from '../../src/core/codec.ts';
import { Peer, pfid, until } from '../../test/behaviour/_world.ts';
import { percentile, printTable, writeResult } from '../lib/report.ts';
import { postFresh } from '../lib/post.ts';
import { loadSeed, type SeedCluster } from '../../test/helpers/hare-seed.ts';

const FIXTURE = `${FIXTURES_DIR}hare-layout/`;
const quick = process.argv.includes('--quick');
// 1,000 nodes take a few minutes (seeding 45,000 keys and 4,000 services); CI's quick mode leaves them out
const SIZES = (process.env.HAX_BENCH_SIZES ?? (quick ? '1,10,100' : '1,10,100,1000')).split(',').map(Number);
const CHANGES = quick ? 5 : 20;
/**
 * A checkout of hax before a change (its node_modules and build/ in place,
 * and this bench's hax-child.ts copied into it): each size is then also run
 * with that hax, in this run, as the baseline of the change.
 */
const BASELINE_TREE = process.env.HAX_BENCH_BASELINE_TREE;
/** Between two outside changes: the m0conf/ watch's token bucket refills one read a second, so each change is a lone one. */
const CHANGE_GAP_MS = 1100;
const wallNow = () => performance.timeOrigin + performance.now();
const POSTS = quick ? 10 : 40;
const EVENTS = quick ? 50 : 300;

const progress = (msg: string) => process.stderr.write(`bench/hare-layout: ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const py = (args: string[]) => execFileSync('python3', [`${FIXTURE}seed.py`, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });

/** hax in its own process (hax-child.ts), asked over a line protocol. */
class HaxChild {
  readonly #child: ChildProcess;
  readonly #waiting: ((line: string) => void)[] = [];
  haLink = '';
  get pid(): number { return this.#child.pid!; }
  /** startHax → ready (model loaded, HA-link listener and HTTP up), measured in hax's process. */
  startupMs = 0;
  private constructor(child: ChildProcess) {
    this.#child = child;
    createInterface({ input: child.stdout! }).on('line', (l) => this.#waiting.shift()?.(l));
  }
  static async start(consulUrl: string, httpPort: number, childPath = fileURLToPath(new URL('./hax-child.ts', import.meta.url))): Promise<HaxChild> {
    // HAX_BENCH_PROFILE=<dir>: a CPU profile of hax's process there (as bench/hostile)
    const profile = process.env.HAX_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HAX_BENCH_PROFILE}`] : [];
    const child = spawn(process.execPath, [...profile, '--expose-gc', '--import', 'tsx', childPath, consulUrl, String(httpPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const hax = new HaxChild(child);
    const ready = await Promise.race([hax.#next<{ haLink: string; startupMs: number }>(), new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`hax exited (${code}) before it was ready`))))]);
    hax.haLink = ready.haLink;
    hax.startupMs = ready.startupMs;
    return hax;
  }
  #next<T>(): Promise<T> { return new Promise((resolve) => this.#waiting.push((l) => resolve(JSON.parse(l) as T))); }
  #ask<T>(line: string): Promise<T> { const reply = this.#next<T>(); this.#child.stdin!.write(line + '\n'); return reply; }
  status = () => this.#ask<{ fid: string; event?: string | null }[]>('status');
  count = () => this.#ask<number>('count');
  acks = (from: number) => this.#ask<number[]>(`acks ${from}`);
  rss = () => this.#ask<number>('rss');
  /** Resolves with the wall-clock ms at which hax's model first answered `state` for `fid`. */
  until = (fid: string, state: string) => this.#ask<number>(`until ${fid} ${state}`);
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((r) => this.#child.once('exit', r));
    this.#child.kill('SIGTERM');
    await exited;
  }
}

/**
 * CHANGES outside writes of `key` (change(i) says the value and the state
 * hax must then answer for `fid`), each timed to hax's model and, as the
 * baseline, to a plain client's blocking query on `prefix` that wakes with
 * the same write and parses the answer. Writes are CHANGE_GAP_MS apart.
 */
async function outsideChanges(consul: ConsulClient, hax: HaxChild, prefix: string, key: string, fid: string,
  change: (i: number) => { value: string; want: string }): Promise<{ hax: number[]; plain: number[] }> {
  const out = { hax: [] as number[], plain: [] as number[] };
  let index = (await consul.kv.list(prefix)).index ?? 0;   // not timed
  // every write changes the value: Consul does not wake a blocking query for
  // a write of the value already there, and hax's model would answer at once
  const offset = (await consul.kv.get(key))?.value === change(0).value ? 1 : 0;
  for (let i = 0; i < CHANGES; i++) {
    const { value, want } = change(i + offset);
    const plain = (async () => {
      for (;;) {
        const r = await consul.kv.list(prefix, { index, wait: '30s' });
        index = r.index ?? index;
        if (r.entries.some((e) => e.key === key && e.value === value)) return wallNow();
      }
    })();
    const seen = hax.until(fid, want);
    await new Promise((r) => setTimeout(r, 20));   // both are blocked on Consul before the write
    const t0 = wallNow();
    await consul.kv.put(key, value);
    out.hax.push((await seen) - t0);
    out.plain.push((await plain) - t0);
    await new Promise((r) => setTimeout(r, CHANGE_GAP_MS));
  }
  return out;
}

/** How long the agent's CPU is sampled at rest. */
const REST_SAMPLE_MS = 10_000;
/** CPU time (user + system) a process used so far, ms. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 1000 / 100;   // utime, stime in clock ticks (USER_HZ 100)
}
/** Established TCP connections from process `pid` to `port` (NaN where `ss` is missing). */
function connections(pid: number, port: string): number {
  try {
    return execFileSync('ss', ['-tnpH', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`pid=${pid},`)).length;
  } catch { return Number.NaN; }
}
/** hax's connections to the agent and the agent's CPU (ms per s), with nothing happening. */
async function atRest(hax: HaxChild, agent: { pid: number; url: string }): Promise<{ connections: number; consulCpuMsPerS: number }> {
  await new Promise((r) => setTimeout(r, 3 * CHANGE_GAP_MS));   // the watches settle after the last change
  const c0 = cpuMs(agent.pid), t0 = performance.now();
  await new Promise((r) => setTimeout(r, REST_SAMPLE_MS));
  const consulCpuMsPerS = (cpuMs(agent.pid) - c0) / ((performance.now() - t0) / 1000);
  return { connections: connections(hax.pid, new URL(agent.url).port), consulCpuMsPerS };
}

interface SizeResult {
  nodes: number; kvPairs: number; postMs: number[]; postNotes: number; eventMs: number[]; peerMs: number[];
  startupMs: number; spawnToReadyMs: number; rssAfterLoad: number; rssAtEnd: number; changeMs: number[];
  /** Baselines: a plain client's blocking query on m0conf/ seeing the same change; its whole read of m0conf/. */
  plainMs: number[]; plainReadMs: number;
  /** The same under processes/ (a remote ioservice's processes/<fid>). */
  procChangeMs: number[]; procPlainMs: number[];
  /** At rest after the outside changes: hax's connections to the agent, the agent's CPU. */
  rest: { connections: number; consulCpuMsPerS: number };
  /** 'baseline' when another tree's hax ran it (HAX_BENCH_BASELINE_TREE). */
  label?: string;
}

async function runSize(nodes: number, dir: string, tree?: string): Promise<SizeResult> {
  const clusterFile = join(dir, `cluster-${nodes}.json`);
  py(['gen', '--nodes', String(nodes), '--out', clusterFile]);
  const agent = await startDevAgent({ nodeName: 'srvnode-1:0a1b2c3d' });
  const peers: Peer[] = [];
  let hax: HaxChild | undefined;
  try {
    const addr = agent.url.replace('http://', '');
    progress(`${nodes} node(s): seeding seed.py's layout`);
    const cl = JSON.parse(readFileSync(clusterFile, 'utf8')) as SeedCluster;
    await loadSeed(new ConsulClient(agent.url), cl);
    const failing = JSON.parse(py(['checks', '--cluster', clusterFile, '--fail-fraction', '0.1', '--consul', addr]).trim().split('\n').pop()!) as string[];
    progress(`${nodes} node(s): starting hax`);
    const consul = new ConsulClient(agent.url);
    const httpPort = await freePort();
    const spawnedAt = performance.now();
    hax = await HaxChild.start(agent.url, httpPort, tree ? join(tree, 'bench/hare-layout/hax-child.ts') : undefined);
    const spawnToReadyMs = performance.now() - spawnedAt;
    const rssAfterLoad = await hax.rss();
    progress(`${nodes} node(s): hax ready in ${hax.startupMs.toFixed(0)} ms (spawn → ready ${spawnToReadyMs.toFixed(0)} ms), RSS ${(rssAfterLoad / 2 ** 20).toFixed(0)} MiB`);
    const codec = await Codec.load();
    // the local node's Motr processes hold links (hax 1 is hax itself)
    for (const k of [2, 3, 4]) { const p = new Peer(hax.haLink, codec, pfid(k), 'M0_CONF_HA_PROCESS_M0D'); await p.connect(); peers.push(p); }
    // the service-watch payload, exactly as Consul's watches deliver it (seed.py watch_payload)
    const payload: { Checks: { CheckID: string }[] }[] = [];
    for (const name of ['hax', 'confd', 'ios']) payload.push(...(await (await fetch(`${agent.url}/v1/health/service/${name}`)).json() as typeof payload));
    for (const e of payload) for (const c of e.Checks) if (c.CheckID === 'SerfHealth') c.CheckID = 'serfHealth';
    const body = Buffer.from(JSON.stringify(payload));
    const local = await hax.status();
    const localFailing = failing.filter((f) => local.some((p) => p.fid === f));
    progress(`${nodes} node(s): POST / x${POSTS}`);
    const postMs: number[] = [];
    let postNotes = 0;
    for (let i = 0; i < POSTS; i++) {
      // re-arm: the failing local processes are STARTED again (as after a restart)
      for (const f of localFailing) await consul.kv.put(`processes/${f}`, '{"state": "M0_CONF_HA_PROCESS_STARTED", "type": "M0_CONF_HA_PROCESS_M0D"}');
      await until(`the model to see the re-armed processes (${nodes} nodes, post ${i}, ${localFailing})`, async () => { const st = await hax!.status(); return localFailing.every((f) => st.find((p) => p.fid === f)?.event === 'M0_CONF_HA_PROCESS_STARTED') || undefined; });
      const t0 = performance.now();
      const res = await postFresh(httpPort, '/', body, { 'X-Consul-Index': String(1e9 + i) });
      postMs.push(performance.now() - t0);
      const r = JSON.parse(res.text) as { notes: unknown[]; reason: string };
      postNotes = r.notes.length;
      if (r.notes.length === 0) throw new Error(`POST / broadcast nothing: ${r.reason}`);
      // hax's own record of it (processes/<fid> STOPPED) must be durable before the next re-arm
      await until('STOPPED durable', async () => (await Promise.all(localFailing.map(async (f) => (await consul.kv.get(`processes/${f}`))?.value.includes('STOPPED')))).every(Boolean) || undefined);
    }
    progress(`${nodes} node(s): process events`);
    const ios = peers[1]!;
    const peerMs: number[] = [];
    (ios.link as unknown as { sock: import('node:net').Socket }).sock.setNoDelay(true);
    const from = await hax.count();
    for (let i = 0; i < EVENTS; i++) {
      const t0 = performance.now();
      await ios.processEvent(i % 2 ? 'STARTED' : 'DTM_RECOVERED');
      peerMs.push(performance.now() - t0);
    }
    const eventMs = await hax.acks(from);
    // outside changes: another node's hax writes its node state under
    // m0conf/, or one of its processes' state under processes/; timed from
    // before the PUT until hax's model answers it
    progress(`${nodes} node(s): outside changes x${CHANGES} under m0conf/ and x${CHANGES} under processes/`);
    const remoteNode = `0x6e00000000000001:0x${nodes.toString(16)}`;
    const nodeKey = `m0conf/nodes/${remoteNode}`;
    const seeded = JSON.parse((await consul.kv.get(nodeKey))!.value) as { name: string };
    const remoteIos = cl.processes.filter((p) => p.service === 'ios' && p.node === nodes).pop()!.fid;
    await new Promise((r) => setTimeout(r, 2 * CHANGE_GAP_MS));   // the bucket refills after the events' own writes
    const conf = await outsideChanges(consul, hax, 'm0conf/', nodeKey, remoteNode, (i) => {
      const want = i % 2 ? 'M0_NC_ONLINE' : 'M0_NC_FAILED';
      return { value: `{"name": "${seeded.name}", "state": "${want}"}`, want };
    });
    const procs = await outsideChanges(consul, hax, 'processes/', `processes/${remoteIos}`, remoteIos, (i) => (i % 2
      ? { value: '{"state": "M0_CONF_HA_PROCESS_DTM_RECOVERED", "type": "M0_CONF_HA_PROCESS_M0D"}', want: 'M0_NC_ONLINE' }
      : { value: '{"state": "M0_CONF_HA_PROCESS_STARTED", "type": "M0_CONF_HA_PROCESS_M0D"}', want: 'M0_NC_DTM_RECOVERING' }));
    const changeMs = conf.hax, plainMs = conf.plain, procChangeMs = procs.hax, procPlainMs = procs.plain;
    progress(`${nodes} node(s): at rest for ${REST_SAMPLE_MS / 1000} s`);
    const rest = await atRest(hax, agent);
    // baseline of the start-up: a plain client reading m0conf/ whole and parsing it
    const r0 = performance.now();
    await consul.kv.list('m0conf/');
    const plainReadMs = performance.now() - r0;
    const rssAtEnd = await hax.rss();
    const kvPairs = (await consul.kv.list('')).entries.length;
    return { nodes, kvPairs, postMs, postNotes, eventMs, peerMs, startupMs: hax.startupMs, spawnToReadyMs, rssAfterLoad, rssAtEnd, changeMs, plainMs, plainReadMs, procChangeMs, procPlainMs, rest };
  } finally {
    for (const p of peers) p.close();
    await hax?.stop();
    await agent.stop();
  }
}

async function main(): Promise<void> {
  if (!existsSync(`${FIXTURE}seed.py`)) { console.log(`bench/hare-layout: skipped, the fixture is absent (${FIXTURE})`); return; }
  const dir = mkdtempSync(join(tmpdir(), 'hax-hare-'));
  const results: SizeResult[] = [];
  const failed: { nodes: number; label: string; error: string }[] = [];
  const name = (r: SizeResult) => String(r.nodes) + (r.label ? ` (${r.label})` : '');
  for (const n of SIZES) {
    if (BASELINE_TREE) {
      // the same size with another tree's hax (the code before a change), in this run, just before
      try { results.push({ ...await runSize(n, dir, BASELINE_TREE), label: 'baseline' }); } catch (error) {
        console.log(`baseline hax at ${n} nodes failed: ${(error as Error).message}`);
        failed.push({ nodes: n, label: 'baseline', error: (error as Error).message });
      }
    }
    results.push(await runSize(n, dir));
  }
  const rows = results.map((r) => [name(r), r.kvPairs, r.postNotes, percentile(r.postMs, 50), percentile(r.postMs, 99), percentile(r.eventMs, 50), percentile(r.eventMs, 99), percentile(r.peerMs, 50), percentile(r.peerMs, 99)]);
  const mib = (b: number) => b / 2 ** 20;
  printTable('hax at start-up (real Consul 1.8.7 agent)', ['nodes', 'KV keys', 'start-up ms', 'plain read of m0conf/ ms', 'spawn→ready ms', 'RSS after load MiB', 'RSS at end MiB'],
    results.map((r) => [name(r), r.kvPairs, r.startupMs, r.plainReadMs, r.spawnToReadyMs, mib(r.rssAfterLoad), mib(r.rssAtEnd)]));
  printTable('outside change → hax\'s model, ms (a plain blocking client on the same prefix as baseline)', ['nodes', 'm0conf/ hax p50', 'p99', 'plain p50', 'p99', 'processes/ hax p50', 'p99', 'plain p50', 'p99'],
    results.map((r) => [name(r), percentile(r.changeMs, 50), percentile(r.changeMs, 99), percentile(r.plainMs, 50), percentile(r.plainMs, 99),
      percentile(r.procChangeMs, 50), percentile(r.procChangeMs, 99), percentile(r.procPlainMs, 50), percentile(r.procPlainMs, 99)]));
  printTable('hax at rest after the outside changes', ['nodes', 'connections to the agent', 'agent CPU ms/s'],
    results.map((r) => [name(r), r.rest.connections, r.rest.consulCpuMsPerS]));
  console.log('plain read / plain watch: the baselines, in the same run — a client that only reads m0conf/ whole (recurse) and parses it; a client');
  console.log('blocked on m0conf/ (recurse) that wakes with the same change and parses the answer.');
  console.log('start-up: startHax → ready (model loaded, links accepted) in hax\'s process; spawn→ready adds Node and tsx starting.');
  console.log('outside change: a PUT of another node\'s state under m0conf/ → hax\'s model answers it (the PUT\'s own time included).');
  printTable('hax on the hare layout (real Consul 1.8.7 agent; ms)', ['nodes', 'KV keys', 'notes/POST', 'POST / p50', 'POST / p99', 'event→durable p50', 'event→durable p99', 'peer round trip p50', 'p99'], rows);
  console.log('event→durable: the message read from the socket → its txn durable in Consul → acknowledged to the link (hax side);');
  console.log('peer round trip: the simulated process sends until it sees the acknowledgement (includes the link\'s TCP delays).');
  const at100 = results.find((r) => r.nodes === 100 && !r.label);
  if (at100) console.log(`\ntargets at 100 nodes: POST / ≤ 10 ms (got ${percentile(at100.postMs, 50).toFixed(2)}), process event ≤ 5 ms (got ${percentile(at100.eventMs, 50).toFixed(2)}); the original: 7,800 ms and 366 ms`);
  const at1000 = results.find((r) => r.nodes === 1000 && !r.label);
  if (at1000) {
    console.log(`targets at 1,000 nodes: POST / p50 ≤ 50 ms (got ${percentile(at1000.postMs, 50).toFixed(1)}), event → durable p50 ≤ 5 ms (got ${percentile(at1000.eventMs, 50).toFixed(2)}), ` +
      `start-up ≤ 5,000 ms (got ${at1000.startupMs.toFixed(0)}), RSS after load ≤ 300 MiB (got ${(at1000.rssAfterLoad / 2 ** 20).toFixed(0)}), outside change p99 ≤ 300 ms (got ${percentile(at1000.changeMs, 99).toFixed(0)} under m0conf/, ${percentile(at1000.procChangeMs, 99).toFixed(0)} under processes/)`);
  }
  for (const f of failed) console.log(`FAILED: ${f.label} at ${f.nodes} nodes: ${f.error}`);
  const path = writeResult('hare-layout', {
    posts: POSTS, events: EVENTS,
    baselineTree: BASELINE_TREE ?? null, failed,
    sizes: results.map((r) => ({ nodes: r.nodes, label: r.label ?? 'this tree', kvPairs: r.kvPairs, notesPerPost: r.postNotes,
      startupMs: r.startupMs, spawnToReadyMs: r.spawnToReadyMs, rssAfterLoadBytes: r.rssAfterLoad, rssAtEndBytes: r.rssAtEnd,
      outsideChangeMs: { n: r.changeMs.length, p50: percentile(r.changeMs, 50), p99: percentile(r.changeMs, 99) },
      baseline: { plainWatchMs: { p50: percentile(r.plainMs, 50), p99: percentile(r.plainMs, 99) }, plainReadOfM0confMs: r.plainReadMs },
      processesChangeMs: { n: r.procChangeMs.length, p50: percentile(r.procChangeMs, 50), p99: percentile(r.procChangeMs, 99),
        baselinePlainWatch: { p50: percentile(r.procPlainMs, 50), p99: percentile(r.procPlainMs, 99) } },
      atRest: { connectionsToAgent: r.rest.connections, agentCpuMsPerS: r.rest.consulCpuMsPerS },
      postMs: { p50: percentile(r.postMs, 50), p99: percentile(r.postMs, 99) }, eventMs: { p50: percentile(r.eventMs, 50), p99: percentile(r.eventMs, 99) }, peerRoundTripMs: { p50: percentile(r.peerMs, 50), p99: percentile(r.peerMs, 99) } })),
    original: { postMsAt100: 7800, eventMsAt100: 366, eventMsAt10: 115, postMsAt10: 469 },
  });
  console.log(`wrote ${path}`);
}

await main();
process.exit(0);
