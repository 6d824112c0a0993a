// Exactly-once BQ publication through the whole daemon (docs/behaviour.md,
// "Exactly-once writes"): Motr process events reach hax on real HA links,
// each becomes processes/<fid> + one PROCESS-STATE-UPDATE on the broadcast
// queue, and Consul applies a txn whose reply hax never gets. (1) The
// agent is stopped (SIGSTOP) until hax's 10 s request timeout has fired for
// a txn it already sent, as in issue 13 (Consul stopped 12 s during 200 events
// gave 201 bq/ entries); (2) a TCP proxy this test controls forwards txns,
// lets Consul apply them and answer, and drops every fourth answer. Either
// way: exactly one bq/ entry per event, in each process's event order, and
// `epoch` advanced by exactly the number of events.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReplyProxy } from '../helpers/reply-proxy.ts';
import { stopProcess } from '../helpers/stop-process.ts';
import { startDevAgent, freePort, type DevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { startHax, type RunningHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { Codec } from '../../src/core/codec.ts';
import { Peer, testCluster, pfid, until, F, NODE } from './_world.ts';


let agent: DevAgent;
let consul: ConsulClient;
let proxy: ReplyProxy;
let hax: RunningHax;
let codec: Codec;
const logs: string[] = [];
const peers: Peer[] = [];

test.before(async () => {
  agent = await startDevAgent({ nodeName: NODE });
  consul = new ConsulClient(agent.url);
  await seedCluster(consul, testCluster(), NODE);
  proxy = new ReplyProxy(agent.url);
  const viaProxy = await proxy.listen();
  hax = await startHax({ consulUrl: viaProxy, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: await freePort() }, deliveryTimeoutMs: 1500 },
    createLogger({ level: 'info', write: (l) => { logs.push(l); if (logs.length > 50_000) logs.splice(0, 25_000); } }));
  codec = await Codec.load();
});
test.after(async () => {
  for (const p of peers) p.close();
  try { process.kill(agent.pid, 'SIGCONT'); } catch { /* gone */ }
  await hax?.stop();
  await proxy.close();
  await agent.stop();
});

async function peer(fidk: number): Promise<Peer> {
  const p = new Peer(hax.haLinkAddresses[0]!, codec, pfid(fidk), 'M0_CONF_HA_PROCESS_M0D');
  peers.push(p);
  await p.connect();
  await until('the link in hax', () => hax.links.active().some((l) => l.processFid.key === BigInt(fidk)) ? true : undefined);
  return p;
}

const CYCLE = ['STARTING', 'STARTED', 'DTM_RECOVERED', 'STOPPING'];

/** Every bq/ entry from `after` on, in epoch order, as "fid state". */
async function published(after: number): Promise<string[]> {
  return (await consul.kv.list('bq/')).entries
    .map((e) => ({ epoch: Number(e.key.slice(3)), v: JSON.parse(e.value) as { message_type: string; payload: { fid: string; state: string } } }))
    .filter((e) => e.epoch > after)
    .sort((a, b) => a.epoch - b.epoch)
    .map((e) => `${e.v.payload.fid} ${e.v.payload.state.replace('M0_CONF_HA_PROCESS_', '')}`);
}

/** Sends `n` events alternating between two processes without waiting; resolves when hax acknowledged every one. */
function burst(a: Peer, b: Peer, n: number, fids: [string, string]): { sent: string[]; acked: Promise<void[]> } {
  const sent: string[] = [];
  const acks: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const [p, fid] = i % 2 === 0 ? [a, fids[0]] : [b, fids[1]];
    const ev = CYCLE[Math.floor(i / 2) % CYCLE.length]!;
    sent.push(`${fid} ${ev}`);
    acks.push(p.send('EVENT_PROCESS', { chp_event: `M0_CONF_HA_PROCESS_${ev}`, chp_type: 'M0_CONF_HA_PROCESS_M0D', chp_pid: 7n }, fid, 180_000));
  }
  return { sent, acked: Promise.all(acks) };
}

const perProcess = (lines: string[], fid: string) => lines.filter((l) => l.startsWith(fid + ' '));

test('Consul stopped past hax\'s request timeout during 200 events: every event is published once', async () => {
  const ios3 = await peer(3);
  const ios4 = await peer(4);
  await ios3.processEvent('STARTED');   // hax has written before: it knows its write mark and the epoch
  const epoch0 = Number((await consul.kv.get('epoch'))!.value);
  const retriesBefore = logs.filter((l) => l.includes('Consul write failed; retrying')).length;
  await stopProcess(agent.pid);
  let resumed = false;
  try {
    const { sent, acked } = burst(ios3, ios4, 200, [F.ios3, F.ios4]);
    // hax sent its txn; wait until its 10 s timeout fired on it (Consul has the request, unread)
    await until('a Consul txn timed out in hax', () => logs.slice(-2000).some((l) => l.includes('Consul write failed; retrying') && l.includes('PUT /v1/txn timed out')) || undefined, 60_000);
    process.kill(agent.pid, 'SIGCONT');
    resumed = true;
    await acked;
    const epoch1 = Number((await consul.kv.get('epoch'))!.value);
    const bq = await published(epoch0);
    const retries = logs.filter((l) => l.includes('Consul write failed; retrying')).length - retriesBefore;
    console.log(`Consul stopped past the 10 s timeout: 200 events, ${retries} write retr(ies), ${hax.writer.landedEarlier} txn(s) found already applied, ${bq.length} bq/ entries, epoch ${epoch0} → ${epoch1}`);
    assert.ok(retries >= 1, 'hax retried a write that had timed out');
    assert.is(bq.length, 200, 'one bq/ entry per event');
    assert.is(epoch1 - epoch0, 200, 'epoch advanced by exactly the number of events');
    assert.equal(perProcess(bq, F.ios3), perProcess(sent, F.ios3), 'ios3\'s events once each, in order');
    assert.equal(perProcess(bq, F.ios4), perProcess(sent, F.ios4), 'ios4\'s events once each, in order');
  } finally {
    if (!resumed) process.kill(agent.pid, 'SIGCONT');
  }
});

test('every fourth txn reply lost after Consul applied it (proxy): 120 events, each published once', async () => {
  const ios3 = peers[0]!;
  const ios4 = peers[1]!;
  const epoch0 = Number((await consul.kv.get('epoch'))!.value);
  let txns = 0;
  proxy.dropped = 0;
  proxy.decide = (line, body) => (line.startsWith('PUT /v1/txn ') && body.includes('"bq/') && ++txns % 4 === 0 ? 'drop-reply' : 'forward');
  const sent: string[] = [];
  // one event at a time (one txn each) for the first half, then a burst (batched txns)
  for (let i = 0; i < 60; i++) {
    const [p, fid] = i % 2 === 0 ? [ios3, F.ios3] : [ios4, F.ios4];
    const ev = CYCLE[Math.floor(i / 2) % CYCLE.length]!;
    sent.push(`${fid} ${ev}`);
    await p.send('EVENT_PROCESS', { chp_event: `M0_CONF_HA_PROCESS_${ev}`, chp_type: 'M0_CONF_HA_PROCESS_M0D', chp_pid: 7n }, fid, 60_000);
  }
  const b = burst(ios3, ios4, 60, [F.ios3, F.ios4]);
  sent.push(...b.sent);
  await b.acked;
  proxy.decide = () => 'forward';
  const epoch1 = Number((await consul.kv.get('epoch'))!.value);
  const bq = await published(epoch0);
  console.log(`lost replies: 120 events, ${proxy.dropped} txn repl(ies) dropped after Consul applied the txn, ${bq.length} bq/ entries, epoch ${epoch0} → ${epoch1}`);
  assert.ok(proxy.dropped >= 5, `dropped ${proxy.dropped}`);
  assert.is(bq.length, 120, 'one bq/ entry per event');
  assert.is(epoch1 - epoch0, 120, 'epoch advanced by exactly the number of events');
  assert.equal(perProcess(bq, F.ios3), perProcess(sent, F.ios3));
  assert.equal(perProcess(bq, F.ios4), perProcess(sent, F.ios4));
  for (const fid of [F.ios3, F.ios4]) {
    const last = perProcess(sent, fid).pop()!.split(' ')[1];
    assert.is((await consul.kv.get(`processes/${fid}`))?.value, `{"state": "M0_CONF_HA_PROCESS_${last}", "type": "M0_CONF_HA_PROCESS_M0D"}`, `processes/${fid} holds its last event`);
  }
});

test.run();
