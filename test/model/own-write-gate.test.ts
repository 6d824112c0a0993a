// The model's watches and hax's own writes (issue 17): a change under
// m0conf/ that only hax's own txn made is not read again (hax holds it
// already); a change by anyone else is read, as a delta of just what changed.
// A real Consul agent; hax's own write is a real /v1/txn whose index is
// recorded as the daemon's writer records it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDevAgent, type DevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { ModelSource } from '../../src/model/model-source.ts';
import { OwnWrites, OWN_WRITES_KEPT } from '../../src/consul/own-writes.ts';
import type { ConfRow } from '../../src/core/records.ts';
import { until } from '../behaviour/_world.ts';

const NODE = 'gate-node';
const N1 = 'm0conf/nodes/0x6e00000000000001:0x1', N2 = 'm0conf/nodes/0x6e00000000000001:0x2';
const node = (name: string, state: string) => `{"name": "${name}", "state": "${state}"}`;

let agent: DevAgent | undefined;
let source: ModelSource | undefined;
test.after.each(async () => {
  await source?.stop(); source = undefined;
  await agent?.stop(); agent = undefined;
});

test('OwnWrites covers a range only when every index in it is recorded', () => {
  const own = new OwnWrites();
  for (const i of [11, 12, 14]) own.record(i);
  assert.ok(own.covers(10, 12));
  assert.not.ok(own.covers(10, 14), '13 is not ours');
  own.record(13);
  assert.ok(own.covers(10, 14));
  assert.not.ok(own.covers(14, 14), 'an empty range explains no change');
  assert.not.ok(own.covers(10, 10 + OWN_WRITES_KEPT + 1), 'longer than what is kept');
});

test('a change only hax\'s own txn made is not read; the next outside change is, with both rows', async () => {
  agent = await startDevAgent({ nodeName: NODE });
  const consul = new ConsulClient(agent.url);
  await consul.kv.put(N1, node('n1', 'M0_NC_ONLINE'));
  await consul.kv.put(N2, node('n2', 'M0_NC_ONLINE'));
  let writing = false;   // as the daemon's writer: a txn is in flight until its index is recorded
  const own = new OwnWrites(() => writing);
  const whole: ConfRow[][] = [], deltas: ConfRow[][] = [];
  const logs: string[] = [];
  source = new ModelSource(consul, NODE, {
    onConf: (_i, rows) => whole.push(rows), onConfChanged: (_i, rows) => deltas.push(rows),
    onProcesses: () => {}, onHealth: () => {}, onLog: (_l, msg) => logs.push(msg),
  }, own);
  await source.start();
  assert.is(whole.length, 1);
  assert.is(whole[0]!.length, 2);
  // hax's own write: a txn, its index recorded as the writer records it
  // A fresh agent still makes Raft entries of its own (catalog sync, checks):
  // one between the last read and hax's write rightly makes the gate read.
  // So hax writes until one write was the only entry since the last read.
  let skipped = false;
  let n1 = '';
  for (let attempt = 0; attempt < 10 && !skipped; attempt++) {
    deltas.length = 0;
    writing = true;
    n1 = attempt % 2 ? 'M0_NC_TRANSIENT' : 'M0_NC_FAILED';
    const mine = await consul.txn.apply([{ verb: 'set', key: N1, value: node('n1', n1) }]);
    assert.ok(mine.ok && mine.index);
    own.record(mine.index!);
    writing = false;
    const seen = await until('the gate to skip hax\'s own write, or a read', () =>
      logs.some((m) => m.includes(`..${mine.index} are hax's own writes; not read`)) ? 'skipped' : deltas.length > 0 ? 'read' : undefined);
    skipped = seen === 'skipped';
  }
  assert.ok(skipped, 'hax\'s own write was never the only change');
  // someone else's write: read, and the delta carries both changed rows
  await consul.kv.put(N2, node('n2', 'M0_NC_FAILED'));
  await until('the outside change', () => deltas.length > 0 || undefined);
  assert.is(deltas.length, 1, 'hax\'s own write alone caused no read');
  assert.equal(deltas[0]!.map((r) => [r.key, r.state]).sort(), [[N1, n1], [N2, 'M0_NC_FAILED']]);
  assert.is(whole.length, 1, 'no whole re-read');
});

test.run();
