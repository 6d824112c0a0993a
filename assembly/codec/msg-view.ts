// The daemon's decode of an m0_ha_msg (machine/messages.ts): the flat fast
// path (flat.ts flatFast) validates the message and lays it out as u64 slots
// in a scratch region the core owns; rules read typed slots — no string, no
// object per field, no fid text unless a rule prints one. On a bad message
// the schema walker (flat.ts decodeFlat) names the error, with the same codes
// and byte offsets as every other decode. The named value tree
// (ha-msg.ts decodeHaMsg) is built only on demand, by the rules of the rare
// message types that print names (service and RPC events, STOB_IOQ).
//
// Slots (flat.ts): fid 0-1, source process 2-3, source service 4-5, time 6,
// epoch 7, hed_type 8, the branch from 9 (EVENT_PROCESS: chp_event,
// chp_type, chp_pid; NVEC: type, id_of_get, ignore_same_state, nr, then
// container, key, state per valid note), hm_tag last.
import { Reader } from './reader';
import { Writer } from './writer';
import { Value } from './value';
import { CodecError } from './errors';
import { flatFast, decodeFlat } from './flat';
import { decodeHaMsg } from './ha-msg';
import { KIND_HA_MSG } from '../abi';

export const S_FID: i32 = 0;
export const S_TYPE: i32 = 8;
export const S_BODY: i32 = 9;
export const S_NVEC_NR: i32 = S_BODY + 3;
export const S_NVEC_NOTES: i32 = S_BODY + 4;

/** Slot region: flatFast needs twice the input plus 1 KiB; an NVEC message is 20592 bytes. */
const SCRATCH_BYTES: usize = 64 << 10;
const SCRATCH: usize = heap.alloc(SCRATCH_BYTES);

export class MsgView {
  ptr: usize = 0;
  len: usize = 0;
  slots: i32 = 0;
  /** The error of the last decode that failed. */
  err: CodecError = new CodecError();
  private tree_: Value | null = null;
  private reader_: Reader = new Reader();
  private writer_: Writer = new Writer();

  /** Decodes exactly [ptr, ptr+len); false (and err set) when the message is not valid. */
  decode(ptr: usize, len: usize): bool {
    this.ptr = ptr; this.len = len; this.tree_ = null;
    const n = flatFast(ptr, len, SCRATCH, SCRATCH_BYTES, KIND_HA_MSG);
    if (n >= 0) { this.slots = n; return true; }
    this.err.clear();
    const r = this.reader_.reset(ptr, len);
    decodeFlat(r, this.writer_.reset(SCRATCH, SCRATCH_BYTES), KIND_HA_MSG);
    if (r.failed) { this.err.set(r.err.code, r.err.offset, r.err.detail); return false; }
    const w = this.writer_;
    if (w.failed) { this.err.set(w.err.code, w.err.offset, w.err.detail); return false; }
    abort('msg-view: the fast path refused a message the schema walker accepts');
    return false;
  }

  slot(i: i32): u64 { return load<u64>(SCRATCH + (<usize>i << 3)); }
  get type(): u32 { return <u32>this.slot(S_TYPE); }
  get fidC(): u64 { return this.slot(S_FID); }
  get fidK(): u64 { return this.slot(S_FID + 1); }
  /** Branch field i (0-based, wire order). */
  body(i: i32): u64 { return this.slot(S_BODY + i); }
  get tag(): u64 { return this.slot(this.slots - 1); }

  /** The named value tree of the same message (built once, on first use). */
  tree(): Value {
    let t = this.tree_;
    if (t === null) {
      t = decodeHaMsg(this.reader_.reset(this.ptr, this.len));
      this.tree_ = t;
    }
    return t;
  }
}
