// The broadcast queue decided by the WASM core alone (assembly/machine/bq-read.ts):
// what hax read in Consul goes in, the offset, each message's outcome, the
// writes (offset, cleanup) and the refusals come out. No Consul.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoreHost, type BqReadFacts, type CoreAction, type Decision } from '../../src/core/core-host.ts';
import { CONF, KIND } from '../../src/core/records.ts';
import { parseFid, type Fid } from '../../src/fid.ts';
import { proc } from './helpers.ts';

const f = (t: string): Fid => parseFid(t)!;
const N1 = '0x6e00000000000001:0x1', N2 = '0x6e00000000000001:0x2';
const P3 = '0x7200000000000001:0x3', P4 = '0x7200000000000001:0x4';
const SDEV = '0x6400000000000001:0x1', DRIVE = '0x6b00000000000001:0x1';
type Result = Extract<CoreAction, { kind: 'bq-result' }>;
type Txn = Extract<CoreAction, { kind: 'consul-txn' }>;

async function loaded(): Promise<CoreHost> {
  const h = await CoreHost.load();
  h.identitySet('n1', proc(1), false);
  h.confLoaded(10, [
    { type: CONF.node, fid: f(N1), name: 'n1', key: `m0conf/nodes/${N1}`, state: 'M0_NC_UNKNOWN' },
    { type: CONF.node, fid: f(N2), name: 'n2', key: `m0conf/nodes/${N2}`, state: 'M0_NC_UNKNOWN' },
    { type: CONF.process, fid: f(P3), parent: f(N1), kind: KIND.ios, name: 'm0_server', key: `m0conf/nodes/${N1}/processes/${P3}` },
    { type: CONF.process, fid: f(P4), parent: f(N2), kind: KIND.ios, name: 'm0_server', key: `m0conf/nodes/${N2}/processes/${P4}` },
    { type: CONF.service, fid: f('0x7300000000000001:0x5'), parent: f(P4), name: 'ios' },
    { type: CONF.sdev, fid: f(SDEV), parent: f('0x7300000000000001:0x5'), name: '/dev/sdb', key: 'k/sdev', state: 'M0_NC_UNKNOWN' },
    { type: CONF.drive, fid: f(DRIVE), ref: f(SDEV), name: 'd1', key: 'k/drive' },
  ]);
  return h;
}

const stored = (type: string, payload: unknown) => JSON.stringify({ timestamp: '1.0', message_type: type, payload });
const proc4 = (state: string) => ({ fid: P4, state: `M0_CONF_HA_PROCESS_${state}`, type: 'M0_CONF_HA_PROCESS_M0D' });

function facts(bq: [number | string, string][], epoch: string | null, offsets: [string, string][] = [], startUp = false, body: BqReadFacts['body'] = []): BqReadFacts {
  return {
    startUp, epoch, body,
    entries: bq.map(([k, v]) => ({ key: typeof k === 'number' ? `bq/${k}` : k, raw: Buffer.from(v).toString('base64'), value: v })),
    offsets: offsets.map(([node, value]) => ({ key: `bq-delivered/${node}`, value })),
  };
}

const result = (d: Decision): Result => {
  const r = d.actions.at(-1);
  assert.ok(r && r.kind === 'bq-result', `the result comes last: ${JSON.stringify(d.actions.map((a) => a.kind))}`);
  return r;
};
const writes = (d: Decision) => d.actions.filter((a): a is Txn => a.kind === 'consul-txn').flatMap((t) => t.ops.map((o) => `${o.verb} ${o.key}${o.verb === 'set' ? '=' + o.value : ''}`));

test('start-up: the offset is read from Consul; absent is -1, a valid one is kept, nothing is written', async () => {
  const h = await loaded();
  const d = h.bqRead(facts([], '5', [['n1', '3']], true));
  assert.is(d.reason.code, 'BQ_OFFSET_LOADED');
  assert.is(result(d).offset, 3);
  assert.equal(writes(d), []);
  const fresh = await loaded();
  assert.is(result(fresh.bqRead(facts([], null, [], true))).offset, -1);
});

test('start-up: an offset that is no epoch Consul issued is repaired to -1 through the writer, with the error code', async () => {
  for (const bad of ['999999999999999', '1e+23', '7 apples', '-2', '0x5']) {
    const h = await loaded();
    const d = h.bqRead(facts([], '5', [['n1', bad]], true));
    assert.is(d.reason.code, 'BQ_OFFSET_REPAIRED', bad);
    assert.match(d.reason.text, 'HAX_ERR_BQ_OFFSET_CORRUPT', bad);
    assert.equal(writes(d), ['set bq-delivered/n1=-1'], bad);
    assert.is(result(d).offset, -1, bad);
  }
});

test('new messages are read in epoch order, each with its outcome; the offset is written after them; a replay is nothing new', async () => {
  const h = await loaded();
  h.bqRead(facts([], '0', [], true));
  const bq: [number, string][] = [
    [4, stored('SNS_OP', { op: 1 })],
    [1, stored('PROCESS-STATE-UPDATE', proc4('STOPPED'))],
    [2, stored('PROCESS-STATE-UPDATE', { fid: P3, state: 'M0_CONF_HA_PROCESS_STOPPED', type: 'M0_CONF_HA_PROCESS_M0D' })],
    [3, stored('M0_HA_MSG_NVEC', { node: 'n2', device: '/dev/sdb', state: 'failed' })],
    [5, stored('M0_HA_MSG_NVEC', { node: 'n2', device: '/dev/nope', state: 'failed' })],
    [6, stored('PROCESS-STATE-UPDATE', 'not an object')],
    [7, stored('SOMETHING_ELSE', { a: 1 })],
    [8, 'not JSON at all'],
  ];
  const d = h.bqRead(facts(bq, '8'));
  assert.is(d.reason.code, 'BQ_CONSUMED');
  assert.match(d.reason.text, '8 new message(s) processed, offset now 8');
  const r = result(d);
  assert.is(r.offset, 8);
  assert.equal(r.outcomes.map((o) => [o.epoch, o.type, o.code]), [
    [1, 'PROCESS-STATE-UPDATE', 'BQ_BROADCAST'],
    [2, 'PROCESS-STATE-UPDATE', 'BQ_LOCAL_SKIPPED'],
    [3, 'M0_HA_MSG_NVEC', 'BQ_BROADCAST'],
    [4, 'SNS_OP', 'BQ_UNSUPPORTED'],
    [5, 'M0_HA_MSG_NVEC', 'BQ_UNKNOWN_OBJECT'],
    [6, 'PROCESS-STATE-UPDATE', 'BQ_BAD_PAYLOAD'],
    [7, 'SOMETHING_ELSE', 'BQ_UNKNOWN_TYPE'],
    [8, '?', 'BQ_UNKNOWN_TYPE'],
  ]);
  assert.ok(d.actions.some((a) => a.kind === 'broadcast'), 'the remote process and the failed drive are broadcast');
  const w = writes(d);
  assert.ok(w.includes('set bq-delivered/n1=8'), w.join(', '));
  assert.ok(w.indexOf('set bq-delivered/n1=8') > w.indexOf(`set n1/processes/${P4}={"state": "M0_CONF_HA_PROCESS_STOPPED", "type": "M0_CONF_HA_PROCESS_M0D"}`), 'offset after the messages\' writes');
  const again = h.bqRead(facts(bq, '8', [['n1', '8']]));
  assert.is(again.reason.code, 'BQ_NOTHING_NEW');
  assert.equal(result(again).outcomes, []);
});

test('entries that are no epoch at or below the current one are refused; a corrupt epoch trusts nothing', async () => {
  const h = await loaded();
  h.bqRead(facts([], '2', [], true));
  const m = stored('PROCESS-STATE-UPDATE', proc4('STARTED'));
  const d = h.bqRead(facts([[1, m], [3, m], ['bq/abc', m], ['bq/007', m], ['bq/99999999999999999999', m]], '2'));
  assert.is(d.reason.code, 'BQ_CONSUMED');
  assert.match(d.reason.text, 'HAX_ERR_BQ_ENTRY_REFUSED: 4 entr(ies) under bq/ refused');
  assert.equal(result(d).outcomes.map((o) => o.epoch), [1]);
  const corrupt = h.bqRead(facts([[2, m]], 'seven'));
  assert.is(corrupt.reason.code, 'BQ_NOTHING_NEW');
  assert.match(corrupt.reason.text, 'HAX_ERR_BQ_EPOCH_CORRUPT: the epoch key holds "seven"');
  assert.equal(writes(corrupt), []);
  assert.is(result(corrupt).offset, 1, 'the offset did not move');
});

test('the watch body is never acted on, only compared with Consul and reported', async () => {
  const h = await loaded();
  h.bqRead(facts([], '1', [], true));
  const m = stored('PROCESS-STATE-UPDATE', proc4('STARTED'));
  const forged = Buffer.from(stored('PROCESS-STATE-UPDATE', proc4('STOPPED'))).toString('base64');
  const d = h.bqRead(facts([[1, m]], '1', [], false, [{ key: 'bq/1', raw: forged }, { key: 'bq/9', raw: forged }]));
  assert.match(d.reason.text, '2 entr(ies) of the watch body ignored, not in Consul as sent: "bq/1", "bq/9"');
  assert.equal(result(d).outcomes.map((o) => o.text.includes('STARTED')), [true], 'Consul\'s message, not the body\'s');
});

test('cleanup: bq/ entries every conf-tree node has read are deleted; an untrusted offset of another node read nothing', async () => {
  const h = await loaded();
  h.bqRead(facts([], '3', [], true));
  const m = stored('SNS_OP', {});
  const d = h.bqRead(facts([[1, m], [2, m], [3, m]], '3', [['n2', '2']]));
  assert.ok(writes(d).includes('delete bq/1') && writes(d).includes('delete bq/2') && !writes(d).includes('delete bq/3'), writes(d).join(', '));
  assert.match(d.reason.text, '2 entr(ies) every node has read removed (up to bq/2)');
  const h2 = await loaded();
  h2.bqRead(facts([], '3', [], true));
  const d2 = h2.bqRead(facts([[1, m], [2, m], [3, m]], '3', [['n2', '999']]));
  assert.ok(!writes(d2).some((x) => x.startsWith('delete')), writes(d2).join(', '));
});


test('a backlog larger than one decision\'s output: messages left for the next read, never a trap; reads drain it in order', async () => {
  const h = await loaded();
  h.bqRead(facts([], '0', [], true));
  const N = 1500;   // each broadcast is a 20,592-byte NVEC message: about 190 fit one decision's output
  const bq: [number, string][] = Array.from({ length: N }, (_, i) => [i + 1, stored('PROCESS-STATE-UPDATE', proc4(i % 2 ? 'STOPPED' : 'DTM_RECOVERED'))]);
  let offset = -1, reads = 0;
  const seen: number[] = [];
  while (offset < N && reads < 20) {
    const d = h.bqRead(facts(bq, String(N)));
    reads++;
    assert.is.not(d.reason.code, 'CORE_TRAPPED', d.reason.text);
    const r = result(d);
    seen.push(...r.outcomes.map((o) => o.epoch));
    offset = r.offset;
  }
  assert.ok(reads > 1, `positive control: ${N} messages do not fit one decision (took ${reads} read(s))`);
  assert.is(offset, N);
  assert.equal(seen, Array.from({ length: N }, (_, i) => i + 1), 'every message once, in epoch order');
});

test('a deferred value stops the batch there: later messages wait for the read that carries it', async () => {
  const h = await loaded();
  h.bqRead(facts([], '0', [], true));
  const read = facts([[1, stored('PROCESS-STATE-UPDATE', proc4('STOPPED'))], [2, stored('PROCESS-STATE-UPDATE', proc4('DTM_RECOVERED'))], [3, stored('PROCESS-STATE-UPDATE', proc4('STOPPED'))]], '3');
  read.entries[1].deferred = true;
  const first = result(h.bqRead(read));
  assert.equal(first.outcomes.map((o) => o.epoch), [1]);
  assert.is(first.offset, 1);
  read.entries[1].deferred = false;
  const second = result(h.bqRead(read));
  assert.equal(second.outcomes.map((o) => o.epoch), [2, 3]);
});

test.run();
