// Making a rule's Consul effects durable: one /v1/txn per Motr message (the
// ops of its KV writes and BQ publish), the message acknowledged only once
// the host reports the txn succeeded (ConsulReplied), and the model's
// "our own write is in flight" marks that make stale views harmless.
import { Out, TxnOps, consulTxn, dropLinks } from '../actions';
import { Plan } from './expand';
import { state, PendingAck, PENDING_MAX } from './state';

/**
 * Consul caps a txn at 64 ops; hax keeps one message's writes in one txn, and
 * the host's writer adds one op to every txn (its write mark, the CAS that
 * makes a retried txn land exactly once: docs/behaviour.md), so 63 are ours.
 */
export const TXN_MAX_OPS: i32 = 63;

/** The highest index Consul gave one of our txns (ConsulReplied). */
let ownIndex: u64 = 0;

/**
 * The newest Consul index hax has from Consul itself: its own reads (conf
 * tree, processes/, health) and the replies to its own txns. An index in a
 * watch body or an X-Consul-Index header is the HTTP client's word, not
 * Consul's: it is compared with hax's indexes but never moves them past this.
 */
export function consulKnownIndex(): u64 {
  const m = state.model;
  let k = ownIndex;
  if (m.confIndex > k) k = m.confIndex;
  if (m.healthIndex > k) k = m.healthIndex;
  if (m.rowIndex > k) k = m.rowIndex;
  return k;
}

export class Commit {
  linkId: u32 = 0;
  tag: u64 = 0;
  ack: bool = true;
  what: string = '';
  procC: Array<u64> = [];   // processes/<fid> written (eventPending)
  procK: Array<u64> = [];
  dropC: u64 = 0;
  dropK: u64 = 0;
}

/** True when the core cannot take another pending write (back-pressure). */
export function saturated(): bool { return state.pending.size >= PENDING_MAX; }

/**
 * Emits the txn for plan.ops (splitting at 64 Consul ops) and remembers the
 * acknowledgement; with no ops the message is acknowledged at once.
 * Returns the number of txns emitted.
 */
export function commit(out: Out, plan: Plan, c: Commit): i32 {
  const m = state.model;
  const ops = plan.ops;
  if (ops.length == 0) {
    if (c.ack) out.acknowledge(c.linkId, c.tag);
    if ((c.dropC | c.dropK) != 0) dropLinks(out, c.dropC, c.dropK, true);
    return 0;
  }
  let txns = 0;
  let from = 0;
  while (from < ops.length) {
    const part = new TxnOps();
    let n = 0;
    while (from < ops.length) {
      const w: i32 = ops.verbs[from] == 2 ? 2 : 1;
      if (n + w > TXN_MAX_OPS) break;
      part.verbs.push(ops.verbs[from]); part.keys.push(ops.keys[from]); part.values.push(ops.values[from]);
      n += w; from++;
    }
    const last = from >= ops.length;
    const opId = state.takeOpId();
    const p = new PendingAck(c.linkId, c.tag, c.what);
    p.noAck = !(c.ack && last);
    if (last) { p.dropC = c.dropC; p.dropK = c.dropK; }
    if (last) {
      for (let i = 0; i < c.procC.length; i++) {
        const x = m.find(c.procC[i], c.procK[i]);
        if (x >= 0) m.get(x).eventPending++;
        p.procC.push(c.procC[i]); p.procK.push(c.procK[i]);
      }
      for (let i = 0; i < plan.written.length; i++) {
        const o = m.get(plan.written[i]);
        o.kvPending++;
        p.objC.push(o.c); p.objK.push(o.k);
      }
    }
    state.pending.set(opId, p);
    consulTxn(out, opId, part);
    txns++;
  }
  return txns;
}

/** A txn finished: clear the in-flight marks; the model keeps our values with the txn's index. */
export function settle(p: PendingAck, index: u64): void {
  const m = state.model;
  if (index > ownIndex) ownIndex = index;
  for (let i = 0; i < p.procC.length; i++) {
    const x = m.find(p.procC[i], p.procK[i]);
    if (x < 0) continue;
    const o = m.get(x);
    if (o.eventPending > 0) o.eventPending--;
    if (index > o.eventIndex) o.eventIndex = index;
    if (o.eventPending == 0 && o.eventLateIndex != 0) {
      if (o.eventLateIndex > o.eventIndex) { o.event = o.eventLate; o.ptype = o.ptypeLate; o.eventIndex = o.eventLateIndex; }
      o.eventLateIndex = 0;
    }
  }
  for (let i = 0; i < p.objC.length; i++) {
    const x = m.find(p.objC[i], p.objK[i]);
    if (x < 0) continue;
    const o = m.get(x);
    if (o.kvPending > 0) o.kvPending--;
    if (index > o.kvIndex) o.kvIndex = index;
    if (o.kvPending == 0 && o.kvLateIndex != 0) {
      if (o.kvLateIndex > o.kvIndex) { o.kvState = o.kvLate; o.kvIndex = o.kvLateIndex; }
      o.kvLateIndex = 0; o.kvLate = '';
    }
  }
}

/** Python json.dumps of a processes/<fid> value, as the original wrote it. */
export function processValue(event: string, type: string): string {
  return '{"state": "' + event + '", "type": "' + type + '"}';
}

/** The BQ PROCESS-STATE-UPDATE payload. */
export function processUpdatePayload(fid: string, event: string, type: string): string {
  return '{"fid": "' + fid + '", "state": "' + event + '", "type": "' + type + '"}';
}
