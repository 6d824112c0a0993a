// Consul health → states (hax-reference.md §5.2, §7) on the live model,
// POST / (the service watch) with index comparison and idempotency, the
// broadcast queue (POST /watcher/bq: offsets, order, cleanup) and
// POST /watcher/processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startWorld, until, notesUntilMarker, F, NODE, REMOTE, type World, type Peer } from './_world.ts';
import { parseFid } from '../../src/fid.ts';

let w: World | undefined;
let obs: Peer;
const world = async () => { if (!w) { w = await startWorld(); obs = await w.peer(2); } return w; };
const state = (fid: string) => w!.hax.api.states([parseFid(fid)!])[0]!.state;
const post = async (path: string, body: unknown, index?: number) => {
  const res = await fetch(`http://127.0.0.1:${w!.httpPort}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(index ? { 'X-Consul-Index': String(index) } : {}) }, body: JSON.stringify(body) });
  assert.is(res.status, 200, await res.clone().text());
  return res.json() as Promise<{ reason: string; notes: { fid: string; state: string }[]; offset?: number; processed?: { epoch: number; type: string; outcome: string }[] }>;
};
const setProcess = async (fid: string, ev: string) => {
  await w!.consul.kv.put(`processes/${fid}`, JSON.stringify({ state: `M0_CONF_HA_PROCESS_${ev}`, type: 'M0_CONF_HA_PROCESS_M0D' }));
  // the model's processes/ watch brings it in (rate-limited under churn: wait for it, not for a fixed time)
  await until(`processes/${fid} ${ev} in the model`, () => eventInModel(fid) === `M0_CONF_HA_PROCESS_${ev}` || undefined);
};
const eventInModel = (fid: string) => w!.hax.api.clusterStatus().nodes.flatMap((n) => n.processes).find((p) => p.fid === fid)?.event;
const entry = (node: string, id: string, svc: string, serf: string, status: string) => ({
  Node: { Node: node, Address: '127.0.0.1' }, Service: { ID: id, Service: svc, Address: 'inet:tcp:127.0.0.1', Port: 21001 },
  Checks: [{ Node: node, CheckID: 'serfHealth', Status: serf, ServiceID: '' }, { Node: node, CheckID: `service:${id}`, Status: status, ServiceID: id }],
});

test('a process\'s current health follows §5.2(b) for every processes/<fid> state, local and remote', async () => {
  await world();
  const rows: [string, string, string][] = [   // event, local answer, remote answer
    ['STARTING', 'M0_NC_TRANSIENT', 'M0_NC_TRANSIENT'],
    ['STARTED', 'M0_NC_DTM_RECOVERING', 'M0_NC_DTM_RECOVERING'],
    ['DTM_RECOVERED', 'M0_NC_ONLINE', 'M0_NC_ONLINE'],
    ['STOPPING', 'M0_NC_TRANSIENT', 'M0_NC_TRANSIENT'],
    ['STOPPED', 'M0_NC_TRANSIENT', 'M0_NC_TRANSIENT'],
  ];
  for (const [ev, local, remote] of rows) {
    await setProcess(F.ios4, ev);
    await setProcess(F.remoteIos, ev);
    assert.is(state(F.ios4), local, `local ${ev}`);
    assert.is(state(F.remoteIos), remote, `remote ${ev}`);
  }
  // a failing service check or a dead node overrides the KV state
  await setProcess(F.remoteIos, 'DTM_RECOVERED');
  await w!.consul.catalog.register({ Node: REMOTE, Address: '127.0.0.1', Checks: [{ CheckID: 'SerfHealth', Name: 'Serf Health Status', Status: 'critical' }] });
  await until('remote node dead', () => state(F.remoteIos) === 'M0_NC_TRANSIENT' || undefined);
  // this hax is the RC: its own health view saw the node dead and recorded the node's process STOPPED (as POST / would)
  await until('the RC recorded the dead node\'s process STOPPED', async () => (await w!.consul.kv.get(`processes/${F.remoteIos}`))?.value.includes('STOPPED') || undefined);
  await w!.consul.catalog.register({ Node: REMOTE, Address: '127.0.0.1', Checks: [{ CheckID: 'SerfHealth', Name: 'Serf Health Status', Status: 'passing' }] });
  // the node is back, its process is not until it reports itself again
  await until('remote node back, its process still STOPPED', () => (w!.hax.api.clusterStatus().nodes.some((n) => n.name.startsWith(REMOTE)) && eventInModel(F.remoteIos) === 'M0_CONF_HA_PROCESS_STOPPED') || undefined);
  assert.is(state(F.remoteIos), 'M0_NC_TRANSIENT');
  await setProcess(F.remoteIos, 'DTM_RECOVERED');
  await until('remote process back', () => state(F.remoteIos) === 'M0_NC_ONLINE' || undefined);
});

test('POST / acts on a local process going OFFLINE once, and a replayed payload causes no second broadcast', async () => {
  await world();
  await setProcess(F.ios4, 'STARTED');
  const payload = [entry(NODE, '4', 'ios', 'passing', 'warning'), entry(NODE, '3', 'ios', 'passing', 'passing')];
  const first = await post('/', payload, 10_000_000);
  assert.match(first.reason, /^HEALTH_ACTED/);
  assert.ok(first.notes.some((n) => n.fid === F.ios4 && n.state === 'M0_NC_TRANSIENT'));
  await until('processes/<fid> STOPPED', async () => (await w!.consul.kv.get(`processes/${F.ios4}`))?.value.includes('STOPPED') || undefined);
  await until('the first broadcast at the process', () => obs.noteOf(F.ios4, 'M0_NC_TRANSIENT') || undefined);
  const notesAfterFirst = obs.notes().length;
  let replays = 0, broadcasts = 0;
  for (let i = 0; i < 5; i++) {
    const again = await post('/', payload, 10_000_000);
    replays++;
    if (again.notes.length > 0) broadcasts++;
    assert.match(again.reason, /^HEALTH_NO_CHANGE/);
  }
  const since = await notesUntilMarker(obs, notesAfterFirst);
  const extra = since.filter((n) => n.fid === F.ios4);
  console.log(`replayed watch payload: ${replays} replays, ${broadcasts} second broadcasts, ${extra.length} extra notes for the process`);
  assert.is(broadcasts, 0);
  assert.equal(extra, []);
});

test('POST / ignores a remote process of a live node and, on the RC, acts for a dead node', async () => {
  await world();
  await setProcess(F.remoteIos, 'STARTED');
  const alive = await post('/', [entry(REMOTE, '6', 'ios', 'passing', 'warning')], 20_000_000);
  assert.match(alive.reason, /^HEALTH_NO_CHANGE/);
  const dead = await post('/', [entry(REMOTE, '6', 'ios', 'critical', 'warning')], 20_000_001);
  assert.match(dead.reason, /^HEALTH_ACTED/);
  assert.match(dead.reason, /dead, this node is RC/);
});

test('POST / with a payload older than the model uses the model\'s health', async () => {
  await world();
  await setProcess(F.ios3, 'STARTED');
  const stale = await post('/', [entry(NODE, '3', 'ios', 'passing', 'critical')], 1);
  assert.match(stale.reason, /^HEALTH_NO_CHANGE/);
  assert.match(stale.reason, /older than the model/);
  assert.is(state(F.ios3), 'M0_NC_DTM_RECOVERING');
});

test('POST /watcher/bq processes new messages in epoch order, stores the offset and ignores a replay', async () => {
  await world();
  const msg = (t: string, payload: unknown) => Buffer.from(JSON.stringify({ timestamp: '1', message_type: t, payload })).toString('base64');
  const entries = [
    { Key: 'bq/1003', Value: msg('SOMETHING-ELSE', {}) },
    { Key: 'bq/1001', Value: msg('PROCESS-STATE-UPDATE', { fid: F.remoteIos, state: 'M0_CONF_HA_PROCESS_DTM_RECOVERED', type: 'M0_CONF_HA_PROCESS_M0D' }) },
    { Key: 'bq/1002', Value: msg('PROCESS-STATE-UPDATE', { fid: F.ios3, state: 'M0_CONF_HA_PROCESS_STARTED', type: 'M0_CONF_HA_PROCESS_M0D' }) },
    { Key: 'bq/1004', Value: msg('M0_HA_MSG_NVEC', { node: NODE, device: '/dev/sdc', state: 'failed' }) },
  ];
  for (const e of entries) await w!.consul.kv.put(e.Key, Buffer.from(e.Value, 'base64').toString());
  await w!.consul.kv.put('epoch', '1004');   // as a publisher would: a bq/<n> above `epoch` is refused
  const r = await post('/watcher/bq', entries);
  // hax reads bq/ from Consul itself (the body only triggers it): what earlier tests published comes first
  assert.equal(r.processed!.filter((p) => p.epoch >= 1001).map((p) => [p.epoch, p.outcome]), [[1001, 'BQ_BROADCAST'], [1002, 'BQ_LOCAL_SKIPPED'], [1003, 'BQ_UNKNOWN_TYPE'], [1004, 'BQ_BROADCAST']]);
  assert.is(r.offset, 1004);
  assert.is((await w!.consul.kv.get(`bq-delivered/${NODE}`))?.value, '1004');
  await until('remote ios ONLINE', () => obs.noteOf(F.remoteIos, 'M0_NC_ONLINE') || undefined);
  await until('drive of /dev/sdc FAILED', () => obs.noteOf(F.drive3, 'M0_NC_FAILED') || undefined);
  assert.is((await w!.consul.kv.get(`${NODE}/processes/${F.remoteIos}`))?.value, '{"state": "M0_CONF_HA_PROCESS_DTM_RECOVERED", "type": "M0_CONF_HA_PROCESS_M0D"}');
  const again = await post('/watcher/bq', entries);
  assert.equal(again.processed, []);
  assert.match(again.reason, /^BQ_NOTHING_NEW/);
});

test('bq/ entries are removed once every node\'s bq-delivered offset has passed them', async () => {
  await world();
  const all = (await w!.consul.kv.list('bq/')).entries.map((e) => ({ Key: e.key, Value: e.entry.Value }));
  await w!.consul.kv.put(`bq-delivered/${REMOTE}`, '1002');
  await post('/watcher/bq', all);
  const left = (await w!.consul.kv.list('bq/')).entries.map((e) => Number(e.key.slice(3)));
  assert.ok(left.every((e) => e > 1002), `left: ${left}`);
  assert.ok(left.includes(1003) && left.includes(1004));
});

test('POST /watcher/processes broadcasts a newer processes/<fid> once and skips mkfs and replays', async () => {
  await world();
  const v = (s: string, t = 'M0_CONF_HA_PROCESS_M0D') => Buffer.from(JSON.stringify({ state: `M0_CONF_HA_PROCESS_${s}`, type: t })).toString('base64');
  const r1 = await post('/watcher/processes', { Key: `processes/${F.remoteIos}`, Value: v('STARTED'), ModifyIndex: 90_000_000 });
  assert.match(r1.reason, /^PROCESS_KEY_BROADCAST/);
  assert.ok(r1.notes.some((n) => n.fid === F.remoteIos && n.state === 'M0_NC_DTM_RECOVERING'));
  const r2 = await post('/watcher/processes', { Key: `processes/${F.remoteIos}`, Value: v('STARTED'), ModifyIndex: 90_000_000 });
  assert.match(r2.reason, /^PROCESS_KEY_SKIPPED/);
  const r3 = await post('/watcher/processes', { Key: `processes/${F.remoteIos}`, Value: v('STOPPED', 'M0_CONF_HA_PROCESS_M0MKFS'), ModifyIndex: 90_000_001 });
  assert.match(r3.reason, /^PROCESS_KEY_SKIPPED/);
  const r4 = await post('/watcher/processes', null);
  assert.match(r4.reason, /^PROCESS_KEY_SKIPPED/);
});

// Teardown, not a test: it runs even when a test failed, and is not counted.
test.after(async () => {
  if (w) await w.stop();
  w = undefined;
});

test.run();
