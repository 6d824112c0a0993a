// POST /watcher/processes decided by the WASM core alone: the watch entry as
// it came (key, value text, index), read and judged in the core; and the
// 64-op split of a big write, done once, in the core. No Consul.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoreHost, type CoreAction, type Decision } from '../../src/core/core-host.ts';
import { Codec } from '../../src/core/codec.ts';
import { CONF, KIND } from '../../src/core/records.ts';
import { parseFid, type Fid } from '../../src/fid.ts';
import { proc } from './helpers.ts';

const f = (t: string): Fid => parseFid(t)!;
const NODE = '0x6e00000000000001:0x1', P3 = '0x7200000000000001:0x3', S5 = '0x7300000000000001:0x5';
const value = (state: string, type = 'M0_CONF_HA_PROCESS_M0D') => JSON.stringify({ state: `M0_CONF_HA_PROCESS_${state}`, type });

/** A node with one ios process, one service and `drives` drives (each with its sdev, KV keys). */
async function loaded(drives = 1): Promise<CoreHost> {
  const h = await CoreHost.load();
  h.identitySet('n1', proc(1), false);
  const rows = [
    { type: CONF.node, fid: f(NODE), name: 'n1', key: `m0conf/nodes/${NODE}`, state: 'M0_NC_UNKNOWN' },
    { type: CONF.process, fid: f(P3), parent: f(NODE), kind: KIND.ios, name: 'm0_server', key: `m0conf/nodes/${NODE}/processes/${P3}` },
    { type: CONF.service, fid: f(S5), parent: f(P3), name: 'ios' },
  ];
  for (let i = 1; i <= drives; i++) {
    const sdev = f(`0x6400000000000001:${'0x' + i.toString(16)}`), drive = f(`0x6b00000000000001:${'0x' + i.toString(16)}`);
    rows.push({ type: CONF.sdev, fid: sdev, parent: f(S5), name: `/dev/sd${i}`, key: `k/sdev/${i}`, state: 'M0_NC_UNKNOWN' } as never);
    rows.push({ type: CONF.drive, fid: drive, ref: sdev, name: `d${i}`, key: `k/drive/${i}` } as never);
  }
  assert.is(h.confLoaded(10, rows).reason.code, 'CONF_LOADED');
  return h;
}

const post = (h: CoreHost, key: string | null, text: string, index?: number): Decision => h.processKeyPosted(key === null ? null : { key, value: text }, index);

test('a processes/<fid> key the core can read is broadcast; the same index again is a replay', async () => {
  const h = await loaded();
  const d = post(h, `processes/${P3}`, value('STOPPED'), 5);
  assert.is(d.reason.code, 'PROCESS_KEY_BROADCAST');
  assert.ok(d.actions.some((a) => a.kind === 'broadcast'));
  const again = post(h, `processes/${P3}`, value('STOPPED'), 5);
  assert.is(again.reason.code, 'PROCESS_KEY_SKIPPED');
  assert.match(again.reason.text, 'the same index as the last one acted on');
  assert.is(again.actions.length, 0);
});

test('what the core will not act on is skipped with its reason, and changes nothing', async () => {
  const h = await loaded();
  const cases: [string, () => Decision, RegExp][] = [
    ['no entry', () => post(h, null, ''), /^no key \(the watch fires with null/],
    ['a key outside processes/', () => post(h, 'bq/7', value('STOPPED'), 5), /^bq\/7 is not processes\/<fid>$/],
    ['a key that is no fid', () => post(h, 'processes/0xZZ:0x1', value('STOPPED'), 5), /^processes\/0xZZ:0x1 is not processes\/<fid>$/],
    ['a value that is not JSON', () => post(h, `processes/${P3}`, '%%%', 5), /value is not JSON$/],
    ['a JSON value that is no object', () => post(h, `processes/${P3}`, '[1]', 5), /value is not JSON$/],
    ['STARTING', () => post(h, `processes/${P3}`, value('STARTING'), 6), /mkfs, or STARTING\/STOPPING/],
    ['mkfs', () => post(h, `processes/${P3}`, value('STOPPED', 'M0_CONF_HA_PROCESS_M0MKFS'), 7), /mkfs, or STARTING\/STOPPING/],
    ['a negative index', () => post(h, `processes/${P3}`, value('STOPPED'), -1), /ModifyIndex is not an index Consul issues/],
    ['a fractional index', () => post(h, `processes/${P3}`, value('STOPPED'), 1.5), /ModifyIndex is not an index Consul issues/],
    ['an index above 2^53', () => post(h, `processes/${P3}`, value('STOPPED'), 2 ** 64), /ModifyIndex is not an index Consul issues/],
  ];
  for (const [name, run, why] of cases) {
    const d = run();
    assert.is(d.reason.code, 'PROCESS_KEY_SKIPPED', name);
    assert.match(d.reason.text, why, name);
    assert.is(d.actions.length, 0, name);
  }
  // positive control after the table: the model was left as it was, a real change is acted on
  assert.is(post(h, `processes/${P3}`, value('STOPPED'), 8).reason.code, 'PROCESS_KEY_BROADCAST');
  assert.is(post(h, `processes/${P3}`, value('STARTED'), 3).reason.code, 'PROCESS_KEY_SKIPPED', 'older than the last acted on');
});

test('a write bigger than one txn is split in the core: every txn fits 64 ops with the write mark and the epoch CAS', async () => {
  const N = 80;
  const h = await loaded(N);
  const codec = await Codec.load();
  const notes = Array.from({ length: N }, (_, i) => ({ no_id: `0x6b00000000000001:0x${(i + 1).toString(16)}`, no_state: 'M0_NC_REPAIR' }));   // REPAIR → FAILED, with the KV states
  const msg = codec.encodeMsg({ fid: P3, sourceProcess: '0:0', sourceService: '0:0', time: 0n, epoch: 0n, tag: 0n, type: 'NVEC',
    body: { hmnv_type: 'M0_HA_NVEC_SET', hmnv_id_of_get: 0n, hmnv_ignore_same_state: 0, hmnv_arr: notes } });
  const d = h.messageReceived(1, 2, msg);
  const txns = d.actions.filter((a): a is Extract<CoreAction, { kind: 'consul-txn' }> => a.kind === 'consul-txn');
  assert.ok(txns.length >= 2, `${d.reason.code}: ${txns.length} txn(s) for ${N} drives and their sdevs`);
  const written = new Set<string>();
  for (const t of txns) {
    const pubs = t.ops.filter((o) => o.verb === 'publish').length;
    assert.ok(t.ops.length + pubs + 1 <= 64, `${t.ops.length} ops, ${pubs} publish(es)`);
    for (const o of t.ops) written.add(o.key);
  }
  for (let i = 1; i <= N; i++) assert.ok(written.has(`k/sdev/${i}`), `sdev ${i}'s state written in one of the txns`);
  // the message is acknowledged once, after the last txn
  assert.ok(!d.actions.some((a) => a.kind === 'acknowledge'));
  for (const t of txns.slice(0, -1)) assert.equal(h.consulReplied(t.opId, true, 20).actions.map((a) => a.kind), []);
  assert.equal(h.consulReplied(txns.at(-1)!.opId, true, 21).actions.map((a) => a.kind), ['acknowledge']);
});

test.run();
