// How m0conf/ is cut into shards (conf-shards.ts): every key in exactly one
// shard or loose, shards disjoint and sorted, the read cut finer than and
// inside the watched one, and the number of watched shards bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planConf, planShards, readShardsUnder, shardOf, isAbovePlan, MAX_SHARDS, type ShardPlan } from '../../src/model/conf-shards.ts';
import { confTree } from './_conf-tree.ts';

const ROOT = 'm0conf/';

function assertPartition(plan: ShardPlan, keys: string[], what: string): void {
  const loose = new Set(plan.loose);
  for (let i = 1; i < plan.prefixes.length; i++) {
    assert.ok(plan.prefixes[i - 1]! < plan.prefixes[i]!, `${what}: prefixes sorted`);
    assert.not.ok(plan.prefixes[i]!.startsWith(plan.prefixes[i - 1]!), `${what}: ${plan.prefixes[i - 1]} holds ${plan.prefixes[i]}`);
  }
  const counts = plan.prefixes.map(() => 0);
  for (const k of keys) {
    const under = plan.prefixes.filter((p) => k.startsWith(p)).length;
    if (loose.has(k)) { assert.is(under, 0, `${what}: loose key ${k} also in a shard`); continue; }
    assert.is(under, 1, `${what}: ${k} in ${under} shards`);
    const i = shardOf(plan, k);
    assert.ok(i >= 0 && k.startsWith(plan.prefixes[i]!), `${what}: shardOf(${k})`);
    counts[i]!++;
  }
  assert.equal(counts, [...plan.counts], `${what}: counts`);
}

test('a tree of 1,000 nodes\' worth of keys: disjoint watched and read shards that hold every key once', () => {
  const keys = confTree(1000).map((x) => x.key);
  const plan = planConf(keys, ROOT);
  assertPartition(plan.watched, keys, 'watched');
  assertPartition(plan.read, keys, 'read');
  assert.ok(plan.watched.prefixes.length > 1 && plan.watched.prefixes.length <= MAX_SHARDS, `watched: ${plan.watched.prefixes.length}`);
  assert.ok(plan.read.prefixes.length > plan.watched.prefixes.length, 'read finer than watched');
  // each read shard lies inside one watched shard; watched loose keys are read loose keys
  let read = 0, loose = 0;
  for (const w of plan.watched.prefixes) {
    const under = readShardsUnder(plan.read, w);
    read += under.shards.length; loose += under.loose.length;
    for (const i of under.shards) assert.ok(plan.read.prefixes[i]!.startsWith(w));
  }
  assert.is(read, plan.read.prefixes.length, 'every read shard under a watched one');
  for (const k of plan.watched.loose) assert.ok(plan.read.loose.includes(k), `${k} loose in both cuts`);
  assert.is(loose + plan.watched.loose.length, plan.read.loose.length, 'each read loose key in one watched shard, or loose in both');
  assert.ok(plan.read.loose.includes('m0conf/nodes/0x6e00000000000001:0x1'), 'node 0x1 (prefix of 0x10..) is loose');
});

test('a small tree is one shard, the root', () => {
  const keys = confTree(3).map((x) => x.key);
  const plan = planConf(keys, ROOT);
  assert.equal(plan.watched.prefixes, [ROOT]);
  assert.equal(plan.read.prefixes, [ROOT]);
  assert.equal(plan.watched.loose, []);
  assert.equal(planShards([], ROOT).prefixes, [ROOT]);
});

test('a key under no shard is found as such; directories above shards are looked into', () => {
  const keys = confTree(300).map((x) => x.key);
  const plan = planShards(keys, ROOT, 1000, 64);   // cut finely: node 0x1 (prefix of 0x10..0x1f) is loose
  assert.is(shardOf(plan, 'm0conf/zones/z1'), -1, 'a new subtree');
  assert.ok(plan.loose.length > 0);
  for (const k of plan.loose) assert.is(shardOf(plan, k), -1, `loose key ${k}`);
  assert.ok(isAbovePlan(plan, 'm0conf/nodes/'));
  assert.not.ok(isAbovePlan(plan, 'm0conf/zones/'));
});

test.run();
