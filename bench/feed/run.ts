// bench/feed: hax's own throughput (process events from simulated Motr
// processes to durable Consul writes, acknowledged) with 0, 1, 10 and 50
// websocket clients on /debug/feed, and the records/s those clients receive.
// hax runs as its own process (as in production), the clients in another.
// Usage: node --import tsx bench/feed/run.ts [--seconds N]
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startDevAgent, freePort } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { demoCluster } from '../../src/demo/demo-cluster.ts';
import { Codec } from '../../src/core/codec.ts';
import { SimProcess, type ProcessEvent } from '../../src/sim/sim-process.ts';
import { PROCESS_CONTAINER } from '../../src/fid.ts';
import { printTable, writeResult } from '../lib/report.ts';

const secondsAt = process.argv.indexOf('--seconds');
const SECONDS = secondsAt > 0 ? Number(process.argv[secondsAt + 1]) : 5;
const CLIENTS = [0, 1, 10, 50];
const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
// No STOPPED: it ends a process's incarnation (hax drops its link), and the
// load here runs on one link per process.
const CYCLE: ProcessEvent[] = ['M0_CONF_HA_PROCESS_STARTING', 'M0_CONF_HA_PROCESS_STARTED', 'M0_CONF_HA_PROCESS_DTM_RECOVERED', 'M0_CONF_HA_PROCESS_STOPPING'];

function lines(child: ChildProcess): () => Promise<Record<string, number>> {
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => { const w = waiting.shift(); if (w) w(l); else queue.push(l); });
  return () => new Promise((resolve) => { const l = queue.shift(); if (l) resolve(JSON.parse(l)); else waiting.push((x) => resolve(JSON.parse(x))); });
}

async function main(): Promise<void> {
  const node = 'bench-feed-node';
  const agent = await startDevAgent({ nodeName: node });
  await seedCluster(new ConsulClient(agent.url), demoCluster(node), node);
  const [haPort, httpPort] = [await freePort(), await freePort()];
  const hax = spawn(process.execPath, [BIN, 'run', '--consul', agent.url, '--listen', `tcp:127.0.0.1:${haPort}`, '--http', `127.0.0.1:${httpPort}`, '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (let i = 0; i < 400; i++) { try { if ((await fetch(`http://127.0.0.1:${httpPort}/`)).ok) break; } catch { /* starting */ } await new Promise((r) => setTimeout(r, 50)); }
    const codec = await Codec.load();
    const sims = await Promise.all([2n, 3n, 4n].map(async (key) => {
      const s = new SimProcess({ address: `tcp:127.0.0.1:${haPort}`, codec, processFid: { container: PROCESS_CONTAINER, key }, type: 'M0_CONF_HA_PROCESS_M0D' });
      await s.connect();
      return s;
    }));
    const rows: (string | number)[][] = [];
    const results: Record<string, unknown>[] = [];
    for (const n of CLIENTS) {
      const clients = n > 0 ? spawn(process.execPath, ['--import', 'tsx', new URL('./clients.ts', import.meta.url).pathname, `ws://127.0.0.1:${httpPort}/debug/feed`, String(n)], { stdio: ['pipe', 'pipe', 'inherit'] }) : undefined;
      const next = clients ? lines(clients) : undefined;
      if (next) await next();   // all open
      clients?.stdin!.write('count\n'); if (next) await next();   // reset counters after the backlog
      let acked = 0, stop = false;
      const started = performance.now();
      await Promise.all(sims.map(async (s) => { for (let i = 0; !stop; i++) { await s.processEvent(CYCLE[i % 4]); acked += 1; if (performance.now() - started > SECONDS * 1000) stop = true; } }));
      const seconds = (performance.now() - started) / 1000;
      let received = 0, lost = 0;
      if (clients && next) { clients.stdin!.write('count\n'); ({ received, lost } = await next() as { received: number; lost: number }); clients.stdin!.write('exit\n'); }
      const eventsPerS = acked / seconds;
      rows.push([String(n), eventsPerS, n ? received / seconds : 0, n ? received / seconds / n : 0, lost]);
      results.push({ clients: n, seconds, eventsAcknowledged: acked, eventsPerSecond: eventsPerS, recordsReceived: received, recordsPerSecondAllClients: received / seconds, recordsLost: lost });
    }
    for (const s of sims) await s.close();
    printTable(`hax throughput with websocket feed clients (3 simulated processes, closed loop, ${SECONDS} s each)`, ['clients', 'events/s', 'records/s (all clients)', 'records/s per client', 'lost'], rows);
    const base = (results[0] as { eventsPerSecond: number }).eventsPerSecond;
    for (const r of results.slice(1) as { clients: number; eventsPerSecond: number }[]) console.log(`with ${r.clients} client(s): ${(100 * r.eventsPerSecond / base).toFixed(0)} % of hax's throughput without clients`);
    console.log(`wrote ${writeResult('feed', { results })}`);
  } finally {
    hax.kill('SIGTERM');
    await new Promise((r) => hax.once('exit', r));
    await agent.stop();
  }
}

await main();
