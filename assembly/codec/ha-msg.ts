// m0_ha_msg (motr-ha-wire.md §2, §6.1): header (3 fids, time, epoch), the
// union discriminator hed_type (u64), the branch of that type only, hm_tag.
// Decode is strict: exact length (standalone), hed_type 0..11, hmnv_nr 1..1024,
// note states < 8, flags 0/1, named enums. Encode refuses what would crash
// Motr (§2.7): UNKNOWN in a SET, REPAIR/REBALANCE on a fid type other than
// pool/sdev/node/drive, 0 or > 1024 notes.
//
// JSON view (the host's HaMsg): {fid, sourceProcess, sourceService, time,
// epoch, type, body, tag}; type without the M0_HA_MSG_ prefix; body keys are
// the C names of the branch struct (e.g. chp_event, hmnv_arr).
import { Reader } from './reader';
import { Writer } from './writer';
import { Value, V_OBJ, V_STR } from './value';
import { formatFid } from './fid';
import { CodecError, E_MSG_TYPE, E_FIELD_MISSING, E_FIELD_TYPE, E_COUNT_RANGE, E_ENUM_RANGE } from './errors';
import {
  Field, Ctx, uint, sint, enm, flag, count, fid, struct, notes,
  decodeFields, encodeFields, valueToU64, valueToFid, setNestedCodec,
  setNoteRefusal, NOTES_LEN, NOTE_WIRE,
} from './schema';

// ---- enums (names are the C enumerators) ---------------------------------------

// Message type and note state names come from protocol/constants.yaml.
import { MSG_TYPE_NAMES, STATE_NAMES, PROCESS_EVENT_NAMES, PROCESS_TYPE_NAMES } from '../generated/protocol';
export { MSG_TYPE_NAMES, STATE_NAMES, PROCESS_EVENT_NAMES, PROCESS_TYPE_NAMES };
export const T_INVALID: u64 = 0;
export const T_NVEC: u64 = 2;
export const T_EVENT_PROCESS: u64 = 7;

export const M0_NC_ONLINE: u32 = 1;
export const M0_NC_TRANSIENT: u32 = 3;

const SERVICE_EVENT_NAMES: Array<string> = [
  'M0_CONF_HA_SERVICE_STARTING', 'M0_CONF_HA_SERVICE_STARTED', 'M0_CONF_HA_SERVICE_STOPPING',
  'M0_CONF_HA_SERVICE_STOPPED', 'M0_CONF_HA_SERVICE_FAILED',
];
const SERVICE_TYPE_NAMES: Array<string> = [
  'M0_CST__UNUSED', 'M0_CST_MDS', 'M0_CST_IOS', 'M0_CST_CONFD', 'M0_CST_RMS', 'M0_CST_STATS',
  'M0_CST_HA', 'M0_CST_SSS', 'M0_CST_SNS_REP', 'M0_CST_SNS_REB', 'M0_CST_ADDB2', 'M0_CST_CAS',
  'M0_CST_DIX_REP', 'M0_CST_DIX_REB', 'M0_CST_DS1', 'M0_CST_DS2', 'M0_CST_FIS', 'M0_CST_FDMI',
  'M0_CST_BE', 'M0_CST_M0T1FS', 'M0_CST_CLIENT', 'M0_CST_ISCS', 'M0_CST_DTM0',
];
const STOB_OP_NAMES: Array<string> = ['SIO_INVALID', 'SIO_READ', 'SIO_WRITE', 'SIO_BARRIER', 'SIO_SYNC'];
const BE_LOC_NAMES: Array<string> = ['M0_BE_LOC_NONE', 'M0_BE_LOC_LOG', 'M0_BE_LOC_SEGMENT_1', 'M0_BE_LOC_SEGMENT_2'];
const CM_OP_NAMES: Array<string> = [
  'CM_OP_INVALID', 'CM_OP_REPAIR', 'CM_OP_REBALANCE', 'CM_OP_REPAIR_QUIESCE',
  'CM_OP_REBALANCE_QUIESCE', 'CM_OP_REPAIR_RESUME', 'CM_OP_REBALANCE_RESUME',
  'CM_OP_REPAIR_STATUS', 'CM_OP_REBALANCE_STATUS', 'CM_OP_REPAIR_ABORT', 'CM_OP_REBALANCE_ABORT',
];
const NVEC_TYPE_NAMES: Array<string> = ['M0_HA_NVEC_SET', 'M0_HA_NVEC_GET'];

// ---- branch structs, indexed by hed_type ---------------------------------------

function u128(name: string): Field { return struct(name, [uint('u_hi', 8), uint('u_lo', 8)]); }
function cookie(name: string): Field { return struct(name, [uint('co_addr', 8), uint('co_generation', 8)]); }

export const BRANCHES: Array<Array<Field>> = [
  /* 0 INVALID */ [],
  /* 1 STOB_IOQ */ [
    fid('sie_conf_sdev'), struct('sie_stob_id', [fid('si_domain_fid'), fid('si_fid')]),
    sint('sie_fd', 8), enm('sie_opcode', 8, STOB_OP_NAMES, false), sint('sie_rc', 8),
    uint('sie_offset', 8), uint('sie_size', 8), uint('sie_bshift', 4),
  ],
  /* 2 NVEC */ [
    enm('hmnv_type', 8, NVEC_TYPE_NAMES, true), uint('hmnv_id_of_get', 8),
    flag('hmnv_ignore_same_state', 8), count('hmnv_nr', 8, 1, 1024), notes('hmnv_arr', STATE_NAMES),
  ],
  /* 3 FAILURE_VEC_REQ */ [fid('mfq_pool'), cookie('mfq_cookie')],
  /* 4 FAILURE_VEC_REP */ [
    fid('mfp_pool'), cookie('mfp_cookie'), count('mfp_nr', 4, 0, 1024), notes('mfp_vec', STATE_NAMES),
  ],
  /* 5 KEEPALIVE_REQ */ [u128('kaq_id')],
  /* 6 KEEPALIVE_REP */ [u128('kap_id'), uint('kap_counter', 8)],
  /* 7 EVENT_PROCESS */ [
    enm('chp_event', 8, PROCESS_EVENT_NAMES, true), enm('chp_type', 8, PROCESS_TYPE_NAMES, true), uint('chp_pid', 8),
  ],
  /* 8 EVENT_SERVICE */ [
    enm('chs_event', 8, SERVICE_EVENT_NAMES, true), enm('chs_type', 8, SERVICE_TYPE_NAMES, true), uint('chs_pid', 8),
  ],
  /* 9 EVENT_RPC */ [uint('hmr_attempts', 8), enm('hmr_state', 8, STATE_NAMES, true)],
  /* 10 BE_IO_ERR */ [
    uint('ber_errcode', 4), enm('ber_location', 1, BE_LOC_NAMES, false), enm('ber_io_opcode', 1, STOB_OP_NAMES, false),
  ],
  /* 11 SNS_ERR */ [uint('hse_errcode', 4), enm('hse_opcode', 1, CM_OP_NAMES, false)],
];

export const HEADER_WIRE: u32 = 72;
export const NVEC_MSG_WIRE: u32 = 20592;

// ---- decode ----------------------------------------------------------------------

/** Reads one m0_ha_msg at the reader's position (no end check). */
export function decodeHaMsgAt(r: Reader): Value {
  const o = Value.obj();
  const start = r.offset;
  const f0 = r.u64('hm_fid'); const f1 = r.u64('hm_fid');
  const p0 = r.u64('hm_source_process'); const p1 = r.u64('hm_source_process');
  const s0 = r.u64('hm_source_service'); const s1 = r.u64('hm_source_service');
  const time = r.u64('hm_time');
  const epoch = r.u64('hm_epoch');
  const typeAt = r.offset;
  const t = r.u64('hed_type');
  o.set('fid', Value.s(formatFid(f0, f1)))
    .set('sourceProcess', Value.s(formatFid(p0, p1)))
    .set('sourceService', Value.s(formatFid(s0, s1)))
    .set('time', Value.u(time, true))
    .set('epoch', Value.u(epoch, true));
  if (r.failed) return o;
  if (t >= <u64>MSG_TYPE_NAMES.length) {
    r.fail(E_MSG_TYPE, typeAt, 'hed_type ' + t.toString() + ' is not a known m0_ha_msg_type (message starts at ' + start.toString() + ')');
    return o;
  }
  o.set('type', Value.s(MSG_TYPE_NAMES[<i32>t]));
  o.set('body', decodeFields(r, BRANCHES[<i32>t], new Ctx()));
  o.set('tag', Value.u(r.u64('hm_tag'), true));
  return o;
}

/** A whole buffer holding exactly one m0_ha_msg. */
export function decodeHaMsg(r: Reader): Value {
  const v = decodeHaMsgAt(r);
  r.expectEnd('m0_ha_msg');
  return v;
}

// ---- encode ----------------------------------------------------------------------

function headerFid(w: Writer, m: Value, key: string, err: CodecError): void {
  const v = m.get(key);
  if (v === null) { err.set(E_FIELD_MISSING, w.offset, 'missing field ' + key); return; }
  const f = valueToFid(v, err, w.offset, key);
  w.fid(f.c, f.k);
}

function headerU64(w: Writer, m: Value, key: string, err: CodecError): void {
  const v = m.get(key);
  if (v === null) { w.u64(0); return; }   // time, epoch, tag default to 0
  w.u64(valueToU64(v, err, w.offset, key));
}

function msgType(v: Value, err: CodecError, at: u32): u64 {
  if (v.kind == V_STR) {
    let s = v.str;
    if (s.startsWith('M0_HA_MSG_')) s = s.substring(10);
    for (let i = 0; i < MSG_TYPE_NAMES.length; i++) if (MSG_TYPE_NAMES[i] == s) return <u64>i;
    err.set(E_ENUM_RANGE, at, 'unknown message type ' + v.str);
    return 0;
  }
  const n = valueToU64(v, err, at, 'type');
  if (!err.failed && n >= <u64>MSG_TYPE_NAMES.length) err.set(E_MSG_TYPE, at, 'type ' + n.toString() + ' is not a known m0_ha_msg_type');
  return n;
}

export function encodeHaMsg(w: Writer, m: Value, err: CodecError): void {
  if (m.kind != V_OBJ) { err.set(E_FIELD_TYPE, w.offset, 'message: expected an object'); return; }
  headerFid(w, m, 'fid', err);
  headerFid(w, m, 'sourceProcess', err);
  headerFid(w, m, 'sourceService', err);
  headerU64(w, m, 'time', err);
  headerU64(w, m, 'epoch', err);
  const tv = m.get('type');
  if (tv === null) { err.set(E_FIELD_MISSING, w.offset, 'missing field type'); return; }
  const t = msgType(tv, err, w.offset);
  if (err.failed) return;
  w.u64(t);
  const body = m.get('body');
  const fields = BRANCHES[<i32>t];
  if (fields.length > 0) {
    if (body === null || body.kind != V_OBJ) { err.set(E_FIELD_MISSING, w.offset, 'missing object body'); return; }
    encodeFields(w, fields, body, err, new Ctx(), 'body.');
  }
  if (err.failed) return;
  headerU64(w, m, 'tag', err);
}

setNestedCodec(decodeHaMsgAt, encodeHaMsg);

// ---- fast path: the NVEC SET that hax broadcasts ---------------------------------

/**
 * Writes one NVEC SET m0_ha_msg (header zero, id_of_get 0 or given,
 * ignore_same_state 1, tag 0) with notes [from, from+n) of the parallel arrays.
 * A refusal (§2.7) of the first bad note, or a note count outside 1..1024,
 * is recorded in `err` and nothing is written; check err.failed after.
 */
export function encodeNvecSet(w: Writer, cs: Array<u64>, ks: Array<u64>, states: Array<u32>,
                              from: i32, n: i32, idOfGet: u64, err: CodecError): void {
  if (n <= 0 || n > NOTES_LEN) { err.set(E_COUNT_RANGE, w.offset, 'hmnv_nr = ' + n.toString() + ', must be 1..1024'); return; }
  for (let i = from; i < from + n; i++) {
    const refusal = setNoteRefusal(cs[i], states[i]);
    if (refusal != 0) { err.set(refusal, w.offset, 'note ' + formatFid(cs[i], ks[i])); return; }
  }
  w.zeros(HEADER_WIRE - 8);
  w.u64(T_NVEC);
  w.u64(0);               // hmnv_type = M0_HA_NVEC_SET
  w.u64(idOfGet);
  w.u64(1);               // hmnv_ignore_same_state
  w.u64(<u64>n);
  for (let i = from; i < from + n; i++) {
    w.fid(cs[i], ks[i]);
    w.u32(states[i]);
  }
  w.zeros(<usize>(NOTES_LEN - n) * NOTE_WIRE);
  w.u64(0);               // hm_tag: 0 when handed to send()
}
