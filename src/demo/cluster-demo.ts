// `hax demo --nodes N` (N ≥ 2): a real cluster on one machine, its story told
// in the output. N Consul agents (3 servers from N = 3 on, the rest clients),
// `hax bootstrap` once, one `hax run` child per node, simulated confd/ios
// processes on every node (hax-cluster.ts, demo-processes.ts); then:
//   1. every process STARTED, every process hears every other ONLINE;
//   2. a node that is not the RC killed with -9 (agent, hax, processes): the
//      survivors hear its processes gone, with Consul's detection and hax's
//      share timed apart;
//   3. the node back: its processes restart, the survivors hear them ONLINE;
//   4. (N ≥ 3) the RC node killed: a surviving confd node takes `leader`
//      (timed), the RC node's processes are announced; then it comes back.
// Every hax's monitor shows every node: its map is GET /v1/cluster/status,
// the whole cluster as that hax's model holds it (printed here as well).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsulClient } from '../consul/client.ts';
import { freePort } from '../consul/dev-agent.ts';
import { Codec } from '../core/codec.ts';
import { HaxError } from '../errors.ts';
import { startHaxCluster, type HaxCluster, type HaxNode } from './hax-cluster.ts';
import { DemoProcesses } from './demo-processes.ts';
import { DemoStopped, waitUntil, type StopSignals } from './demo-stop.ts';
import { portIfFree } from './ports.ts';

const say = (msg: string) => process.stdout.write(`demo: ${msg}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** How hax announces a dead node's processes on the wire (hax-reference.md §5: TRANSIENT, FAILED once failed for good). */
const GONE = ['M0_NC_TRANSIENT', 'M0_NC_FAILED'];
const ONLINE = ['M0_NC_ONLINE'];
/** Give-up point of each step; far above what each takes (docs/cluster.md "Measured"). */
const STEP_MS = 90_000;
/** How long a monitor map may take to show what the processes already heard (the model reads processes/ at most every 250 ms). */
const MONITOR_SETTLE_MS = 5_000;

export interface ClusterDemoOptions {
  nodes: number;
  workDir: string;
  duration?: number;
  stop: StopSignals;
  /** The `hax` entry script (the one running this demo) for the `hax run` and `hax bootstrap` children. */
  haxEntry: string;
}

export async function clusterDemo(options: ClusterDemoOptions): Promise<void> {
  const { workDir, stop } = options;
  // two servers would lose raft's majority when one dies, and with it the story's failure detection
  const servers = options.nodes >= 3 ? 3 : 1;
  mkdirSync(workDir, { recursive: true });
  // hax appends to its log: this run's logs only
  for (const f of readdirSync(workDir)) if (/^demo-node-\d+\.(hax|consul)\.log$/.test(f)) rmSync(join(workDir, f), { force: true });
  say(`starting ${options.nodes} Consul agents (${servers} server${servers > 1 ? 's' : ''}, ${options.nodes - servers} client${options.nodes - servers === 1 ? '' : 's'}; ` +
    'real gossip and raft on 127.0.0.1, each agent with its own ports)…');

  let hc: HaxCluster | undefined;
  let procs: DemoProcesses | undefined;
  const saveAgentLogs = () => { for (const n of hc?.nodes ?? []) writeFileSync(join(workDir, `${n.name}.consul.log`), n.agent.log()); };
  let stopped: Promise<void> | undefined;
  // a stop signal ends whatever step is under way at once: every pending wait then fails and the story unwinds
  const shutdown = () => stopped ??= (async () => { procs?.closeAll(); saveAgentLogs(); await hc?.stop(); })();
  const onAbort = () => { if (hc) void shutdown(); };
  stop.signal.addEventListener('abort', onAbort);
  try {
    hc = await startHaxCluster({
      servers, clients: options.nodes - servers, prefix: 'demo-node', dir: workDir, haxEntry: options.haxEntry,
      // 8008, 8009, … (hax's usual port and the next ones) when free: the monitor URLs are the ones the docs show
      httpPortFor: async (n) => await portIfFree(8007 + n.index) ?? await freePort(),
      haxArgs: ['--log-level', 'info', '--delivery-timeout', '3'],
    });
    if (stop.signal.aborted) void shutdown();
    stop.check();
    procs = new DemoProcesses(hc.nodes, await Codec.load(), say);
    await story(hc, procs, options);
  } catch (error) {
    if (stop.signal.aborted) throw stop.signal.reason as DemoStopped;
    if (error instanceof HaxError) throw error;
    throw new HaxError('HAX_ERR_DEMO_FAILED', `the demo could not go on: ${(error as Error).message} (logs: ${workDir})`, { cause: error });
  } finally {
    stop.signal.removeEventListener('abort', onAbort);
    say('stopping');
    const pids = hc?.nodes.flatMap((n) => [n.agent.pid(), n.hax?.pid]).filter((p) => p !== undefined) ?? [];
    await shutdown();
    if (hc) say(`stopped ${hc.nodes.length} hax and ${hc.nodes.length} Consul agents by pid (${pids.join(', ')}); logs in ${workDir}`);
  }
}

async function story(hc: HaxCluster, procs: DemoProcesses, options: ClusterDemoOptions): Promise<void> {
  const { stop, workDir } = options;
  const nodes = hc.nodes;
  const rc = nodes[0]!;
  for (const n of nodes) say(`${n.name}: Consul ${n.server ? 'server' : 'client'} ${n.agent.url} (pid ${n.agent.pid()})`);
  say(`bootstrapped once (hax bootstrap --cluster ${join(workDir, 'cluster.yaml')}): every node runs hax and an ios, ` +
    `the servers also a confd; ${rc.name} is the RC (it holds the leader key)`);
  for (const n of nodes) {
    await hc.startHax(n);
    say(`${n.name}: hax pid ${n.hax!.pid}, HA links on tcp:127.0.0.1:${n.haPort}, monitor http://127.0.0.1:${n.httpPort}/monitor ` +
      `(log: ${join(workDir, `${n.name}.hax.log`)}); its agent's service watches POST to it`);
  }

  say('── 1. the simulated processes start: each connects to its own node\'s hax, then reports its start-up');
  // every process has its link before any starts: each hears every other's STARTED as it is broadcast
  for (const n of nodes) await procs.connect(n);
  const t0 = Date.now();
  for (const n of nodes) await procs.start(n, () => stop.check());
  const all = procs.running().map((p) => p.fid);
  const online = await waitUntil(stop, 'every process to hear every other ONLINE', () => procs.missing(all, ONLINE).length === 0, STEP_MS,
    () => procs.missing(all, ONLINE).slice(0, 6).join('; '));
  say(`every process STARTED, and every process on every node has heard every other ONLINE (${all.length} processes on ${nodes.length} nodes, ` +
    `${secs(online - t0)} after the first STARTING)`);
  for (const n of nodes) await showMonitor(n, stop, (m) => nodes.every((x) => showsNode(x.name, 'ONLINE')(m)));

  // 2. a node that is not the RC dies
  const victim = nodes.at(-1)!;
  await killAndWatch(hc, procs, victim, rc, stop, `── 2. kill -9 of ${victim.name} (not the RC)`);
  await showMonitor(rc, stop, showsNodeGone(victim.name));

  // 3. it comes back
  await reviveAndWatch(hc, procs, victim, stop, `── 3. ${victim.name} comes back`);
  await showMonitor(rc, stop, showsNode(victim.name, 'ONLINE'));

  // 4. the RC dies: a surviving confd node takes over
  if (nodes.filter((n) => n.server).length >= 3) {
    const watcher = nodes[1]!;
    const consul = new ConsulClient(watcher.agent.url);
    const before = await consul.kv.get('leader');
    // polled from before the kill: the session changes only once the RC is gone
    let newRc = '';
    const [killed, tookOver] = await Promise.all([
      killAndWatch(hc, procs, rc, watcher, stop, `── 4. kill -9 of the RC, ${before?.value ?? rc.name}`),
      waitUntil(stop, 'a surviving confd node to take leader', async () => {
        const l = await consul.kv.get('leader').catch(() => undefined);
        newRc = l?.entry.Session && l.entry.Session !== before?.entry.Session ? l.value : '';
        return newRc !== '';
      }, STEP_MS),
    ]);
    say(`${newRc} is the new RC: it holds leader ${secs(tookOver - killed.t0)} after the kill ` +
      `(Consul's detection ${secs(killed.detected - killed.t0)}, then the lock delay and the election ${secs(Math.max(0, tookOver - killed.detected))}); ` +
      `new processes' entrypoints name its RM`);
    await showMonitor(watcher, stop, showsNodeGone(rc.name));
    await reviveAndWatch(hc, procs, rc, stop, `── ${rc.name} comes back (${newRc} stays the RC)`);
  }

  say('── the cluster runs on. Every hax\'s monitor shows every node\'s processes and their states as its model holds them, ' +
    'its own node\'s HA links, and its translation log live:');
  for (const n of nodes) say(`  ${n.name}: http://127.0.0.1:${n.httpPort}/monitor   (hax status: node bin/hax.js status --http 127.0.0.1:${n.httpPort})`);
  say(`  on another machine: ssh -L ${rc.httpPort}:127.0.0.1:${rc.httpPort} this-host, then http://127.0.0.1:${rc.httpPort}/monitor`);
  writeFileSync(join(workDir, 'last-run.json'), JSON.stringify({
    nodes: nodes.map((n) => ({ name: n.name, consul: n.agent.url, hax: `http://127.0.0.1:${n.httpPort}`, haLink: `tcp:127.0.0.1:${n.haPort}` })),
  }, null, 2));
  say(options.duration ? `running for ${options.duration} s (Ctrl-C stops everything sooner)` : `running; press Ctrl-C (or kill -TERM ${process.pid}) to stop everything`);
  if (options.duration) await stop.sleep(options.duration * 1000);
  else while (!stop.signal.aborted) await stop.sleep(2 ** 31 - 1);
}

/**
 * kill -9 of `victim`; waits until `watcher`'s agent finds it failed
 * (serfHealth critical) and every surviving process has heard each of its
 * processes gone, and says how long each took.
 */
async function killAndWatch(hc: HaxCluster, procs: DemoProcesses, victim: HaxNode, watcher: HaxNode, stop: StopSignals,
  title: string): Promise<{ t0: number; detected: number }> {
  const dead = procs.running(victim).map((p) => p.fid);
  say(`${title}: its Consul agent (pid ${victim.agent.pid()}), its hax (pid ${victim.hax?.pid}) and its processes (${dead.map((f) => procs.label(f)).join(', ')})`);
  const t0 = Date.now();
  await hc.killNode(victim, () => procs.kill(victim));
  const [detected, heard] = await Promise.all([
    waitUntil(stop, `${watcher.name}'s agent to find ${victim.name} failed`, async () => await serfHealth(watcher, victim.name) === 'critical', STEP_MS, undefined, 20),
    waitUntil(stop, `every surviving process to hear ${victim.name}'s processes gone`, () => procs.missing(dead, GONE, t0).length === 0, STEP_MS,
      () => procs.missing(dead, GONE, t0).slice(0, 6).join('; '), 10),
  ]);
  say(`Consul found ${victim.name} failed ${secs(detected - t0)} after the kill (its serfHealth check critical: gossip's detection); ` +
    `hax's share, from there to the last surviving process hearing ${dead.map((f) => procs.label(f)).join(' and ')} gone, took ${Math.max(0, heard - detected)} ms`);
  // the RC broadcasts to its own processes as it writes: the write may land a moment after they heard
  const consul = new ConsulClient(watcher.agent.url);
  const values = new Map<string, string>();
  await waitUntil(stop, `Consul KV to record ${victim.name}'s processes STOPPED`, async () => {
    for (const f of dead) values.set(f, (await consul.kv.get(`processes/${f}`).catch(() => undefined))?.value ?? '(none)');
    return [...values.values()].every((v) => /STOPPED|FAILED/.test(v));
  }, STEP_MS, () => [...values].map(([f, v]) => `processes/${f} = ${v}`).join(', '));
  say(`on the wire hax announces a dead node's processes TRANSIENT (gone, may come back), as the original hax did; ` +
    `Consul KV: ${[...values].map(([f, v]) => `processes/${f} = ${v}`).join(', ')}`);
  return { t0, detected };
}

/** The node's agent, hax and processes again; waits until every other process has heard its processes ONLINE. */
async function reviveAndWatch(hc: HaxCluster, procs: DemoProcesses, node: HaxNode, stop: StopSignals, title: string): Promise<void> {
  say(`${title}: its Consul agent, its hax, then its processes (a restart: STARTING, STARTED, DTM_RECOVERED)`);
  const t0 = Date.now();
  await hc.reviveAgent(node);
  const agentBack = Date.now();
  say(`${node.name}: Consul agent pid ${node.agent.pid()} is an alive member again after ${secs(agentBack - t0)}`);
  await hc.startHax(node);
  say(`${node.name}: hax pid ${node.hax!.pid} is up after ${secs(Date.now() - agentBack)} more`);
  stop.check();
  await procs.connect(node);
  await procs.start(node, () => stop.check());
  // Consul restores a restarted agent's TTL checks critical; hax passes its own at start and each process's when it reports STARTED
  const consul = new ConsulClient(node.agent.url);
  const checks = [node.haxFidk, ...node.processes.map((p) => p.fidk)].map((k) => `service:${k}`);
  const critical = async () => { const have = await consul.agent.checks(); return checks.filter((id) => have[id]?.Status !== 'passing'); };
  let left: string[] = checks;
  await waitUntil(stop, `${node.name}'s checks passing again`, async () => (left = await critical().catch(() => left)).length === 0, STEP_MS, () => left.join(', '));
  say(`${node.name}: its agent restored its services' TTL checks critical (Consul's rule for a restart); hax passed them again (${checks.join(', ')}): its own at start, each process's when it reported STARTED`);
  const back = procs.running(node).map((p) => p.fid);
  const others = procs.running().filter((p) => p.node !== node);
  const at = await waitUntil(stop, `every other process to hear ${node.name}'s processes ONLINE`, () => procs.missing(back, ONLINE, t0, others).length === 0, STEP_MS,
    () => procs.missing(back, ONLINE, t0, others).slice(0, 6).join('; '));
  say(`every other process heard ${back.map((f) => procs.label(f)).join(' and ')} ONLINE again, ${secs(at - t0)} after the node began to come back`);
}

interface MonitorNode { name: string; processes: { kind: string; state: string }[] }

/** Whether every ios and confd of `node` shows `state` (M0_NC_ left off) in a monitor map. */
const showsNode = (node: string, state: string) => (nodes: MonitorNode[]): boolean => {
  const n = nodes.find((x) => x.name === node);
  return !!n && n.processes.filter((p) => p.kind !== 'hax').every((p) => p.state.replace(/^M0_NC_/, '') === state);
};
const showsNodeGone = (node: string) => (nodes: MonitorNode[]): boolean => !showsNode(node, 'ONLINE')(nodes);

/**
 * A node's hax's monitor map (GET /v1/cluster/status), one line per node of
 * the cluster, once it shows what its processes have heard (`settled`): the
 * map is the model, which reads processes/ a moment after the broadcast
 * reached them. After MONITOR_SETTLE_MS it is shown as it is.
 */
async function showMonitor(node: HaxNode, stop: StopSignals, settled: (nodes: MonitorNode[]) => boolean): Promise<void> {
  const url = `http://127.0.0.1:${node.httpPort}`;
  const read = async () => (await (await fetch(`${url}/v1/cluster/status`, { signal: AbortSignal.timeout(5000) })).json() as { nodes: MonitorNode[] }).nodes;
  try {
    let nodes = await read();
    for (const until = Date.now() + MONITOR_SETTLE_MS; !settled(nodes) && Date.now() < until;) {
      await stop.sleep(100);
      nodes = await read();
    }
    const lines = nodes.map((n) => `${n.name}: ${n.processes.map((p) => `${p.kind} ${p.state.replace(/^M0_NC_/, '')}`).join(', ')}`);
    say(`monitor of ${node.name} (${url}/monitor) shows ${nodes.length} nodes: ${lines.join(' · ')}`);
  } catch (error) {
    if (stop.signal.aborted) throw error;
    say(`monitor of ${node.name} (${url}/monitor): no answer (${(error as Error).message})`);
  }
}

async function serfHealth(from: HaxNode, node: string): Promise<string | undefined> {
  try {
    const checks = await (await fetch(`${from.agent.url}/v1/health/node/${node}`, { signal: AbortSignal.timeout(2000) })).json() as { CheckID: string; Status: string }[];
    return checks.find((c) => c.CheckID === 'serfHealth')?.Status;
  } catch { return undefined; }
}
