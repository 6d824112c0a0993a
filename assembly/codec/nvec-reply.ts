// The reply to an NVEC GET (motr-ha-wire.md §2.7), checked against the GET
// itself: m0d asserts that the reply's hmnv_nr and its fids, index by index,
// equal the GET's, and a mismatch crashes it. So the reply is built FROM the
// GET's bytes: the host gives the states (and, optionally, the fids it thinks
// it answers, which must then match), the core copies id_of_get and the fids.
//
// Input (host-built; a malformed frame is host misuse and aborts):
//   u32 getLen | getLen bytes: the GET m0_ha_msg as received
//   u32 n | u32 flags (bit 0: each entry carries a fid)
//   n × (flags & 1 ? (u64 container, u64 key, u32 state) : u32 state)
// Output: the NVEC SET m0_ha_msg (20592 bytes): header zero (as Hare),
// hmnv_type SET, hmnv_id_of_get from the GET, ignore_same_state 1, the GET's
// fids with the given states, hm_tag 0 (the link queue assigns it).
//
// Refusals: the GET does not decode (its own error code and offset);
// it is not an NVEC GET (NOT_NVEC_GET); n or a fid differs
// (REFUSE_GET_MISMATCH); a state Motr would assert on in a SET
// (REFUSE_UNKNOWN_STATE, REFUSE_REPAIR_FID; offsets in the reply).
import { Reader } from './reader';
import { Writer } from './writer';
import { CodecError, E_NOT_NVEC_GET, E_REFUSE_GET_MISMATCH, E_STATE_RANGE } from './errors';
import { decodeFlat } from './flat';
import { setNoteRefusal, refusalText, NOTES_LEN, NOTE_WIRE } from './schema';
import { formatFid } from './fid';
import { KIND_HA_MSG } from '../abi';

// Slots of a flat m0_ha_msg NVEC (flat.ts): 8 type, 9 hmnv_type, 10 id_of_get, 12 nr, 13.. notes.
const SLOT_TYPE: usize = 8;
const SLOT_NVEC_TYPE: usize = 9;
const SLOT_ID_OF_GET: usize = 10;
const SLOT_NR: usize = 12;
const SLOT_NOTES: usize = 13;
const SCRATCH_BYTES: usize = 64 << 10;   // a flat m0_ha_msg needs at most ~3100 slots (25 KB)
const SCRATCH: usize = heap.alloc(SCRATCH_BYTES);
const NOTES_AT: u32 = 104;               // first note in the reply
const M0_HA_MSG_NVEC: u64 = 2;
const M0_HA_NVEC_GET: u64 = 1;

const slot = (i: usize): u64 => load<u64>(SCRATCH + (i << 3));

export function encodeNvecReply(inPtr: usize, len: usize, w: Writer, err: CodecError): void {
  if (len < 12) abort('nvecReply: input too short');
  const getLen = <usize>load<u32>(inPtr);
  if (getLen > len - 12) abort('nvecReply: GET length past the input');
  const n = load<u32>(inPtr + 4 + getLen);
  const withFids = (load<u32>(inPtr + 8 + getLen) & 1) != 0;
  const entry: usize = withFids ? 20 : 4;
  if (<u64>n * <u64>entry != <u64>(len - 12 - getLen)) abort('nvecReply: entry count does not match the input length');
  const entries = inPtr + 12 + getLen;

  const r = new Reader().reset(inPtr + 4, getLen);
  const sw = new Writer().reset(SCRATCH, SCRATCH_BYTES);
  decodeFlat(r, sw, KIND_HA_MSG);
  if (sw.failed) abort('nvecReply: scratch region too small');
  if (r.failed) { err.set(r.err.code, r.err.offset, 'the GET: ' + r.err.detail); return; }
  if (slot(SLOT_TYPE) != M0_HA_MSG_NVEC || slot(SLOT_NVEC_TYPE) != M0_HA_NVEC_GET) {
    err.set(E_NOT_NVEC_GET, 64, 'the message answered is not an NVEC GET (hed_type ' + slot(SLOT_TYPE).toString() + ')');
    return;
  }
  const nr = slot(SLOT_NR);
  if (<u64>n != nr) {
    err.set(E_REFUSE_GET_MISMATCH, 96, 'the GET asks for ' + nr.toString() + ' notes, the reply has ' + n.toString() +
      '; m0d asserts hmnv_nr is equal');
    return;
  }
  for (let i: u32 = 0; i < n; i++) {
    const c = slot(SLOT_NOTES + <usize>i * 3);
    const k = slot(SLOT_NOTES + <usize>i * 3 + 1);
    const p = entries + <usize>i * entry;
    const at = NOTES_AT + i * <u32>NOTE_WIRE;
    if (withFids && (load<u64>(p) != c || load<u64>(p + 8) != k)) {
      err.set(E_REFUSE_GET_MISMATCH, at, 'note ' + i.toString() + ' is ' + formatFid(load<u64>(p), load<u64>(p + 8)) +
        ', the GET asks for ' + formatFid(c, k) + '; m0d asserts the fids are equal, index by index');
      return;
    }
    const st = load<u32>(p + (withFids ? 16 : 0));
    if (st >= 8) { err.set(E_STATE_RANGE, at + 16, 'note ' + i.toString() + ' state ' + st.toString() + ', must be < 8'); return; }
    const refusal = setNoteRefusal(c, st);
    if (refusal != 0) { err.set(refusal, at, 'note ' + i.toString() + ' ' + formatFid(c, k) + ': ' + refusalText(refusal)); return; }
  }
  w.zeros(64);                  // hm_fid, hm_source_process, hm_source_service, hm_time, hm_epoch
  w.u64(M0_HA_MSG_NVEC);
  w.u64(0);                     // hmnv_type = M0_HA_NVEC_SET
  w.u64(slot(SLOT_ID_OF_GET));
  w.u64(1);                     // hmnv_ignore_same_state, as Hare
  w.u64(nr);
  for (let i: u32 = 0; i < n; i++) {
    w.u64(slot(SLOT_NOTES + <usize>i * 3));
    w.u64(slot(SLOT_NOTES + <usize>i * 3 + 1));
    w.u32(load<u32>(entries + <usize>i * entry + (withFids ? 16 : 0)));
  }
  w.zeros(<usize>(NOTES_LEN - <i32>n) * NOTE_WIRE);
  w.u64(0);                     // hm_tag: 0 when handed to send()
}
