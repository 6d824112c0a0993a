// Broadcast set computation (hax-reference.md §5.4) on the model, and the
// emission of the result: NVEC SET messages of ≤ 1024 notes with
// ignore_same_state = 1, to every active link except a skip list (or to
// hax's own link only), plus the KV writes of the state changes.
//
// Expansion rules, first match per input state (UNKNOWN is never sent):
//   PROCESS (not hax-only, not mkfs, not hax)  → the process, its services,
//       its drives (FAILED → TRANSIENT: disks are only transient; sticky
//       failed/repair sdev states kept), the controller of its first drive,
//       and its node + enclosure (for OFFLINE/FAILED only when every ios of
//       the node is stopped/failed/offline)
//   DRIVE                                      → the drive (+ its sdev KV state)
//   NODE                                       → the node, its enclosure, the enclosure's controllers
//   anything else                              → the note as given
import { CodecError, describe } from '../codec/errors';
import { encodeNvecSet } from '../codec/ha-msg';
import { Out, TxnOps, beginBroadcastTo, endBroadcastTo, awaitDelivery } from '../actions';
import { RECORD_HEADER, NVEC_NOTES_MAX } from '../abi';
import { Model, O_PROCESS, O_DRIVE, O_NODE, O_CTRL, O_SDEV, K_IOS, T_M0MKFS, E_STOPPED } from './model';
import {
  H_UNKNOWN, H_FAILED, H_OFFLINE, healthToNote, processKvString, sdevKvString, noteKvString,
  deviceKvToNote, deviceKvSticky, namedKvToNote,
} from './derive';
import { state } from './state';

export const NOTES_PER_MESSAGE: i32 = <i32>NVEC_NOTES_MAX;
export const DELIVERY_TIMEOUT_MS: u32 = 30000;

export class Plan {
  cs: Array<u64> = [];
  ks: Array<u64> = [];
  sts: Array<u32> = [];
  seen: Map<string, i32> = new Map();
  ops: TxnOps = new TxnOps();
  /** Model objects whose KV state this plan writes. */
  written: Array<i32> = [];

  note(c: u64, k: u64, st: u32): void {
    const key = c.toString() + ':' + k.toString();
    if (this.seen.has(key)) { this.sts[this.seen.get(key)] = st; return; }
    this.seen.set(key, this.cs.length);
    this.cs.push(c); this.ks.push(k); this.sts.push(st);
  }

  get size(): i32 { return this.cs.length; }

  summary(): string {
    let s = '';
    for (let i = 0; i < min(this.cs.length, 6); i++) {
      s += (i ? ', ' : '') + '0x' + this.cs[i].toString(16) + ':0x' + this.ks[i].toString(16) + ' ' + stateShort(this.sts[i]);
    }
    if (this.cs.length > 6) s += ', … (' + this.cs.length.toString() + ' notes)';
    return s;
  }
}

const SHORT: Array<string> = ['UNKNOWN', 'ONLINE', 'FAILED', 'TRANSIENT', 'REPAIR', 'REPAIRED', 'REBALANCE', 'DTM_RECOVERING'];
export function stateShort(s: u32): string { return s < 8 ? SHORT[s] : s.toString(); }

/** Writes an object's KV state value (Python json.dumps spacing) if it changed. */
function writeKv(m: Model, plan: Plan, i: i32, kv: string): void {
  const o = m.get(i);
  if (o.key.length == 0 || o.kvState == kv) return;
  o.kvState = kv;
  let v = '';
  if (o.type == O_NODE || o.type == O_PROCESS) v = '{"name": "' + o.name + '", "state": "' + kv + '"}';
  else if (o.type == O_SDEV) v = '{"path": "' + o.name + '", "state": "' + kv + '"}';
  else if (o.type == O_DRIVE) v = '{"sdev": "' + o.name + '", "state": "' + kv + '"}';
  else if (o.name.length > 0) v = '{"node": "' + o.name + '", "state": "' + kv + '"}';
  else v = '{"state": "' + kv + '"}';
  plan.ops.set(o.key, v);
  plan.written.push(i);
}

/**
 * All ios processes of node n are down in the model's KV states. Without
 * updateKv (a state another hax records, or a dead node's processes told
 * ahead of the RC's record) the KV is written by that other hax, in the same
 * transaction as its BQ entry, and the model may not have read it yet: the
 * process being expanded (`current`) counts as down, and so does one told
 * down already or whose processes/ record is STOPPED.
 */
function allIosDown(m: Model, n: i32, current: i32, updateKv: bool): bool {
  const ps = m.childrenOfType(n, O_PROCESS);
  for (let i = 0; i < ps.length; i++) {
    const p = m.get(ps[i]);
    if (p.kind != K_IOS) continue;
    if (p.kvState == 'stopped' || p.kvState == 'failed' || p.kvState == 'offline') continue;
    if (!updateKv && (ps[i] == current || p.toldDown || p.event == E_STOPPED)) continue;
    return false;
  }
  return true;
}

/** Adds one state (with its expansion) to the plan. */
export function expand(plan: Plan, i: i32, h: u8, updateKv: bool, notifyDevices: bool, haxOnly: bool): void {
  if (h == H_UNKNOWN) return;
  const m = state.model;
  const o = m.get(i);
  const st = healthToNote(h);
  plan.note(o.c, o.k, st);
  o.state = st;
  if (o.type == O_PROCESS) {
    if (haxOnly || o.ptype == T_M0MKFS || state.isHax(o.c, o.k)) return;
    if (updateKv) writeKv(m, plan, i, processKvString(h));
    const svcs = m.childrenOfType(i, 3);
    for (let s = 0; s < svcs.length; s++) { const so = m.get(svcs[s]); so.state = st; plan.note(so.c, so.k, st); }
    const sdevs = m.sdevsOfProcess(i);
    let ctrl = -1;
    if (notifyDevices) {
      const dh = h == H_FAILED ? H_OFFLINE : h;
      for (let d = 0; d < sdevs.length; d++) {
        const sd = m.get(sdevs[d]);
        if (updateKv && !deviceKvSticky(sd.kvState)) writeKv(m, plan, sdevs[d], sdevKvString(dh));
        if (sd.ref >= 0) {
          const dr = m.get(sd.ref);
          // the state the KV holds once this change is recorded: written here, or by the hax that
          // records it in the same transaction as its BQ entry (the model may not have read it yet)
          const kv = updateKv || deviceKvSticky(sd.kvState) || sd.key.length == 0 ? sd.kvState : sdevKvString(dh);
          const dst = deviceKvToNote(kv);
          dr.state = dst; sd.state = dst;
          plan.note(dr.c, dr.k, dst);
          if (ctrl < 0) ctrl = m.ctrlOfDrive(sd.ref);
        }
      }
    }
    if (ctrl >= 0) {
      const co = m.get(ctrl);
      co.state = st;
      plan.note(co.c, co.k, st);
      if (updateKv) writeKv(m, plan, ctrl, noteKvString(h));
    }
    const n = m.nodeOf(i);
    if (n >= 0 && ((h != H_OFFLINE && h != H_FAILED) || allIosDown(m, n, i, updateKv))) {
      const no = m.get(n);
      no.state = st;
      plan.note(no.c, no.k, st);
      if (updateKv) writeKv(m, plan, n, noteKvString(h));
      const e = m.enclOfNode(n);
      if (e >= 0) {
        const eo = m.get(e);
        eo.state = st;
        plan.note(eo.c, eo.k, st);
        if (updateKv) writeKv(m, plan, e, noteKvString(h));
      }
    }
    return;
  }
  if (o.type == O_DRIVE) {
    if (updateKv && o.ref >= 0) writeKv(m, plan, o.ref, sdevKvString(h));
    if (o.ref >= 0) m.get(o.ref).state = st;
    return;
  }
  if (o.type == O_NODE) {
    if (updateKv) writeKv(m, plan, i, noteKvString(h));
    const e = m.enclOfNode(i);
    if (e < 0) return;
    const eo = m.get(e);
    eo.state = st;
    plan.note(eo.c, eo.k, st);
    if (updateKv) writeKv(m, plan, e, noteKvString(h));
    const ctrls = m.childrenOfType(e, O_CTRL);
    for (let c = 0; c < ctrls.length; c++) {
      const co = m.get(ctrls[c]);
      if (updateKv && (h == H_FAILED || h == H_OFFLINE)) writeKv(m, plan, ctrls[c], noteKvString(h));
      const cst = namedKvToNote(co.kvState);
      co.state = cst;
      plan.note(co.c, co.k, cst);
    }
  }
}

/**
 * Emits the plan's notes as NVEC SET broadcasts (chunks of ≤ 1024). scope 1 =
 * hax's own link only. Returns the broadcast id (0 when nothing was sent).
 * With wait, the host holds the decision's later actions until delivery.
 */
export function emitBroadcast(out: Out, plan: Plan, scope: u8, skipC: Array<u64>, skipK: Array<u64>, wait: bool): u32 {
  const n = plan.size;
  if (n == 0) return 0;
  const id = state.takeBroadcastId();
  const err = new CodecError();
  for (let sent = 0; sent < n;) {
    const chunk = min(NOTES_PER_MESSAGE, n - sent);
    if (out.room < <usize>(RECORD_HEADER + 16 + 20592 + 4 + chunk * 20 + skipC.length * 16)) { state.count('broadcast_truncated'); break; }
    const at = beginBroadcastTo(out, id, scope, skipC, skipK);
    const lenAt = out.w.pos - 4;
    encodeNvecSet(out.w, plan.cs, plan.ks, plan.sts, sent, chunk, 0, err);
    if (err.failed) abort('expansion produced a note Motr refuses: ' + describe(err));
    endBroadcastTo(out, at, lenAt, plan.cs, plan.ks, plan.sts, sent, chunk);
    sent += chunk;
  }
  if (wait) awaitDelivery(out, id, DELIVERY_TIMEOUT_MS);
  return id;
}

