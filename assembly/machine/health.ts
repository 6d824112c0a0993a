// HealthReported: Consul's service watch (POST /). With a conf tree loaded
// the rule is hax-reference.md §7 on the live model, never trusting the
// payload by itself:
//   1. merge the payload's checks into the model unless the payload is older
//      than the model's health view (X-Consul-Index compared, no re-read);
//   2. for each process in the payload, and every other process of a node
//      the payload shows dead (withDeadNodesProcesses), derive its current
//      health (§5.2b);
//   3. act only on OFFLINE/FAILED, only for a process of this node (or, on
//      the RC node, of a node whose serfHealth is not passing), never for hax
//      itself or an mkfs run, and only when processes/<fid> is not already
//      STOPPED (idempotent: a replayed payload does nothing);
//   4. acting = processes/<fid> STOPPED + BQ PROCESS-STATE-UPDATE + expansion
//      KV states in one txn, and OFFLINE (TRANSIENT) broadcast to every link;
//   5. a node that is not the RC tells its own links at once about the
//      processes of a node Consul says is dead (expansion notes only, once,
//      nothing written), instead of waiting for the RC's record to come back
//      through the BQ: the original left them to the RC alone (§7), which
//      put a raft write and a second watch hop before every survivor's note.
// Reason codes: HEALTH_ACTED, HEALTH_TOLD_LOCALLY, HEALTH_NO_CHANGE (+ "stale payload" in the text).
// Before the conf tree is loaded the model is empty: no process of the
// payload is known, so the answer is HEALTH_NO_CHANGE by the same rule.
import { Reader } from '../codec/reader';
import { Fid, parseFidText, PROCESS_CONTAINER } from '../codec/fid';
import { Out } from '../actions';
import { HealthReported, ID_NONE, ID_DECIMAL, ID_TEXT } from '../events';
import { HEALTH_PASSING } from '../abi';
import { state } from './state';
import { O_PROCESS, K_HAX, T_M0MKFS, E_STOPPED, EVENT_NAMES, TYPE_NAMES } from './model';
import { currentHealth, H_OFFLINE, H_FAILED } from './derive';
import { Plan, expand, emitBroadcast } from './expand';
import { Commit, commit, saturated, processValue, processUpdatePayload, consulKnownIndex } from './commit';

/** Decimal ServiceID → process fid; else a fid text; else null. */
export function serviceFid(id: string): Fid | null {
  let v: u64 = 0;
  let digits = id.length > 0 && id.length <= 20;
  for (let i = 0; i < id.length && digits; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x30 || c > 0x39) { digits = false; break; }
    const d = <u64>(c - 0x30);
    if (v > (<u64>-1 - d) / 10) { digits = false; break; }
    v = v * 10 + d;
  }
  if (digits) return new Fid(PROCESS_CONTAINER, v);
  const f = new Fid();
  return parseFidText(id, f) ? f : null;
}

export function onHealthReported(r: Reader, out: Out): void {
  const e = HealthReported.read(r);
  let consulIndex: u64 = 0;
  if (r.remaining >= 8) consulIndex = r.u64('consulIndex');
  onHealthWithModel(e, consulIndex, out);
}

function onHealthWithModel(e: HealthReported, consulIndex: u64, out: Out): void {
  const m = state.model;
  const stale = consulIndex != 0 && consulIndex < m.healthIndex;
  const procs = new Array<i32>();
  for (let i = 0; i < e.entries; i++) {
    let serf: u8 = HEALTH_PASSING;
    let serfSeen = false;
    for (let j = e.first(i); j < e.entryEnd[i]; j++) {
      const kind = e.kind[j];
      if (kind == ID_NONE) { if (!serfSeen) { serf = e.status[j]; serfSeen = true; } continue; }
      let p: i32 = -1;
      if (kind == ID_DECIMAL) p = m.find(PROCESS_CONTAINER, e.key[j]);
      else {
        const f = serviceFid(e.text[j]);
        if (f === null) continue;
        p = m.find(f.c, f.k);
      }
      if (p < 0 || m.get(p).type != O_PROCESS) continue;
      procs.push(p);
      if (stale) continue;
      m.get(p).check = e.status[j];
      const n = m.nodeOf(p);
      if (n >= 0 && serfSeen) m.nodeHealth.set(m.get(n).host, serf);
    }
  }
  // The header is the HTTP client's word: it moves the model's health index
  // only as far as Consul itself has reported (else one POST with a far
  // future X-Consul-Index would make every real payload look stale).
  let aheadNote = '';
  if (!stale && consulIndex > m.healthIndex) {
    const known = consulKnownIndex();
    if (consulIndex <= known) m.healthIndex = consulIndex;
    else {
      aheadNote = ' (X-Consul-Index ' + consulIndex.toString() + ' is ahead of every index Consul gave hax, ' + known.toString() + ': compared, not kept)';
    }
  }
  const acted = actOnHealth(withDeadNodesProcesses(procs), out);
  const staleNote = (stale ? ' (payload index ' + consulIndex.toString() + ' older than the model\'s ' + m.healthIndex.toString() + ': the model\'s health was used)' : '') + aheadNote;
  if (acted.recorded.length > 0) {
    out.reason('HEALTH_ACTED', acted.recorded + (acted.told.length ? '; ' + acted.told : '') + staleNote);
    return;
  }
  if (acted.told.length > 0) {
    out.reason('HEALTH_TOLD_LOCALLY', acted.told + staleNote);
    return;
  }
  out.reason('HEALTH_NO_CHANGE', e.entries.toString() + ' entr(ies), ' + procs.length.toString() +
    ' process(es) of the conf tree: none newly OFFLINE/FAILED on this node' + staleNote);
}

/** What actOnHealth did: recorded (this node's share, or the RC's), told (a non-RC node's early word to its links); '' for nothing. */
export class HealthActs {
  recorded: string = '';
  told: string = '';
}

/**
 * Steps 3–4 for the processes `procs` (model indexes): records, publishes and
 * broadcasts those that are newly OFFLINE/FAILED and are this hax's to
 * announce (with deadNodesOnly, only the RC's share: processes of other nodes
 * that are dead). Returns what was done ('' for nothing).
 */
export function actOnHealth(procs: Array<i32>, out: Out, deadNodesOnly: bool = false): HealthActs {
  const m = state.model;
  const plan = new Plan();
  const told = new Plan();
  let toldWhat = '';
  let acted = '';
  let txns = 0;
  const myHost = state.host;
  for (let x = 0; x < procs.length; x++) {
    const p = procs[x];
    const o = m.get(p);
    const h = currentHealth(m, p, myHost);
    if (h != H_OFFLINE && h != H_FAILED) { o.toldDown = false; continue; }
    if (state.isHax(o.c, o.k) || o.kind == K_HAX || o.ptype == T_M0MKFS) continue;
    const n = m.nodeOf(p);
    const host = n >= 0 ? m.get(n).host : '';
    const local = host == myHost;
    const deadNode = !m.nodeHealth.has(host) || m.nodeHealth.get(host) != HEALTH_PASSING;
    if (!local && !state.isRc) {
      // Not ours to record, but this node's processes need not wait for the
      // RC's record to travel back through the BQ (a raft write and a second
      // watch hop): a node Consul says is dead is told to the local links
      // now, once. Nothing is written; the RC's record follows as before.
      if (!deadNodesOnly && knownDead(host) && o.event != E_STOPPED && !o.toldDown) {
        o.toldDown = true;   // first: the node's last ios then finds every ios down (expand.ts allIosDown)
        expand(told, p, h, false, true, false);
        toldWhat += (toldWhat.length ? ', ' : '') + o.fid + ' (node ' + host + ' dead)';
      }
      continue;
    }
    if (!local && !deadNode) continue;
    // the RC's take-over acts only on nodes Consul has said are dead, never on a node whose health is not known yet
    if (deadNodesOnly && (local || !knownDead(host))) continue;
    if (o.event == E_STOPPED) continue;
    if (saturated()) break;
    const fid = o.fid;
    const type = o.ptype < 5 ? TYPE_NAMES[o.ptype] : TYPE_NAMES[3];
    const one = new Plan();
    one.ops.set('processes/' + fid, processValue(EVENT_NAMES[E_STOPPED], type));
    one.ops.publish('PROCESS-STATE-UPDATE', processUpdatePayload(fid, EVENT_NAMES[E_STOPPED], type));
    o.event = E_STOPPED;
    expand(one, p, h, true, true, false);
    for (let i = 0; i < one.size; i++) plan.note(one.cs[i], one.ks[i], one.sts[i]);
    const c = new Commit();
    c.ack = false; c.what = 'processes/' + fid;
    c.procC.push(o.c); c.procK.push(o.k);
    if (h == H_FAILED) { c.dropC = o.c; c.dropK = o.k; }
    txns += commit(out, one, c);
    acted += (acted.length ? ', ' : '') + fid + (local ? '' : ' (node ' + host + ' dead, this node is RC)');
  }
  const done = new HealthActs();
  if (told.size > 0) {
    emitBroadcast(out, told, 0, [], [], false);
    done.told = toldWhat + ' told to this node\'s links as ' + told.summary() + '; the RC records and publishes them';
  }
  if (plan.size == 0) return done;
  emitBroadcast(out, plan, 0, [], [], false);
  done.recorded = acted + ' went OFFLINE: processes/<fid> STOPPED in ' + txns.toString() + ' txn(s), broadcast ' + plan.summary();
  return done;
}

/**
 * `procs` and every other process of each node among them that Consul says
 * is dead. A node's death is one fact, whichever service's health brought it:
 * the first view to arrive (of 3 hax queries and 3 agent watches, each for
 * one service) tells all of that node's processes, instead of waiting for the
 * view of the service each process runs (on a busy 10-node cluster a client
 * node's ios view came up to 50 ms after a node's first view, often last).
 */
export function withDeadNodesProcesses(procs: Array<i32>): Array<i32> {
  const m = state.model;
  const seen = new Set<i32>();
  const nodes = new Set<i32>();
  const out = new Array<i32>();
  for (let x = 0; x < procs.length; x++) if (!seen.has(procs[x])) { seen.add(procs[x]); out.push(procs[x]); }
  for (let x = 0; x < procs.length; x++) {
    const n = m.nodeOf(procs[x]);
    if (n < 0 || nodes.has(n) || !knownDead(m.get(n).host)) continue;
    nodes.add(n);
    const all = m.childrenOfType(n, O_PROCESS);
    for (let y = 0; y < all.length; y++) if (!seen.has(all[y])) { seen.add(all[y]); out.push(all[y]); }
  }
  return out;
}

/** Consul has said the node's serfHealth is not passing (an unknown node is not dead). */
function knownDead(host: string): bool {
  const m = state.model;
  return m.nodeHealth.has(host) && m.nodeHealth.get(host) != HEALTH_PASSING;
}
