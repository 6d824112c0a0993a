// Keeps the model's conf tree (m0conf/) current at a cost proportional to the
// change (issue 17). At 1,000 nodes the tree is 39,000 keys and 7 MB; Consul
// alone took 300 ms to over a second to send it, so an outside change cannot
// be answered by reading it whole. Instead:
//   * the tree is read whole at start-up, when its structure changed (keys
//     added or removed, a value that is more than a state), or when an index
//     went backwards (a restored snapshot); each whole read cuts it into
//     shards (conf-shards.ts): watched ones, each cut again into read ones;
//   * each watched shard has its own blocking query behind the own-write
//     gate: woken by an outside change it asks its read shards for their
//     index, reads those that moved (a few hundred keys) and its loose keys,
//     and conf-delta.ts hands on the rows whose ModifyIndex moved;
//   * a catch-all behind the same gate on m0conf/ reads the loose keys no
//     watched shard holds and checks that no key lies outside the read
//     shards (conf-catch-all.ts); one that does means a whole read;
//   * hax's own writes wake the gates but are not read (own-write-gate.ts).
// Reads are rate-limited, as before, to one a second per watched shard (and
// for the catch-all and whole reads), with a burst of two so a lone change is
// read at once: under churn the shards hax writes to cost a small read a
// second each, not a whole read.
import type { ConsulClient } from '../consul/client.ts';
import { BlockingWatch, TokenBucket, backoffMs, sleep } from '../consul/blocking.ts';
import { OwnWrites } from '../consul/own-writes.ts';
import type { ConfRow } from '../core/records.ts';
import type { KvItem } from './conf-tree.ts';
import { ConfDelta, type ConfChange } from './conf-delta.ts';
import { planConf, readShardsUnder, type ConfCut, type ConfPlan } from './conf-shards.ts';
import { keysOutsidePlan, readKeys } from './conf-catch-all.ts';
import { untilOutsideChange } from './own-write-gate.ts';
import { InFlightLimit } from './in-flight-limit.ts';

export const CONF_ROOT = 'm0conf/';
/**
 * Least average time between two reads of one shard, of the catch-all's
 * look, and of whole reads, under churn (token buckets, burst 2). hax's own
 * writes land under m0conf/ with each Motr event; when another write came
 * between, the gate cannot tell them apart and reads.
 */
export const CONF_WATCH_INTERVAL_MS = 1000;

/**
 * Index questions and reads of shards and loose keys in flight at once, over
 * all shards: besides the blocking queries (one per watched shard) hax then
 * holds at most this many more connections to the agent.
 */
export const CONF_READS_IN_FLIGHT = 16;

/**
 * The catch-all looks this long after its wake: its look (a txn and 7
 * listings at 1,000 nodes) made Consul busy just when the woken shard asked
 * its read shards; what it looks for (a key under no shard, a loose key) is
 * rare, and it looks at the tree as it is then, changes since its wake too.
 */
export const CATCH_ALL_DELAY_MS = 250;

/**
 * Least average time between two `?keys` queries of one shard's or the
 * catch-all's gate under churn (burst 2; own-write-gate.ts). hax's own
 * writes under m0conf/ wake the catch-all and one or two shards (its node's
 * objects, its enclosure) each; at 100 events a second and 20 queries a
 * second per gate the three gates cost Consul more than the one gate did
 * before (a shard's answer lists its few hundred names). A gate that waits
 * skips a run of own writes at once; a lone change is still seen at once.
 */
export const CONF_GATE_INTERVAL_MS = 200;

export interface ConfWatchEvents {
  /** The whole tree (start-up, structure changed, index went back), parsed. */
  onWhole(index: number, rows: ConfRow[]): void;
  /** States of objects already in the model changed; only those rows. */
  onDelta(index: number, rows: ConfRow[]): void;
  onLog(level: 'info' | 'warn' | 'debug', msg: string, fields?: Record<string, unknown>): void;
}

/** Counts of what the watch did, for tests and the debug log. */
export interface ConfWatchCounts { wholeReads: number; shardReads: number; keysRead: number; catchAllLooks: number; ownSkips: number; shardsStarted: number; shardsStopped: number }

/** What a woken shard read: its read shards that moved (each whole, with the keys planned there) and its loose keys. */
interface ShardRead { reads: { prefix: string; count: number; items: KvItem[] }[]; loose: KvItem[] | undefined }
type CatchAllFinding = { back: string } | { outside: string[]; loose: KvItem[] | undefined } | { rebased: true };

const items = (entries: { key: string; value: string; entry: { ModifyIndex: number } }[]): KvItem[] =>
  entries.map((e) => ({ key: e.key, value: e.value, modifyIndex: e.entry.ModifyIndex }));

export class ConfWatch {
  readonly #consul: ConsulClient;
  readonly #events: ConfWatchEvents;
  readonly #parse: (items: KvItem[]) => ConfRow[];
  readonly #own: OwnWrites;
  readonly #delta = new ConfDelta();
  readonly #stopped = new AbortController();
  readonly #wholeBucket = new TokenBucket(2, CONF_WATCH_INTERVAL_MS);
  #plan: ConfPlan | undefined;
  /**
   * One watch per shard prefix, kept across whole reads while the plan keeps
   * the prefix: Consul 1.8 counts a blocking query a client gave up against
   * the client's 200 connections until its wait ends (up to a minute), so
   * restarting 40 watches per whole read ran a test's client out of them.
   */
  readonly #shards = new Map<string, BlockingWatch<ShardRead>>();
  #catchAll: BlockingWatch<CatchAllFinding> | undefined;
  /** Why a whole read is wanted, while one is. */
  #wanted: string | undefined;
  #reading: Promise<void> | undefined;
  /**
   * Answers of the shards and the catch-all that came while a whole read was
   * under way: applied after it, so that a small read that overtook the big
   * one is compared with the newer of the two (conf-delta.ts ignores what is
   * older than what it holds).
   */
  #held: (() => void)[] | undefined;
  #firstRead: { resolve: () => void; promise: Promise<void> };
  readonly #reads = new InFlightLimit(CONF_READS_IN_FLIGHT);
  readonly counts: ConfWatchCounts = { wholeReads: 0, shardReads: 0, keysRead: 0, catchAllLooks: 0, ownSkips: 0, shardsStarted: 0, shardsStopped: 0 };
  readonly #onSkip = (reason: string) => {
    if (reason.endsWith('not read')) this.counts.ownSkips++;
    this.#events.onLog('debug', reason);
  };
  readonly #onError = (name: string) => (error: unknown, retryInMs: number) =>
    this.#events.onLog('warn', `${name} watch failed; retrying`, { error: (error as Error).message, retryInMs });

  readonly #cut: ConfCut;
  readonly #catchAllWait: string | undefined;

  /**
   * `parse`: the whole tree's items to the core's rows (conf-tree.ts). `own`:
   * hax's own writes, not read again. `cut`: how finely to cut (conf-shards.ts
   * defaults; tests cut a small tree as finely as a large one is).
   * `catchAllWait`: the catch-all's blocking wait (default 60 s). A restored
   * snapshot wakes no blocking query whose index is above the restored one:
   * it shows when the wait runs out, as an index gone backwards.
   */
  constructor(consul: ConsulClient, events: ConfWatchEvents, parse: (items: KvItem[]) => ConfRow[], own = new OwnWrites(),
    options: { cut?: ConfCut; catchAllWait?: string } = {}) {
    this.#cut = options.cut ?? {};
    this.#catchAllWait = options.catchAllWait;
    this.#consul = consul;
    this.#events = events;
    this.#parse = parse;
    this.#own = own;
    let resolve!: () => void;
    this.#firstRead = { promise: new Promise<void>((r) => { resolve = r; }), resolve };
  }

  /** Resolves once the tree was read whole and handed on, and the shards are watched. */
  start(): Promise<void> {
    this.#wantWhole('first read');
    return this.#firstRead.promise;
  }

  /** The shards watched and read (undefined until the first read). */
  get plan(): ConfPlan | undefined { return this.#plan; }

  async stop(): Promise<void> {
    this.#stopped.abort();
    this.#firstRead.resolve();
    await this.#reading;
    await Promise.all([...this.#shards.values(), ...(this.#catchAll ? [this.#catchAll] : [])].map((w) => w.stop()));
  }

  #wantWhole(why: string): void {
    this.#wanted ??= why;
    if (this.#reading || this.#stopped.signal.aborted) return;
    this.#held = [];
    this.#reading = this.#readWhole().finally(() => {
      this.#reading = undefined;
      const held = this.#held ?? [];
      this.#held = undefined;
      for (const apply of held) apply();
      // wanted after the loop's last look, or by what was held
      if (this.#wanted !== undefined) this.#wantWhole(this.#wanted);
    });
  }

  /** Applies an answer now, or after the whole read under way. */
  #deliver(apply: () => void): void {
    if (this.#held) this.#held.push(apply); else apply();
  }

  /** Whole reads, one after the other, while one is wanted; each re-plans the shards. */
  async #readWhole(): Promise<void> {
    const signal = this.#stopped.signal;
    let failures = 0;
    while (this.#wanted !== undefined && !signal.aborted) {
      const delay = this.#wholeBucket.take(performance.now());
      if (delay > 0) await sleep(delay, signal);
      const why = this.#wanted;
      this.#wanted = undefined;
      let r;
      try {
        r = await this.#consul.kv.list(CONF_ROOT, { signal });
      } catch (error) {
        if (signal.aborted) break;
        this.#wanted = why;
        const retryInMs = backoffMs(++failures, Math.random);
        this.#events.onLog('warn', `kv ${CONF_ROOT} whole read failed; retrying`, { error: (error as Error).message, retryInMs });
        await sleep(retryInMs, signal);
        continue;
      }
      failures = 0;
      this.counts.wholeReads++;
      const index = r.index ?? 0;
      const tree = items(r.entries);
      const change = this.#delta.change(tree, index);
      if (change.kind === 'delta') {
        if (change.rows.length > 0) this.#events.onDelta(index, change.rows);
      } else {
        this.#events.onLog('info', 'reading the whole conf tree', { index, keys: tree.length, why: change.why, asked: why });
        const rows = this.#parse(tree);
        this.#delta.remember(tree, rows, index);
        this.#events.onWhole(index, rows);
      }
      if (!signal.aborted) this.#replan(tree.map((it) => it.key).sort(), index);
      this.#firstRead.resolve();
    }
  }

  /** Plans the shards of the tree just read; watches prefixes new to the plan from `index`, stops those it dropped. */
  #replan(keys: string[], index: number): void {
    const plan = planConf(keys, CONF_ROOT, this.#cut);
    const was = this.#plan?.watched.prefixes;
    this.#plan = plan;
    const watched = plan.watched.prefixes;
    if (was && was.length === watched.length && was.every((p, i) => p === watched[i])) return;
    const keep = new Set(watched);
    for (const [prefix, w] of this.#shards) {
      if (keep.has(prefix)) continue;
      this.#shards.delete(prefix);
      this.counts.shardsStopped++;
      void w.stop();
    }
    for (const prefix of watched) {
      if (this.#shards.has(prefix)) continue;
      const w = this.#shardWatch(prefix, index);
      this.#shards.set(prefix, w);
      this.counts.shardsStarted++;
      w.start();
    }
    if (!this.#catchAll) { this.#catchAll = this.#catchAllWatch(index); this.#catchAll.start(); }
    this.#events.onLog('info', 'watching the conf tree in shards', { index, keys: keys.length, watched: watched.length, read: plan.read.prefixes.length,
      looseKeys: plan.read.loose.length, largestWatched: Math.max(...plan.watched.counts), largestRead: Math.max(...plan.read.counts) });
  }

  /**
   * One watched shard: woken by a change under `prefix` that is not hax's
   * own, it asks each of its read shards for its index (`?keys`: names only)
   * and reads those that moved since, and its loose keys.
   */
  #shardWatch(prefix: string, index: number): BlockingWatch<ShardRead> {
    return new BlockingWatch<ShardRead>({
      name: `kv ${prefix}`, onError: this.#onError(`kv ${prefix}`), onSkip: this.#onSkip, minIntervalMs: CONF_WATCH_INTERVAL_MS, dedupe: false,
      // the shard is current up to the whole read's index, above its own
      startIndex: index,
      fetch: async (at, wait, signal) => {
        const woke = await untilOutsideChange(this.#consul, prefix, this.#own, at, wait, signal, this.#onSkip, 'above', CONF_GATE_INTERVAL_MS);
        const read = this.#plan!.read;
        const under = readShardsUnder(read, prefix);
        // read alongside the index questions; awaited below, and meanwhile
        // marked handled so that a failure while those fail first is no crash
        const loose = under.loose.length > 0 ? this.#reads.run(() => readKeys(this.#consul, under.loose)) : Promise.resolve([]);
        loose.catch(() => {});
        let moved = under.shards;
        if (moved.length > 1 || under.loose.length > 0) {
          const indexes = await Promise.all(moved.map((i) => this.#reads.run(async () => (await this.#consul.kv.keys(read.prefixes[i]!, { separator: '/', signal })).index ?? 0)));
          moved = moved.filter((_, j) => indexes[j]! > at);
        }
        const reads = await Promise.all(moved.map((i) => this.#reads.run(async () => {
          const r = await this.#consul.kv.list(read.prefixes[i]!, { signal });
          return { prefix: read.prefixes[i]!, count: read.counts[i]!, items: items(r.entries) };
        })));
        this.counts.shardReads += reads.length;
        for (const r of reads) this.counts.keysRead += r.items.length;
        // Only the index it woke with: every change up to it was there for the
        // index questions to see. A read's own index may be newer than a change
        // in a read shard asked before that change came: sent back, it would
        // hide that change for good.
        return { value: { reads, loose: await loose }, index: Math.max(at, woke) };
      },
      onChange: (found, at) => this.#deliver(() => {
        if (this.#shards.get(prefix) === undefined) return;   // dropped from the plan: the whole read that did it is newer
        const changes = found.reads.map((r) => this.#delta.changeUnder(r.prefix, r.count, r.items));
        changes.push(found.loose ? this.#delta.changeKeys(found.loose) : { kind: 'whole', why: `a loose key under ${prefix} is gone` });
        // a delta is remembered as soon as it is made: hand it on even when another part needs a whole read
        const rows = changes.flatMap((c) => (c.kind === 'delta' ? c.rows : []));
        if (rows.length > 0) this.#events.onDelta(at, rows);
        const whole = changes.find((c) => c.kind === 'whole');
        if (whole) this.#wantWhole(whole.why);
      }),
    });
  }

  /**
   * The catch-all: woken by a change under m0conf/ that is not hax's own, it
   * reads the loose keys and looks for keys under no shard (conf-catch-all.ts);
   * the index going backwards means a whole read.
   */
  #catchAllWatch(index: number): BlockingWatch<CatchAllFinding> {
    return new BlockingWatch<CatchAllFinding>({
      name: `kv ${CONF_ROOT} (catch-all)`, onError: this.#onError(`kv ${CONF_ROOT} (catch-all)`), onSkip: this.#onSkip, minIntervalMs: CONF_WATCH_INTERVAL_MS, dedupe: false,
      startIndex: index, wait: this.#catchAllWait,
      fetch: async (at, wait, signal) => {
        // after going backwards the watch starts again from 0: take the tree's index as it is now
        if (at === 0) return { value: { rebased: true }, index: (await this.#consul.kv.keys(CONF_ROOT, { separator: '/', signal })).index ?? 0 };
        const now = await untilOutsideChange(this.#consul, CONF_ROOT, this.#own, at, wait, signal, this.#onSkip, 'exact', CONF_GATE_INTERVAL_MS);
        if (now < at) return { value: { back: `index went back from ${at} to ${now}` }, index: now };   // the watch resets to 0
        // not in the way of the shard that is reading the same change
        await sleep(CATCH_ALL_DELAY_MS, signal);
        this.counts.catchAllLooks++;
        const plan = this.#plan!;
        const loose = await readKeys(this.#consul, plan.watched.loose);
        const outside = await keysOutsidePlan(this.#consul, plan.read, CONF_ROOT, signal);
        return { value: { outside, loose }, index: now };
      },
      onChange: (finding, now) => {
        if ('rebased' in finding) return;
        if ('back' in finding) { this.#wantWhole(finding.back); return; }
        if (finding.outside.length > 0) { this.#wantWhole(`keys under no shard: ${finding.outside.slice(0, 3).join(', ')}${finding.outside.length > 3 ? ', ...' : ''}`); return; }
        const loose = finding.loose;
        if (!loose) { this.#wantWhole('a loose key is gone'); return; }
        this.#deliver(() => this.#apply(this.#delta.changeKeys(loose), now));
      },
    });
  }

  #apply(change: ConfChange, index: number): void {
    if (change.kind === 'whole') { this.#wantWhole(change.why); return; }
    if (change.rows.length > 0) this.#events.onDelta(index, change.rows);
  }
}
