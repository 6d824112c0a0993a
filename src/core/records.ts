// Little-endian record writer/reader for the core's binary ABI
// (assembly/abi.ts): records are tag u16 | length u32 | payload; strings are
// u32 length + UTF-8; fids are container u64 + key u64; blobs u32 length + bytes.
import type { Fid } from '../fid.ts';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8');

export class RecordWriter {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #pos = 0;

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
  u8(v: number): this { this.#room(1); this.#view.setUint8(this.#pos, v); this.#pos += 1; return this; }
  u16(v: number): this { this.#room(2); this.#view.setUint16(this.#pos, v, true); this.#pos += 2; return this; }
  u32(v: number): this { this.#room(4); this.#view.setUint32(this.#pos, v >>> 0, true); this.#pos += 4; return this; }
  u64(v: bigint): this { this.#room(8); this.#view.setBigUint64(this.#pos, BigInt.asUintN(64, v), true); this.#pos += 8; return this; }
  fid(f: Fid): this { return this.u64(f.container).u64(f.key); }
  bytes(b: Uint8Array): this { this.#room(b.length); this.#buf.set(b, this.#pos); this.#pos += b.length; return this; }
  blob(b: Uint8Array): this { return this.u32(b.length).bytes(b); }
  /**
   * u32 length + UTF-8. Written in place: health payloads carry thousands of
   * short ASCII ids, and a TextEncoder.encode() allocation per id cost more
   * than everything else the core does with them.
   */
  str(s: string): this {
    this.#room(4 + s.length * 3);
    const start = this.#pos + 4;
    let n = 0;
    for (; n < s.length; n++) {
      const c = s.charCodeAt(n);
      if (c > 0x7f) break;
      this.#buf[start + n] = c;
    }
    if (n < s.length) n = utf8.encodeInto(s, this.#buf.subarray(start)).written;
    this.#view.setUint32(this.#pos, n, true);
    this.#pos = start + n;
    return this;
  }
  /** A whole record: tag, length, then what fill writes. */
  static record(tag: number, fill: (w: RecordWriter) => void): Uint8Array {
    const w = new RecordWriter();
    w.u16(tag).u32(0);
    fill(w);
    w.#view.setUint32(2, w.#pos - RECORD_HEADER_LEN, true);
    return w.#buf.slice(0, w.#pos);
  }
}

const RECORD_HEADER_LEN = 6;

export class RecordReader {
  #view: DataView;
  #bytes: Uint8Array;
  pos = 0;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get done(): boolean { return this.pos >= this.#bytes.length; }
  u8(): number { const v = this.#view.getUint8(this.pos); this.pos += 1; return v; }
  u16(): number { const v = this.#view.getUint16(this.pos, true); this.pos += 2; return v; }
  u32(): number { const v = this.#view.getUint32(this.pos, true); this.pos += 4; return v; }
  i32(): number { const v = this.#view.getInt32(this.pos, true); this.pos += 4; return v; }
  u64(): bigint { const v = this.#view.getBigUint64(this.pos, true); this.pos += 8; return v; }
  fid(): Fid { const container = this.u64(); return { container, key: this.u64() }; }
  bytes(n: number): Uint8Array { const b = this.#bytes.slice(this.pos, this.pos + n); this.pos += n; return b; }
  blob(): Uint8Array { return this.bytes(this.u32()); }
  str(): string { return fromUtf8.decode(this.blob()); }
  /** Splits a buffer into {tag, payload reader} records. */
  static *records(bytes: Uint8Array): Generator<{ tag: number; body: RecordReader }> {
    const r = new RecordReader(bytes);
    while (!r.done) {
      const tag = r.u16();
      const len = r.u32();
      yield { tag, body: new RecordReader(r.bytes(len)) };
    }
  }
}

// ---- model records handed to the core (assembly/abi.ts EV_CONF_LOADED, ...) ----

/** Conf object types of EV_CONF_LOADED (assembly/machine/model.ts O_*); 9 = pool member. */
export const CONF = { other: 0, node: 1, process: 2, service: 3, sdev: 4, drive: 5, ctrl: 6, encl: 7, pool: 8, poolMember: 9 } as const;
/** Process kinds (model.ts K_*). */
export const KIND = { other: 0, hax: 1, confd: 2, ios: 3, client: 4 } as const;

export interface ConfRow {
  type: number;
  fid: Fid;
  parent?: Fid;
  /** drive → its sdev; enclosure → its node */
  ref?: Fid;
  kind?: number;
  modifyIndex?: number;
  /** KV key holding the object's state value */
  key?: string;
  /** node/process name, sdev path, drive's sdev fid text, enclosure's node fid text */
  name?: string;
  endpoint?: string;
  /** the state string stored in KV */
  state?: string;
}
export interface ProcessRow { fid: Fid; event: string; type: string; modifyIndex: number }
export interface HealthRow { serviceId: string; node: string; nodeStatus: 'passing' | 'warning' | 'critical' | 'maintenance'; serviceStatus: 'passing' | 'warning' | 'critical' | 'maintenance' }
export interface DumpRow { fid: string; state: string; event: number; ptype: number; check: number; restarts: number; kvState: string; serviceEvent: string }
