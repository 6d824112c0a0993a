// The codec's own entry points (used by the host's Codec class: the m0d
// simulator, the CLI, tests). Binary → JSON text, JSON text → binary, fid text
// → binary. Each call writes exactly one record to the output region:
// OUT_CODEC_RESULT (blob) or OUT_CODEC_ERROR (code, offset, detail).
import { Reader } from './reader';
import { Writer } from './writer';
import { Value, V_OBJ } from './value';
import { CodecError, E_FIELD_TYPE, E_FID_TEXT, E_COUNT_RANGE } from './errors';
import { parseJson, stringify } from './json';
import { Fid, parseFidText } from './fid';
import { Field, Ctx, decodeFields, encodeFields } from './schema';
import { decodeHaMsg, encodeHaMsg, encodeNvecSet } from './ha-msg';
import { NOTE_WIRE_BYTES } from '../generated/protocol';
import { ENTRYPOINT_REQ, ENTRYPOINT_REP } from './entrypoint';
import { LINK_MSG, LINK_MSG_REP } from './link';
import { decodeFlat, flatFast } from './flat';
import { encodeNvecReply } from './nvec-reply';
import {
  KIND_HA_MSG, KIND_ENTRYPOINT_REQ, KIND_ENTRYPOINT_REP, KIND_LINK_MSG, KIND_LINK_MSG_REP,
  KIND_FID_TEXT, OUT_CODEC_ERROR, OUT_CODEC_RESULT,
} from '../abi';

function schemaOf(kind: u32): Array<Field> | null {
  if (kind == KIND_ENTRYPOINT_REQ) return ENTRYPOINT_REQ;
  if (kind == KIND_ENTRYPOINT_REP) return ENTRYPOINT_REP;
  if (kind == KIND_LINK_MSG) return LINK_MSG;
  if (kind == KIND_LINK_MSG_REP) return LINK_MSG_REP;
  return null;
}

const KIND_NAMES: Array<string> = ['', 'm0_ha_msg', 'm0_ha_entrypoint_req_fop', 'm0_ha_entrypoint_rep_fop',
  'm0_ha_link_msg_fop', 'm0_ha_link_msg_rep_fop', 'fid'];

/** Decodes one structure of `kind` occupying exactly [ptr, ptr+len). */
export function decodeKind(r: Reader, kind: u32): Value {
  if (kind == KIND_HA_MSG) return decodeHaMsg(r);
  const schema = schemaOf(kind);
  if (schema === null) { abort('codec: unknown kind'); return new Value(); }
  const v = decodeFields(r, schema, new Ctx());
  r.expectEnd(KIND_NAMES[kind]);
  return v;
}

export function writeError(w: Writer, err: CodecError): i32 {
  w.reset(w.start, <usize>(w.end - w.start));
  const at = w.beginRecord(OUT_CODEC_ERROR);
  w.u32(<u32>err.code);
  w.u32(err.offset);
  w.str(err.detail);
  w.endRecord(at);
  if (w.failed) abort('codec: output region cannot hold an error record');
  return <i32>w.offset;
}

export function codecDecode(r: Reader, w: Writer, kind: u32): i32 {
  const v = decodeKind(r, kind);
  if (r.failed) return writeError(w, r.err);
  const text = stringify(v);
  const at = w.beginRecord(OUT_CODEC_RESULT);
  w.u32(<u32>String.UTF8.byteLength(text, false));
  w.utf8(text);
  w.endRecord(at);
  if (w.failed) return writeError(w, w.err);
  return <i32>w.offset;
}

/** Input: JSON text (UTF-8) for kinds 1..5, or fid text for KIND_FID_TEXT. */
export function codecEncode(inPtr: usize, len: usize, w: Writer, kind: u32): i32 {
  const text = String.UTF8.decodeUnsafe(inPtr, len, false);
  const err = new CodecError();
  const at = w.beginRecord(OUT_CODEC_RESULT);
  const lenAt = w.reserveU32();
  if (kind == KIND_FID_TEXT) {
    const f = new Fid();
    if (!parseFidText(text, f)) { err.set(E_FID_TEXT, 0, 'not a fid: ' + text); return writeError(w, err); }
    w.fid(f.c, f.k);
  } else {
    const v = parseJson(text, err);
    if (err.failed) return writeError(w, err);
    const bodyStart = w.offset;
    // Byte offsets in encode errors are relative to the encoded output.
    const sub = new Writer();
    sub.reset(w.pos, w.room);
    if (v.kind != V_OBJ) err.set(E_FIELD_TYPE, 0, 'expected a JSON object');
    else if (kind == KIND_HA_MSG) encodeHaMsg(sub, v, err);
    else {
      const schema = schemaOf(kind);
      if (schema === null) abort('codec: unknown kind');
      encodeFields(sub, schema as Array<Field>, v, err, new Ctx(), '');
    }
    if (sub.failed) err.set(sub.err.code, sub.err.offset, sub.err.detail);
    if (err.failed) return writeError(w, err);
    w.pos += sub.pos - sub.start;
    void bodyStart;
  }
  w.patchU32(lenAt, <u32>(w.pos - lenAt - 4));
  w.endRecord(at);
  if (w.failed) return writeError(w, w.err);
  return <i32>w.offset;
}

/**
 * Flat decode (flat.ts): returns the number of u64 slots written at the start
 * of the output region, or minus the byte length of an OUT_CODEC_ERROR record.
 */
export function codecDecodeFlat(r: Reader, w: Writer, kind: u32): i32 {
  // The straight-line decoder accepts every valid input; only a bad one (or
  // none at all) reaches the schema walker, which then reports the error.
  const n = flatFast(r.pos, r.end - r.pos, w.pos, w.end - w.pos, kind);
  if (n >= 0) return n;
  decodeFlat(r, w, kind);
  // Both accept the same inputs (the fuzz test counts a trap as a failure).
  if (!r.failed && !w.failed) abort('flat: the fast path refused an input the schema walker accepts');
  if (r.failed) return -writeError(w, r.err);
  if (w.failed) return -writeError(w, w.err);
  return <i32>(w.offset >> 3);
}

/** The SET answering an NVEC GET (nvec-reply.ts); one OUT_CODEC_RESULT or OUT_CODEC_ERROR record. */
/** Closes an OUT_CODEC_RESULT whose bytes an encoder wrote through `sub` (begun at `at`, length at `lenAt`), or writes the error instead. */
function endEncoded(w: Writer, at: usize, lenAt: usize, sub: Writer, err: CodecError): i32 {
  if (sub.failed) err.set(sub.err.code, sub.err.offset, sub.err.detail);
  if (err.failed) return writeError(w, err);
  w.pos += sub.pos - sub.start;
  w.patchU32(lenAt, <u32>(w.pos - lenAt - 4));
  w.endRecord(at);
  if (w.failed) return writeError(w, w.err);
  return <i32>w.offset;
}

export function codecEncodeNvecReply(inPtr: usize, len: usize, w: Writer): i32 {
  const err = new CodecError();
  const at = w.beginRecord(OUT_CODEC_RESULT);
  const lenAt = w.reserveU32();
  const sub = new Writer().reset(w.pos, w.room);
  encodeNvecReply(inPtr, len, sub, err);
  return endEncoded(w, at, lenAt, sub, err);
}

/**
 * The NVEC SET broadcast of the notes at inPtr — u32 count, then per note its
 * wire form (u64 container, u64 key, u32 state) — written by encodeNvecSet,
 * the function the core's own broadcasts use (machine/expand.ts), so a message
 * the host merges from held notes is byte for byte what the core would make
 * of them. One OUT_CODEC_RESULT or OUT_CODEC_ERROR record (a count outside
 * 1..1024, a note Motr refuses).
 */
export function codecEncodeNvecSet(inPtr: usize, len: usize, w: Writer): i32 {
  const err = new CodecError();
  const n: u32 = len >= 4 ? load<u32>(inPtr) : 0;
  if (len < 4 || <u64>len != 4 + <u64>n * NOTE_WIRE_BYTES) {
    err.set(E_COUNT_RANGE, 0, 'input of ' + len.toString() + ' bytes is not a note count and that many ' + NOTE_WIRE_BYTES.toString() + '-byte notes');
    return writeError(w, err);
  }
  const cs = new Array<u64>(n), ks = new Array<u64>(n), sts = new Array<u32>(n);
  for (let i: u32 = 0; i < n; i++) {
    const at = inPtr + 4 + <usize>i * NOTE_WIRE_BYTES;
    cs[i] = load<u64>(at); ks[i] = load<u64>(at + 8); sts[i] = load<u32>(at + 16);
  }
  const at = w.beginRecord(OUT_CODEC_RESULT);
  const lenAt = w.reserveU32();
  const sub = new Writer().reset(w.pos, w.room);
  encodeNvecSet(sub, cs, ks, sts, 0, <i32>n, 0, err);
  return endEncoded(w, at, lenAt, sub, err);
}
