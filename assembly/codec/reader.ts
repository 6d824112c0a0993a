// Bounds-checked little-endian reader over unmanaged memory. take() is the
// single bounds-check site (as-proto's inc()): every read goes through it, and
// after the first failure every read yields zero, so decoders can read a whole
// structure and check `err.failed` once at the end.
import { CodecError, E_TRUNCATED, E_TRAILING } from './errors';

export class Reader {
  start: usize = 0;
  pos: usize = 0;
  end: usize = 0;
  err: CodecError = new CodecError();

  reset(ptr: usize, len: usize): Reader {
    this.start = ptr;
    this.pos = ptr;
    this.end = ptr + len;
    this.err.clear();
    return this;
  }

  /** Offset of the next byte, from the start of the input. */
  get offset(): u32 { return <u32>(this.pos - this.start); }
  get remaining(): usize { return this.end - this.pos; }
  get failed(): bool { return this.err.failed; }

  fail(code: i32, at: u32, detail: string): void { this.err.set(code, at, detail); }

  /** Returns the address of n readable bytes and advances, or 0 on overrun. */
  private take(n: usize, what: string): usize {
    if (this.err.failed) return 0;
    if (n > this.end - this.pos) {
      this.err.set(E_TRUNCATED, this.offset, what + ': needs ' + n.toString() + ' bytes, ' +
        (this.end - this.pos).toString() + ' left');
      this.pos = this.end;
      return 0;
    }
    const p = this.pos;
    this.pos += n;
    return p;
  }

  u8(what: string): u8 { const p = this.take(1, what); return p ? load<u8>(p) : 0; }
  u32(what: string): u32 { const p = this.take(4, what); return p ? load<u32>(p) : 0; }
  u64(what: string): u64 { const p = this.take(8, what); return p ? load<u64>(p) : 0; }

  /** n bytes decoded as UTF-8 (invalid sequences become U+FFFD). */
  utf8(n: u64, what: string): string {
    if (n > <u64>(this.end - this.pos)) { this.take(<usize>this.remaining + 1, what); return ''; }
    const p = this.take(<usize>n, what);
    return p ? String.UTF8.decodeUnsafe(p, <usize>n, false) : '';
  }

  /**
   * Skips a byte sequence of n bytes and returns its offset, or fails like
   * utf8() (TRUNCATED at the first missing byte's field) when it is too long.
   */
  skip(n: u64, what: string): u32 {
    const at = this.offset;
    if (n > <u64>(this.end - this.pos)) { this.take(<usize>this.remaining + 1, what); return at; }
    this.take(<usize>n, what);
    return at;
  }

  /**
   * Skips n unused notes (fid 16 + u32 state = 20 bytes each). On a short
   * input it fails at the same offset as reading them atom by atom would.
   */
  skipNotes(n: u32): void {
    if (this.err.failed) return;
    const need = <u64>n * 20;
    const left = <u64>(this.end - this.pos);
    if (need <= left) { this.pos += <usize>need; return; }
    const rem = <u32>(left % 20);
    this.pos += <usize>(left - <u64>rem);
    if (rem < 8) this.take(8, 'no_id');
    else if (rem < 16) { this.pos += 8; this.take(8, 'no_id'); }
    else { this.pos += 16; this.take(4, 'no_state'); }
  }

  /** Fails with E_TRAILING unless every byte was consumed. */
  expectEnd(what: string): void {
    if (this.err.failed || this.pos == this.end) return;
    this.err.set(E_TRAILING, this.offset, what + ': ' + (this.end - this.pos).toString() + ' bytes after the end');
  }
}
