// What the catch-all on m0conf/ looks at when the tree changed in a way
// hax's own writes do not explain (conf-watch.ts): the few loose keys no
// watched shard holds (conf-shards.ts), and whether any key now lies under no
// read shard (those are finer: a key new inside a watched shard, but under
// none of its read shards, would go unread otherwise).
// The second is a question about the tree's present shape, asked of Consul
// directly, rather than guessed from which shard's index moved: a new key and
// a later write in a shard can wake the catch-all once, with the shard's
// index, and the new key would be lost. Only the directories above the
// shards are listed (`?keys&separator=/`: names, no values), 7 small reads at
// 1,000 nodes instead of the 7 MB of the whole tree.
import type { ConsulClient } from '../consul/client.ts';
import { TXN_MAX_OPS } from '../consul/txn.ts';
import type { KvItem } from './conf-tree.ts';
import { isAbovePlan, shardOf, type ShardPlan } from './conf-shards.ts';

function isLoose(plan: ShardPlan, key: string): boolean {
  let lo = 0, hi = plan.loose.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (plan.loose[mid]! < key) lo = mid + 1; else hi = mid; }
  return plan.loose[lo] === key;
}

/** Names under `root` (keys, or directories ending in '/') that no shard and no loose key of `plan` holds: the tree's structure changed. */
export async function keysOutsidePlan(consul: ConsulClient, plan: ShardPlan, root: string, signal: AbortSignal): Promise<string[]> {
  const outside: string[] = [];
  const dirs = [root];
  for (let dir = dirs.pop(); dir !== undefined; dir = dirs.pop()) {
    const { keys } = await consul.kv.keys(dir, { separator: '/', signal });
    for (const name of keys) {
      if (shardOf(plan, name) >= 0 || isLoose(plan, name)) continue;
      if (name.endsWith('/') && isAbovePlan(plan, name)) { dirs.push(name); continue; }
      outside.push(name);
    }
  }
  return outside;
}

/** Single keys as they are now (read-only txns: no Raft entry), or undefined when one of them is gone (the structure changed). */
export async function readKeys(consul: ConsulClient, keys: readonly string[]): Promise<KvItem[] | undefined> {
  const items: KvItem[] = [];
  for (let i = 0; i < keys.length; i += TXN_MAX_OPS) {
    const r = await consul.txn.apply(keys.slice(i, i + TXN_MAX_OPS).map((key) => ({ verb: 'get' as const, key })));
    if (!r.ok) return undefined;
    for (const e of r.results) items.push({ key: e.Key, value: Buffer.from(e.Value ?? '', 'base64').toString('utf8'), modifyIndex: e.ModifyIndex });
  }
  return items;
}
