// Fault test (1): kill -9 hax while simulated Motr processes send 1,000
// process events. hax acknowledges an event only once it is durable in
// Consul, so after hax restarts (same address) the processes reconnect and
// re-send what was not acknowledged; Consul must then hold every process's
// final state and every event, in order, on the broadcast queue.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openSync } from 'node:fs';
import { startDevAgent, freePort } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { Codec } from '../../src/core/codec.ts';
import { testCluster, NODE, Peer, until, pfid } from './_world.ts';
import { formatFid } from '../../src/fid.ts';

const HAX = fileURLToPath(new URL('../../bin/hax.js', import.meta.url));
const EVENTS = ['STARTING', 'STARTED', 'DTM_RECOVERED', 'STOPPING'];
const TOTAL = 1000;
const require_fd = () => openSync(process.env.HAX_KILL9_LOG!, 'a');

function startHaxProcess(consulUrl: string, linkPort: number, httpPort: number): ChildProcess {
  return spawn(process.execPath, [HAX, 'run', '--consul', consulUrl, '--listen', `tcp:127.0.0.1:${linkPort}`, '--http', `127.0.0.1:${httpPort}`, '--log-level', process.env.HAX_KILL9_LOG ? 'info' : 'warn'],
    { stdio: ['ignore', process.env.HAX_KILL9_LOG ? require_fd() : 'ignore', 'inherit'] });
}

test('after kill -9 during 1,000 process events Consul holds every final state and no event is missing', async () => {
  const agent = await startDevAgent({ nodeName: NODE });
  const consul = new ConsulClient(agent.url);
  await seedCluster(consul, testCluster(), NODE);
  const linkPort = await freePort(), httpPort = await freePort();
  let hax = startHaxProcess(agent.url, linkPort, httpPort);
  const peers: Peer[] = [];
  try {
    const codec = await Codec.load();
    const address = `tcp:127.0.0.1:${linkPort}`;
    await until('hax up', async () => { try { return (await fetch(`http://127.0.0.1:${httpPort}/`)).ok || undefined; } catch { return undefined; } }, 60_000);
    for (const k of [3, 4, 6]) { const p = new Peer(address, codec, pfid(k), 'M0_CONF_HA_PROCESS_M0D'); await p.connect(); peers.push(p); }
    const sent = new Map<string, string[]>();
    let acked = 0;
    const done = new Set<number>();
    const send = (p: Peer, i: number, ev: string) => p.send('EVENT_PROCESS', { chp_event: `M0_CONF_HA_PROCESS_${ev}`, chp_type: 'M0_CONF_HA_PROCESS_M0D', chp_pid: BigInt(i) }, formatFid(p.fid), 180_000)
      .then(() => { if (!done.has(i)) { done.add(i); acked++; } }, () => {});
    const plan: { k: number; ev: string }[] = [];
    for (let i = 0; i < TOTAL; i++) {
      const k = i % peers.length;
      const ev = EVENTS[Math.floor(i / peers.length) % EVENTS.length]!;
      const fid = formatFid(peers[k]!.fid);
      sent.set(fid, [...(sent.get(fid) ?? []), ev]);
      plan.push({ k, ev });
      void send(peers[k]!, i, ev);
    }
    await until('300 events acknowledged', () => acked >= 300 || undefined, 60_000);
    const ackedAtKill = acked;
    process.kill(hax.pid!, 'SIGKILL');
    await new Promise((r) => hax.once('exit', r));
    hax = startHaxProcess(agent.url, linkPort, httpPort);
    // the processes come back to the new hax and send again, in order, every event it did not acknowledge
    // (Motr re-sends on its re-established link; the simulator's link re-establishment is not relied on here)
    for (let k = 0; k < peers.length; k++) {
      const old = peers[k]!;
      old.close();
      const again = new Peer(address, codec, old.fid, 'M0_CONF_HA_PROCESS_M0D');
      await again.connect(60_000);
      peers[k] = again;
    }
    const resend: Promise<void>[] = [];
    plan.forEach(({ k, ev }, i) => { if (!done.has(i)) resend.push(send(peers[k]!, i, ev)); });
    await Promise.all(resend);
    // every process's final state
    for (const [fid, evs] of sent) {
      assert.is((await consul.kv.get(`processes/${fid}`))?.value, `{"state": "M0_CONF_HA_PROCESS_${evs.at(-1)}", "type": "M0_CONF_HA_PROCESS_M0D"}`, fid);
    }
    // every event, in order, on the broadcast queue (re-sent ones may appear twice)
    const bq = (await consul.kv.list('bq/')).entries.sort((a, b) => Number(a.key.slice(3)) - Number(b.key.slice(3)))
      .map((e) => JSON.parse(e.value) as { payload: { fid: string; state: string } });
    let missing = 0, published = 0;
    for (const [fid, evs] of sent) {
      const seen = bq.filter((m) => m.payload.fid === fid).map((m) => m.payload.state.replace('M0_CONF_HA_PROCESS_', ''));
      published += seen.length;
      let j = 0;
      for (const ev of evs) { while (j < seen.length && seen[j] !== ev) j++; if (j >= seen.length) missing++; else j++; }
    }
    console.log(`kill -9: ${TOTAL} events sent, ${ackedAtKill} acknowledged before the kill, ${TOTAL - ackedAtKill} sent again after the restart, ${acked} acknowledged in all, ${published} published on bq/ (${published - TOTAL} duplicates from re-sends), ${missing} missing`);
    assert.is(missing, 0);
    assert.is(acked, TOTAL);
  } finally {
    for (const p of peers) p.close();
    if (hax.exitCode === null) { hax.kill('SIGTERM'); await new Promise((r) => hax.once('exit', r)); }
    await agent.stop();
  }
});

test.run();
