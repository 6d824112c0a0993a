// The broadcast queue's messages (hax-reference.md §6.4) and POST
// /watcher/processes. bq-read.ts decides which bq/ entries are messages and
// which are new, and calls bqMessage for each in epoch order; the reason code
// is the message's outcome.
//
//   message_type          rule
//   PROCESS-STATE-UPDATE  remote process → broadcast its mapped health (no KV
//                         states), record <node>/processes/<fid>; local → skip
//   M0_HA_MSG_NVEC        {node, device, state} → the drive of that sdev path → broadcast, sdev KV state
//   STOB_IOQ_ERROR        FAILED for conf_sdev's drive (0:0 skipped)
//   SNS_OP                counted: SNS needs spiel, which the socket backend has not
//   other                 skipped with a reason
//
// Reason codes: BQ_BROADCAST, BQ_LOCAL_SKIPPED, BQ_UNKNOWN_OBJECT, BQ_BAD_PAYLOAD,
// BQ_UNSUPPORTED, BQ_UNKNOWN_TYPE; PROCESS_KEY_BROADCAST, PROCESS_KEY_SKIPPED.
import { Reader } from '../codec/reader';
import { Value, V_OBJ, V_STR } from '../codec/value';
import { CodecError } from '../codec/errors';
import { parseJson } from '../codec/json';
import { Fid, parseFidText } from '../codec/fid';
import { Out } from '../actions';
import { readStr } from '../events';
import { O_SDEV, O_PROCESS, nameIndex, EVENT_NAMES, TYPE_NAMES, T_M0MKFS, E_STARTED, E_DTM_RECOVERED, E_STOPPED } from './model';
import {
  bqEventToHealth, hostOf, H_UNKNOWN, H_OK, H_FAILED, H_OFFLINE, H_RECOVERING, H_REPAIR, H_REPAIRED, H_REBALANCE, HEALTH_NAMES,
} from './derive';
import { Plan, expand, emitBroadcast } from './expand';
import { Commit, commit, processValue, consulKnownIndex } from './commit';
import { state } from './state';

function str(v: Value, key: string): string {
  const x = v.get(key);
  return x !== null && x.kind == V_STR ? x.str : '';
}

/**
 * One BQ message, read by bq-read.ts from Consul's bq/<epoch> value (parsed
 * there, once): `p` is its payload, null when the value held no JSON object
 * payload. Gives its outcome as out.reason (bq-read.ts collects it).
 */
export function bqMessage(epoch: u64, type: string, p: Value | null, out: Out): void {
  const head = 'bq/' + epoch.toString() + ' ' + type + ': ';
  if (p === null || p.kind != V_OBJ) {
    if (type == 'SNS_OP') { state.count('BQ SNS_OP'); out.reason('BQ_UNSUPPORTED', head + 'SNS operations need spiel; counted, marked read'); return; }
    out.reason(type == 'PROCESS-STATE-UPDATE' || type == 'M0_HA_MSG_NVEC' || type == 'STOB_IOQ_ERROR' ? 'BQ_BAD_PAYLOAD' : 'BQ_UNKNOWN_TYPE',
      head + 'payload is not a JSON object; skipped, marked read');
    return;
  }
  const m = state.model;
  const plan = new Plan();
  if (type == 'PROCESS-STATE-UPDATE') {
    const f = new Fid();
    if (!parseFidText(str(p, 'fid'), f)) { out.reason('BQ_BAD_PAYLOAD', head + 'no fid'); return; }
    out.subject(f.c, f.k);
    const i = m.find(f.c, f.k);
    const ev = nameIndex(EVENT_NAMES, str(p, 'state'));
    const h = bqEventToHealth(ev);
    if (i >= 0 && m.nodeOf(i) >= 0 && m.hostOf(i) == state.host) {
      out.reason('BQ_LOCAL_SKIPPED', head + f.toString() + ' is a process of this node: its own hax already broadcast it');
      return;
    }
    if (h == H_UNKNOWN) { out.reason('BQ_BAD_PAYLOAD', head + 'state "' + str(p, 'state') + '" has no mapping'); return; }
    if (i >= 0) {
      expand(plan, i, h, false, true, false);
      const o = m.get(i);
      if (o.eventPending == 0) { o.event = ev; o.ptype = nameIndex(TYPE_NAMES, str(p, 'type')); }
    } else plan.note(f.c, f.k, h == H_OK ? 1 : 3);
    plan.ops.set(state.node + '/processes/' + f.toString(), processValue(str(p, 'state'), str(p, 'type')));
    emitBroadcast(out, plan, 0, [], [], false);
    const c = new Commit(); c.ack = false; c.what = 'BQ ' + epoch.toString();
    commit(out, plan, c);
    out.reason('BQ_BROADCAST', head + f.toString() + ' ' + str(p, 'state') + ' → ' + HEALTH_NAMES[h] + ': ' + plan.summary());
    return;
  }
  if (type == 'M0_HA_MSG_NVEC') {
    const node = str(p, 'node'), device = str(p, 'device'), st = str(p, 'state');
    const h = deviceHealth(st);
    let drive = -1;
    for (let i = 0; i < m.objs.length && drive < 0; i++) {
      const o = m.objs[i];
      if (o.type != O_SDEV || o.name != device || o.ref < 0) continue;
      const n = m.nodeOf(i);
      if (n >= 0 && hostOf(m.get(n).name) == hostOf(node)) drive = o.ref;
    }
    if (drive < 0 || h == H_UNKNOWN) { out.reason('BQ_UNKNOWN_OBJECT', head + 'no drive for ' + device + ' on ' + node + ' (or state "' + st + '" unknown)'); return; }
    expand(plan, drive, h, true, true, false);
    emitBroadcast(out, plan, 0, [], [], false);
    const c = new Commit(); c.ack = false; c.what = 'BQ ' + epoch.toString();
    commit(out, plan, c);
    out.reason('BQ_BROADCAST', head + device + ' on ' + node + ' ' + st + ': ' + plan.summary());
    return;
  }
  if (type == 'STOB_IOQ_ERROR') {
    const f = new Fid();
    parseFidText(str(p, 'conf_sdev'), f);
    const i = (f.c | f.k) == 0 ? -1 : m.find(f.c, f.k);
    if (i < 0) { out.reason('BQ_UNKNOWN_OBJECT', head + 'sdev ' + str(p, 'conf_sdev') + ' is 0:0 or not in the conf tree; skipped'); return; }
    const o = m.get(i);
    if (o.type == O_SDEV && o.ref >= 0) expand(plan, o.ref, H_FAILED, false, true, false);
    plan.note(o.c, o.k, 2);
    emitBroadcast(out, plan, 0, [], [], false);
    out.reason('BQ_BROADCAST', head + 'FAILED: ' + plan.summary());
    return;
  }
  if (type == 'SNS_OP') { state.count('BQ SNS_OP'); out.reason('BQ_UNSUPPORTED', head + 'SNS operations need spiel; counted, marked read'); return; }
  out.reason('BQ_UNKNOWN_TYPE', head + 'unknown message type; skipped, marked read');
}

function deviceHealth(s: string): u8 {
  if (s == 'online') return H_OK;
  if (s == 'failed') return H_FAILED;
  if (s == 'offline') return H_OFFLINE;
  if (s == 'repair') return H_REPAIR;
  if (s == 'repaired') return H_REPAIRED;
  if (s == 'rebalance') return H_REBALANCE;
  return H_UNKNOWN;
}

/** Consul's indexes are JSON numbers its clients read as doubles: none goes above 2^53-1. */
const MAX_CONSUL_INDEX: u64 = 9007199254740991;

/** Per process: the last POST /watcher/processes index acted on that Consul had not reported to hax yet. */
const aheadKeyIndex = new Map<string, u64>();

/** ProcessKeyPosted's index field: absent, a u64 that may be an index, or a number that is none (negative, fractional, above 2^64). */
const INDEX_ABSENT: u8 = 0;
const INDEX_GIVEN: u8 = 1;
const INDEX_INVALID: u8 = 2;

/**
 * POST /watcher/processes: the watch entry as Consul's agent sent it (key,
 * value text, ModifyIndex or else X-Consul-Index), read here once: a missing
 * entry, a key that is not processes/<fid> or a value that is not a JSON
 * object is skipped with the reason.
 */
export function onProcessKey(r: Reader, out: Out): void {
  const present = r.u8('present') != 0;
  const key = readStr(r, 'key');
  const valueText = readStr(r, 'value');
  const indexKind = r.u8('index kind');
  let mi = r.u64('modifyIndex');
  if (r.failed) abort('event record malformed: ' + r.err.detail);
  if (indexKind > INDEX_INVALID) abort('event record malformed: index kind');
  if (!present) { out.reason('PROCESS_KEY_SKIPPED', 'no key (the watch fires with null for a missing key)'); return; }
  const f = new Fid();
  if (!key.startsWith('processes/') || !parseFidText(key.substring(10), f)) {
    out.reason('PROCESS_KEY_SKIPPED', (key.length > 80 ? key.substring(0, 77) + '...' : key) + ' is not processes/<fid>');
    return;
  }
  out.subject(f.c, f.k);
  const err = new CodecError();
  const v = parseJson(valueText, err);
  if (err.failed || v.kind != V_OBJ) { out.reason('PROCESS_KEY_SKIPPED', key + ': value is not JSON'); return; }
  const evName = str(v, 'state');
  const tyName = str(v, 'type');
  if (indexKind == INDEX_ABSENT) mi = 0;
  const head = 'processes/' + f.toString() + ' ' + evName + ' (index ' + mi.toString() + '): ';
  const ev = nameIndex(EVENT_NAMES, evName);
  const ty = nameIndex(TYPE_NAMES, tyName);
  const h = ev == E_STARTED ? H_RECOVERING : ev == E_DTM_RECOVERED ? H_OK : ev == E_STOPPED ? H_OFFLINE : H_UNKNOWN;
  if (ty == T_M0MKFS || h == H_UNKNOWN) { out.reason('PROCESS_KEY_SKIPPED', head + 'mkfs, or STARTING/STOPPING: nothing to broadcast'); return; }
  if (indexKind == INDEX_INVALID || mi > MAX_CONSUL_INDEX) { out.reason('PROCESS_KEY_SKIPPED', head + 'ModifyIndex is not an index Consul issues (above 2^53-1, or negative): nothing sent'); return; }
  const m = state.model;
  const i = m.find(f.c, f.k);
  if (i >= 0) {
    const o = m.get(i);
    // o.keyIndex only ever holds an index Consul has reported to hax (its
    // own reads and txns): a body's ModifyIndex ahead of that is acted on
    // but only remembered for spotting an exact replay of it, so a forged
    // index in the future can never make real later changes look old.
    const fk = f.toString();
    const ahead = aheadKeyIndex.has(fk) ? aheadKeyIndex.get(fk) : 0;
    if (mi == o.keyIndex || mi == ahead) { out.reason('PROCESS_KEY_SKIPPED', head + 'the same index as the last one acted on: a replay, nothing sent'); return; }
    if (mi < o.keyIndex) { out.reason('PROCESS_KEY_SKIPPED', head + 'index older than the last one acted on (' + o.keyIndex.toString() + '): a replay, nothing sent'); return; }
    if (mi < o.eventIndex) { out.reason('PROCESS_KEY_SKIPPED', head + 'older than the model (' + o.eventIndex.toString() + '): stale, nothing sent'); return; }
    if (mi <= consulKnownIndex()) { o.keyIndex = mi; aheadKeyIndex.delete(fk); }
    else aheadKeyIndex.set(fk, mi);
  }
  const plan = new Plan();
  if (i >= 0 && m.get(i).type == O_PROCESS) expand(plan, i, h, true, true, false);
  else plan.note(f.c, f.k, h == H_OK ? 1 : h == H_RECOVERING ? 7 : 3);
  emitBroadcast(out, plan, 0, [], [], false);
  const c = new Commit(); c.ack = false; c.what = head;
  commit(out, plan, c);
  out.reason('PROCESS_KEY_BROADCAST', head + HEALTH_NAMES[h] + ' broadcast: ' + plan.summary());
}
