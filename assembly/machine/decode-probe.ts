// bench/codec's view into the daemon's decode: an event record is read and
// its message decoded exactly as handle() does it (MessageReceived → the
// flat fast path of codec/msg-view.ts; EntrypointRequested → readEntrypointReq
// of codec/entrypoint.ts, as entrypoint.ts reads it), then the values the rules read are
// written as u64s at `out` — so the benchmark times the daemon's own path and
// checks its result against the TypeScript oracle. Changes no core state.
//
// Hot values, in order (the bench's hotTs order):
//   message:    hed_type, fid container, fid key, then for EVENT_PROCESS
//               chp_event, chp_type; for NVEC the note count and per valid
//               note container, key, state
//   entrypoint: process fid container, key, first_request, generation
import { Reader } from '../codec/reader';
import { MsgView, S_NVEC_NR, S_NVEC_NOTES } from '../codec/msg-view';
import { EntrypointReq, readEntrypointReq } from '../codec/entrypoint';
import { MessageReceived, EntrypointRequested } from '../events';
import { EV_MESSAGE_RECEIVED, EV_ENTRYPOINT_REQUESTED } from '../abi';

const view = new MsgView();
const request = new EntrypointReq();
const requestReader = new Reader();
const T_NVEC: u32 = 2;
const T_EVENT_PROCESS: u32 = 7;

/** Returns the number of hot values written, or -1 when the input does not decode. */
export function probeDecode(tag: u16, r: Reader, out: usize): i32 {
  let o = out;
  if (tag == EV_MESSAGE_RECEIVED) {
    const e = MessageReceived.read(r);
    if (!view.decode(e.msg.ptr, e.msg.len)) return -1;
    const t = view.type;
    store<u64>(o, t); store<u64>(o + 8, view.fidC); store<u64>(o + 16, view.fidK); o += 24;
    if (t == T_EVENT_PROCESS) { store<u64>(o, view.body(0)); store<u64>(o + 8, view.body(1)); o += 16; }
    else if (t == T_NVEC) {
      const n = <i32>view.slot(S_NVEC_NR);
      store<u64>(o, n); o += 8;
      for (let i = 0, s = S_NVEC_NOTES; i < n; i++, s += 3) {
        store<u64>(o, view.slot(s)); store<u64>(o + 8, view.slot(s + 1)); store<u64>(o + 16, view.slot(s + 2)); o += 24;
      }
    }
  } else if (tag == EV_ENTRYPOINT_REQUESTED) {
    const e = EntrypointRequested.read(r);
    readEntrypointReq(requestReader.reset(e.fop.ptr, e.fop.len), request);
    if (requestReader.failed) return -1;
    store<u64>(o, request.pc); store<u64>(o + 8, request.pk);
    store<u64>(o + 16, request.first ? 1 : 0);
    store<u64>(o + 24, request.generation);
    o += 32;
  } else {
    abort('probeDecode: not a message or entrypoint event');
  }
  return <i32>((o - out) >> 3);
}
