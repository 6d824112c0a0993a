// The conf tree watched in shards (conf-watch.ts, issue 17), against a real
// Consul agent: an outside change reads only the read shard that holds it
// (or the loose key), hax's own write reads nothing, a key under no shard and
// a key added inside one each make a whole read that then covers it, and a
// restored snapshot (the index goes backwards) makes a whole read. The tree
// is 200 nodes' worth (3,400 keys), cut as finely as 1,000 nodes' are.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDevAgent, type DevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { ConfWatch } from '../../src/model/conf-watch.ts';
import { shardOf } from '../../src/model/conf-shards.ts';
import { parseConfTree } from '../../src/model/conf-tree.ts';
import { OwnWrites } from '../../src/consul/own-writes.ts';
import type { ConfRow } from '../../src/core/records.ts';
import { until } from '../behaviour/_world.ts';
import { confTree, nodeKey, nodeValue } from './_conf-tree.ts';

const NODES = 200;
const CUT = { maxShards: 16, minShardKeys: 64 };
/** A restore shows when the catch-all's wait runs out (conf-watch.ts): short here, 60 s in the daemon. */
const CATCH_ALL_WAIT = '3s';

let agent: DevAgent | undefined;
let watch: ConfWatch | undefined;
test.after.each(async () => {
  await watch?.stop(); watch = undefined;
  await agent?.stop(); agent = undefined;
});

interface Seen { whole: ConfRow[][]; deltas: ConfRow[][]; logs: { msg: string; fields?: Record<string, unknown> }[] }

async function start(own = new OwnWrites()): Promise<{ consul: ConsulClient; seen: Seen; watch: ConfWatch }> {
  agent = await startDevAgent({});
  const consul = new ConsulClient(agent.url);
  const kv = confTree(NODES);
  for (let i = 0; i < kv.length; i += 64) assert.ok((await consul.txn.apply(kv.slice(i, i + 64).map((x) => ({ verb: 'set' as const, ...x })))).ok);
  const seen: Seen = { whole: [], deltas: [], logs: [] };
  watch = new ConfWatch(consul, {
    onWhole: (_i, rows) => seen.whole.push(rows), onDelta: (_i, rows) => seen.deltas.push(rows),
    onLog: (_l, msg, fields) => seen.logs.push({ msg, fields }),
  }, (items) => parseConfTree(items), own, { cut: CUT, catchAllWait: CATCH_ALL_WAIT });
  await watch.start();
  assert.is(seen.whole.length, 1, 'read whole once at start-up');
  return { consul, seen, watch };
}

/** The delta that carries `key` in `state` (waits for it). */
const deltaWith = (seen: Seen, key: string, state: string) =>
  until(`${key} ${state} in a delta`, () => seen.deltas.find((d) => d.some((r) => r.key === key && r.state === state)));

test('outside changes in several shards and a loose key: each reads what holds it, only', async () => {
  const { consul, seen, watch } = await start();
  const plan = watch.plan!;
  assert.ok(plan.watched.prefixes.length >= 4, `watched shards: ${plan.watched.prefixes.length}`);
  assert.ok(plan.read.prefixes.length > plan.watched.prefixes.length, 'read finer than watched');
  // one node in each of four watched shards, and a node whose key is loose in the read cut
  const byShard = new Map<number, number>();
  for (let i = 1; i <= NODES && byShard.size < 4; i++) {
    const w = shardOf(plan.watched, nodeKey(i));
    if (w >= 0 && shardOf(plan.read, nodeKey(i)) >= 0 && !byShard.has(w)) byShard.set(w, i);
  }
  assert.is(byShard.size, 4);
  const loose = [...Array(NODES).keys()].map((i) => i + 1).find((i) => plan.read.loose.includes(nodeKey(i)));
  assert.ok(loose, `a node key is loose: ${plan.read.loose}`);
  for (const i of [...byShard.values(), loose]) {
    const reads = watch.counts.shardReads, keys = watch.counts.keysRead;
    const deltas = seen.deltas.length;
    await consul.kv.put(nodeKey(i), nodeValue(i, 'M0_NC_FAILED'));
    const d = await deltaWith(seen, nodeKey(i), 'M0_NC_FAILED');
    assert.equal(d.map((r) => r.key), [nodeKey(i)], 'only the changed row');
    assert.is(seen.deltas.length, deltas + 1);
    // a read shard is read, or (a loose key) none: never a watched shard whole
    assert.is(watch.counts.shardReads - reads, i === loose ? 0 : 1, `read shards read for node ${i}`);
    assert.is(watch.counts.keysRead - keys, i === loose ? 0 : plan.read.counts[shardOf(plan.read, nodeKey(i))], `keys read for node ${i}: its read shard's`);
  }
  assert.is(watch.counts.wholeReads, 1, 'no whole read');
});

test('hax\'s own write wakes its shard but is not read; an outside write after it is', async () => {
  let writing = false;   // as the daemon's writer: a txn is in flight until its index is recorded
  const own = new OwnWrites(() => writing);
  const { consul, seen, watch } = await start(own);
  const key = nodeKey(NODES);
  // A fresh agent makes Raft entries of its own (catalog sync): one between
  // the last read and hax's write rightly makes the gate read. So hax writes
  // until one write was the only entry since.
  let skipped = false;
  for (let attempt = 0; attempt < 10 && !skipped; attempt++) {
    const reads = watch.counts.shardReads, deltas = seen.deltas.length;
    writing = true;
    const mine = await consul.txn.apply([{ verb: 'set', key, value: nodeValue(NODES, attempt % 2 ? 'M0_NC_TRANSIENT' : 'M0_NC_FAILED') }]);
    assert.ok(mine.ok && mine.index);
    own.record(mine.index!);
    writing = false;
    const shard = watch.plan!.watched.prefixes[shardOf(watch.plan!.watched, key)]!;
    const outcome = await until('the shard to skip hax\'s own write, or to read it', () =>
      seen.logs.some((l) => l.msg === `kv ${shard}: indexes ${mine.index}..${mine.index} are hax's own writes; not read`) ? 'skipped'
        : seen.deltas.length > deltas ? 'read' : undefined);
    skipped = outcome === 'skipped';
    if (skipped) {
      await new Promise((r) => setTimeout(r, 300));   // a read, had there been one, would have come by now
      assert.is(watch.counts.shardReads, reads, 'nothing read for hax\'s own write');
      assert.is(seen.deltas.length, deltas);
    }
  }
  assert.ok(skipped, 'hax\'s own write was never the only change');
  await consul.kv.put(key, nodeValue(NODES, 'M0_NC_ONLINE'));
  await deltaWith(seen, key, 'M0_NC_ONLINE');
  assert.is(watch.counts.wholeReads, 1);
});

test('a key under no shard, and a key added inside a shard, each make a whole read that then covers it', async () => {
  const { consul, seen, watch } = await start();
  const whyOf = (n: number) => seen.logs.filter((l) => l.msg === 'reading the whole conf tree')[n]?.fields?.why as string | undefined;
  // a new subtree: under none of the shards; only the catch-all sees it
  await consul.kv.put('m0conf/zones/0x7a00000000000001:0x1', '{"state": "M0_NC_ONLINE"}');
  await until('a whole read for the new subtree', () => (seen.whole.length === 2 ? true : undefined));
  assert.match(String(seen.logs.find((l) => l.msg === 'reading the whole conf tree' && l.fields?.asked !== 'first read')?.fields?.asked), /keys under no shard: m0conf\/z/);
  assert.is(whyOf(1), 'keys added');
  assert.ok(shardOf(watch.plan!.read, 'm0conf/zones/0x7a00000000000001:0x1') >= 0, 're-planned: the new key is in a read shard');
  // a new node: its key falls inside an existing shard
  const fresh = NODES + 1;
  assert.ok(shardOf(watch.plan!.watched, nodeKey(fresh)) >= 0, 'the new node lies in a watched shard');
  await consul.kv.put(nodeKey(fresh), nodeValue(fresh, 'M0_NC_ONLINE'));
  await until('a whole read for the new node', () => (seen.whole.length === 3 ? true : undefined));
  assert.ok(seen.whole[2]!.some((r) => r.key === nodeKey(fresh)), 'the new node is in the model');
  // and later changes to it are deltas
  await consul.kv.put(nodeKey(fresh), nodeValue(fresh, 'M0_NC_FAILED'));
  await deltaWith(seen, nodeKey(fresh), 'M0_NC_FAILED');
  assert.is(watch.counts.wholeReads, 3);
});

test('a restored snapshot (the index goes backwards) makes a whole read with the restored states', async () => {
  const { consul, seen, watch } = await start();
  const url = agent!.url;
  const snapshot = Buffer.from(await (await fetch(`${url}/v1/snapshot`)).arrayBuffer());
  const key = nodeKey(7);
  await consul.kv.put(key, nodeValue(7, 'M0_NC_FAILED'));
  await deltaWith(seen, key, 'M0_NC_FAILED');
  const restored = await fetch(`${url}/v1/snapshot`, { method: 'PUT', body: snapshot });
  assert.is(restored.status, 200, await restored.text());
  await until('a whole read after the restore', () => (seen.whole.length === 2 ? true : undefined), 30_000);
  const why = seen.logs.filter((l) => l.msg === 'reading the whole conf tree').map((l) => `${l.fields?.why} / ${l.fields?.asked}`);
  assert.match(why[1]!, /went back/, why[1]);
  assert.is(seen.whole[1]!.find((r) => r.key === key)?.state, 'M0_NC_ONLINE', 'the restored state');
  assert.is(watch.counts.wholeReads, 2);
});

test.run();
