// NVEC GET answers, NVEC SET re-broadcast rules and FAILURE_VEC_REQ replies
// (hax-reference.md §4.3, §4.4, §5.3; motr-ha-wire.md §2.7).
//
// NVEC GET, per note, from the model (never Consul):
//   PROCESS    §5.2(b) current health → note; RECOVERING of confd/hax → ONLINE; hax itself ONLINE
//   SERVICE    as its process
//   SDEV/DRIVE the sdev's KV state (§5.3 table); not found → ONLINE
//   NODE/ENCLOSURE/CONTROLLER  the KV state name (M0_NC_UNKNOWN → TRANSIENT); not found → ONLINE
//   anything else              ONLINE
// The reply is always sent: same id_of_get, same fids in the same order; a
// state Motr would refuse is replaced by the best-known allowed one and counted.
//
// NVEC SET from Motr: ONLINE, REPAIRED → re-broadcast as is; REPAIR → FAILED;
// REBALANCE → REPAIRED; others ignored. KV states updated; ack after the txn.
//
// FAILURE_VEC_REQ: FAILURE_VEC_REP {pool, same cookie, the pool's drives that
// are not ONLINE, with their states}; an unknown pool gets 0 notes (never
// silence: m0d waits for it). Only non-ONLINE drives: m0d applies every listed
// device as a pool-machine transition (m0_poolmach_failvec_apply), and an
// ONLINE one panics it (pool_machine.c:688, seen with real m0d); the original
// always sent 0 notes.
//
// Reason codes: NVEC_GET_ANSWERED, NVEC_SET_REBROADCAST, NVEC_SET_IGNORED,
// FAILURE_VEC_ANSWERED, FAILURE_VEC_UNKNOWN_POOL
import { setNoteRefusal } from '../codec/schema';
import { encodeNvecSet } from '../codec/ha-msg';
import { CodecError, describe } from '../codec/errors';
import { formatFid } from '../codec/fid';
import { Out, beginSend, endSend } from '../actions';
import { MessageReceived } from '../events';
import { O_PROCESS, O_SERVICE, O_SDEV, O_DRIVE, O_NODE, O_ENCL, O_CTRL, O_POOL } from './model';
import {
  processNote, deviceKvToNote, namedKvToNote, noteToHealth, NC_ONLINE, NC_TRANSIENT, NC_FAILED, NC_REPAIR,
  NC_REPAIRED, NC_REBALANCE, H_UNKNOWN,
} from './derive';
import { Plan, expand, emitBroadcast, stateShort } from './expand';
import { Commit, commit } from './commit';
import { state } from './state';

const NOTES_AT: usize = 104;
const NOTE_WIRE: usize = 20;

/** The state hax answers for one fid (NVEC GET, GET /api/v1/states). */
export function noteFor(c: u64, k: u64): u32 {
  const m = state.model;
  const i = m.find(c, k);
  let st: u32 = NC_ONLINE;
  if (i >= 0) {
    const o = m.get(i);
    if (o.type == O_PROCESS) st = processNote(m, i, state.host, state.isHax(c, k));
    else if (o.type == O_SERVICE) {
      const p = m.processOf(i);
      st = p >= 0 ? processNote(m, p, state.host, state.isHax(m.get(p).c, m.get(p).k)) : NC_ONLINE;
    } else if (o.type == O_SDEV) st = deviceKvToNote(o.kvState);
    else if (o.type == O_DRIVE) st = o.ref >= 0 ? deviceKvToNote(m.get(o.ref).kvState) : deviceKvToNote(o.kvState);
    else if (o.type == O_NODE || o.type == O_ENCL || o.type == O_CTRL) st = namedKvToNote(o.kvState);
  }
  if (setNoteRefusal(c, st) != 0) { state.count('nvec_state_replaced'); st = st == NC_REPAIR || st == NC_REBALANCE ? NC_TRANSIENT : NC_TRANSIENT; }
  return st;
}

export function onNvecGet(e: MessageReceived, out: Out): void {
  const base = e.msg.ptr;
  const idOfGet = load<u64>(base + 80);
  const n = <i32>load<u64>(base + 96);
  const cs = new Array<u64>(n), ks = new Array<u64>(n), sts = new Array<u32>(n);
  let unknown = 0;
  for (let i = 0; i < n; i++) {
    const at = base + NOTES_AT + <usize>i * NOTE_WIRE;
    cs[i] = load<u64>(at); ks[i] = load<u64>(at + 8);
    if (state.model.find(cs[i], ks[i]) < 0) unknown++;
    sts[i] = noteFor(cs[i], ks[i]);
  }
  const at = beginSend(out, e.linkId);
  const err = new CodecError();
  encodeNvecSet(out.w, cs, ks, sts, 0, n, idOfGet, err);
  if (err.failed) abort('NVEC GET answer refused: ' + describe(err));
  endSend(out, at);
  out.acknowledge(e.linkId, e.tag);
  let summary = '';
  for (let i = 0; i < min(n, 5); i++) summary += (i ? ', ' : '') + formatFid(cs[i], ks[i]) + ' ' + stateShort(sts[i]);
  if (n > 5) summary += ', …';
  out.reason('NVEC_GET_ANSWERED', 'NVEC GET id ' + idOfGet.toString() + ' on link ' + e.linkId.toString() + ': ' + n.toString() +
    ' note(s) answered from the model (' + unknown.toString() + ' not in the conf tree, answered ONLINE): ' + summary);
}

/** NVEC SET from Motr: the §4.4 re-broadcast mapping; 0 = ignored. */
export function setRebroadcast(s: u32): u32 {
  if (s == NC_ONLINE || s == NC_REPAIRED) return s;
  if (s == NC_REPAIR) return NC_FAILED;
  if (s == NC_REBALANCE) return NC_REPAIRED;
  return 0;
}

export function onNvecSet(e: MessageReceived, out: Out): void {
  const base = e.msg.ptr;
  const n = <i32>load<u64>(base + 96);
  const m = state.model;
  const plan = new Plan();
  let ignored = 0;
  for (let i = 0; i < n; i++) {
    const at = base + NOTES_AT + <usize>i * NOTE_WIRE;
    const c = load<u64>(at), k = load<u64>(at + 8), s = load<u32>(at + 16);
    const t = setRebroadcast(s);
    if (t == 0) { ignored++; continue; }
    const x = m.find(c, k);
    const h = noteToHealth(t);
    if (x >= 0 && h != H_UNKNOWN) expand(plan, x, h, true, true, false);
    else if (setNoteRefusal(c, t) == 0) plan.note(c, k, t);
  }
  if (plan.size == 0) {
    out.acknowledge(e.linkId, e.tag);
    out.reason('NVEC_SET_IGNORED', 'NVEC SET of ' + n.toString() + ' note(s) on link ' + e.linkId.toString() + ': none is ONLINE, REPAIR, REPAIRED or REBALANCE; acknowledged');
    return;
  }
  emitBroadcast(out, plan, 0, [], [], false);
  const cm = new Commit();
  cm.linkId = e.linkId; cm.tag = e.tag; cm.what = 'NVEC SET states';
  commit(out, plan, cm);
  out.reason('NVEC_SET_REBROADCAST', 'NVEC SET of ' + n.toString() + ' note(s) (' + ignored.toString() + ' ignored): re-broadcast ' +
    plan.summary() + '; ' + plan.ops.length.toString() + ' KV op(s); acknowledged once durable');
}

export function onFailureVecReq(e: MessageReceived, out: Out): void {
  const base = e.msg.ptr;
  const pc = load<u64>(base + 72), pk = load<u64>(base + 80);
  const cookieAddr = load<u64>(base + 88), cookieGen = load<u64>(base + 96);
  const m = state.model;
  const pool = m.find(pc, pk);
  const known = pool >= 0 && m.get(pool).type == O_POOL;
  const all = known ? m.drivesOfPool(pool) : new Array<i32>();
  const drives = new Array<i32>();
  const states = new Array<u32>();
  for (let i = 0; i < all.length && drives.length < 1024; i++) {
    const d = m.get(all[i]);
    const st = noteFor(d.c, d.k);
    if (st == NC_ONLINE) continue;
    drives.push(all[i]); states.push(st);
  }
  const n = drives.length;
  const at = beginSend(out, e.linkId);
  const w = out.w;
  w.fid(pc, pk);            // hm_fid = the pool, as the original's reply
  w.zeros(48);              // source process, source service, time, epoch
  w.u64(4);                 // M0_HA_MSG_FAILURE_VEC_REP
  w.fid(pc, pk);
  w.u64(cookieAddr); w.u64(cookieGen);
  w.u32(<u32>n);
  for (let i = 0; i < n; i++) {
    const d = m.get(drives[i]);
    w.fid(d.c, d.k); w.u32(states[i]);
  }
  w.zeros(<usize>(1024 - n) * NOTE_WIRE);
  w.u64(0);                 // hm_tag
  endSend(out, at);
  out.acknowledge(e.linkId, e.tag);
  if (!known) {
    out.reason('FAILURE_VEC_UNKNOWN_POOL', 'FAILURE_VEC_REQ for pool ' + formatFid(pc, pk) + ' on link ' + e.linkId.toString() +
      ': not a pool of the conf tree; replied with 0 devices and the same cookie so the process does not wait');
    return;
  }
  out.reason('FAILURE_VEC_ANSWERED', 'FAILURE_VEC_REQ for pool ' + formatFid(pc, pk) + ' on link ' + e.linkId.toString() + ': ' +
    n.toString() + ' of ' + all.length.toString() + ' device(s) listed (those not ONLINE), same cookie');
}
