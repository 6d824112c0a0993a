// Flat decode: what the daemon decodes every m0_ha_msg with (codec/msg-view.ts,
// inside handle()), and what the host reads with typed views
// (src/core/flat.ts, codecDecodeFlat). Same checks as the JSON view (schema.ts
// decodeFields, ha-msg.ts decodeHaMsgAt: same error codes, same byte offsets),
// but instead of a Value tree and JSON text it writes one u64 "slot" per atom
// into the output region, in wire order, for the host to read with typed views:
//
//   unsigned atom (u8/u32/u64), enum, flag, count  → 1 slot, zero-extended
//   signed atom (i32/i64)                          → 1 slot, sign-extended to 64 bits
//   fid                                            → 2 slots: container, key
//   record                                         → its fields' slots
//   m0_buf                                         → 2 slots: byte offset in the INPUT, length
//   m0_fid_arr                                     → count, then 2 slots per fid
//   m0_bufs                                        → count, then (offset, length) per buffer
//   nvec array (1024 notes on the wire)            → 3 slots per VALID note only: container, key, state
//   m0_ha_msg                                      → fid(2) source_process(2) source_service(2)
//                                                    time epoch hed_type, branch slots, hm_tag
//
// Two implementations of that one layout:
//   flatFast  straight-line code per structure: raw loads from the input region,
//             raw stores into the output region, no managed object, no string,
//             no allocation, no shadow-stack traffic. It ACCEPTS or gives up
//             (-1); it never reports an error itself.
//   decodeFlat the schema walker (Reader/Writer/Field): the reference. It runs
//             only when flatFast gives up, i.e. on a bad input, so every error
//             code, byte offset and detail comes from one place and is exactly
//             what it always was.
// flatFast accepts exactly the inputs decodeFlat accepts, with the same slots
// (test/core/differential.test.ts and fuzz.test.ts hold both to the TypeScript
// decoder). The unused notes of an nvec array are skipped, not read (as libmotr,
// hax does not check they are zero): neither implementation reads those bytes.
import { Reader } from './reader';
import { Writer } from './writer';
import { E_ENUM_RANGE, E_FLAG_RANGE, E_COUNT_RANGE, E_STATE_RANGE, E_TRUNCATED, E_COUNT_MISMATCH, E_MSG_TYPE } from './errors';
import {
  Field, Ctx, F_UINT, F_SINT, F_ENUM, F_FLAG, F_COUNT, F_FID, F_STRUCT, F_BUF, F_NOTES,
  F_FID_ARR, F_BUFS, F_NESTED, NOTES_LEN,
} from './schema';
import { BRANCHES, MSG_TYPE_NAMES } from './ha-msg';
import { ENTRYPOINT_REQ, ENTRYPOINT_REP } from './entrypoint';
import { LINK_MSG, LINK_MSG_REP } from './link';
import { KIND_HA_MSG, KIND_ENTRYPOINT_REQ, KIND_ENTRYPOINT_REP, KIND_LINK_MSG } from '../abi';

const NOTE_STATES: u64 = 8;   // M0_NC_NR
const ctx = new Ctx();

/** Decodes exactly [r.pos, r.end) of `kind` into slots; check r.failed / w.failed after. */
export function decodeFlat(r: Reader, w: Writer, kind: u32): void {
  ctx.count = 0;
  ctx.fidCount = -1;
  if (kind == KIND_HA_MSG) { msgFlat(r, w); r.expectEnd('m0_ha_msg'); return; }
  if (kind == KIND_ENTRYPOINT_REQ) fieldsFlat(r, w, ENTRYPOINT_REQ);
  else if (kind == KIND_ENTRYPOINT_REP) fieldsFlat(r, w, ENTRYPOINT_REP);
  else if (kind == KIND_LINK_MSG) fieldsFlat(r, w, LINK_MSG);
  else fieldsFlat(r, w, LINK_MSG_REP);
  r.expectEnd('fop');
}

function msgFlat(r: Reader, w: Writer): void {
  for (let i = 0; i < 8; i++) w.u64(r.u64(i < 2 ? 'hm_fid' : i < 4 ? 'hm_source_process' : i < 6 ? 'hm_source_service' : i == 6 ? 'hm_time' : 'hm_epoch'));
  const typeAt = r.offset;
  const t = r.u64('hed_type');
  if (r.failed) return;
  if (t >= <u64>MSG_TYPE_NAMES.length) {
    r.fail(E_MSG_TYPE, typeAt, 'hed_type ' + t.toString() + ' is not a known m0_ha_msg_type');
    return;
  }
  w.u64(t);
  const saved = ctx.count;
  fieldsFlat(r, w, unchecked(BRANCHES[<i32>t]));
  ctx.count = saved;
  w.u64(r.u64('hm_tag'));
}

function fieldsFlat(r: Reader, w: Writer, fields: Array<Field>): void {
  for (let i = 0, n = fields.length; i < n && !r.failed; i++) fieldFlat(r, w, unchecked(fields[i]));
}

function atom(r: Reader, width: i32, what: string): u64 {
  if (width == 8) return r.u64(what);
  if (width == 4) return <u64>r.u32(what);
  return <u64>r.u8(what);
}

function fieldFlat(r: Reader, w: Writer, f: Field): void {
  const at = r.offset;
  const k = f.kind;
  if (k == F_UINT) { w.u64(atom(r, f.width, f.name)); return; }
  if (k == F_FID) { w.u64(r.u64(f.name)); w.u64(r.u64(f.name)); return; }
  if (k == F_SINT) {
    const raw = atom(r, f.width, f.name);
    w.u64(f.width == 4 ? <u64><i64><i32><u32>raw : raw);
    return;
  }
  if (k == F_ENUM) {
    const v = atom(r, f.width, f.name);
    if (f.strict && !r.failed && v >= <u64>(f.names as Array<string>).length) {
      r.fail(E_ENUM_RANGE, at, f.name + ' = ' + v.toString() + ' has no name');
    }
    w.u64(v);
    return;
  }
  if (k == F_FLAG) {
    const v = atom(r, f.width, f.name);
    if (v > 1) r.fail(E_FLAG_RANGE, at, f.name + ' = ' + v.toString() + ', must be 0 or 1');
    w.u64(v);
    return;
  }
  if (k == F_COUNT) {
    const v = atom(r, f.width, f.name);
    if (!r.failed && (v < f.min || v > f.max)) {
      r.fail(E_COUNT_RANGE, at, f.name + ' = ' + v.toString() + ', must be ' + f.min.toString() + '..' + f.max.toString());
    }
    ctx.count = v;
    w.u64(v);
    return;
  }
  if (k == F_STRUCT) { fieldsFlat(r, w, f.sub as Array<Field>); return; }
  if (k == F_BUF) {
    const n = r.u64(f.name);
    if (r.failed) return;
    w.u64(<u64>r.skip(n, f.name));
    w.u64(n);
    return;
  }
  if (k == F_NOTES) { notesFlat(r, w, f); return; }
  if (k == F_FID_ARR) {
    const n = r.u32(f.name);
    if (r.failed) return;
    if (<u64>n * 16 > <u64>r.remaining) {
      r.fail(E_TRUNCATED, at, f.name + ': ' + n.toString() + ' fids do not fit in ' + r.remaining.toString() + ' bytes');
      return;
    }
    w.u64(<u64>n);
    for (let i: u32 = 0; i < n; i++) { w.u64(r.u64(f.name)); w.u64(r.u64(f.name)); }
    ctx.fidCount = <i64>n;
    return;
  }
  if (k == F_BUFS) {
    const n = r.u32(f.name);
    if (r.failed) return;
    if (ctx.fidCount >= 0 && <i64>n != ctx.fidCount) {
      r.fail(E_COUNT_MISMATCH, at, f.name + ' count ' + n.toString() + ' != fids count ' + ctx.fidCount.toString());
      return;
    }
    if (<u64>n * 8 > <u64>r.remaining) {
      r.fail(E_TRUNCATED, at, f.name + ': ' + n.toString() + ' buffers do not fit');
      return;
    }
    w.u64(<u64>n);
    for (let i: u32 = 0; i < n && !r.failed; i++) {
      const len = r.u64(f.name);
      if (r.failed) return;
      w.u64(<u64>r.skip(len, f.name));
      w.u64(len);
    }
    return;
  }
  if (k == F_NESTED) { msgFlat(r, w); return; }
  abort('flat: unknown field kind');
}

/** The valid notes as (container, key, state) slots; the rest skipped. */
function notesFlat(r: Reader, w: Writer, f: Field): void {
  const valid = <u32>min<u64>(ctx.count, <u64>NOTES_LEN);
  for (let i: u32 = 0; i < valid; i++) {
    const noteAt = r.offset;
    const c = r.u64('no_id');
    const key = r.u64('no_id');
    const st = r.u32('no_state');
    if (r.failed) return;
    if (<u64>st >= NOTE_STATES) {
      r.fail(E_STATE_RANGE, noteAt + 16, f.name + '[' + i.toString() + '].no_state = ' + st.toString() + ', must be < 8');
      return;
    }
    w.u64(c);
    w.u64(key);
    w.u64(<u64>st);
  }
  r.skipNotes(<u32>NOTES_LEN - valid);
}

// ---- fast path -------------------------------------------------------------------
//
// Every function below works on absolute addresses (usize) only. `fp` is the
// input cursor; each structure function returns the output cursor after its
// slots, or 0 when the input is not valid (the caller then gives up). Lengths
// are checked before the loads they guard, so no load ever leaves [start, end).

/** Wire sizes of the fixed parts (motr-ha-wire.md §2, §4, §6). */
const MSG_HEADER: usize = 72;          // hm_fid, hm_source_process, hm_source_service, hm_time, hm_epoch, hed_type
const NOTES_BYTES: usize = 20 * 1024;  // the nvec array, always all 1024 notes
const LINK_PARAMS: usize = 112;        // 3 × u128 + 2 × 4 × u64
const HA_COOKIE: usize = 40;           // 3 × u64 + u128

let fp: usize = 0;

@inline function cp(o: usize, p: usize): void { store<u64>(o, load<u64>(p)); }

/** Copies n u64 atoms (n small and constant at every call site). */
@inline function cpn(o: usize, p: usize, n: usize): void {
  for (let i: usize = 0; i < n; i++) store<u64>(o + (i << 3), load<u64>(p + (i << 3)));
}

/**
 * `valid` notes at p as (container, key, state) slots at o; returns the output
 * cursor, or 0 when a state is >= M0_NC_NR. Caller checked the 1024 notes fit.
 */
@inline function notesFast(p: usize, o: usize, valid: usize): usize {
  let bad: u32 = 0;
  for (let i: usize = 0; i < valid; i++) {
    const st = load<u32>(p + 16);
    store<u64>(o, load<u64>(p));
    store<u64>(o + 8, load<u64>(p + 8));
    store<u64>(o + 16, <u64>st);
    bad |= st;
    p += 20;
    o += 24;
  }
  return bad >= <u32>NOTE_STATES ? 0 : o;
}

/** One m0_ha_msg at fp (end: one past the last input byte); see the slot list above. */
function msgFast(o: usize, end: usize): usize {
  let p = fp;
  if (end - p < MSG_HEADER + 8) return 0;
  const t = load<u64>(p + 64);
  if (t >= 12) return 0;                             // MSG_TYPE
  cpn(o, p, 9);
  p += MSG_HEADER;
  o += 72;
  const left = end - p - 8;                          // bytes for the body (hm_tag reserved)
  switch (<i32>t) {
    case 0: break;                                   // INVALID: empty body
    case 1: {                                        // STOB_IOQ: 11 u64 + sie_bshift u32
      if (left < 92) return 0;
      cpn(o, p, 11);
      store<u64>(o + 88, <u64>load<u32>(p + 88));
      p += 92; o += 96;
      break;
    }
    case 2: {                                        // NVEC
      if (left < 32 + NOTES_BYTES) return 0;
      const ty = load<u64>(p);
      const same = load<u64>(p + 16);
      const nr = load<u64>(p + 24);
      if (ty >= 2 || same > 1 || nr - 1 >= 1024) return 0;   // ENUM_RANGE, FLAG_RANGE, COUNT_RANGE (1..1024)
      cpn(o, p, 4);
      o = notesFast(p + 32, o + 32, <usize>nr);
      if (!o) return 0;
      p += 32 + NOTES_BYTES;
      break;
    }
    case 3: {                                        // FAILURE_VEC_REQ: fid + cookie
      if (left < 32) return 0;
      cpn(o, p, 4);
      p += 32; o += 32;
      break;
    }
    case 4: {                                        // FAILURE_VEC_REP: fid + cookie + u32 nr (0..1024) + notes
      if (left < 36 + NOTES_BYTES) return 0;
      const nr = load<u32>(p + 32);
      if (nr > 1024) return 0;
      cpn(o, p, 4);
      store<u64>(o + 32, <u64>nr);
      o = notesFast(p + 36, o + 40, <usize>nr);
      if (!o) return 0;
      p += 36 + NOTES_BYTES;
      break;
    }
    case 5: {                                        // KEEPALIVE_REQ: u128
      if (left < 16) return 0;
      cpn(o, p, 2);
      p += 16; o += 16;
      break;
    }
    case 6: {                                        // KEEPALIVE_REP: u128 + counter
      if (left < 24) return 0;
      cpn(o, p, 3);
      p += 24; o += 24;
      break;
    }
    case 7: {                                        // EVENT_PROCESS: event (< 5), type (< 4), pid
      if (left < 24) return 0;
      if (load<u64>(p) >= 5 || load<u64>(p + 8) >= 4) return 0;
      cpn(o, p, 3);
      p += 24; o += 24;
      break;
    }
    case 8: {                                        // EVENT_SERVICE: event (< 5), type (< 23), pid
      if (left < 24) return 0;
      if (load<u64>(p) >= 5 || load<u64>(p + 8) >= 23) return 0;
      cpn(o, p, 3);
      p += 24; o += 24;
      break;
    }
    case 9: {                                        // EVENT_RPC: attempts, state (< 8)
      if (left < 16) return 0;
      if (load<u64>(p + 8) >= NOTE_STATES) return 0;
      cpn(o, p, 2);
      p += 16; o += 16;
      break;
    }
    case 10: {                                       // BE_IO_ERR: u32, u8, u8 (lenient enums)
      if (left < 6) return 0;
      store<u64>(o, <u64>load<u32>(p));
      store<u64>(o + 8, <u64>load<u8>(p + 4));
      store<u64>(o + 16, <u64>load<u8>(p + 5));
      p += 6; o += 24;
      break;
    }
    default: {                                       // 11 SNS_ERR: u32, u8 (lenient enum)
      if (left < 5) return 0;
      store<u64>(o, <u64>load<u32>(p));
      store<u64>(o + 8, <u64>load<u8>(p + 4));
      p += 5; o += 16;
      break;
    }
  }
  cp(o, p);                                          // hm_tag
  fp = p + 8;
  return o + 8;
}

/** m0_ha_entrypoint_req_fop: exactly 196 + git_rev_id length bytes. */
@inline function entrypointReqFast(start: usize, len: usize, o: usize): usize {
  if (len < 196) return 0;
  const n = load<u64>(start + 140);                  // erf_git_rev_id.b_nob
  if (n != <u64>(len - 196)) return 0;               // TRUNCATED or TRAILING
  const p = start;
  store<i64>(o, <i64>load<i32>(p));                  // erf_first_request (i32, sign-extended)
  cpn(o + 8, p + 4, 3);                              // erf_generation, erf_process_fid
  cpn(o + 32, p + 28, 14);                           // erf_link_params
  store<u64>(o + 144, 148);                          // erf_git_rev_id: offset, length
  store<u64>(o + 152, n);
  cpn(o + 160, start + 148 + <usize>n, 6);           // erf_pid, erf_cookie_expected
  return o + 208;
}

/** m0_ha_entrypoint_rep_fop: sequences checked as decodeFlat does, then the fixed tail. */
@inline function entrypointRepFast(start: usize, len: usize, o: usize): usize {
  const end = start + len;
  let p = start;
  if (len < 8) return 0;
  store<u64>(o, <u64>load<u32>(p));                  // hbp_quorum
  const n = load<u32>(p + 4);                        // hbp_confd_fids.af_count
  p += 8;
  if (<u64>n * 16 > <u64>(end - p)) return 0;
  store<u64>(o + 8, <u64>n);
  o += 16;
  for (let i: u32 = 0; i < n; i++) { cp(o, p); cp(o + 8, p + 8); p += 16; o += 16; }
  if (end - p < 4) return 0;
  if (load<u32>(p) != n) return 0;                   // hbp_confd_eps.ab_count: COUNT_MISMATCH
  p += 4;
  if (<u64>n * 8 > <u64>(end - p)) return 0;
  store<u64>(o, <u64>n);
  o += 8;
  for (let i: u32 = 0; i < n; i++) {
    if (end - p < 8) return 0;
    const b = load<u64>(p);
    p += 8;
    if (b > <u64>(end - p)) return 0;
    store<u64>(o, <u64>(p - start));
    store<u64>(o + 8, b);
    p += <usize>b;
    o += 16;
  }
  if (end - p < 24) return 0;                        // hbp_active_rm_fid, hbp_active_rm_ep.b_nob
  cpn(o, p, 2);
  const b = load<u64>(p + 16);
  p += 24;
  if (b > <u64>(end - p)) return 0;
  store<u64>(o + 16, <u64>(p - start));
  store<u64>(o + 24, b);
  p += <usize>b;
  o += 32;
  if (end - p != 4 + LINK_PARAMS + 8 + 4 + HA_COOKIE) return 0;   // TRUNCATED or TRAILING
  const control = load<u32>(p);
  const reconnect = load<u64>(p + 4 + LINK_PARAMS);
  const disconnected = load<u32>(p + 12 + LINK_PARAMS);
  if (control >= 3 || reconnect > 1 || disconnected > 1) return 0;
  store<u64>(o, <u64>control);
  cpn(o + 8, p + 4, 15);                             // hbp_link_params, hbp_link_do_reconnect
  store<u64>(o + 128, <u64>disconnected);
  cpn(o + 136, p + 16 + LINK_PARAMS, 5);             // hbp_cookie_actual
  return o + 176;
}

/**
 * Decodes exactly [start, start+len) of `kind` into slots at out (capacity cap
 * bytes). Returns the slot count, or -1 when the input is not valid (or the
 * output could not hold it): then run decodeFlat for the error.
 */
export function flatFast(start: usize, len: usize, out: usize, cap: usize, kind: u32): i32 {
  // Slots never take more than twice the input's bytes plus a fixed part
  // (a 16-byte fid or 8-byte buffer header → 16 bytes of slots).
  if (<u64>len * 2 + 1024 > <u64>cap) return -1;
  const end = start + len;
  let o: usize = 0;
  if (kind == KIND_HA_MSG) {
    fp = start;
    o = msgFast(out, end);
    if (!o || fp != end) return -1;
  } else if (kind == KIND_ENTRYPOINT_REQ) {
    o = entrypointReqFast(start, len, out);
    if (!o) return -1;
  } else if (kind == KIND_ENTRYPOINT_REP) {
    o = entrypointRepFast(start, len, out);
    if (!o) return -1;
  } else if (kind == KIND_LINK_MSG) {
    if (len < 8) return -1;
    const nr = load<u64>(start);                     // lmf_msg_nr: a flag
    if (nr > 1) return -1;
    store<u64>(out, nr);
    fp = start + 8;
    o = msgFast(out + 8, end);
    if (!o || end - fp != 72) return -1;
    cpn(o, fp, 9);                                   // lmf_id_* (3 × u128), out_next, in_delivered, seq
    o += 72;
  } else {                                           // KIND_LINK_MSG_REP
    if (len != 20) return -1;
    store<i64>(out, <i64>load<i32>(start));          // lmr_rc (i32, sign-extended)
    cpn(out + 8, start + 4, 2);
    o = out + 24;
  }
  return <i32>((o - out) >> 3);
}
