// POST /watcher/bq and the start-up read of the broadcast queue
// (hax-reference.md §6.4, docs/behaviour.md "The broadcast queue"). The host
// reads Consul — bq/, `epoch`, bq-delivered/ — and reports what it read with
// the watch body (BqRead); everything else is decided here:
//
//   * epoch: absent → 0; not a decimal safe integer → nothing is trusted,
//     nothing processed (HAX_ERR_BQ_EPOCH_CORRUPT in the reason);
//   * a bq/ key is a message only when it is bq/<n>, n a decimal safe integer
//     at or below the epoch (published through the CAS on epoch); any other
//     entry under bq/ is refused and reported (HAX_ERR_BQ_ENTRY_REFUSED);
//   * this node's offset (bq-delivered/<node>, -1 when absent) is read from
//     Consul once, at start-up, and then kept as this core moves it; one that
//     is not -1 or an epoch at or below the current epoch is never obeyed: it
//     is repaired to -1 (replay what is still queued), BQ_OFFSET_REPAIRED;
//   * messages above the offset go through queue.ts bqMessage in epoch
//     order; each outcome is reported (ACT_BQ_RESULT), the offset written
//     after them through the one writer (at-least-once: a replay changes
//     nothing); a full output region stops the batch, the rest comes next time;
//   * cleanup: bq/ entries at or below the lowest trusted offset of the conf
//     tree's nodes are deleted (another node's untrusted offset counts -1);
//   * the body is compared with Consul only to report what it claimed and
//     Consul does not hold: hax never acts on a watch body.
//
// Reason codes: BQ_OFFSET_LOADED, BQ_OFFSET_REPAIRED, BQ_CONSUMED,
// BQ_NOTHING_NEW.
import { Reader } from '../codec/reader';
import { Value, V_OBJ, V_STR } from '../codec/value';
import { CodecError } from '../codec/errors';
import { parseJson } from '../codec/json';
import { Out, TxnOps } from '../actions';
import { readStr } from '../events';
import { ACT_BQ_RESULT } from '../abi';
import { O_NODE } from './model';
import { Plan } from './expand';
import { Commit, commit } from './commit';
import { bqMessage } from './queue';
import { state } from './state';

/** Consul's indexes and epochs are JSON numbers clients read as doubles. */
const MAX_SAFE: i64 = 9007199254740991;
/** Below this much output room, no further message is processed in this batch. */
const ROOM_PER_MESSAGE: usize = 96 * 1024;
const NOT_LOADED: i64 = -2;

/** This node's offset as this core moved it; NOT_LOADED until read from Consul. */
let offset: i64 = NOT_LOADED;

/** A decimal safe integer ≥ 0 as publishers write it (surrounding blanks allowed), or -1 for none. */
export function parseEpoch(text: string): i64 {
  const t = text.trim();
  if (t.length == 0 || t.length > 16 || (t.length > 1 && t.charCodeAt(0) == 0x30)) return -1;
  let v: i64 = 0;
  for (let i = 0; i < t.length; i++) {
    const d = <i32>t.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= MAX_SAFE ? v : -1;
}

/** A stored offset: -1, or an epoch; -2 for anything else. */
function parseOffset(text: string): i64 {
  if (text.trim() == '-1') return -1;
  const v = parseEpoch(text);
  return v < 0 ? -2 : v;
}

function show(key: string): string {
  const k = key.length > 48 ? key.substring(0, 45) + '...' : key;
  let q = '"';
  for (let i = 0; i < k.length; i++) {
    const c = k.charAt(i);
    q += c == '"' || c == '\\' ? '\\' + c : c;
  }
  return q + '"';
}

function list(keys: Array<string>): string {
  let s = '';
  for (let i = 0; i < keys.length && i < 5; i++) s += (i ? ', ' : '') + show(keys[i]);
  return keys.length > 5 ? s + ', … (' + keys.length.toString() + ' in all)' : s;
}

/** The reason's tail: '; '-separated notes. */
class Notes {
  text: string = '';
  add(s: string): void { this.text += '; ' + s; }
}

/** An entry's value as the host sent it: absent in Consul, given, or deferred (too much for one read: it comes in a later read). */
const VALUE_NONE: u8 = 0;
const VALUE_GIVEN: u8 = 1;
const VALUE_DEFERRED: u8 = 2;

class Entry {
  constructor(public key: string, public valueKind: u8, public raw: string, public text: string) {}
  get hasRaw(): bool { return this.valueKind != VALUE_NONE; }
  get deferred(): bool { return this.valueKind == VALUE_DEFERRED; }
}

class Msg {
  constructor(public epoch: i64, public text: string, public deferred: bool) {}
}

/** The outcomes of one batch, written as one ACT_BQ_RESULT record after the other actions. */
class Outcomes {
  epochs: Array<i64> = [];
  types: Array<string> = [];
  codes: Array<string> = [];
  texts: Array<string> = [];
}

function writeResult(out: Out, off: i64, o: Outcomes): void {
  const w = out.w;
  const at = w.beginRecord(ACT_BQ_RESULT);
  w.u64(<u64>off);
  w.u32(<u32>o.epochs.length);
  for (let i = 0; i < o.epochs.length; i++) {
    w.u64(<u64>o.epochs[i]); w.str(o.types[i]); w.str(o.codes[i]); w.str(o.texts[i]);
  }
  w.endRecord(at);
  out.actions++;
}

function str(v: Value, key: string): string {
  const x = v.get(key);
  return x !== null && x.kind == V_STR ? x.str : '';
}

/** Writes the offset (and deletes) through the writer, as one planned write. */
function store(out: Out, ops: TxnOps, what: string): void {
  if (ops.length == 0) return;
  const plan = new Plan();
  plan.ops = ops;
  const c = new Commit();
  c.ack = false; c.what = what;
  commit(out, plan, c);
}

export function onBqRead(r: Reader, out: Out): void {
  const delivery = r.u8('phase') != 0;
  const epochPresent = r.u8('epoch present') != 0;
  const epochText = readStr(r, 'epoch');
  const entries = new Array<Entry>();
  const n = r.u32('bq count');
  for (let i: u32 = 0; i < n && !r.failed; i++) {
    const key = readStr(r, 'key');
    const valueKind = r.u8('has value');
    if (valueKind > VALUE_DEFERRED) abort('event record malformed: value kind');
    const raw = readStr(r, 'raw value');
    entries.push(new Entry(key, valueKind, raw, readStr(r, 'value')));
  }
  const offsetKeys = new Array<string>();
  const offsetTexts = new Array<string>();
  const m = r.u32('offset count');
  for (let i: u32 = 0; i < m && !r.failed; i++) { offsetKeys.push(readStr(r, 'key')); offsetTexts.push(readStr(r, 'value')); }
  const bodyKeys = new Array<string>();
  const bodyHas = new Array<u8>();
  const bodyRaw = new Array<string>();
  const b = r.u32('body count');
  for (let i: u32 = 0; i < b && !r.failed; i++) { bodyKeys.push(readStr(r, 'key')); bodyHas.push(r.u8('has value')); bodyRaw.push(readStr(r, 'raw value')); }
  if (r.failed) abort('event record malformed: ' + r.err.detail);

  const myKey = 'bq-delivered/' + state.node;
  const top: i64 = epochPresent ? parseEpoch(epochText) : 0;
  const ops = new TxnOps();
  const notes = new Notes();

  // This node's offset: from Consul once, then as this core moves it.
  let repaired = '';
  if (offset == NOT_LOADED || (top >= 0 && offset > top)) {
    let stored: i64 = -1;
    let storedText = '';
    let found = false;
    for (let i = 0; i < offsetKeys.length; i++) if (offsetKeys[i] == myKey) { found = true; storedText = offsetTexts[i]; stored = parseOffset(storedText); }
    if (offset != NOT_LOADED) { found = true; storedText = offset.toString(); stored = offset; }
    if (!found) offset = -1;
    else if (stored >= -1 && (top < 0 || stored <= top)) offset = stored;
    else {
      offset = -1;
      ops.set(myKey, '-1');
      repaired = 'HAX_ERR_BQ_OFFSET_CORRUPT: ' + myKey + ' held ' + show(storedText) + ', which is not an epoch Consul issued (a decimal integer at or below the current epoch ' +
        (top >= 0 ? top.toString() : '?') + '): repaired to -1, so this node replays the messages still under bq/ instead of skipping them forever';
    }
  }
  if (!delivery) {
    store(out, ops, myKey);
    if (repaired.length > 0) out.reason('BQ_OFFSET_REPAIRED', repaired);
    else out.reason('BQ_OFFSET_LOADED', myKey + ' ' + (offset < 0 ? 'absent or -1: nothing read yet' : 'at ' + offset.toString()));
    writeResult(out, offset, new Outcomes());
    return;
  }
  if (repaired.length > 0) notes.add(repaired);

  // The body, checked against Consul only to report what it claimed.
  const unlike = new Array<string>();
  for (let i = 0; i < bodyKeys.length; i++) {
    let same = false;
    for (let j = 0; j < entries.length; j++) {
      const e = entries[j];
      // a deferred value is compared in the read that carries it
      if (e.key == bodyKeys[i]) { same = e.deferred || bodyHas[i] == VALUE_DEFERRED || (e.hasRaw == (bodyHas[i] != VALUE_NONE) && (!e.hasRaw || e.raw == bodyRaw[i])); break; }
    }
    if (!same) unlike.push(bodyKeys[i]);
  }
  if (unlike.length > 0) notes.add(unlike.length.toString() + ' entr(ies) of the watch body ignored, not in Consul as sent: ' + list(unlike));

  if (top < 0) {
    store(out, ops, myKey);
    out.reason('BQ_NOTHING_NEW', 'HAX_ERR_BQ_EPOCH_CORRUPT: the epoch key holds ' + show(epochText) + ', not an integer; ' +
      entries.length.toString() + ' entr(ies) in Consul, none processed' + notes.text);
    writeResult(out, offset, new Outcomes());
    return;
  }

  const refused = new Array<string>();
  const msgs = new Array<Msg>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const k = e.key.startsWith('bq/') ? parseEpoch(e.key.substring(3)) : -1;
    if (k < 0 || k > top) refused.push(e.key); else msgs.push(new Msg(k, e.text, e.deferred));
  }
  if (refused.length > 0) {
    notes.add('HAX_ERR_BQ_ENTRY_REFUSED: ' + refused.length.toString() + ' entr(ies) under bq/ refused: not bq/<epoch> with an epoch at or below ' + top.toString() +
      ', so not published through the CAS on epoch: ' + list(refused));
  }
  msgs.sort((x: Msg, y: Msg): i32 => x.epoch < y.epoch ? -1 : x.epoch > y.epoch ? 1 : 0);

  // New messages in epoch order, each parsed once here.
  const outcomes = new Outcomes();
  let fresh = 0, left = 0;
  let stopped = false;
  // Room kept for what follows the messages: their outcomes (ACT_BQ_RESULT), the offset write and the cleanup's deletes.
  let reserve: usize = 4096;
  for (let i = 0; i < entries.length; i++) reserve += <usize>entries[i].key.length + 32;
  for (let i = 0; i < msgs.length; i++) {
    const g = msgs[i];
    if (g.epoch <= offset) continue;
    // in epoch order, always: once one message must wait (no room, or its value was deferred), every later one waits too
    if (stopped || g.deferred || out.room < ROOM_PER_MESSAGE + reserve) { stopped = true; left++; continue; }
    const err = new CodecError();
    const v = parseJson(g.text, err);
    let type = '?';
    let payload: Value | null = null;
    if (!err.failed && v.kind == V_OBJ) {
      const t = v.get('message_type');
      if (t !== null) type = t.kind == V_STR ? t.str : '?';
      const p = v.get('payload');
      // A publisher that wrote the payload as JSON text: read the text once more.
      if (p !== null && p.kind == V_STR) { const e2 = new CodecError(); const q = parseJson(p.str, e2); payload = e2.failed ? null : q; }
      else payload = p;
    }
    bqMessage(<u64>g.epoch, type, payload, out);
    outcomes.epochs.push(g.epoch); outcomes.types.push(type); outcomes.codes.push(out.reasonCode); outcomes.texts.push(out.reasonText);
    reserve += <usize>String.UTF8.byteLength(out.reasonText) + <usize>String.UTF8.byteLength(type) + <usize>out.reasonCode.length + 32;
    offset = g.epoch;
    fresh++;
  }
  if (left > 0) notes.add(left.toString() + ' new message(s) left for the next read (output region full, or their values come in a later read)');
  if (fresh > 0) ops.set(myKey, offset.toString());

  // Cleanup: what every node of the conf tree has read.
  const md = state.model;
  let nodes = 0;
  let floor: i64 = MAX_SAFE;
  for (let i = 0; i < md.objs.length; i++) {
    const o = md.objs[i];
    if (o.type != O_NODE) continue;
    nodes++;
    let their: i64 = -1;
    if (o.name == state.node) their = offset;
    else {
      for (let j = 0; j < offsetKeys.length; j++) {
        if (offsetKeys[j] != 'bq-delivered/' + o.name) continue;
        const x = parseOffset(offsetTexts[j]);
        their = x >= -1 && x <= top ? x : -1;   // an untrusted offset read nothing
      }
    }
    if (their < floor) floor = their;
  }
  let gone = 0;
  if (nodes > 0) {
    for (let i = 0; i < msgs.length; i++) if (msgs[i].epoch <= floor) { ops.del('bq/' + msgs[i].epoch.toString()); gone++; }
    if (gone > 0) notes.add(gone.toString() + ' entr(ies) every node has read removed (up to bq/' + floor.toString() + ')');
  }
  store(out, ops, myKey);
  if (fresh == 0) {
    out.reason('BQ_NOTHING_NEW', msgs.length.toString() + ' entr(ies) in Consul, none above this node\'s offset ' + offset.toString() + notes.text);
  } else {
    out.reason('BQ_CONSUMED', fresh.toString() + ' new message(s) processed, offset now ' + offset.toString() + notes.text);
  }
  writeResult(out, offset, outcomes);
}
