// The WASM codec exposed to TypeScript (m0d simulator, CLI, tests). Every byte
// layout lives in assembly/codec/; this file only moves bytes and JSON text.
//
// Object shapes (field names are the C names of the golden vectors' "fields"):
//
// HaMsg (m0_ha_msg):
//   { fid, sourceProcess, sourceService: fid text; time, epoch, tag: bigint;
//     type: 'INVALID' | 'STOB_IOQ' | 'NVEC' | 'FAILURE_VEC_REQ' | 'FAILURE_VEC_REP' | 'KEEPALIVE_REQ'
//           | 'KEEPALIVE_REP' | 'EVENT_PROCESS' | 'EVENT_SERVICE' | 'EVENT_RPC' | 'BE_IO_ERR' | 'SNS_ERR';
//     body }  where body is, per type ({} for INVALID):
//   STOB_IOQ        { sie_conf_sdev: fid, sie_stob_id: { si_domain_fid, si_fid }, sie_fd: bigint,
//                     sie_opcode: 'SIO_WRITE'…, sie_rc: bigint (signed), sie_offset: bigint,
//                     sie_size: bigint, sie_bshift: number }
//   NVEC            { hmnv_type: 'M0_HA_NVEC_SET'|'M0_HA_NVEC_GET', hmnv_id_of_get: bigint,
//                     hmnv_ignore_same_state: 0|1, hmnv_nr: number (optional on encode),
//                     hmnv_arr: [{ no_id: fid, no_state: 'M0_NC_ONLINE'… }] (only the hmnv_nr valid notes) }
//   FAILURE_VEC_REQ { mfq_pool: fid, mfq_cookie: { co_addr: bigint, co_generation: bigint } }
//   FAILURE_VEC_REP { mfp_pool, mfp_cookie, mfp_nr: number (optional on encode), mfp_vec: [notes] }
//   KEEPALIVE_REQ   { kaq_id: { u_hi: bigint, u_lo: bigint } }
//   KEEPALIVE_REP   { kap_id: { u_hi, u_lo }, kap_counter: bigint }
//   EVENT_PROCESS   { chp_event: 'M0_CONF_HA_PROCESS_STARTED'…, chp_type: 'M0_CONF_HA_PROCESS_M0D'…, chp_pid: bigint }
//   EVENT_SERVICE   { chs_event: 'M0_CONF_HA_SERVICE_STOPPED'…, chs_type: 'M0_CST_RMS'…, chs_pid: bigint }
//   EVENT_RPC       { hmr_attempts: bigint, hmr_state: 'M0_NC_TRANSIENT'… }
//   BE_IO_ERR       { ber_errcode: number, ber_location: 'M0_BE_LOC_SEGMENT_2'…, ber_io_opcode: 'SIO_READ'… }
//   SNS_ERR         { hse_errcode: number, hse_opcode: 'CM_OP_REBALANCE'… }
// Enums decode to their C name (lenient ones — sie_opcode, ber_*, hse_opcode — to a number when
// unnamed); encode takes the name or the number. Integers on encode may be number, bigint, or a
// decimal/0x string.
//
// EntrypointReq (m0_ha_entrypoint_req_fop):
//   { erf_first_request: number, erf_generation: bigint, erf_process_fid: fid,
//     erf_link_params: LinkParams, erf_git_rev_id: string, erf_pid: bigint,
//     erf_cookie_expected: HaCookie }
// EntrypointRep (m0_ha_entrypoint_rep_fop):
//   { hbp_quorum: number, hbp_confd_fids: fid[], hbp_confd_eps: string[] (same length),
//     hbp_active_rm_fid: fid, hbp_active_rm_ep: string,
//     hbp_control: 'M0_HA_ENTRYPOINT_CONSUME'|'M0_HA_ENTRYPOINT_QUIT'|'M0_HA_ENTRYPOINT_QUERY',
//     hbp_link_params: LinkParams, hbp_link_do_reconnect: 0|1, hbp_disconnected_previously: 0|1,
//     hbp_cookie_actual: HaCookie }
//   LinkParams = { hlp_id_local, hlp_id_remote, hlp_id_connection: U128,
//                  hlp_tags_local, hlp_tags_remote: { hlt_confirmed, hlt_delivered, hlt_next, hlt_assign: bigint } }
//   HaCookie   = { hcx_pid, hcx_time_start, hcx_uptime: bigint, hcx_uuid: U128 };  U128 = { u_hi, u_lo: bigint }
// LinkMsg (m0_ha_link_msg_fop):
//   { lmf_msg_nr: 0|1, lmf_msg: HaMsg, lmf_id_local, lmf_id_remote, lmf_id_connection: U128,
//     lmf_out_next, lmf_in_delivered, lmf_seq: bigint }
// LinkMsgRep (m0_ha_link_msg_rep_fop): { lmr_rc: number (signed), lmr_out_next, lmr_in_delivered: bigint }
//
// Errors: CodecError { code: 'HAX_ERR_XCODE_*', offset } — offset is the byte offset in the input
// (decode), in the encoded output (encode field errors) or in the JSON text (HAX_ERR_XCODE_JSON_SYNTAX).
import type { Fid } from '../fid.ts';
import {
  KIND_HA_MSG, KIND_ENTRYPOINT_REQ, KIND_ENTRYPOINT_REP, KIND_LINK_MSG, KIND_LINK_MSG_REP,
  KIND_FID_TEXT, OUT_CODEC_ERROR, OUT_CODEC_RESULT, codecErrorCode, STATE_NAMES, NOTE_WIRE_BYTES, NVEC_NOTES_MAX,
} from './abi.ts';
import { HaxError } from '../errors.ts';
import { RecordReader } from './records.ts';
import { FlatView } from './flat.ts';
import { compileCore, instantiateCore, writeInput, readOutput, type CoreExports } from './wasm.ts';

export type HaMsgType =
  | 'INVALID' | 'STOB_IOQ' | 'NVEC' | 'FAILURE_VEC_REQ' | 'FAILURE_VEC_REP' | 'KEEPALIVE_REQ'
  | 'KEEPALIVE_REP' | 'EVENT_PROCESS' | 'EVENT_SERVICE' | 'EVENT_RPC' | 'BE_IO_ERR' | 'SNS_ERR';

export type HaMsg = {
  fid: string; sourceProcess: string; sourceService: string;
  time: bigint; epoch: bigint; tag: bigint;
  type: string; body: Record<string, unknown>;
};
export type U128 = { u_hi: bigint; u_lo: bigint };
export type LinkTags = { hlt_confirmed: bigint; hlt_delivered: bigint; hlt_next: bigint; hlt_assign: bigint };
export type LinkParams = {
  hlp_id_local: U128; hlp_id_remote: U128; hlp_id_connection: U128;
  hlp_tags_local: LinkTags; hlp_tags_remote: LinkTags;
};
export type HaCookie = { hcx_pid: bigint; hcx_time_start: bigint; hcx_uptime: bigint; hcx_uuid: U128 };
export type EntrypointReq = {
  erf_first_request: number; erf_generation: bigint; erf_process_fid: string;
  erf_link_params: LinkParams; erf_git_rev_id: string; erf_pid: bigint; erf_cookie_expected: HaCookie;
};
export type EntrypointRep = {
  hbp_quorum: number; hbp_confd_fids: string[]; hbp_confd_eps: string[];
  hbp_active_rm_fid: string; hbp_active_rm_ep: string; hbp_control: string | number;
  hbp_link_params: LinkParams; hbp_link_do_reconnect: number; hbp_disconnected_previously: number;
  hbp_cookie_actual: HaCookie;
};
export type LinkMsg = {
  lmf_msg_nr: number; lmf_msg: HaMsg; lmf_id_local: U128; lmf_id_remote: U128; lmf_id_connection: U128;
  lmf_out_next: bigint; lmf_in_delivered: bigint; lmf_seq: bigint;
};
export type LinkMsgRep = { lmr_rc: number; lmr_out_next: bigint; lmr_in_delivered: bigint };

/** A decode or encode refused by the core's codec: code HAX_ERR_XCODE_* (docs/errors.md), byte offset, detail. */
export class CodecError extends HaxError {
  readonly offset: number;
  readonly detail: string;
  constructor(code: string, offset: number, detail: string) {
    super(code, `${code} at byte ${offset}: ${detail}`);
    this.offset = offset;
    this.detail = detail;
  }
}

const BIG = /^-?\d+n$/;
const revive = (_key: string, v: unknown): unknown =>
  typeof v === 'string' && BIG.test(v) ? BigInt(v.slice(0, -1)) : v;
const replace = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The structures the codec knows, by their CLI names (`hax codec --kind`). */
export const CODEC_KINDS = {
  msg: KIND_HA_MSG,
  'entrypoint-req': KIND_ENTRYPOINT_REQ,
  'entrypoint-rep': KIND_ENTRYPOINT_REP,
  'link-msg': KIND_LINK_MSG,
  'link-rep': KIND_LINK_MSG_REP,
} as const;
export type CodecKindName = keyof typeof CODEC_KINDS;

/** One entry of an NVEC GET reply: a state (name or number), or the fid it answers plus the state. */
export type NvecReplyEntry = string | number | { no_id: string; no_state: string | number };

export class Codec {
  #module: WebAssembly.Module;
  #ex: CoreExports;
  #flat = new FlatView();
  #in: Uint8Array = new Uint8Array(0);
  #outPtr = 0;

  private constructor(module: WebAssembly.Module) {
    this.#module = module;
    this.#ex = instantiateCore(module);
  }

  static async load(options: { debug?: boolean } = {}): Promise<Codec> {
    return new Codec(await compileCore(options.debug ?? false));
  }

  #call(fn: (ex: CoreExports) => number): Uint8Array {
    let n: number;
    try {
      n = fn(this.#ex);
    } catch (e) {
      this.#ex = instantiateCore(this.#module);   // a trap leaves the instance unusable
      this.#in = new Uint8Array(0);
      throw e;
    }
    return codecResult(readOutput(this.#ex, n));
  }

  /** Bytes of wasm memory now (the fuzz test checks it never grows). */
  get memoryBytes(): number { return this.#ex.memory.buffer.byteLength; }

  /**
   * The input region as a cached view. Growing wasm memory detaches the old
   * buffer, and a view of a detached buffer has length 0: that (or a new
   * instance) is the only time the view is rebuilt, so the hot path reads no
   * memory.buffer and calls no export to find its regions.
   */
  #input(): Uint8Array {
    if (this.#in.length === 0) {
      this.#in = new Uint8Array(this.#ex.memory.buffer, this.#ex.inputPtr(), this.#ex.inputCapacity());
      this.#outPtr = this.#ex.outputPtr();
    }
    return this.#in;
  }

  #errorAt(n: number): CodecError {
    for (const { tag, body } of RecordReader.records(readOutput(this.#ex, n))) {
      if (tag === OUT_CODEC_ERROR) {
        const code = body.u32();
        const offset = body.u32();
        return new CodecError(codecErrorCode(code), offset, body.str());
      }
    }
    throw new Error('codec: no error record');
  }

  /**
   * The hot path: decodes `b` (one whole structure of `kind`, e.g. KIND_HA_MSG)
   * into u64 slots (src/core/flat.ts) and returns a view of them, or the
   * CodecError (not thrown). The view is valid until the next call.
   *
   * Host cost is part of the hot path: one copy into a cached view, one call
   * of the core's straight-line decoder (codecDecodeFlatFast), a view re-pointed
   * with no allocation. Only a bad input takes the second call, whose schema
   * walker writes the error record.
   */
  tryDecodeFlat(kind: number, b: Uint8Array): FlatView | CodecError {
    const input = this.#input();
    const len = b.length;
    if (len > input.length) throw new RangeError(`input of ${len} bytes exceeds the core's input region (${input.length})`);
    copySparse(input, kind, b);
    let n: number;
    try {
      n = this.#ex.codecDecodeFlatFast(kind, len);
      if (n < 0) n = this.#ex.codecDecodeFlat(kind, len);
    } catch (e) {
      this.#ex = instantiateCore(this.#module);   // a trap leaves the instance unusable
      this.#in = new Uint8Array(0);
      throw e;
    }
    if (n < 0) return this.#errorAt(-n);
    return this.#flat.reset(this.#input().buffer as ArrayBuffer, this.#outPtr, n);
  }

  /** tryDecodeFlat that throws the CodecError. */
  decodeFlat(kind: number, b: Uint8Array): FlatView {
    const r = this.tryDecodeFlat(kind, b);
    if (r instanceof CodecError) throw r;
    return r;
  }

  /**
   * The NVEC SET answering an NVEC GET, built from the GET's own bytes so that
   * hmnv_id_of_get, hmnv_nr and every fid match (m0d asserts they do, §2.7).
   * `entries` gives one state per note of the GET, in order; an entry may name
   * the fid it answers, which is then checked. Throws CodecError:
   * NOT_NVEC_GET, REFUSE_GET_MISMATCH, REFUSE_UNKNOWN_STATE, REFUSE_REPAIR_FID,
   * or the GET's own decode error.
   */
  encodeNvecReply(get: Uint8Array, entries: readonly NvecReplyEntry[]): Uint8Array {
    const withFids = entries.some((e) => typeof e === 'object');
    const entry = withFids ? 20 : 4;
    const buf = new Uint8Array(12 + get.length + entries.length * entry);
    const v = new DataView(buf.buffer);
    v.setUint32(0, get.length, true);
    buf.set(get, 4);
    let p = 4 + get.length;
    v.setUint32(p, entries.length, true);
    v.setUint32(p + 4, withFids ? 1 : 0, true);
    p += 8;
    entries.forEach((e, i) => {
      const stateOf = (s: string | number): number => {
        const n = typeof s === 'number' ? s : (STATE_NAMES as readonly string[]).indexOf(s);
        if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CodecError('HAX_ERR_XCODE_ENUM_RANGE', 0, `reply entry ${i}: unknown state ${String(s)}`);
        return n;
      };
      if (withFids) {
        const f = typeof e === 'object' ? parseFid(e.no_id) : { container: 0n, key: 0n };
        if (typeof e !== 'object') throw new CodecError('HAX_ERR_XCODE_FIELD_TYPE', 0, `reply entry ${i}: every entry needs no_id once one has it`);
        v.setBigUint64(p, f.container, true);
        v.setBigUint64(p + 8, f.key, true);
        v.setUint32(p + 16, stateOf(e.no_state), true);
      } else {
        v.setUint32(p, stateOf(e as string | number), true);
      }
      p += entry;
    });
    writeInput(this.#ex, buf);
    return this.#call((ex) => ex.codecEncodeNvecReply(buf.length));
  }

  /**
   * The NVEC SET broadcast of `notes` (their wire form: 20 bytes each, fid
   * then u32 state; 1 to 1024 of them), encoded by the function the core's own
   * broadcasts use: byte for byte the message the core makes of those notes.
   * Throws CodecError (a count out of range, a note Motr refuses).
   */
  encodeNvecSet(notes: Uint8Array): Uint8Array {
    const input = nvecSetInput(notes);
    writeInput(this.#ex, input);
    return this.#call((ex) => ex.codecEncodeNvecSet(input.length));
  }

  #decode(kind: number, b: Uint8Array): unknown {
    writeInput(this.#ex, b);
    const text = fromUtf8.decode(this.#call((ex) => ex.codecDecode(kind, b.length)));
    return JSON.parse(text, revive);
  }

  #encode(kind: number, o: unknown): Uint8Array {
    const text = utf8.encode(typeof o === 'string' ? o : JSON.stringify(o, replace));
    writeInput(this.#ex, text);
    return this.#call((ex) => ex.codecEncode(kind, text.length));
  }

  decodeMsg(b: Uint8Array): HaMsg { return this.#decode(KIND_HA_MSG, b) as HaMsg; }
  encodeMsg(m: HaMsg): Uint8Array { return this.#encode(KIND_HA_MSG, m); }
  decodeEntrypointReq(b: Uint8Array): EntrypointReq { return this.#decode(KIND_ENTRYPOINT_REQ, b) as EntrypointReq; }
  encodeEntrypointReq(o: EntrypointReq | object): Uint8Array { return this.#encode(KIND_ENTRYPOINT_REQ, o); }
  decodeEntrypointRep(b: Uint8Array): EntrypointRep { return this.#decode(KIND_ENTRYPOINT_REP, b) as EntrypointRep; }
  encodeEntrypointRep(o: EntrypointRep | object): Uint8Array { return this.#encode(KIND_ENTRYPOINT_REP, o); }
  decodeLinkMsg(b: Uint8Array): LinkMsg { return this.#decode(KIND_LINK_MSG, b) as LinkMsg; }
  encodeLinkMsg(o: LinkMsg | object): Uint8Array { return this.#encode(KIND_LINK_MSG, o); }
  decodeLinkMsgRep(b: Uint8Array): LinkMsgRep { return this.#decode(KIND_LINK_MSG_REP, b) as LinkMsgRep; }
  encodeLinkMsgRep(o: LinkMsgRep | object): Uint8Array { return this.#encode(KIND_LINK_MSG_REP, o); }

  /** The core's fid text parser (all three Motr forms); throws CodecError HAX_ERR_XCODE_FID_TEXT. */
  parseFidText(text: string): Fid {
    const b = this.#encode(KIND_FID_TEXT, text);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return { container: v.getBigUint64(0, true), key: v.getBigUint64(8, true) };
  }
}

/** The OUT_CODEC_RESULT blob of one codec call's output, or its OUT_CODEC_ERROR thrown. */
export function codecResult(output: Uint8Array): Uint8Array {
  for (const { tag, body } of RecordReader.records(output)) {
    if (tag === OUT_CODEC_RESULT) return body.blob();
    if (tag === OUT_CODEC_ERROR) {
      const code = body.u32();
      const offset = body.u32();
      throw new CodecError(codecErrorCode(code), offset, body.str());
    }
  }
  throw new Error('codec: no result record');
}

/** What codecEncodeNvecSet reads: the note count (u32), then the notes' wire bytes. */
export function nvecSetInput(notes: Uint8Array): Uint8Array {
  if (notes.length % NOTE_WIRE_BYTES !== 0) throw new RangeError(`${notes.length} bytes of notes is not a whole number of ${NOTE_WIRE_BYTES}-byte notes`);
  const input = new Uint8Array(4 + notes.length);
  new DataView(input.buffer).setUint32(0, notes.length / NOTE_WIRE_BYTES, true);
  input.set(notes, 4);
  return input;
}

// ---- the flat decode's input copy ------------------------------------------------

const NOTES_BYTES = NVEC_NOTES_MAX * NOTE_WIRE_BYTES;
/** Below this size a plain copy is as cheap as anything smarter. */
const SPARSE_MIN = 4096;

const u32le = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/**
 * Copies `b` into the input region for a flat decode, leaving out the bytes
 * the core never reads: the unused notes of an NVEC or FAILURE_VEC_REP
 * message (20 bytes each, up to 20 KB of a message that is always 20592 bytes
 * long; the core skips them without reading, as libmotr). Both of the core's
 * flat decoders (flat.ts) read only [0, last valid note) and [end of the
 * 1024 notes, end), so the stale bytes left in between are never looked at;
 * nor are they by what the daemon's rules read (CoreHost.messageReceived uses
 * this too): the typed slots, and a value tree (schema.ts) that reads
 * unused notes but keeps none of them.
 * Any input whose counts are out of range, or too short for the whole array,
 * is copied in full (the core then reports the error).
 */
export function copySparse(input: Uint8Array, kind: number, b: Uint8Array): void {
  const len = b.length;
  const base = kind === KIND_HA_MSG ? 0 : kind === KIND_LINK_MSG ? 8 : -1;
  if (len >= SPARSE_MIN && base >= 0 && u32le(b, base + 68) === 0) {
    const type = u32le(b, base + 64);                      // hed_type (u64, high half checked 0)
    let notes = -1;
    let valid = 0;
    if (type === 2 && u32le(b, base + 100) === 0) {        // NVEC: hmnv_nr u64 at +96, notes at +104
      notes = base + 104;
      valid = u32le(b, base + 96);
      if (valid < 1 || valid > 1024) notes = -1;
    } else if (type === 4) {                               // FAILURE_VEC_REP: mfp_nr u32 at +104, notes at +108
      notes = base + 108;
      valid = u32le(b, base + 104);
      if (valid > 1024) notes = -1;
    }
    if (notes >= 0 && len >= notes + NOTES_BYTES) {
      const head = notes + valid * 20;
      input.set(b.subarray(0, head));
      input.set(b.subarray(notes + NOTES_BYTES), notes + NOTES_BYTES);
      return;
    }
  }
  input.set(b);
}

// ---- fid text, pure TS (same grammar as assembly/codec/fid.ts) ---------------------

const U64_MAX = (1n << 64n) - 1n;

function parseNum(s: string, radix: 16 | 0): bigint | null {
  const t = s.trim();
  let digits = t;
  let base: number = radix;
  if (/^0[xX]/.test(t)) { digits = t.slice(2); base = 16; }
  else if (radix === 0) base = t.length > 1 && t.startsWith('0') ? 8 : 10;
  const re = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!re.test(digits)) return null;
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : '';
  const v = BigInt(prefix + digits);
  return v > U64_MAX ? null : v;
}

/** Parses `0x..:0x..`, `<..:..>`, `..:..` (hex) or `T|c:k` (%i rules). Throws CodecError. */
export function parseFid(text: string): Fid {
  const bad = (): never => { throw new CodecError('HAX_ERR_XCODE_FID_TEXT', 0, `not a fid: ${text}`); };
  let s = text.trim();
  const typed = /^(.)\|(.*)$/s.exec(s);
  if (typed) {
    const [c, k] = splitColon(typed[2]!) ?? bad();
    const container = parseNum(c, 0) ?? bad();
    const key = parseNum(k, 0) ?? bad();
    const t = typed[1]!.charCodeAt(0);
    if (container >> 56n !== 0n || t > 0xff) bad();
    return { container: container | (BigInt(t) << 56n), key };
  }
  if (s.startsWith('<')) {
    if (!s.endsWith('>')) bad();
    s = s.slice(1, -1);
  }
  const [c, k] = splitColon(s) ?? bad();
  return { container: parseNum(c, 16) ?? bad(), key: parseNum(k, 16) ?? bad() };
}

function splitColon(s: string): [string, string] | null {
  const i = s.indexOf(':');
  return i < 0 ? null : [s.slice(0, i), s.slice(i + 1)];
}

/** Hare's form: 0x%x:0x%x. */
export function formatFid(f: Fid): string {
  return `0x${f.container.toString(16)}:0x${f.key.toString(16)}`;
}
