// Schema-driven xcode (motr-ha-wire.md §6.1): a struct is a list of Fields in
// wire order; one walker decodes bytes into a Value tree, one encodes a Value
// tree into bytes. Atoms are little-endian, no padding; arrays are fixed
// length (1024 notes, always on the wire); sequences carry a count.
// Field names are the C names, as in the golden vectors' "fields".
import { Reader } from './reader';
import { Writer } from './writer';
import { Value, V_NUM, V_STR, V_BOOL, V_ARR } from './value';
import { Fid, formatFid, parseFidText } from './fid';
import {
  CodecError, E_COUNT_RANGE, E_STATE_RANGE, E_ENUM_RANGE, E_FLAG_RANGE, E_COUNT_MISMATCH,
  E_FIELD_MISSING, E_FIELD_TYPE, E_FID_TEXT, E_INT_RANGE, E_TRUNCATED,
  E_REFUSE_UNKNOWN, E_REFUSE_REPAIR,
} from './errors';

export const F_UINT: u8 = 1;    // unsigned atom, width 1/4/8; width 8 renders big
export const F_SINT: u8 = 2;    // two's complement atom, width 4/8
export const F_ENUM: u8 = 3;    // atom with names; strict ones reject unnamed values
export const F_FLAG: u8 = 4;    // atom that must be 0 or 1
export const F_COUNT: u8 = 5;   // atom giving the number of valid notes of the next F_NOTES
export const F_FID: u8 = 6;     // m0_fid, text "0x%x:0x%x"
export const F_STRUCT: u8 = 7;  // nested record
export const F_BUF: u8 = 8;     // m0_buf: u64 length + bytes, as a string
export const F_NOTES: u8 = 9;   // m0_ha_msg_nvec_array: 1024 × (fid, u32 state), count from F_COUNT
export const F_FID_ARR: u8 = 10; // m0_fid_arr: u32 count + fids
export const F_BUFS: u8 = 11;   // m0_bufs: u32 count + m0_buf each; count must equal the F_FID_ARR's
export const F_NESTED: u8 = 12; // a nested structure with its own codec (m0_ha_msg in a link fop)

export const NOTES_LEN: i32 = 1024;
export const NOTE_WIRE: i32 = 20;

export class Field {
  kind: u8 = 0;
  width: i32 = 8;
  names: Array<string> | null = null;
  strict: bool = true;
  sub: Array<Field> | null = null;
  min: u64 = 0;
  max: u64 = 0;
  constructor(public name: string) {}
}

export function uint(name: string, width: i32): Field {
  const f = new Field(name); f.kind = F_UINT; f.width = width; return f;
}
export function sint(name: string, width: i32): Field {
  const f = new Field(name); f.kind = F_SINT; f.width = width; return f;
}
export function enm(name: string, width: i32, names: Array<string>, strict: bool): Field {
  const f = new Field(name); f.kind = F_ENUM; f.width = width; f.names = names; f.strict = strict; return f;
}
export function flag(name: string, width: i32): Field {
  const f = new Field(name); f.kind = F_FLAG; f.width = width; return f;
}
export function count(name: string, width: i32, min: u64, max: u64): Field {
  const f = new Field(name); f.kind = F_COUNT; f.width = width; f.min = min; f.max = max; return f;
}
export function fid(name: string): Field { const f = new Field(name); f.kind = F_FID; return f; }
export function struct(name: string, sub: Array<Field>): Field {
  const f = new Field(name); f.kind = F_STRUCT; f.sub = sub; return f;
}
export function buf(name: string): Field { const f = new Field(name); f.kind = F_BUF; return f; }
export function notes(name: string, stateNames: Array<string>): Field {
  const f = new Field(name); f.kind = F_NOTES; f.names = stateNames; return f;
}
export function fidArr(name: string): Field { const f = new Field(name); f.kind = F_FID_ARR; return f; }
export function bufs(name: string): Field { const f = new Field(name); f.kind = F_BUFS; return f; }
export function nested(name: string): Field { const f = new Field(name); f.kind = F_NESTED; return f; }

/** Shared walk state: counts flow from a count field to the array after it. */
export class Ctx {
  count: u64 = 0;
  fidCount: i64 = -1;
  nvecSet: bool = false;   // inside an NVEC SET: encode applies the §2.7 refusals
}

/** Hook for F_NESTED (set by the m0_ha_msg codec to break the import cycle). */
export let decodeNested: (r: Reader) => Value = (r: Reader): Value => new Value();
export let encodeNested: (w: Writer, v: Value, err: CodecError) => void =
  (w: Writer, v: Value, err: CodecError): void => {};
export function setNestedCodec(d: (r: Reader) => Value, e: (w: Writer, v: Value, err: CodecError) => void): void {
  decodeNested = d;
  encodeNested = e;
}

// ---- decode -------------------------------------------------------------------

function readAtom(r: Reader, width: i32, what: string): u64 {
  if (width == 1) return <u64>r.u8(what);
  if (width == 4) return <u64>r.u32(what);
  return r.u64(what);
}

export function decodeFields(r: Reader, fields: Array<Field>, ctx: Ctx): Value {
  const o = Value.obj();
  for (let i = 0; i < fields.length && !r.failed; i++) {
    const f = fields[i];
    o.set(f.name, decodeField(r, f, ctx));
  }
  return o;
}

function decodeField(r: Reader, f: Field, ctx: Ctx): Value {
  const at = r.offset;
  const k = f.kind;
  if (k == F_UINT) return Value.u(readAtom(r, f.width, f.name), f.width == 8);
  if (k == F_SINT) {
    const raw = readAtom(r, f.width, f.name);
    return Value.i(f.width == 4 ? <i64><i32><u32>raw : <i64>raw, f.width == 8);
  }
  if (k == F_ENUM) {
    const v = readAtom(r, f.width, f.name);
    const names = f.names as Array<string>;
    if (v < <u64>names.length) return Value.s(names[<i32>v]);
    if (f.strict) r.fail(E_ENUM_RANGE, at, f.name + ' = ' + v.toString() + ' has no name');
    return Value.u(v, f.width == 8);   // an unnamed u64 may exceed 2^53: keep it exact
  }
  if (k == F_FLAG) {
    const v = readAtom(r, f.width, f.name);
    if (v > 1) r.fail(E_FLAG_RANGE, at, f.name + ' = ' + v.toString() + ', must be 0 or 1');
    return Value.u(v, false);
  }
  if (k == F_COUNT) {
    const v = readAtom(r, f.width, f.name);
    if (!r.failed && (v < f.min || v > f.max)) {
      r.fail(E_COUNT_RANGE, at, f.name + ' = ' + v.toString() + ', must be ' + f.min.toString() + '..' + f.max.toString());
    }
    ctx.count = v;
    return Value.u(v, false);
  }
  if (k == F_FID) {
    const c = r.u64(f.name);
    const key = r.u64(f.name);
    return Value.s(formatFid(c, key));
  }
  if (k == F_STRUCT) return decodeFields(r, f.sub as Array<Field>, ctx);
  if (k == F_BUF) {
    const n = r.u64(f.name + '.b_nob');
    return Value.s(r.utf8(n, f.name));
  }
  if (k == F_NOTES) {
    const a = Value.arr();
    const names = f.names as Array<string>;
    for (let i = 0; i < NOTES_LEN && !r.failed; i++) {
      const noteAt = r.offset;
      const c = r.u64('no_id');
      const key = r.u64('no_id');
      const st = r.u32('no_state');
      if (<u64>i >= ctx.count || r.failed) continue;
      if (st >= <u32>names.length) {
        r.fail(E_STATE_RANGE, noteAt + 16, f.name + '[' + i.toString() + '].no_state = ' + st.toString() + ', must be < 8');
        break;
      }
      a.push(Value.obj().set('no_id', Value.s(formatFid(c, key))).set('no_state', Value.s(names[st])));
    }
    return a;
  }
  if (k == F_FID_ARR) {
    const n = r.u32(f.name + '.af_count');
    const a = Value.arr();
    if (<u64>n * 16 > <u64>r.remaining) {
      r.fail(E_TRUNCATED, at, f.name + ': ' + n.toString() + ' fids do not fit in ' + r.remaining.toString() + ' bytes');
      return a;
    }
    for (let i: u32 = 0; i < n; i++) {
      const c = r.u64(f.name);
      const key = r.u64(f.name);
      a.push(Value.s(formatFid(c, key)));
    }
    ctx.fidCount = <i64>n;
    return a;
  }
  if (k == F_BUFS) {
    const n = r.u32(f.name + '.ab_count');
    const a = Value.arr();
    if (r.failed) return a;
    if (ctx.fidCount >= 0 && <i64>n != ctx.fidCount) {
      r.fail(E_COUNT_MISMATCH, at, f.name + ' count ' + n.toString() + ' != fids count ' + ctx.fidCount.toString());
      return a;
    }
    if (<u64>n * 8 > <u64>r.remaining) {
      r.fail(E_TRUNCATED, at, f.name + ': ' + n.toString() + ' buffers do not fit');
      return a;
    }
    for (let i: u32 = 0; i < n && !r.failed; i++) {
      const len = r.u64(f.name + '.b_nob');
      a.push(Value.s(r.utf8(len, f.name)));
    }
    return a;
  }
  if (k == F_NESTED) return decodeNested(r);
  abort('schema: unknown field kind');
  return new Value();
}

// ---- encode -------------------------------------------------------------------

/** "123", "123n", "-5n", "0x1f" in a string, or a JSON number/bool. */
export function valueToU64(v: Value, err: CodecError, at: u32, what: string): u64 {
  if (v.kind == V_NUM) {
    if (v.neg && v.num != 0) { err.set(E_INT_RANGE, at, what + ' must not be negative'); return 0; }
    return v.num;
  }
  if (v.kind == V_BOOL) return v.num;
  if (v.kind == V_STR) {
    const r = parseIntText(v.str);
    if (r.ok && !(r.neg && r.mag != 0)) return r.mag;
  }
  err.set(E_FIELD_TYPE, at, what + ': expected an unsigned integer');
  return 0;
}

export function valueToI64(v: Value, err: CodecError, at: u32, what: string): i64 {
  let neg = false;
  let mag: u64 = 0;
  if (v.kind == V_NUM || v.kind == V_BOOL) { neg = v.neg; mag = v.num; }
  else if (v.kind == V_STR) {
    const r = parseIntText(v.str);
    if (!r.ok) { err.set(E_FIELD_TYPE, at, what + ': expected an integer'); return 0; }
    neg = r.neg; mag = r.mag;
  } else { err.set(E_FIELD_TYPE, at, what + ': expected an integer'); return 0; }
  if (neg) {
    if (mag > 0x8000000000000000) { err.set(E_INT_RANGE, at, what + ' out of range'); return 0; }
    return -(<i64>mag);
  }
  if (mag > 0x7fffffffffffffff) { err.set(E_INT_RANGE, at, what + ' out of range'); return 0; }
  return <i64>mag;
}

class IntText { ok: bool = false; neg: bool = false; mag: u64 = 0; }

function parseIntText(s: string): IntText {
  const r = new IntText();
  let i = 0;
  let end = s.length;
  if (end > 0 && s.charCodeAt(end - 1) == 0x6e /* n */) end--;
  if (i < end && s.charCodeAt(i) == 0x2d) { r.neg = true; i++; }
  let base: u64 = 10;
  if (i + 1 < end && s.charCodeAt(i) == 0x30 && (s.charCodeAt(i + 1) | 0x20) == 0x78) { base = 16; i += 2; }
  if (i >= end) return r;
  let v: u64 = 0;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    let d: u64 = 99;
    if (c >= 0x30 && c <= 0x39) d = <u64>(c - 0x30);
    else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = <u64>((c | 0x20) - 0x61 + 10);
    if (d >= base) return r;
    if (v > (<u64>-1 - d) / base) return r;
    v = v * base + d;
  }
  r.ok = true;
  r.mag = v;
  return r;
}

function writeAtom(w: Writer, width: i32, v: u64): void {
  if (width == 1) w.u8(<u8>v);
  else if (width == 4) w.u32(<u32>v);
  else w.u64(v);
}

function fitsUnsigned(v: u64, width: i32): bool {
  return width == 8 || v < (<u64>1 << (<u64>width * 8));
}


export function valueToFid(v: Value, err: CodecError, at: u32, what: string): Fid {
  const f = new Fid();
  if (v.kind != V_STR || !parseFidText(v.str, f)) {
    err.set(E_FID_TEXT, at, what + ': not a fid text');
  }
  return f;
}

export function encodeFields(w: Writer, fields: Array<Field>, o: Value, err: CodecError, ctx: Ctx, path: string): void {
  for (let i = 0; i < fields.length && !err.failed && !w.failed; i++) {
    const f = fields[i];
    const v = o.get(f.name);
    if (v === null && f.kind != F_COUNT) {
      err.set(E_FIELD_MISSING, w.offset, 'missing field ' + path + f.name);
      return;
    }
    encodeField(w, f, v, o, fields, i, err, ctx, path);
  }
}

function enumValue(f: Field, v: Value, err: CodecError, at: u32, what: string): u64 {
  const names = f.names as Array<string>;
  if (v.kind == V_STR) {
    for (let i = 0; i < names.length; i++) if (names[i] == v.str) return <u64>i;
    const r = parseIntText(v.str);
    if (!r.ok) { err.set(E_ENUM_RANGE, at, what + ': unknown name ' + v.str); return 0; }
  }
  const n = valueToU64(v, err, at, what);
  if (f.strict && n >= <u64>names.length) err.set(E_ENUM_RANGE, at, what + ' = ' + n.toString() + ' has no name');
  return n;
}

function encodeField(w: Writer, f: Field, vv: Value | null, o: Value, fields: Array<Field>, idx: i32,
                     err: CodecError, ctx: Ctx, path: string): void {
  const at = w.offset;
  const what = path + f.name;
  const k = f.kind;
  if (k == F_COUNT) {
    // The count is the length of the next field's array; a given count must agree.
    const target = o.get(fields[idx + 1].name);
    const n: u64 = target !== null && target.kind == V_ARR ? <u64>target.length : 0;
    if (vv !== null && valueToU64(vv, err, at, what) != n && !err.failed) {
      err.set(E_FIELD_TYPE, at, what + ' != number of entries in ' + fields[idx + 1].name);
      return;
    }
    if (n < f.min || n > f.max) {
      err.set(E_COUNT_RANGE, at, what + ' = ' + n.toString() + ', must be ' + f.min.toString() + '..' + f.max.toString());
      return;
    }
    ctx.count = n;
    writeAtom(w, f.width, n);
    return;
  }
  const v = vv as Value;
  if (k == F_UINT || k == F_FLAG) {
    const n = valueToU64(v, err, at, what);
    if (!fitsUnsigned(n, f.width)) { err.set(E_INT_RANGE, at, what + ' does not fit ' + f.width.toString() + ' bytes'); return; }
    if (k == F_FLAG && n > 1) { err.set(E_FLAG_RANGE, at, what + ' must be 0 or 1'); return; }
    writeAtom(w, f.width, n);
  } else if (k == F_SINT) {
    const n = valueToI64(v, err, at, what);
    if (f.width == 4 && (n < -2147483648 || n > 2147483647)) { err.set(E_INT_RANGE, at, what + ' does not fit 32 bits'); return; }
    writeAtom(w, f.width, <u64>n);
  } else if (k == F_ENUM) {
    const n = enumValue(f, v, err, at, what);
    if (!fitsUnsigned(n, f.width)) { err.set(E_INT_RANGE, at, what + ' does not fit'); return; }
    if (f.name == 'hmnv_type') ctx.nvecSet = n == 0;
    writeAtom(w, f.width, n);
  } else if (k == F_FID) {
    const x = valueToFid(v, err, at, what);
    w.fid(x.c, x.k);
  } else if (k == F_STRUCT) {
    if (v.kind != 3) { err.set(E_FIELD_TYPE, at, what + ': expected an object'); return; }
    encodeFields(w, f.sub as Array<Field>, v, err, ctx, what + '.');
  } else if (k == F_BUF) {
    if (v.kind != V_STR) { err.set(E_FIELD_TYPE, at, what + ': expected a string'); return; }
    w.u64(<u64>String.UTF8.byteLength(v.str, false));
    w.utf8(v.str);
  } else if (k == F_NOTES) {
    if (v.kind != V_ARR) { err.set(E_FIELD_TYPE, at, what + ': expected an array'); return; }
    const n = v.length;
    for (let i = 0; i < n && !err.failed; i++) {
      const note = v.item(i);
      const noteAt = w.offset;
      const idv = note.get('no_id');
      const stv = note.get('no_state');
      if (idv === null || stv === null) { err.set(E_FIELD_MISSING, noteAt, what + '[' + i.toString() + '] needs no_id and no_state'); return; }
      const x = valueToFid(idv, err, noteAt, what + '[' + i.toString() + '].no_id');
      const st = enumValue(f, stv, err, noteAt + 16, what + '[' + i.toString() + '].no_state');
      if (err.failed) return;
      if (ctx.nvecSet) {
        const refusal = setNoteRefusal(x.c, <u32>st);
        if (refusal != 0) {
          err.set(refusal, noteAt, what + '[' + i.toString() + ']: ' + refusalText(refusal));
          return;
        }
      }
      w.fid(x.c, x.k);
      w.u32(<u32>st);
    }
    w.zeros(<usize>(NOTES_LEN - n) * NOTE_WIRE);
  } else if (k == F_FID_ARR) {
    if (v.kind != V_ARR) { err.set(E_FIELD_TYPE, at, what + ': expected an array'); return; }
    w.u32(<u32>v.length);
    for (let i = 0; i < v.length && !err.failed; i++) {
      const x = valueToFid(v.item(i), err, w.offset, what + '[' + i.toString() + ']');
      w.fid(x.c, x.k);
    }
    ctx.fidCount = <i64>v.length;
  } else if (k == F_BUFS) {
    if (v.kind != V_ARR) { err.set(E_FIELD_TYPE, at, what + ': expected an array'); return; }
    if (ctx.fidCount >= 0 && <i64>v.length != ctx.fidCount) {
      err.set(E_COUNT_MISMATCH, at, what + ' has ' + v.length.toString() + ' entries, fids ' + ctx.fidCount.toString());
      return;
    }
    w.u32(<u32>v.length);
    for (let i = 0; i < v.length && !err.failed; i++) {
      const s = v.item(i);
      if (s.kind != V_STR) { err.set(E_FIELD_TYPE, w.offset, what + '[' + i.toString() + ']: expected a string'); return; }
      w.u64(<u64>String.UTF8.byteLength(s.str, false));
      w.utf8(s.str);
    }
  } else if (k == F_NESTED) {
    encodeNested(w, v, err);
  } else {
    abort('schema: unknown field kind');
  }
}

// ---- §2.7: what an NVEC SET must never carry --------------------------------

export const M0_NC_UNKNOWN: u32 = 0;
export const M0_NC_REPAIR: u32 = 4;
export const M0_NC_REBALANCE: u32 = 6;

/** 0 when Motr accepts the note in a SET, else the refusal code. */
export function setNoteRefusal(container: u64, state: u32): i32 {
  if (state == M0_NC_UNKNOWN) return E_REFUSE_UNKNOWN;
  if (state == M0_NC_REPAIR || state == M0_NC_REBALANCE) {
    const t = <u32>(container >> 56);
    if (t != 0x6f && t != 0x64 && t != 0x6e && t != 0x6b) return E_REFUSE_REPAIR;
  }
  return 0;
}

export function refusalText(code: i32): string {
  return code == E_REFUSE_UNKNOWN
    ? 'M0_NC_UNKNOWN in an NVEC SET would crash the receiver'
    : 'REPAIR/REBALANCE allowed only for pool, sdev, node or drive fids';
}
