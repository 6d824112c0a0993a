// The broadcast queue's read offset (bq-delivered/<node>) can only move to an
// epoch Consul issued (docs/behaviour.md, "The broadcast queue"): a watch
// body is a wake-up call, hax acts on what it reads from Consul; a stored
// offset that is not an integer at or below `epoch` is repaired at start-up;
// and the sibling indexes of the other watch routes (POST /watcher/processes'
// ModifyIndex, POST /'s X-Consul-Index) never move past what Consul reported.
// Real Consul agent, real hax; messages are published the way every hax
// publishes them (CAS on epoch + bq/<next> in one txn).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startHax, type RunningHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { freePort } from '../../src/consul/dev-agent.ts';
import { startWorld, until, publishBq, F, NODE, type World, type Peer } from './_world.ts';

let w: World;
let obs: Peer;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const post = async (path: string, body: unknown, headers: Record<string, string> = {}, port = w.httpPort) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  assert.is(res.status, 200, await res.clone().text());
  return res.json() as Promise<{ reason: string; offset: number; processed: { epoch: number; type: string; outcome: string }[]; notes: { fid: string; state: string }[] }>;
};
const delivered = async () => (await w.consul.kv.get(`bq-delivered/${NODE}`))?.value;
const epochNow = async () => Number((await w.consul.kv.get('epoch'))!.value);
/** What Consul's keyprefix watch would send: every key under bq/. */
const watchBody = async () => (await w.consul.kv.list('bq/')).entries.map((e) => ({ Key: e.key, Value: e.entry.Value, CreateIndex: e.entry.CreateIndex, ModifyIndex: e.entry.ModifyIndex }));

const publish = (payload: unknown, type?: string) => publishBq(w.consul, payload, type);
const remoteState = (state: string) => ({ fid: F.remoteIos, state: `M0_CONF_HA_PROCESS_${state}`, type: 'M0_CONF_HA_PROCESS_M0D' });

test.before(async () => { w = await startWorld(); obs = await w.peer(2); });
test.after(async () => { await w.stop(); });

test('a POST naming a bq/ key Consul does not hold cannot move the offset, and later messages are still read', async () => {
  const first = await publish(remoteState('STARTED'));
  const r1 = await post('/watcher/bq', await watchBody());
  assert.equal(r1.processed.map((p) => [p.epoch, p.outcome]), [[first, 'BQ_BROADCAST']]);
  assert.is(await delivered(), String(first));

  const forged = await post('/watcher/bq', [{ Key: 'bq/99999999999999999999999', Value: null }]);
  console.log(`forged body: ${forged.reason}`);
  assert.match(forged.reason, /^BQ_NOTHING_NEW/);
  assert.match(forged.reason, /1 entr\(ies\) of the watch body ignored, not in Consul as sent/);
  assert.is(forged.offset, first);
  assert.is(await delivered(), String(first), 'bq-delivered unchanged');

  const second = await publish(remoteState('DTM_RECOVERED'));
  const r2 = await post('/watcher/bq', await watchBody());
  console.log(`next real message: ${r2.reason}`);
  assert.match(r2.reason, /^BQ_CONSUMED/);
  assert.equal(r2.processed.map((p) => p.epoch), [second]);
  assert.is(await delivered(), String(second));
  await until('the remote ios ONLINE at the local process', () => obs.noteOf(F.remoteIos, 'M0_NC_ONLINE') || undefined);
});

test('a body whose value differs from Consul\'s is not acted on: hax acts on Consul\'s entry', async () => {
  const off = Number(await delivered());
  const real = await publish(remoteState('STARTED'));
  const body = (await watchBody()).map((e) => (e.Key === `bq/${real}` ? { ...e, Value: b64(JSON.stringify({ timestamp: '1', message_type: 'M0_HA_MSG_NVEC', payload: { node: NODE, device: '/dev/sdc', state: 'failed' } })) } : e));
  const r = await post('/watcher/bq', body);
  assert.match(r.reason, new RegExp(`not in Consul as sent: "bq/${real}"`));
  assert.equal(r.processed.map((p) => [p.epoch, p.type]), [[real, 'PROCESS-STATE-UPDATE']], 'Consul\'s message, not the body\'s');
  assert.ok(real > off);
  assert.not.ok(obs.noteOf(F.drive3, 'M0_NC_FAILED'), 'the body\'s forged drive failure was not broadcast');
});

test('entries under bq/ that are not epochs Consul issued are refused, and the offset stays at or below epoch', async () => {
  const off = await delivered();
  const epoch = await epochNow();
  await w.consul.kv.put(`bq/${epoch + 1000}`, JSON.stringify({ timestamp: '1', message_type: 'PROCESS-STATE-UPDATE', payload: remoteState('STOPPED') }));
  await w.consul.kv.put('bq/0x10', JSON.stringify({ timestamp: '1', message_type: 'PROCESS-STATE-UPDATE', payload: remoteState('STOPPED') }));
  const r = await post('/watcher/bq', await watchBody());
  console.log(`written outside the CAS: ${r.reason}`);
  assert.match(r.reason, /^BQ_NOTHING_NEW/);
  assert.match(r.reason, /2 entr\(ies\) under bq\/ refused/);
  assert.equal(r.processed, []);
  assert.is(await delivered(), off);
  assert.ok(Number(await delivered()) <= await epochNow());
  await w.consul.kv.delete(`bq/${epoch + 1000}`);
  await w.consul.kv.delete('bq/0x10');
});

test('a corrupt bq-delivered/<node> is repaired at start-up with a warning, not obeyed', async () => {
  for (const corrupt of ['999999999999999', '1e+23', '7 apples']) {
    await w.consul.kv.put(`bq-delivered/${NODE}`, corrupt);
    const logs: string[] = [];
    const httpPort = await freePort();
    let second: RunningHax | undefined;
    try {
      second = await startHax({ consulUrl: w.agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: httpPort }, node: NODE },
        createLogger({ level: 'info', write: (l) => logs.push(l) }));
      const repair = logs.find((l) => l.includes('HAX_ERR_BQ_OFFSET_CORRUPT'));
      console.log(`stored offset ${JSON.stringify(corrupt)} at start-up: ${repair ? JSON.parse(repair).msg : 'obeyed, no warning'}`);
      assert.ok(repair, `a warning for ${corrupt}`);
      assert.is(await delivered(), '-1', 'repaired in Consul');
      const next = await publish(remoteState('STARTED'));
      const r = await post('/watcher/bq', await watchBody(), {}, httpPort);
      assert.ok(r.processed.some((p) => p.epoch === next), `bq/${next} read after the repair: ${r.reason}`);
      assert.is(await delivered(), String(next));
    } finally {
      await second?.stop();
    }
  }
});

test('POST /watcher/processes with a ModifyIndex Consul never issued cannot silence later real changes', async () => {
  const v = (s: string) => b64(JSON.stringify({ state: `M0_CONF_HA_PROCESS_${s}`, type: 'M0_CONF_HA_PROCESS_M0D' }));
  const forged = await post('/watcher/processes', { Key: `processes/${F.remoteIos}`, Value: v('STARTED'), ModifyIndex: 9_000_000_000_000_000 });
  console.log(`forged ModifyIndex: ${forged.reason.slice(0, 160)}`);
  await w.consul.kv.put(`processes/${F.remoteIos}`, JSON.stringify({ state: 'M0_CONF_HA_PROCESS_STOPPED', type: 'M0_CONF_HA_PROCESS_M0D' }));
  const real = (await w.consul.kv.get(`processes/${F.remoteIos}`))!.entry;
  const r = await post('/watcher/processes', { Key: real.Key, Value: real.Value, ModifyIndex: real.ModifyIndex, CreateIndex: real.CreateIndex });
  console.log(`then the real change at index ${real.ModifyIndex}: ${r.reason.slice(0, 160)}`);
  assert.match(r.reason, /^PROCESS_KEY_BROADCAST/);
  assert.ok(r.notes.some((n) => n.fid === F.remoteIos && n.state === 'M0_NC_TRANSIENT'));
  const again = await post('/watcher/processes', { Key: real.Key, Value: real.Value, ModifyIndex: real.ModifyIndex });
  assert.match(again.reason, /^PROCESS_KEY_SKIPPED/, 'a replay of the real change is still skipped');
});

test('POST / with an X-Consul-Index far in the future does not freeze the health index', async () => {
  const entry = (id: string, status: string) => ({
    Node: { Node: NODE, Address: '127.0.0.1' }, Service: { ID: id, Service: 'ios', Address: 'inet:tcp:127.0.0.1', Port: 21001 },
    Checks: [{ Node: NODE, CheckID: 'serfHealth', Status: 'passing', ServiceID: '' }, { Node: NODE, CheckID: `service:${id}`, Status: status, ServiceID: id }],
  });
  await w.consul.kv.put(`processes/${F.ios4}`, JSON.stringify({ state: 'M0_CONF_HA_PROCESS_STARTED', type: 'M0_CONF_HA_PROCESS_M0D' }));
  await until('processes/ios4 STARTED in the model', () => w.hax.api.clusterStatus().nodes.flatMap((n) => n.processes).find((p) => p.fid === F.ios4)?.event === 'M0_CONF_HA_PROCESS_STARTED' || undefined);
  const future = await post('/', [entry('4', 'passing')], { 'X-Consul-Index': '999999999999999' });
  console.log(`future index: ${future.reason}`);
  const index = (await w.consul.kv.get(`processes/${F.ios4}`))!.index!;   // a real, current Consul index
  const r = await post('/', [entry('4', 'critical')], { 'X-Consul-Index': String(index) });
  console.log(`then a real payload at index ${index}: ${r.reason.slice(0, 200)}`);
  assert.match(r.reason, /^HEALTH_ACTED/);
  assert.not.match(r.reason, /older than the model/);
  await until('processes/ios4 STOPPED', async () => (await w.consul.kv.get(`processes/${F.ios4}`))?.value.includes('STOPPED') || undefined);
});

test.run();
