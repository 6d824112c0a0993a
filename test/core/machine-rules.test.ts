// The rules of the core (assembly/machine/*) without I/O: a conf tree fed as
// records, then inputs, asserting reasons and actions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoreHost } from '../../src/core/core-host.ts';
import { Codec } from '../../src/core/codec.ts';
import { CONF, KIND } from '../../src/core/records.ts';
import { vector, proc } from './helpers.ts';
import { parseFid, type Fid } from '../../src/fid.ts';

const f = (t: string): Fid => parseFid(t)!;
const NODE = '0x6e00000000000001:0x1', P3 = '0x7200000000000001:0x3', S5 = '0x7300000000000001:0x5', D1 = '0x6400000000000001:0x1', K1 = '0x6b00000000000001:0x1';

async function loaded(): Promise<{ h: CoreHost; codec: Codec }> {
  const h = await CoreHost.load({ debug: true });
  h.identitySet('n1', proc(1), false);
  const d = h.confLoaded(10, [
    { type: CONF.node, fid: f(NODE), name: 'n1', key: `m0conf/nodes/${NODE}`, state: 'M0_NC_UNKNOWN' },
    { type: CONF.process, fid: f(P3), parent: f(NODE), kind: KIND.ios, name: 'm0_server', key: `m0conf/nodes/${NODE}/processes/${P3}` },
    { type: CONF.service, fid: f(S5), parent: f(P3), name: 'ios' },
    { type: CONF.sdev, fid: f(D1), parent: f(S5), name: '/dev/sda', key: 'k/sdev', state: 'M0_NC_UNKNOWN' },
    { type: CONF.drive, fid: f(K1), ref: f(D1), name: D1, key: 'k/drive' },
    { type: CONF.pool, fid: f('0x6f00000000000001:0x1'), name: 'the pool' },
    { type: CONF.poolMember, fid: f(K1), parent: f('0x6f00000000000001:0x1') },
  ]);
  assert.is(d.reason.code, 'CONF_LOADED');
  h.healthViewed(11, 'ios', [{ serviceId: '3', node: 'n1', nodeStatus: 'passing', serviceStatus: 'passing' }]);
  return { h, codec: await Codec.load() };
}

const eventMsg = (codec: Codec, ev: string, type = 'M0_CONF_HA_PROCESS_M0D') => codec.encodeMsg({ fid: P3, sourceProcess: '0:0', sourceService: '0:0', time: 0n, epoch: 0n, tag: 0n, type: 'EVENT_PROCESS', body: { chp_event: `M0_CONF_HA_PROCESS_${ev}`, chp_type: type, chp_pid: 1n } });

test('a process event becomes one txn, a broadcast with its expansion, and an ack only after the txn', async () => {
  const { h, codec } = await loaded();
  const d = h.messageReceived(1, 2, eventMsg(codec, 'STARTED'));
  assert.is(d.reason.code, 'EVENT_PROCESS_BROADCAST');
  const txn = d.actions.find((a) => a.kind === 'consul-txn');
  assert.ok(txn && txn.kind === 'consul-txn');
  assert.equal(txn.ops[0], { verb: 'set', key: `processes/${P3}`, value: '{"state": "M0_CONF_HA_PROCESS_STARTED", "type": "M0_CONF_HA_PROCESS_M0D"}' });
  assert.ok(txn.ops.some((o) => o.verb === 'publish' && o.key === 'PROCESS-STATE-UPDATE'));
  const b = d.actions.find((a) => a.kind === 'broadcast');
  assert.ok(b && b.kind === 'broadcast' && b.notes.some((n) => n.fid === S5) && b.notes.some((n) => n.fid === K1));
  assert.ok(!d.actions.some((a) => a.kind === 'acknowledge'));
  const r = h.consulReplied(txn.opId, true, 99);
  assert.is(r.reason.code, 'EVENT_RECORDED');
  assert.equal(r.actions.map((a) => a.kind), ['acknowledge']);
});

test('a stale processes/ view older than our own write is skipped', async () => {
  const { h, codec } = await loaded();
  const d = h.messageReceived(1, 2, eventMsg(codec, 'STARTED'));
  const txn = d.actions.find((a) => a.kind === 'consul-txn')!;
  const pending = h.processesLoaded(5, [{ fid: f(P3), event: 'M0_CONF_HA_PROCESS_STOPPED', type: 'M0_CONF_HA_PROCESS_M0D', modifyIndex: 5 }]);
  assert.match(pending.reason.text, '1 older than our own writes skipped');
  if (txn.kind === 'consul-txn') h.consulReplied(txn.opId, true, 50);
  const old = h.processesLoaded(40, [{ fid: f(P3), event: 'M0_CONF_HA_PROCESS_STOPPED', type: 'M0_CONF_HA_PROCESS_M0D', modifyIndex: 40 }]);
  assert.match(old.reason.text, '1 older than our own writes skipped');
  assert.equal(h.statesQueried([f(P3)]).actions[0], { kind: 'notes', notes: [{ fid: P3, state: 'M0_NC_DTM_RECOVERING' }] });
});

test('an entrypoint while stopping gets rc 0 with no confds, quorum 0 and RM 0:0', async () => {
  const { h } = await loaded();
  h.viewUpdated({ confds: [{ fid: proc(2), endpoint: 'inet:tcp:127.0.0.1@22002' }], rm: null });
  h.identitySet('n1', proc(1), true);
  const d = h.entrypointRequested(7, vector('ep_req_first').bytes, 1000);
  assert.is(d.reason.code, 'ENTRYPOINT_STOPPING');
  const r = d.actions[0]!;
  assert.ok(r.kind === 'reply-entrypoint' && r.rc === 0 && r.confds.length === 0 && r.quorum === 0 && r.rmFid.key === 0n);
});

test('an entrypoint without an RM is deferred and answered QUERY by the timer 1 s later', async () => {
  const { h } = await loaded();
  h.viewUpdated({ confds: [{ fid: proc(2), endpoint: 'inet:tcp:127.0.0.1@22002' }], rm: null });
  const d = h.entrypointRequested(8, vector('ep_req_not_first').bytes, 5000);
  assert.is(d.reason.code, 'ENTRYPOINT_DEFERRED');
  assert.equal(d.actions, [{ kind: 'timer', dueMs: 6000 }]);
  assert.is(h.timerFired(5999).reason.code, 'TIMER_IDLE');
  const q = h.timerFired(6000);
  assert.is(q.reason.code, 'ENTRYPOINT_QUERY_SENT');
  assert.ok(q.actions[0]!.kind === 'reply-entrypoint' && q.actions[0]!.rc === -11);
});

test('the table: M0MKFS STARTED is OK to hax\'s own link only; M0MKFS DTM_RECOVERED has no mapping', async () => {
  const { h, codec } = await loaded();
  const a = h.messageReceived(1, 2, eventMsg(codec, 'STARTED', 'M0_CONF_HA_PROCESS_M0MKFS'));
  const b = a.actions.find((x) => x.kind === 'broadcast');
  assert.ok(b && b.kind === 'broadcast' && b.scope === 'hax' && b.notes.length === 1 && b.notes[0]!.state === 'M0_NC_ONLINE');
  const c = h.messageReceived(1, 4, eventMsg(codec, 'DTM_RECOVERED', 'M0_CONF_HA_PROCESS_M0MKFS'));
  assert.is(c.reason.code, 'EVENT_PROCESS_RECORDED');
  const txn = c.actions.find((x) => x.kind === 'consul-txn');
  assert.ok(txn && txn.kind === 'consul-txn' && !txn.ops.some((o) => o.verb === 'publish'), 'mkfs is not published');
});

test.run();
