// A plain TypeScript (DataView) decoder of Motr's HA xcode, written from
// /work/shared/spec/motr-ha-wire.md §2, §4, §6 and docs/wire.md, NOT from the
// AssemblyScript code. Two uses only: the baseline of bench/codec and the
// oracle of test/core/differential.test.ts and fuzz.test.ts. The daemon never
// imports it.
//
// Output: plain objects with the C field names; u64 as bigint, u32/u8 and
// enums as numbers, fids as {container, key} bigints, m0_buf as a string.
// Errors: OracleError {code: 'HAX_ERR_XCODE_*', offset} at the first problem in
// wire order, with the offsets docs/wire.md promises.

export interface OFid { container: bigint; key: bigint }
export interface ONote { no_id: OFid; no_state: number }
export interface OMsg {
  hm_fid: OFid; hm_source_process: OFid; hm_source_service: OFid;
  hm_time: bigint; hm_epoch: bigint; hed_type: number;
  body: Record<string, unknown>;
  hm_tag: bigint;
}

export class OracleError extends Error {
  constructor(readonly code: string, readonly offset: number, detail: string) {
    super(`${code} at byte ${offset}: ${detail}`);
  }
}

const E = (s: string): string => `HAX_ERR_XCODE_${s}`;
const NOTE_SLOTS = 1024;
const NOTE_BYTES = 20;
const text = new TextDecoder();

class Cursor {
  readonly v: DataView;
  p = 0;
  constructor(readonly b: Uint8Array) { this.v = new DataView(b.buffer, b.byteOffset, b.byteLength); }
  get left(): number { return this.b.length - this.p; }
  need(n: number, what: string): number {
    if (n > this.b.length - this.p) throw new OracleError(E('TRUNCATED'), this.p, `${what} needs ${n} bytes`);
    const at = this.p;
    this.p += n;
    return at;
  }
  u8(w: string): number { return this.v.getUint8(this.need(1, w)); }
  u32(w: string): number { return this.v.getUint32(this.need(4, w), true); }
  i32(w: string): number { return this.v.getInt32(this.need(4, w), true); }
  u64(w: string): bigint { return this.v.getBigUint64(this.need(8, w), true); }
  i64(w: string): bigint { return this.v.getBigInt64(this.need(8, w), true); }
  fid(w: string): OFid { const container = this.u64(w); return { container, key: this.u64(w) }; }
  /** A u64 that must be < limit; returned as a number. */
  small(w: string, limit: number, code: string): number {
    const at = this.p;
    const v = this.u64(w);
    if (v >= BigInt(limit)) throw new OracleError(E(code), at, `${w} = ${v}`);
    return Number(v);
  }
  buf(w: string): string {
    const n = this.u64(w);
    if (n > BigInt(this.left)) throw new OracleError(E('TRUNCATED'), this.p, `${w}: ${n} bytes`);
    const at = this.need(Number(n), w);
    return text.decode(this.b.subarray(at, at + Number(n)));
  }
  u128(w: string): { u_hi: bigint; u_lo: bigint } { const u_hi = this.u64(w); return { u_hi, u_lo: this.u64(w) }; }
}

/** The 1024-slot note array: the first `valid` are returned, the rest must only be present. */
function notes(c: Cursor, valid: number, w: string): ONote[] {
  const out: ONote[] = new Array(valid);
  for (let i = 0; i < valid; i++) {
    const no_id = c.fid(w);
    const at = c.p;
    const no_state = c.u32(w);
    if (no_state >= 8) throw new OracleError(E('STATE_RANGE'), at, `${w}[${i}].no_state = ${no_state}`);
    out[i] = { no_id, no_state };
  }
  const rest = (NOTE_SLOTS - valid) * NOTE_BYTES;
  if (rest > c.left) {
    // Report the first atom (8-byte container, 8-byte key, 4-byte state) that does not fit.
    const whole = c.left - (c.left % NOTE_BYTES);
    const r = c.left % NOTE_BYTES;
    throw new OracleError(E('TRUNCATED'), c.p + whole + (r < 8 ? 0 : r < 16 ? 8 : 16), `${w}: unused notes cut`);
  }
  c.p += rest;
  return out;
}

const cookie = (c: Cursor, w: string) => ({ co_addr: c.u64(w), co_generation: c.u64(w) });

/** One branch per hed_type (§2.1, §6.1). */
const BRANCH: ((c: Cursor) => Record<string, unknown>)[] = [
  () => ({}),
  (c) => ({
    sie_conf_sdev: c.fid('sie_conf_sdev'),
    sie_stob_id: { si_domain_fid: c.fid('si_domain_fid'), si_fid: c.fid('si_fid') },
    sie_fd: c.i64('sie_fd'), sie_opcode: c.i64('sie_opcode'), sie_rc: c.i64('sie_rc'),
    sie_offset: c.u64('sie_offset'), sie_size: c.u64('sie_size'), sie_bshift: c.u32('sie_bshift'),
  }),
  (c) => {
    const hmnv_type = c.small('hmnv_type', 2, 'ENUM_RANGE');
    const hmnv_id_of_get = c.u64('hmnv_id_of_get');
    const hmnv_ignore_same_state = c.small('hmnv_ignore_same_state', 2, 'FLAG_RANGE');
    const at = c.p;
    const nr = c.u64('hmnv_nr');
    if (nr < 1n || nr > 1024n) throw new OracleError(E('COUNT_RANGE'), at, `hmnv_nr = ${nr}`);
    return { hmnv_type, hmnv_id_of_get, hmnv_ignore_same_state, hmnv_nr: Number(nr), hmnv_arr: notes(c, Number(nr), 'hmnv_arr') };
  },
  (c) => ({ mfq_pool: c.fid('mfq_pool'), mfq_cookie: cookie(c, 'mfq_cookie') }),
  (c) => {
    const mfp_pool = c.fid('mfp_pool');
    const mfp_cookie = cookie(c, 'mfp_cookie');
    const at = c.p;
    const nr = c.u32('mfp_nr');
    if (nr > 1024) throw new OracleError(E('COUNT_RANGE'), at, `mfp_nr = ${nr}`);
    return { mfp_pool, mfp_cookie, mfp_nr: nr, mfp_vec: notes(c, nr, 'mfp_vec') };
  },
  (c) => ({ kaq_id: c.u128('kaq_id') }),
  (c) => ({ kap_id: c.u128('kap_id'), kap_counter: c.u64('kap_counter') }),
  (c) => ({ chp_event: c.small('chp_event', 5, 'ENUM_RANGE'), chp_type: c.small('chp_type', 4, 'ENUM_RANGE'), chp_pid: c.u64('chp_pid') }),
  (c) => ({ chs_event: c.small('chs_event', 5, 'ENUM_RANGE'), chs_type: c.small('chs_type', 23, 'ENUM_RANGE'), chs_pid: c.u64('chs_pid') }),
  (c) => ({ hmr_attempts: c.u64('hmr_attempts'), hmr_state: c.small('hmr_state', 8, 'ENUM_RANGE') }),
  (c) => ({ ber_errcode: c.u32('ber_errcode'), ber_location: c.u8('ber_location'), ber_io_opcode: c.u8('ber_io_opcode') }),
  (c) => ({ hse_errcode: c.u32('hse_errcode'), hse_opcode: c.u8('hse_opcode') }),
];

function msgAt(c: Cursor): OMsg {
  const hm_fid = c.fid('hm_fid');
  const hm_source_process = c.fid('hm_source_process');
  const hm_source_service = c.fid('hm_source_service');
  const hm_time = c.u64('hm_time');
  const hm_epoch = c.u64('hm_epoch');
  const hed_type = c.small('hed_type', BRANCH.length, 'MSG_TYPE');
  const body = BRANCH[hed_type]!(c);
  return { hm_fid, hm_source_process, hm_source_service, hm_time, hm_epoch, hed_type, body, hm_tag: c.u64('hm_tag') };
}

// Top-level functions only on the hot path: under tsx (esbuild keepNames) a
// closure made per call is renamed with defineProperty on every call.
function tags(c: Cursor, w: string) {
  return { hlt_confirmed: c.u64(w), hlt_delivered: c.u64(w), hlt_next: c.u64(w), hlt_assign: c.u64(w) };
}

function linkParams(c: Cursor) {
  return {
    hlp_id_local: c.u128('hlp_id_local'), hlp_id_remote: c.u128('hlp_id_remote'), hlp_id_connection: c.u128('hlp_id_connection'),
    hlp_tags_local: tags(c, 'hlp_tags_local'), hlp_tags_remote: tags(c, 'hlp_tags_remote'),
  };
}
const haCookie = (c: Cursor) => ({ hcx_pid: c.u64('hcx_pid'), hcx_time_start: c.u64('hcx_time_start'), hcx_uptime: c.u64('hcx_uptime'), hcx_uuid: c.u128('hcx_uuid') });

function entrypointReq(c: Cursor) {
  return {
    erf_first_request: c.i32('erf_first_request'), erf_generation: c.u64('erf_generation'), erf_process_fid: c.fid('erf_process_fid'),
    erf_link_params: linkParams(c), erf_git_rev_id: c.buf('erf_git_rev_id'), erf_pid: c.u64('erf_pid'), erf_cookie_expected: haCookie(c),
  };
}

function flag32(c: Cursor, w: string): number {
  const at = c.p;
  const v = c.u32(w);
  if (v > 1) throw new OracleError(E('FLAG_RANGE'), at, `${w} = ${v}`);
  return v;
}

function entrypointRep(c: Cursor) {
  const hbp_quorum = c.u32('hbp_quorum');
  let at = c.p;
  const nf = c.u32('af_count');
  if (nf * 16 > c.left) throw new OracleError(E('TRUNCATED'), at, `${nf} confd fids`);
  const hbp_confd_fids: OFid[] = [];
  for (let i = 0; i < nf; i++) hbp_confd_fids.push(c.fid('af_elems'));
  at = c.p;
  const ne = c.u32('ab_count');
  if (ne !== nf) throw new OracleError(E('COUNT_MISMATCH'), at, `${ne} eps for ${nf} fids`);
  if (ne * 8 > c.left) throw new OracleError(E('TRUNCATED'), at, `${ne} eps`);
  const hbp_confd_eps: string[] = [];
  for (let i = 0; i < ne; i++) hbp_confd_eps.push(c.buf('ab_elems'));
  const hbp_active_rm_fid = c.fid('hbp_active_rm_fid');
  const hbp_active_rm_ep = c.buf('hbp_active_rm_ep');
  at = c.p;
  const hbp_control = c.u32('hbp_control');
  if (hbp_control > 2) throw new OracleError(E('ENUM_RANGE'), at, `hbp_control = ${hbp_control}`);
  const hbp_link_params = linkParams(c);
  const hbp_link_do_reconnect = c.small('hbp_link_do_reconnect', 2, 'FLAG_RANGE');
  const hbp_disconnected_previously = flag32(c, 'hbp_disconnected_previously');
  return {
    hbp_quorum, hbp_confd_fids, hbp_confd_eps, hbp_active_rm_fid, hbp_active_rm_ep, hbp_control,
    hbp_link_params, hbp_link_do_reconnect, hbp_disconnected_previously, hbp_cookie_actual: haCookie(c),
  };
}

function linkMsg(c: Cursor) {
  const lmf_msg_nr = c.small('lmf_msg_nr', 2, 'FLAG_RANGE');
  return {
    lmf_msg_nr, lmf_msg: msgAt(c), lmf_id_local: c.u128('lmf_id_local'), lmf_id_remote: c.u128('lmf_id_remote'),
    lmf_id_connection: c.u128('lmf_id_connection'), lmf_out_next: c.u64('lmf_out_next'),
    lmf_in_delivered: c.u64('lmf_in_delivered'), lmf_seq: c.u64('lmf_seq'),
  };
}

const linkRep = (c: Cursor) => ({ lmr_rc: c.i32('lmr_rc'), lmr_out_next: c.u64('lmr_out_next'), lmr_in_delivered: c.u64('lmr_in_delivered') });

export type OracleKind = 'msg' | 'entrypoint-req' | 'entrypoint-rep' | 'link-msg' | 'link-rep';
const TOP: Record<OracleKind, (c: Cursor) => unknown> = {
  msg: msgAt, 'entrypoint-req': entrypointReq, 'entrypoint-rep': entrypointRep, 'link-msg': linkMsg, 'link-rep': linkRep,
};

/** Decodes exactly all of `b` as `kind`; throws OracleError. */
export function oracleDecode(kind: OracleKind, b: Uint8Array): any {
  const c = new Cursor(b);
  const v = TOP[kind](c);
  if (c.left !== 0) throw new OracleError(E('TRAILING_BYTES'), c.p, `${c.left} bytes after the end`);
  return v;
}

export const decodeMsg = (b: Uint8Array): OMsg => oracleDecode('msg', b) as OMsg;
