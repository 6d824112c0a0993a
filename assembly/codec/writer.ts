// Bounds-checked little-endian writer over unmanaged memory (the output
// region). Overflow is sticky: the first failure is recorded and later writes
// are dropped; callers check `err.failed` once.
import { CodecError, E_OUTPUT_FULL } from './errors';

export class Writer {
  start: usize = 0;
  pos: usize = 0;
  end: usize = 0;
  err: CodecError = new CodecError();

  reset(ptr: usize, cap: usize): Writer {
    this.start = ptr;
    this.pos = ptr;
    this.end = ptr + cap;
    this.err.clear();
    return this;
  }

  get offset(): u32 { return <u32>(this.pos - this.start); }
  get failed(): bool { return this.err.failed; }
  get room(): usize { return this.end - this.pos; }

  private take(n: usize): usize {
    if (this.err.failed) return 0;
    if (n > this.end - this.pos) {
      this.err.set(E_OUTPUT_FULL, this.offset, 'output region full');
      return 0;
    }
    const p = this.pos;
    this.pos += n;
    return p;
  }

  u8(v: u8): void { const p = this.take(1); if (p) store<u8>(p, v); }
  u16(v: u16): void { const p = this.take(2); if (p) store<u16>(p, v); }
  u32(v: u32): void { const p = this.take(4); if (p) store<u32>(p, v); }
  u64(v: u64): void { const p = this.take(8); if (p) store<u64>(p, v); }
  zeros(n: usize): void { const p = this.take(n); if (p) memory.fill(p, 0, n); }
  raw(src: usize, n: usize): void { const p = this.take(n); if (p) memory.copy(p, src, n); }

  fid(c: u64, k: u64): void { this.u64(c); this.u64(k); }

  /** UTF-8 bytes of s, no length. Returns the byte count. */
  utf8(s: string): usize {
    const n = <usize>String.UTF8.byteLength(s, false);
    const p = this.take(n);
    if (p) String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, p, false);
    return n;
  }

  /** ABI string: u32 byte length + UTF-8. */
  str(s: string): void {
    this.u32(<u32>String.UTF8.byteLength(s, false));
    this.utf8(s);
  }

  /** Starts a record (tag u16, length u32 patched by endRecord). */
  beginRecord(tag: u16): usize {
    const at = this.pos;
    this.u16(tag);
    this.u32(0);
    return at;
  }

  endRecord(at: usize): void {
    if (this.err.failed) return;
    store<u32>(at + 2, <u32>(this.pos - at - 6));
  }

  /** Reserves a u32 to patch later (blob lengths). */
  reserveU32(): usize { const at = this.pos; this.u32(0); return at; }
  patchU32(at: usize, v: u32): void { if (!this.err.failed) store<u32>(at, v); }
}
