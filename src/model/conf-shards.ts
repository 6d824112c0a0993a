// How m0conf/ is cut into shards (conf-watch.ts), so that an outside change
// re-reads a few hundred keys rather than the whole tree (39,000 keys, 7 MB
// at 1,000 nodes; issue 17). Consul watches prefixes only, so a shard is a key
// prefix: the sorted keys are split like a trie, a prefix that holds more
// than a threshold is split by its next character, so shards never overlap.
// Two cuts of the same tree: coarse ones are watched (one blocking query
// each), fine ones are read. A key that is itself a split prefix
// (m0conf/nodes/<fid>, with <fid>/... and <fid>0... under it) belongs to no
// shard without the whole prefix: those few "loose" keys are read on their
// own (by the watched shard they lie in, or by the catch-all).

/**
 * At most this many watched shards, each a blocking query held open: Consul
 * 1.8 takes 200 connections per client address
 * (limits.http_max_conns_per_client), which hax shares with every other local
 * client. The hare layout at 1,000 nodes (39,004 keys) splits by hex and
 * decimal digits, so the possible cuts are coarse: 40 shards (the largest
 * 5,187 keys, most 323) or the next, 88.
 */
export const MAX_SHARDS = 48;
/**
 * No shard, watched or read, is cut below this many keys for its own sake (a
 * tree this small is one shard): reading 512 keys costs about what asking a
 * dozen read shards for their index does.
 */
export const MIN_SHARD_KEYS = 512;
/**
 * What is read is cut finer than what is watched: a watched shard of 5,187
 * keys took 120 ms to read at 1,000 nodes (under load), so a woken shard asks
 * each of its read shards, at most this many, for its index and reads those
 * that moved (at 1,000 nodes 17 read shards of at most 323 keys under the
 * largest watched ones).
 */
export const MAX_READ_SHARDS = 32;

export interface ShardPlan {
  /** Disjoint key prefixes, sorted: every key of the tree but the loose ones starts with exactly one. */
  readonly prefixes: readonly string[];
  /** Keys under each prefix when planned, in the same order. */
  readonly counts: readonly number[];
  /** Keys that are themselves split prefixes: no shard holds them. */
  readonly loose: readonly string[];
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return a.slice(0, i);
}

/**
 * Plans the shards of `keys` (sorted, each starting with `root`): the
 * smallest shards, none cut below `minKeys`, that need at most `maxShards`
 * (shards only grow as the largest allowed size does, so it is a bisection).
 */
export function planShards(keys: readonly string[], root: string, maxShards = MAX_SHARDS, minKeys = MIN_SHARD_KEYS): ShardPlan {
  let lo = Math.max(1, minKeys), hi = Math.max(lo, keys.length);
  let best = planWithLargest(keys, root, hi);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const p = planWithLargest(keys, root, mid);
    if (p.prefixes.length <= maxShards) { best = p; hi = mid; } else lo = mid + 1;
  }
  return best;
}

/**
 * The watched shards and the read ones: each watched shard cut again, on its
 * own, into at most MAX_READ_SHARDS (so a read shard lies in one watched
 * shard, and a woken shard asks a bounded number of them). `read` is the
 * union: every key is in one read shard or is loose in it.
 */
export interface ConfPlan { watched: ShardPlan; read: ShardPlan }

export interface ConfCut { maxShards?: number; minShardKeys?: number; maxReadShards?: number }

export function planConf(keys: readonly string[], root: string, cut: ConfCut = {}): ConfPlan {
  const watched = planShards(keys, root, cut.maxShards ?? MAX_SHARDS, cut.minShardKeys ?? MIN_SHARD_KEYS);
  const prefixes: string[] = [], counts: number[] = [], loose = [...watched.loose];
  let at = 0;
  for (const prefix of watched.prefixes) {
    // keys are sorted and the prefixes disjoint: the keys under each come next, in order
    while (at < keys.length && keys[at]! < prefix) at++;
    let end = at;
    while (end < keys.length && keys[end]!.startsWith(prefix)) end++;
    const sub = planShards(keys.slice(at, end), prefix, cut.maxReadShards ?? MAX_READ_SHARDS, cut.minShardKeys ?? MIN_SHARD_KEYS);
    prefixes.push(...sub.prefixes); counts.push(...sub.counts); loose.push(...sub.loose);
    at = end;
  }
  return { watched, read: { prefixes, counts, loose: loose.sort() } };
}

/** The read plan's shards (their indexes) and loose keys that lie under the watched prefix `prefix`. */
export function readShardsUnder(read: ShardPlan, prefix: string): { shards: number[]; loose: string[] } {
  // prefixes under `prefix` are contiguous in sorted order, from the first one ≥ it
  const first = (list: readonly string[]) => { let lo = 0, hi = list.length; while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid]! < prefix) lo = mid + 1; else hi = mid; } return lo; };
  const shards: number[] = [], loose: string[] = [];
  for (let i = first(read.prefixes); i < read.prefixes.length && read.prefixes[i]!.startsWith(prefix); i++) shards.push(i);
  for (let i = first(read.loose); i < read.loose.length && read.loose[i]!.startsWith(prefix); i++) loose.push(read.loose[i]!);
  return { shards, loose };
}

/** Splits every prefix holding more than `target` keys. */
function planWithLargest(keys: readonly string[], root: string, target: number): ShardPlan {
  const prefixes: string[] = [], counts: number[] = [], loose: string[] = [];
  // keys[lo, hi) all start with `prefix`
  const split = (prefix: string, lo: number, hi: number): void => {
    if (hi - lo <= target) { prefixes.push(prefix); counts.push(hi - lo); return; }
    // the longest prefix the group shares: a split below it would give one child only
    const shared = commonPrefix(keys[lo]!, keys[hi - 1]!);
    if (shared.length > prefix.length) { split(shared, lo, hi); return; }
    let at = lo;
    if (keys[at] === prefix) { loose.push(prefix); at++; }   // sorts first among the keys under it
    while (at < hi) {
      const c = keys[at]!.charCodeAt(prefix.length);
      let end = at + 1;
      while (end < hi && keys[end]!.charCodeAt(prefix.length) === c) end++;
      split(prefix + String.fromCharCode(c), at, end);
      at = end;
    }
  };
  // the root itself stays a shard's prefix when the tree is small, so that a
  // small tree is watched exactly as one prefix
  if (keys.length <= target) return { prefixes: [root], counts: [keys.length], loose: [] };
  split(root, 0, keys.length);
  return { prefixes, counts, loose };
}

/** The shard `key` belongs to (its index in plan.prefixes), or -1 (a loose key, or one under no shard: the tree's structure changed). */
export function shardOf(plan: ShardPlan, key: string): number {
  // prefixes are disjoint and sorted: the only candidate is the last one ≤ key
  let lo = 0, hi = plan.prefixes.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (plan.prefixes[mid]! <= key) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found >= 0 && key.startsWith(plan.prefixes[found]!) ? found : -1;
}

/** True when `dir` (a key prefix ending in the separator) lies above some shard's prefix or loose key, so its listing must be looked into. */
export function isAbovePlan(plan: ShardPlan, dir: string): boolean {
  const above = (list: readonly string[]) => {
    // the first entry ≥ dir is the only candidate that starts with it
    let lo = 0, hi = list.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid]! < dir) lo = mid + 1; else hi = mid; }
    return lo < list.length && list[lo]!.startsWith(dir) && list[lo] !== dir;
  };
  return above(plan.prefixes) || above(plan.loose);
}
