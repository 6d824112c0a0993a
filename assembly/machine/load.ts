// Keeping the model current: the host's blocking queries on m0conf/,
// processes/ and the health of the hax/confd/ios services arrive here as
// records. A view never overrides what this core wrote more recently: an
// entry whose ModifyIndex is below the index of our own write (or whose write
// is still in flight) is stale and skipped — indexes are compared instead of
// re-reading Consul (the original's way of distrusting a late watch).
//
// Reason codes:
//   IDENTITY_SET        this hax's node and process fid (and stopping flag)
//   CONF_LOADED         the conf tree was (re)built: counts per type
//   CONF_UPDATED        a delta of the conf tree applied in place (states only)
//   CONF_PART_ORPHANED  a later part of a tree arrived with no first part: nothing changed
//   PROCESSES_LOADED    processes/ states merged (n applied, m stale skipped)
//   HEALTH_VIEWED       a service's health merged into the model
import { Reader } from '../codec/reader';
import { Out } from '../actions';
import { readStr, readFid } from '../events';
import { CONF_POOL_MEMBER } from '../abi';
import {
  Model, Obj, O_NODE, O_PROCESS, O_POOL, O_DRIVE, O_SDEV, O_ENCL, nameIndex, EVENT_NAMES, TYPE_NAMES,
} from './model';
import { hostOf } from './derive';
import { serviceFid, actOnHealth, withDeadNodesProcesses } from './health';
import { state } from './state';


function must(r: Reader): void { if (r.failed) abort('event record malformed: ' + r.err.detail); }

export function onIdentitySet(r: Reader, out: Out): void {
  state.node = readStr(r, 'node');
  state.host = hostOf(state.node);
  const f = readFid(r, 'hax fid');
  state.haxC = f.c; state.haxK = f.k;
  state.stopping = r.u8('stopping') != 0;
  // After a trap the host rebuilds the core while replies to the old
  // instance's writes may still come: the new instance numbers its writes on
  // from where the old one stopped, so such a reply finds no write of its
  // own under that number (CONSUL_REPLY_UNKNOWN_OP) instead of acknowledging
  // a message whose write is not durable. Ignored while writes are pending.
  let from = '';
  if (r.remaining >= 4) {
    const first = r.u32('firstOpId');
    if (first != 0 && state.pending.size == 0) { state.nextOpId = first; from = ', writes numbered from ' + first.toString(); }
  }
  // Likewise broadcasts: an entrypoint reply waits on its broadcast's delivery
  // by id, and the host may still track the trapped instance's broadcasts.
  if (r.remaining >= 4) {
    const first = r.u32('firstBroadcastId');
    if (first != 0) { state.nextBroadcastId = first; from += ', broadcasts numbered from ' + first.toString(); }
  }
  must(r);
  out.reason('IDENTITY_SET', 'this hax: node ' + state.node + ', process ' + f.toString() + (state.stopping ? ', stopping' : '') + from);
}

class Row {
  type: u8 = 0; c: u64 = 0; k: u64 = 0; pc: u64 = 0; pk: u64 = 0; rc: u64 = 0; rk: u64 = 0;
}

// EV_CONF_LOADED flags (abi.ts).
const F_FIRST: u8 = 1;
const F_LAST: u8 = 2;
const F_DELTA: u8 = 4;

let building: Model | null = null;
let rows = new Array<Row>();
let counts = new Array<i32>(10);

export function onConfLoaded(r: Reader, out: Out): void {
  const index = r.u64('index');
  const flags = r.u8('flags');
  const n = r.u32('count');
  if (<u64>n * 60 > <u64>r.remaining) abort('event record malformed: conf count');
  if ((flags & F_DELTA) != 0) { applyDelta(r, out, index, n); return; }
  // A later part with no build under way (the core was rebuilt after a trap
  // between two parts) must not start a model of its own: that model would
  // hold only the rest of the tree, and swapping it in lost every object of
  // the parts before (issue 17: 1,000 nodes shrank to 0).
  if ((flags & F_FIRST) == 0 && building === null) {
    out.reason('CONF_PART_ORPHANED', 'conf tree at index ' + index.toString() + ': a later part (' + n.toString() +
      ' row(s)) without its first part; ignored, the model is unchanged');
    return;
  }
  const old = state.model;
  if ((flags & F_FIRST) != 0) {
    // the garbage of an earlier build (rows, a model it replaced) is freed
    // before the next one allocates: a 1,000-node tree is built beside the
    // model it replaces, and both must fit the core's memory at once
    building = null; rows = new Array<Row>();
    __collect();
    const fresh = new Model();
    fresh.nodeHealth = old.nodeHealth;
    fresh.healthIndex = old.healthIndex;
    fresh.rowIndex = old.rowIndex;
    building = fresh;
    rows = new Array<Row>();
    counts = new Array<i32>(10);
  }
  const m = building as Model;
  for (let i: u32 = 0; i < n && !r.failed; i++) {
    const row = new Row();
    row.type = r.u8('type');
    const f = readFid(r, 'fid'); row.c = f.c; row.k = f.k;
    const p = readFid(r, 'parent'); row.pc = p.c; row.pk = p.k;
    const x = readFid(r, 'ref'); row.rc = x.c; row.rk = x.k;
    const kind = r.u8('kind');
    const modifyIndex = m.seen(r.u64('modifyIndex'));
    const key = readStr(r, 'key');
    const name = readStr(r, 'name');
    const endpoint = readStr(r, 'endpoint');
    const st = readStr(r, 'state');
    if (row.type > CONF_POOL_MEMBER) abort('event record malformed: conf type');
    counts[row.type]++;
    rows.push(row);
    if (row.type == CONF_POOL_MEMBER) continue;
    const o = new Obj();
    o.type = row.type; o.c = row.c; o.k = row.k; o.kind = kind;
    o.key = key; o.name = name; o.endpoint = endpoint; o.kvState = st; o.kvIndex = modifyIndex;
    const was = old.find(o.c, o.k);
    if (was >= 0) {
      const w = old.get(was);
      o.state = w.state; o.event = w.event; o.ptype = w.ptype; o.eventIndex = w.eventIndex;
      o.check = w.check; o.restarts = w.restarts; o.lastServiceEvent = w.lastServiceEvent;
      o.eventPending = w.eventPending; o.kvPending = w.kvPending; o.keyIndex = w.keyIndex;
      o.eventLate = w.eventLate; o.ptypeLate = w.ptypeLate; o.eventLateIndex = w.eventLateIndex;
      o.kvLate = w.kvLate; o.kvLateIndex = w.kvLateIndex;
      if (w.kvPending > 0 || modifyIndex < w.kvIndex) {
        o.kvState = w.kvState; o.kvIndex = w.kvIndex;
        if (w.kvPending > 0) lateKv(o, modifyIndex, st);
      }
    }
    m.add(o);
  }
  must(r);
  if ((flags & F_LAST) == 0) {
    out.reason('CONF_LOADED', 'conf tree at index ' + index.toString() + ': part of ' + n.toString() + ' row(s) stored, more to come');
    return;
  }
  building = null;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const self = m.find(row.c, row.k);
    const parent = (row.pc | row.pk) != 0 ? m.find(row.pc, row.pk) : -1;
    if (row.type == CONF_POOL_MEMBER) {
      if (self >= 0 && parent >= 0) m.get(parent).children.push(self);
      continue;
    }
    if (self < 0) continue;
    const o = m.get(self);
    if (parent >= 0) { o.parent = parent; m.get(parent).children.push(self); }
    if ((row.rc | row.rk) != 0) {
      const ref = m.find(row.rc, row.rk);
      o.ref = ref;
      if (ref >= 0 && o.type == O_DRIVE && m.get(ref).type == O_SDEV) m.get(ref).ref = self;
    }
  }
  m.loaded = true;
  m.confIndex = index;
  state.model = m;
  rows = new Array<Row>();
  __collect();
  out.reason('CONF_LOADED', 'conf tree at index ' + index.toString() + ': ' + counts[O_NODE].toString() + ' node(s), ' +
    counts[O_PROCESS].toString() + ' process(es), ' + counts[3].toString() + ' service(s), ' + counts[O_SDEV].toString() +
    ' sdev(s), ' + counts[O_DRIVE].toString() + ' drive(s), ' + counts[O_ENCL].toString() + ' enclosure(s), ' +
    counts[O_POOL].toString() + ' pool(s) with ' + counts[CONF_POOL_MEMBER].toString() + ' member(s)');
}

/** A view of a state our write in flight may have overwritten or been overwritten by: settle() decides (commit.ts). */
function lateKv(o: Obj, modifyIndex: u64, st: string): void {
  if (modifyIndex > o.kvLateIndex) { o.kvLate = st; o.kvLateIndex = modifyIndex; }
}

/**
 * A delta of the conf tree: rows whose value changed while the structure
 * (objects, parents, references) stayed the same, so they are applied to the
 * objects in place. The host sends one when an outside write changed states
 * only (model-source.ts); anything else comes as a whole tree. As with a whole
 * tree, a value older than our own write, or one of a write still in flight,
 * is skipped. A row naming no object of the model is counted, not applied.
 */
function applyDelta(r: Reader, out: Out, index: u64, n: u32): void {
  const m = state.model;
  let applied = 0, same = 0, stale = 0, unknown = 0;
  for (let i: u32 = 0; i < n && !r.failed; i++) {
    const type = r.u8('type');
    const f = readFid(r, 'fid');
    readFid(r, 'parent'); readFid(r, 'ref');
    r.u8('kind');
    const modifyIndex = state.model.seen(r.u64('modifyIndex'));
    readStr(r, 'key'); readStr(r, 'name'); readStr(r, 'endpoint');
    const st = readStr(r, 'state');
    const p = m.find(f.c, f.k);
    if (p < 0 || m.get(p).type != type) { unknown++; continue; }
    const o = m.get(p);
    if (o.kvPending > 0) { lateKv(o, modifyIndex, st); stale++; continue; }
    if (modifyIndex < o.kvIndex) { stale++; continue; }
    if (modifyIndex == o.kvIndex && o.kvState == st) { same++; continue; }
    o.kvState = st; o.kvIndex = modifyIndex;
    applied++;
  }
  must(r);
  if (index > m.confIndex) m.confIndex = index;
  out.reason('CONF_UPDATED', 'conf tree at index ' + index.toString() + ': ' + applied.toString() + ' state(s) applied in place, ' +
    same.toString() + ' already known, ' + stale.toString() + ' older than our own writes skipped, ' + unknown.toString() + ' not in the model');
}

export function onProcessesLoaded(r: Reader, out: Out): void {
  const index = r.u64('index');
  const n = r.u32('count');
  if (<u64>n * 24 > <u64>r.remaining) abort('event record malformed: processes count');
  const m = state.model;
  let applied = 0, stale = 0, unknown = 0;
  for (let i: u32 = 0; i < n && !r.failed; i++) {
    const f = readFid(r, 'fid');
    const ev = nameIndex(EVENT_NAMES, readStr(r, 'event'));
    const ty = nameIndex(TYPE_NAMES, readStr(r, 'type'));
    const mi = state.model.seen(r.u64('modifyIndex'));
    const p = m.find(f.c, f.k);
    if (p < 0) { unknown++; continue; }
    const o = m.get(p);
    if (o.eventPending > 0) {
      if (mi > o.eventLateIndex) { o.eventLate = ev; o.ptypeLate = ty; o.eventLateIndex = mi; }
      stale++; continue;
    }
    if (mi < o.eventIndex) { stale++; continue; }
    if (o.eventIndex == mi && o.event == ev) continue;
    o.event = ev; o.ptype = ty; o.eventIndex = mi;
    applied++;
  }
  if (r.remaining >= 4) {
    const k = r.u32('restart count');
    for (let i: u32 = 0; i < k && !r.failed; i++) {
      const f = readFid(r, 'fid');
      const c = r.u32('restarts');
      const p = m.find(f.c, f.k);
      if (p >= 0 && c > m.get(p).restarts) m.get(p).restarts = c;
    }
  }
  must(r);
  out.reason('PROCESSES_LOADED', 'processes/ at index ' + index.toString() + ': ' + applied.toString() + ' state(s) applied, ' +
    stale.toString() + ' older than our own writes skipped, ' + unknown.toString() + ' not in the conf tree');
}

export function onHealthViewed(r: Reader, out: Out): void {
  const index = r.u64('index');
  const service = readStr(r, 'service');
  const n = r.u32('count');
  if (<u64>n * 10 > <u64>r.remaining) abort('event record malformed: health count');
  const m = state.model;
  let matched = 0, failing = 0;
  const procs = new Array<i32>();
  for (let i: u32 = 0; i < n && !r.failed; i++) {
    const id = readStr(r, 'serviceId');
    const node = readStr(r, 'node');
    const ns = r.u8('nodeStatus');
    const ss = r.u8('serviceStatus');
    m.nodeHealth.set(hostOf(node), ns);
    const f = serviceFid(id);
    if (f === null) continue;
    const p = m.find(f.c, f.k);
    if (p < 0) continue;
    m.get(p).check = ss;
    matched++;
    if (m.get(p).type == O_PROCESS) procs.push(p);
    if (ss != 0 || ns != 0) failing++;
  }
  must(r);
  if (index > m.healthIndex) m.healthIndex = index;
  const viewed = 'health of ' + service + ' at index ' + index.toString() + ': ' + n.toString() + ' instance(s), ' +
    matched.toString() + ' in the conf tree, ' + failing.toString() + ' not passing';
  // Acted on as POST / would be (health.ts), whichever of the two reaches hax
  // first: hax's own blocking query on the local agent skips the agent's watch
  // handler and its POST, and was seen first by up to 280 ms on a busy 10-node
  // cluster. The rule is idempotent, so the later of the two changes nothing.
  const acted = actOnHealth(withDeadNodesProcesses(procs), out);
  if (acted.recorded.length > 0) { out.reason('HEALTH_ACTED', viewed + '; ' + acted.recorded + (acted.told.length ? '; ' + acted.told : '')); return; }
  if (acted.told.length > 0) { out.reason('HEALTH_TOLD_LOCALLY', viewed + '; ' + acted.told); return; }
  out.reason('HEALTH_VIEWED', viewed);
}

