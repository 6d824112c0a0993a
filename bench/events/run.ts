// bench/events: process events per second from the socket to a durable
// Consul write (hax acknowledges an event only after that), with hax's
// writes batched through /v1/txn next to one PUT per key, in the same run
// against the same real Consul agent. Simulated Motr processes send their
// events pipelined on their own links, unpaced; hax merges the broadcasts of
// a link that is behind (link-watch.ts says why that matters); a run ends
// when every event is acknowledged and every broadcast reached every link,
// and fails if hax dropped a link. Against the two floors in the same run:
// Consul alone (consul-floor.ts) and the links alone carrying one NVEC SET
// per broadcasting event, as hax did before it merged them (links-floor.ts).
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
import { LinkWatch } from './link-watch.ts';
import { LINKS_FLOOR_WINDOW } from './links-floor.ts';

const quick = process.argv.includes('--quick');
const PROCESSES = 16;
const EVENTS = quick ? 800 : 4000;
const NODE = 'bench-node';
const CYCLE = ['STARTING', 'STARTED', 'DTM_RECOVERED', 'STOPPING'];
/** The events of the cycle hax broadcasts (docs/behaviour.md: STARTING and STOPPING are only recorded). */
const BROADCASTING = new Set(['STARTED', 'DTM_RECOVERED']);
const eventOf = (i: number) => CYCLE[Math.floor(i / PROCESSES) % CYCLE.length]!;
/** Longest wait for one acknowledgement, or for the broadcasts to reach every link. */
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
    const watch = new LinkWatch(peers);
    const from = hax.ackLatencyMs.length;
    const txns0 = hax.writer.txns, puts0 = hax.writer.puts;
    const t0 = performance.now();
    const acks: Promise<void>[] = [];
    let failed: Error | undefined;
    for (let i = 0; i < EVENTS && !failed; i++) {
      const p = peers[i % PROCESSES]!;
      const ev = eventOf(i);
      acks.push(p.send('EVENT_PROCESS', { chp_event: `M0_CONF_HA_PROCESS_${ev}`, chp_type: 'M0_CONF_HA_PROCESS_M0D', chp_pid: BigInt(i) }, formatFid(p.fid), WAIT_MS)
        .catch((e: Error) => { failed ??= e; }));
    }
    await Promise.race([Promise.all(acks), watch.lost]);
    if (failed) throw failed;
    await watch.drained(hax, WAIT_MS);
    const seconds = (performance.now() - t0) / 1000;
    const lat = hax.ackLatencyMs.slice(from);
    // no link was dropped (HAX_ERR_LINK_BACKLOG) by the burst
    const held = hax.links.active().length;
    if (held !== PROCESSES) throw new Error(`${PROCESSES - held} of ${PROCESSES} links were dropped during the ${mode} run`);
    // messages hax sent per link (each link is this run's own): merged NVEC SETs, fewer than the broadcasts
    const perLink = hax.links.active().reduce((n, l) => n + l.sent, 0) / held;
    return { mode, events: EVENTS, seconds, perSecond: EVENTS / seconds, txns: hax.writer.txns - txns0, puts: hax.writer.puts - puts0, p50: percentile(lat, 50), p99: percentile(lat, 99), messagesPerLink: perLink };
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
    const lower = consulBest < links.perSecond ? { name: 'Consul (batched txn)', perSecond: consulBest } : { name: 'the links carrying one NVEC per broadcast (as before merging)', perSecond: links.perSecond };
    const hax = results[0]!.perSecond;
    printTable(`process events → durable in Consul (${PROCESSES} simulated processes, ${EVENTS} events each run, real Consul 1.8.7 agent)`,
      ['writes', 'events/s', 'seconds', 'Consul txns', 'Consul PUTs', 'socket→durable p50 ms', 'p99 ms', 'messages per link'],
      results.map((r) => [r.mode === 'txn' ? 'batched /v1/txn' : 'one PUT per key', r.perSecond, r.seconds, r.txns, r.puts, r.p50, r.p99, r.messagesPerLink]));
    console.log(`\nbatched txn / PUT per key: ${(results[0]!.perSecond / results[1]!.perSecond).toFixed(1)}×`);
    printTable('the floors, same run: what Consul and the links take alone', ['floor', 'events', 'seconds', 'events/s'],
      floors.map((f) => [f.name, f.events, f.seconds, f.perSecond]));
    console.log(`NVEC message: ${links.nvecBytes} bytes to each of ${PROCESSES} links, for ${links.broadcasts} of the ${EVENTS} events: one message per broadcast in the links floor (at most ${LINKS_FLOOR_WINDOW} on their way); hax, unpaced, merged them into ${results.map((r) => r.messagesPerLink.toFixed(0)).join(' and ')} messages per link`);
    console.log(`\nthe lower floor is ${lower.name}: ${lower.perSecond.toFixed(0)} events/s (Consul batched: ${consulBest.toFixed(0)}, links: ${links.perSecond.toFixed(0)});` +
      ` hax (batched txn): ${hax.toFixed(0)} events/s = ${(100 * hax / lower.perSecond).toFixed(0)} % of it (target ≥ 70 %: ${hax >= 0.7 * lower.perSecond ? 'met' : 'NOT met'})`);
    console.log(`wrote ${writeResult('events', { processes: PROCESSES, events: EVENTS, linksFloorWindow: LINKS_FLOOR_WINDOW, results, floors, lowerFloor: lower, haxShareOfLowerFloor: hax / lower.perSecond })}`);
  } finally {
    await agent.stop();
  }
}

await main();
process.exit(0);
