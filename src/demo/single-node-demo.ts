// `hax demo` (one node): everything real on one machine. A Consul dev agent
// whose service watches call hax, a demo cluster seeded into it, hax itself
// (in this process), and simulated Motr processes that connect, report their
// start-up, and print the HA states hax broadcasts when a service check
// fails and recovers.
import { mkdirSync, createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevAgent, freePort } from '../consul/dev-agent.ts';
import { ConsulClient } from '../consul/client.ts';
import { seedCluster } from '../bootstrap/seed.ts';
import { demoCluster } from './demo-cluster.ts';
import { startHax } from '../daemon/hax-daemon.ts';
import { createLogger } from '../log.ts';
import { Codec } from '../core/codec.ts';
import { SimProcess } from '../sim/sim-process.ts';
import { PROCESS_CONTAINER, formatFid } from '../fid.ts';
import { watchConfig } from '../consul/watch-config.ts';
import { portIfFree } from './ports.ts';
import type { StopSignals } from './demo-stop.ts';

const say = (msg: string) => process.stdout.write(`demo: ${msg}\n`);

export async function singleNodeDemo(options: { workDir: string; duration?: number; stop: StopSignals }): Promise<void> {
  const { workDir, duration, stop } = options;
  mkdirSync(workDir, { recursive: true });
  const logPath = join(workDir, 'hax.log');
  const logFile = createWriteStream(logPath);
  const log = createLogger({ component: 'hax', write: (line) => logFile.write(line + '\n') });
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => { for (const c of cleanups.reverse()) await c().catch(() => {}); };

  try {
    const nodeName = 'demo-node-1';
    // 8008 (hax's usual port) when it is free, so the monitor URL is the familiar one
    const httpPort = await portIfFree(8008) ?? await freePort();
    const haxUrl = `http://127.0.0.1:${httpPort}`;
    say('starting a Consul dev agent (Consul 1.8.7 from Debian, or the one on PATH)…');
    const agent = await startDevAgent({ nodeName, config: [watchConfig({ haxUrl, services: ['hax', 'confd', 'ios'] })] });
    cleanups.push(() => agent.stop());
    say(`Consul agent ${agent.url} (pid ${agent.pid}); its service watches POST to ${haxUrl}/`);
    stop.check();

    const consul = new ConsulClient(agent.url);
    const cluster = demoCluster(nodeName);
    const seeded = await seedCluster(consul, cluster, nodeName);
    say(`seeded the demo cluster: ${cluster.nodes[0].processes.map((p) => `${p.kind} ${formatFid({ container: PROCESS_CONTAINER, key: BigInt(p.fidk) })}`).join(', ')}; leader = ${nodeName}`);
    stop.check();

    const hax = await startHax({ consulUrl: agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: httpPort } }, log);
    cleanups.push(() => hax.stop());
    const haLink = hax.haLinkAddresses[0];
    say(`hax is up: HA links on ${haLink}, HTTP on ${haxUrl} (logs: ${logPath})`);
    stop.check();

    const codec = await Codec.load();
    const sims: SimProcess[] = [];
    for (const p of cluster.nodes[0].processes.filter((x) => x.kind !== 'hax')) {
      const name = `${p.kind}-${p.fidk}`;
      const sim = new SimProcess({
        address: haLink, codec, processFid: { container: PROCESS_CONTAINER, key: BigInt(p.fidk) }, type: 'M0_CONF_HA_PROCESS_M0D',
        onNotes: (notes) => say(`${name} received from hax: ${notes.map((n) => `${n.fid} → ${n.state}`).join(', ')}`),
      });
      cleanups.push(() => sim.close());
      sims.push(sim);
      const ep = await sim.connect();
      say(`${name} entrypoint: ${ep.confds.length} confd(s) [${ep.confds.join(', ')}], quorum ${ep.quorum}, RM ${ep.rm}`);
      for (const event of ['M0_CONF_HA_PROCESS_STARTING', 'M0_CONF_HA_PROCESS_STARTED'] as const) {
        stop.check();
        await sim.processEvent(event);
        const stored = await consul.kv.get(`processes/${formatFid(sim.processFid)}`);
        say(`${name} reported ${event}; hax acknowledged it once Consul held processes/${formatFid(sim.processFid)} = ${stored?.value}`);
      }
    }

    const victim = cluster.nodes[0].processes.find((p) => p.kind === 'ios')!;
    say(`now the Consul check of ios ${victim.fidk} turns to warning…`);
    await consul.agent.setCheck(`service:${victim.fidk}`, 'warn', 'demo: simulated failure');
    await stop.sleep(2000);
    stop.check();
    say(`…and back to passing; as Motr does, the process itself reports that it is whole again (hax takes ONLINE from process events, never from a check)`);
    await consul.agent.setCheck(`service:${victim.fidk}`, 'pass', 'demo: recovered');
    const recovered = sims.find((x) => x.processFid.key === BigInt(victim.fidk));
    for (const event of ['M0_CONF_HA_PROCESS_STARTED', 'M0_CONF_HA_PROCESS_DTM_RECOVERED'] as const) {
      await recovered?.processEvent(event);
      say(`ios-${victim.fidk} reported ${event}`);
    }
    await stop.sleep(1500);
    stop.check();
    writeFileSync(join(workDir, 'last-run.json'), JSON.stringify({ consul: agent.url, hax: haxUrl, haLink, leaderSession: seeded.leaderSession }, null, 2));
    say(`monitor: open ${haxUrl}/monitor in a browser (on another machine: ssh -L ${httpPort}:127.0.0.1:${httpPort} this-host)`);
    say(`try: node bin/hax.js status --http 127.0.0.1:${httpPort}   ·   curl ${haxUrl}/api/v1/links   ·   curl ${haxUrl}/metrics`);
    say(duration ? `running for ${duration} s` : 'running; press Ctrl-C to stop');
    if (duration) await stop.sleep(duration * 1000);
    else while (!stop.signal.aborted) await stop.sleep(2 ** 31 - 1);
  } finally {
    say('stopping');
    await cleanup();
    logFile.end();
  }
}
