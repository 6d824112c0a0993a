// In front of a model watch's read of a whole prefix: a blocking `?keys`
// query (no values; a few bytes back) waits for a change under the prefix,
// and when hax's own writes explain every index since the last read
// (OwnWrites) it waits again instead of reading. hax writes m0conf/ and
// processes/ with every Motr event; at 1,000 nodes a read of m0conf/ makes
// Consul send 7 MB, so reading after each of hax's own writes cost Consul
// about a core (issue 17). A change by anyone else is read as before.
import type { ConsulClient } from '../consul/client.ts';
import { TokenBucket, sleep } from '../consul/blocking.ts';
import type { OwnWrites } from '../consul/own-writes.ts';

/** Least average time between two `?keys` queries under churn (burst 2, by default): hax's own writes come in bursts. */
export const GATE_INTERVAL_MS = 50;
/** A txn's index can wake the query before its reply reached hax's writer: with writes in flight, looked at once more after this. */
export const REPLY_GRACE_MS = 30;

/**
 * How the index sent relates to the prefix: `exact` — it is the prefix's own
 * index (its highest ModifyIndex, as a read of it returned), so an answer below
 * it means the index went backwards; `above` — it is a newer index than the
 * prefix's own (a shard known current up to the tree's index), so Consul
 * answers with a lower one when its wait runs out: that means "no change".
 */
export type SentIndex = 'exact' | 'above';

/**
 * Resolves, with the index Consul answered, once `prefix` changed after index
 * `readAt` in a way hax's own writes do not explain (or, `exact`, the index
 * went backwards; or the signal aborted).
 */
export async function untilOutsideChange(consul: ConsulClient, prefix: string, own: OwnWrites, readAt: number, wait: string, signal: AbortSignal,
  onSkip: (reason: string) => void, sent: SentIndex = 'exact', intervalMs = GATE_INTERVAL_MS): Promise<number> {
  const bucket = new TokenBucket(2, intervalMs);
  let at = readAt;
  while (!signal.aborted) {
    const delay = bucket.take(performance.now());
    if (delay > 0) await sleep(delay, signal);
    const r = await consul.kv.keys(prefix, { separator: '/', index: at, wait, signal });
    const now = r.index ?? 0;
    if (now === at) continue;             // the wait ran out: nothing changed
    if (now < at) {
      if (sent === 'above') continue;     // the wait ran out; Consul answers with the prefix's own, older index
      return now;                         // went backwards: read whole
    }
    if (!own.covers(at, now)) {
      if (!own.inFlight()) return now;      // someone else wrote: read at once
      await sleep(REPLY_GRACE_MS, signal);  // our reply may still be on its way
      if (!own.covers(at, now)) return now;
    }
    onSkip(`kv ${prefix}: indexes ${at + 1}..${now} are hax's own writes; not read`);
    at = now;
  }
  return at;
}
