// bench/events: process events per second from the socket to a durable
// Consul write (hax acknowledges an event only after that), with hax's
// writes batched through /v1/txn next to one PUT per key, in the same run
// against the same real Consul agent. Simulated Motr processes send their
// events pipelined on their own links, at most BROADCAST_WINDOW broadcasting
// events ahead of what every link has received (broadcast-window.ts: beyond
// 407 hax drops the links, as documented); a run ends when every event is
// acknowledged and every broadcast reached every link. Against the two floors
// that bound it, in the same run: Consul alone (consul-floor.ts) and the
// links alone (links-floor.ts, the same window); the lower one binds.
// Usage: node --import tsx bench/events/run.ts [--quick]
import { startDevAgent, freePort } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { normaliseCluster } from '../../src/bootstrap/cluster.ts';
import { startHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { Codec } from '../../src/core/codec.ts';
import { Peer, pfid } from '../../test/behaviour/_world.ts';
import { formatFid } from '../../src/fid.ts';
import { percentile, printTable, writeResult } from '../lib/report.ts';
import { consulFloors } from './consul-floor.ts';
import { linksFloor } from './links-floor.ts';
import { BroadcastPacer, BROADCAST_WINDOW } from './broadcast-window.ts';

const quick = process.argv.includes('--quick');
const PROCESSES = 16;
const EVENTS = quick ? 800 : 4000;
const NODE = 'bench-node';
const CYCLE = ['STARTING', 'STARTED', 'DTM_RECOVERED', 'STOPPING'];
/** The events of the cycle hax broadcasts (docs/behaviour.md: STARTING and STOPPING are only recorded). */
const BROADCASTING = new Set(['STARTED', 'DTM_RECOVERED']);
const eventOf = (i: number) => CYCLE[Math.floor(i / PROCESSES) % CYCLE.length]!;
/** Longest wait for one acknowledgement or for room in the broadcast window. */
const WAIT_MS = 300_000;

async function runMode(agentUrl: string, mode: 'txn' | 'put', codec: Codec) {
  // hax's first warnings say why a run failed (e.g. a link dropped by a limit: HAX_ERR_LINK_BACKLOG)
  const warnings: string[] = [];
  const hax = await startHax({ consulUrl: agentUrl, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: await freePort() }, writeMode: mode },
    createLogger({ level: 'warn', write: (line) => { if (warnings.length < 10) warnings.push(line); } }));
  const peers: Peer[] = [];
  try {
    for (let k = 0; k < PROCESSES; k++) {
      const p = new Peer(hax.haLinkAddresses[0]!, codec, pfid(10 + k), 'M0_CONF_HA_PROCESS_M0D');
      await p.connect();
      (p.link as unknown as { sock: import('node:net').Socket }).sock.setNoDelay(true);
      peers.push(p);
    }
    const pacer = new BroadcastPacer(peers);
    const from = hax.ackLatencyMs.length;
    const txns0 = hax.writer.txns, puts0 = hax.writer.puts;
    const t0 = performance.now();
    const acks: Promise<void>[] = [];
    let failed: Error | undefined;
    for (let i = 0; i < EVENTS && !failed; i++) {
      const p = peers[i % PROCESSES]!;
      const ev = eventOf(i);
      if (BROADCASTING.has(ev)) await pacer.room(WAIT_MS);
      acks.push(p.send('EVENT_PROCESS', { chp_event: `M0_CONF_HA_PROCESS_${ev}`, chp_type: 'M0_CONF_HA_PROCESS_M0D', chp_pid: BigInt(i) }, formatFid(p.fid), WAIT_MS)
        .catch((e: Error) => { failed ??= e; }));
    }
    await Promise.race([Promise.all(acks), pacer.lost]);
    if (failed) throw failed;
    await pacer.drained(WAIT_MS);
    const seconds = (performance.now() - t0) / 1000;
    const lat = hax.ackLatencyMs.slice(from);
    // the window kept every link within its limits: none was dropped (HAX_ERR_LINK_BACKLOG)
    const held = hax.links.active().length;
    if (held !== PROCESSES) throw new Error(`${PROCESSES - held} of ${PROCESSES} links were dropped during the ${mode} run`);
    return { mode, events: EVENTS, seconds, perSecond: EVENTS / seconds, txns: hax.writer.txns - txns0, puts: hax.writer.puts - puts0, p50: percentile(lat, 50), p99: percentile(lat, 99) };
  } catch (error) {
    throw new Error(`${mode} run: ${(error as Error).message}${warnings.length ? `\nhax's first warnings:\n${warnings.join('\n')}` : ''}`);
  } finally {
    for (const p of peers) p.close();
    await hax.stop();
  }
}

async function main(): Promise<void> {
  const agent = await startDevAgent({ nodeName: NODE });
  try {
    const consul = new ConsulClient(agent.url);
    const processes = [{ kind: 'hax', fidk: 1 }, { kind: 'confd', fidk: 2 }, ...Array.from({ length: PROCESSES }, (_, k) => ({ kind: 'ios', fidk: 10 + k, port: 21001 + k, drives: [`/dev/sd${k}`] }))];
    await seedCluster(consul, normaliseCluster({ nodes: [{ name: NODE, processes }] }), NODE);
    const codec = await Codec.load();
    const results = [await runMode(agent.url, 'txn', codec), await runMode(agent.url, 'put', codec)];
    // the two floors that bound hax's throughput, in this run (consul-floor.ts, links-floor.ts)
    const consulFloor = await consulFloors(agent.url, EVENTS, PROCESSES);
    const links = await linksFloor(codec, PROCESSES, EVENTS, (i) => BROADCASTING.has(eventOf(i)));
    const floors = [...consulFloor, links];
    const consulBest = Math.max(...consulFloor.map((f) => f.perSecond));
    const lower = consulBest < links.perSecond ? { name: 'Consul (batched txn)', perSecond: consulBest } : { name: 'the links (NVEC fan-out)', perSecond: links.perSecond };
    const hax = results[0]!.perSecond;
    printTable(`process events → durable in Consul (${PROCESSES} simulated processes, ${EVENTS} events each run, real Consul 1.8.7 agent)`,
      ['writes', 'events/s', 'seconds', 'Consul txns', 'Consul PUTs', 'socket→durable p50 ms', 'p99 ms'],
      results.map((r) => [r.mode === 'txn' ? 'batched /v1/txn' : 'one PUT per key', r.perSecond, r.seconds, r.txns, r.puts, r.p50, r.p99]));
    console.log(`\nbatched txn / PUT per key: ${(results[0]!.perSecond / results[1]!.perSecond).toFixed(1)}×`);
    printTable('the floors, same run: what Consul and the links take alone', ['floor', 'events', 'seconds', 'events/s'],
      floors.map((f) => [f.name, f.events, f.seconds, f.perSecond]));
    console.log(`NVEC message: ${links.nvecBytes} bytes to each of ${PROCESSES} links, for ${links.broadcasts} of the ${EVENTS} events; at most ${BROADCAST_WINDOW} broadcasts on their way, in the hax runs and the links floor alike`);
    console.log(`\nthe lower floor is ${lower.name}: ${lower.perSecond.toFixed(0)} events/s (Consul batched: ${consulBest.toFixed(0)}, links: ${links.perSecond.toFixed(0)});` +
      ` hax (batched txn): ${hax.toFixed(0)} events/s = ${(100 * hax / lower.perSecond).toFixed(0)} % of it (target ≥ 70 %: ${hax >= 0.7 * lower.perSecond ? 'met' : 'NOT met'})`);
    console.log(`wrote ${writeResult('events', { processes: PROCESSES, events: EVENTS, broadcastWindow: BROADCAST_WINDOW, results, floors, lowerFloor: lower, haxShareOfLowerFloor: hax / lower.perSecond })}`);
  } finally {
    await agent.stop();
  }
}

await main();
process.exit(0);
