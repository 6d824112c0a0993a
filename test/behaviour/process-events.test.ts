// hax-reference.md §4.2 on a real agent: every row of the (type, event)
// table, the confd and hax special cases, processes/<fid> exactly as the
// original wrote it, PROCESS-STATE-UPDATE on the broadcast queue, the
// acknowledgement after durability, and the expansion rules of §5.4.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startWorld, until, notesUntilMarker, F, type World, type Peer } from './_world.ts';

let w: World | undefined;
let observer: Peer;
const world = async () => { if (!w) { w = await startWorld(); observer = await w.peer(2); } return w; };
const kv = async (key: string) => (await w!.consul.kv.get(key))?.value;
const bqMessages = async () => (await w!.consul.kv.list('bq/')).entries.sort((a, b) => Number(a.key.slice(3)) - Number(b.key.slice(3))).map((e) => JSON.parse(e.value) as { message_type: string; payload: { fid: string; state: string; type: string } });

test('an M0D STARTED is broadcast as DTM_RECOVERING with its services, drives, controller, node and enclosure', async () => {
  const { } = await world();
  const ios = await w!.peer(3);
  await ios.processEvent('STARTED');
  for (const [fid, st] of [[F.ios3, 'M0_NC_DTM_RECOVERING'], [F.svcIos3, 'M0_NC_DTM_RECOVERING'], [F.svcRms3, 'M0_NC_DTM_RECOVERING'],
    [F.drive1, 'M0_NC_ONLINE'], [F.drive2, 'M0_NC_ONLINE'], [F.ctrl, 'M0_NC_DTM_RECOVERING'], [F.node, 'M0_NC_DTM_RECOVERING'], [F.encl, 'M0_NC_DTM_RECOVERING']]) {
    await until(`${fid} ${st}`, () => observer.noteOf(fid!, st!) || undefined);
  }
  assert.is(await kv(`processes/${F.ios3}`), '{"state": "M0_CONF_HA_PROCESS_STARTED", "type": "M0_CONF_HA_PROCESS_M0D"}');
  assert.match((await kv(`m0conf/nodes/${F.node}/processes/${F.ios3}`))!, '"state": "dtm_recovering"');
  ios.close();
});

test('an M0D DTM_RECOVERED is broadcast as ONLINE and recorded before it is acknowledged', async () => {
  await world();
  const ios = await w!.peer(4);
  await ios.processEvent('DTM_RECOVERED');   // resolves on hax's acknowledgement
  assert.is(await kv(`processes/${F.ios4}`), '{"state": "M0_CONF_HA_PROCESS_DTM_RECOVERED", "type": "M0_CONF_HA_PROCESS_M0D"}');
  await until('ONLINE', () => observer.noteOf(F.ios4, 'M0_NC_ONLINE') || undefined);
  ios.close();
});

test('an M0D STOPPED is broadcast as FAILED, its drives as TRANSIENT, and its links are removed after its delivery confirmation', async () => {
  await world();
  const ios = await w!.peer(4);
  await ios.processEvent('STOPPED');   // resolves once hax's delivery confirmation reached the peer
  await until('FAILED', () => observer.noteOf(F.ios4, 'M0_NC_FAILED') || undefined);
  await until('drive TRANSIENT', () => observer.noteOf(F.drive3, 'M0_NC_TRANSIENT') || undefined);
  assert.ok(!observer.noteOf(F.drive3, 'M0_NC_FAILED'), 'a drive is never FAILED for a stopped process');
  assert.is(await kv(`processes/${F.ios4}`), '{"state": "M0_CONF_HA_PROCESS_STOPPED", "type": "M0_CONF_HA_PROCESS_M0D"}');
  assert.match((await kv(`m0conf/nodes/${F.node}/processes/${F.ios3}/services/${F.svcIos3}/sdevs/${F.sdev1}`))!, '"path": "/dev/sda"');
  await until('the stopped process\'s link removed', () => w!.hax.links.all().every((l) => l.processFid.key !== 4n) || undefined);
  ios.close();
});

test('node and enclosure go down only when every ios of the node is down', async () => {
  await world();
  const ios3 = await w!.peer(3);
  const before = observer.notes().length;
  await ios3.processEvent('STOPPED');   // ios 4 stopped in the previous test: now both are down
  await until('node FAILED', () => observer.notes().slice(before).some((n) => n.fid === F.node && n.state === 'M0_NC_FAILED') || undefined);
  assert.ok(observer.notes().slice(before).some((n) => n.fid === F.encl && n.state === 'M0_NC_FAILED'));
  assert.match((await kv(`m0conf/nodes/${F.node}`))!, '"state": "M0_NC_FAILED"');
  ios3.close();
  // one ios back: a non-failure state always carries the node along
  const again = await w!.peer(3);
  await again.processEvent('STARTED');
  await until('node DTM_RECOVERING', () => observer.notes().slice(before).some((n) => n.fid === F.node && n.state === 'M0_NC_DTM_RECOVERING') || undefined);
  again.close();
});

test('OTHER and KERNEL processes follow the M0D rows', async () => {
  await world();
  const p = await w!.peer(4, 'M0_CONF_HA_PROCESS_OTHER');
  await p.processEvent('STARTED');
  await until('DTM_RECOVERING', () => observer.noteOf(F.ios4, 'M0_NC_DTM_RECOVERING') || undefined);
  await p.processEvent('DTM_RECOVERED', 'M0_CONF_HA_PROCESS_KERNEL');
  assert.is(await kv(`processes/${F.ios4}`), '{"state": "M0_CONF_HA_PROCESS_DTM_RECOVERED", "type": "M0_CONF_HA_PROCESS_KERNEL"}');
  p.close();
});

test('STARTING and STOPPING are recorded and published but not broadcast', async () => {
  await world();
  const p = await w!.peer(4);
  const before = observer.notes().length;
  const recorded = w!.reasons('EVENT_PROCESS_RECORDED');
  await p.processEvent('STARTING');
  assert.is(await kv(`processes/${F.ios4}`), '{"state": "M0_CONF_HA_PROCESS_STARTING", "type": "M0_CONF_HA_PROCESS_M0D"}');
  await p.processEvent('STOPPING');
  assert.is(await kv(`processes/${F.ios4}`), '{"state": "M0_CONF_HA_PROCESS_STOPPING", "type": "M0_CONF_HA_PROCESS_M0D"}');
  const since = await notesUntilMarker(observer, before);
  assert.equal(since.filter((n) => n.fid === F.ios4), [], 'STARTING and STOPPING are not broadcast');
  assert.is(w!.reasons('EVENT_PROCESS_RECORDED'), recorded + 2);
  const bq = await bqMessages();
  assert.ok(bq.some((m) => m.message_type === 'PROCESS-STATE-UPDATE' && m.payload.fid === F.ios4 && m.payload.state === 'M0_CONF_HA_PROCESS_STOPPING'));
  p.close();
});

test('M0MKFS events go to hax\'s own link only, are not published, and DTM_RECOVERED has no mapping', async () => {
  await world();
  const mkfs = await w!.peer(4, 'M0_CONF_HA_PROCESS_M0MKFS');
  const before = observer.notes().length;
  const epochBefore = await kv('epoch');
  await mkfs.processEvent('STARTED');
  await mkfs.processEvent('DTM_RECOVERED');
  await mkfs.processEvent('STOPPED');
  assert.is(await kv(`processes/${F.ios4}`), '{"state": "M0_CONF_HA_PROCESS_STOPPED", "type": "M0_CONF_HA_PROCESS_M0MKFS"}');
  // each event was acknowledged after its txn was durable: a publish would be in Consul by now
  assert.is(await kv('epoch'), epochBefore, 'nothing published for mkfs');
  const since = await notesUntilMarker(observer, before);   // (the marker itself publishes)
  assert.equal(since.filter((n) => n.fid === F.ios4), [], 'an mkfs state reaches only hax\'s own link');
  mkfs.close();
});

test('a confd reporting STARTED is ONLINE and recorded as DTM_RECOVERED', async () => {
  await world();
  await observer.processEvent('STARTED');
  assert.is(await kv(`processes/${F.confd}`), '{"state": "M0_CONF_HA_PROCESS_DTM_RECOVERED", "type": "M0_CONF_HA_PROCESS_M0D"}');
  await until('confd ONLINE', () => observer.noteOf(F.confd, 'M0_NC_ONLINE') || undefined);
});

test('hax\'s own process events are recorded with type M0_CONF_HA_PROCESS_HA and not broadcast to others', async () => {
  await world();
  const before = observer.notes().length;
  await observer.processEvent('STARTED', 'M0_CONF_HA_PROCESS_M0D', F.hax);
  assert.is(await kv(`processes/${F.hax}`), '{"state": "M0_CONF_HA_PROCESS_DTM_RECOVERED", "type": "M0_CONF_HA_PROCESS_HA"}');
  const since = await notesUntilMarker(observer, before);
  assert.equal(since.filter((n) => n.fid === F.hax), [], 'hax\'s own state goes to hax\'s own link only');
});

test('events of one process fid are recorded in the order they were sent', async () => {
  await world();
  const p = await w!.peer(4);
  const events = ['STARTING', 'STARTED', 'DTM_RECOVERED', 'STOPPING', 'STARTING', 'STARTED', 'DTM_RECOVERED', 'STOPPING', 'STOPPED'];
  await Promise.all(events.map((e) => p.processEvent(e)));
  assert.is(await kv(`processes/${F.ios4}`), '{"state": "M0_CONF_HA_PROCESS_STOPPED", "type": "M0_CONF_HA_PROCESS_M0D"}');
  const mine = (await bqMessages()).filter((m) => m.payload.fid === F.ios4).map((m) => m.payload.state.replace('M0_CONF_HA_PROCESS_', ''));
  assert.equal(mine.slice(-events.length), events);
  p.close();
});

// Teardown, not a test: it runs even when a test failed, and is not counted.
test.after(async () => {
  if (w) await w.stop();
  w = undefined;
});

test.run();
