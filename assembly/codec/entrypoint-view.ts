// The daemon's decode of an entrypoint request (machine/entrypoint.ts): the
// flat fast path (flat.ts flatFast) checks the whole fop and lays it out as
// u64 slots; the rule reads the two fields it needs from typed slots. A bad
// request is named by the schema walker (flat.ts decodeFlat): same codes and
// byte offsets as every other decode of it.
//
// Slots (flat.ts): erf_first_request 0 (sign-extended), erf_generation 1,
// erf_process_fid 2-3, then link params, git rev id, pid, cookie.
import { Reader } from './reader';
import { Writer } from './writer';
import { CodecError } from './errors';
import { flatFast, decodeFlat } from './flat';
import { KIND_ENTRYPOINT_REQ } from '../abi';

/** A request is 196 bytes plus its git rev id; flatFast needs twice the input plus 1 KiB. */
const SCRATCH_BYTES: usize = 64 << 10;
const SCRATCH: usize = heap.alloc(SCRATCH_BYTES);

export class EntrypointReqView {
  /** The error of the last decode that failed. */
  err: CodecError = new CodecError();
  private reader_: Reader = new Reader();
  private writer_: Writer = new Writer();

  /** Decodes exactly [ptr, ptr+len); false (and err set) when the request is not valid. */
  decode(ptr: usize, len: usize): bool {
    if (flatFast(ptr, len, SCRATCH, SCRATCH_BYTES, KIND_ENTRYPOINT_REQ) >= 0) return true;
    this.err.clear();
    const r = this.reader_.reset(ptr, len);
    const w = this.writer_.reset(SCRATCH, SCRATCH_BYTES);
    decodeFlat(r, w, KIND_ENTRYPOINT_REQ);
    if (r.failed) { this.err.set(r.err.code, r.err.offset, r.err.detail); return false; }
    if (w.failed) { this.err.set(w.err.code, w.err.offset, w.err.detail); return false; }
    abort('entrypoint-view: the fast path refused a request the schema walker accepts');
    return false;
  }

  get firstRequest(): bool { return load<u64>(SCRATCH) != 0; }
  get generation(): u64 { return load<u64>(SCRATCH + 8); }
  get processC(): u64 { return load<u64>(SCRATCH + 16); }
  get processK(): u64 { return load<u64>(SCRATCH + 24); }
}
