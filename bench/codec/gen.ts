// Random VALID Motr HA structures, written straight as bytes from the spec
// (motr-ha-wire.md §2, §4, §6): every free field random, every constrained
// field (types, enums, flags, counts, note states, lengths) drawn from its
// legal values. "Valid" also means Motr would accept it: an NVEC SET never
// carries M0_NC_UNKNOWN, and REPAIR/REBALANCE only on pool/sdev/node/drive
// fids, so hax's encoder accepts every generated message too.
// Seeded and deterministic (mulberry32). Used by test/core and bench/codec.
import type { OracleKind } from './ts-decoder.ts';

export class Prng {
  #s: number;
  constructor(seed: number) { this.#s = seed >>> 0; }
  /** Uniform u32. */
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + Math.floor((this.u32() / 4294967296) * (hi - lo + 1)); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(0, xs.length - 1)]!; }
}

export const MSG_TYPES = 12;
const FID_TYPES = [0x72, 0x73, 0x64, 0x6b, 0x6f, 0x6e, 0x76, 0x63, 0x65, 0x00, 0xff];
const REPAIRABLE = [0x6f, 0x64, 0x6e, 0x6b];
const TEXT = ['inet:tcp:10.0.0.1@3001', 'inet:tcp:192.168.10.21@22001', '', 'lnet:0@lo:12345:34:101', 'é✓ü', 'git-27e7f86'];

/** Note counts: mostly small, sometimes hundreds, now and then the full 1024. */
export function noteCount(g: Prng, min: number): number {
  const x = g.int(0, 99);
  const n = x < 70 ? g.int(1, 10) : x < 95 ? g.int(11, 100) : x < 99 ? g.int(101, 1023) : 1024;
  return Math.max(min, n);
}

export class Gen {
  readonly g: Prng;
  #buf = new Uint8Array(1 << 16);
  #v = new DataView(this.#buf.buffer);
  #p = 0;
  constructor(seed: number) { this.g = new Prng(seed); }

  #u8(x: number): void { this.#v.setUint8(this.#p, x); this.#p += 1; }
  #u32(x: number): void { this.#v.setUint32(this.#p, x >>> 0, true); this.#p += 4; }
  /** A u64: half the time small (≤ 2^32), else any 64 bits. */
  #u64r(): void { this.#u32(this.g.u32()); this.#u32(this.g.int(0, 1) ? this.g.u32() : 0); }
  #u64n(x: number): void { this.#u32(x); this.#u32(0); }
  #fid(type = this.g.pick(FID_TYPES)): void {
    this.#u32(this.g.u32());
    this.#u32(((type << 24) | (this.g.int(0, 3) ? 0 : this.g.u32() & 0xffffff)) >>> 0);
    this.#u64r();
  }
  #bytes(n: number): void { for (let i = 0; i < n; i += 4) this.#u32(this.g.u32()); this.#p -= (4 - (n % 4)) % 4; }
  #buf_(s = this.g.pick(TEXT)): void {
    const b = Buffer.from(s, 'utf8');
    this.#u64n(b.length);
    this.#buf.set(b, this.#p);
    this.#p += b.length;
  }
  #notes(n: number, set: boolean): void {
    for (let i = 0; i < n; i++) {
      const st = set ? this.g.int(1, 7) : this.g.int(0, 7);
      this.#fid(set && (st === 4 || st === 6) ? this.g.pick(REPAIRABLE) : undefined);
      this.#u32(st);
    }
    this.#buf.fill(0, this.#p, this.#p + (1024 - n) * 20);
    this.#p += (1024 - n) * 20;
  }

  #msgBody(type: number): void {
    const g = this.g;
    switch (type) {
      case 1: this.#fid(); this.#fid(); this.#fid(); for (let i = 0; i < 5; i++) this.#u64r(); this.#u32(g.u32()); break;
      case 2: {
        const set = g.int(0, 2) !== 0;
        const n = noteCount(g, 1);
        this.#u64n(set ? 0 : 1); this.#u64r(); this.#u64n(g.int(0, 1)); this.#u64n(n); this.#notes(n, set);
        break;
      }
      case 3: this.#fid(0x6f); this.#u64r(); this.#u64r(); break;
      case 4: { const n = g.int(0, 9) ? noteCount(g, 0) : 0; this.#fid(0x6f); this.#u64r(); this.#u64r(); this.#u32(n); this.#notes(n, false); break; }
      case 5: this.#u64r(); this.#u64r(); break;
      case 6: this.#u64r(); this.#u64r(); this.#u64r(); break;
      case 7: this.#u64n(g.int(0, 4)); this.#u64n(g.int(0, 3)); this.#u64r(); break;
      case 8: this.#u64n(g.int(0, 4)); this.#u64n(g.int(0, 22)); this.#u64r(); break;
      case 9: this.#u64r(); this.#u64n(g.int(0, 7)); break;
      case 10: this.#u32(g.u32()); this.#u8(g.int(0, 255)); this.#u8(g.int(0, 255)); break;
      case 11: this.#u32(g.u32()); this.#u8(g.int(0, 255)); break;
      default: break;
    }
  }

  #msg(type: number): void {
    this.#fid(); this.#fid(); this.#fid(); this.#u64r(); this.#u64r();
    this.#u64n(type);
    this.#msgBody(type);
    this.#u64r();
  }

  /** A realistic hed_type: mostly events, some NVEC, every type now and then. */
  msgType(): number {
    const x = this.g.int(0, 99);
    if (x < 30) return 7;
    if (x < 45) return 8;
    if (x < 55) return 9;
    if (x < 67) return 2;
    return this.g.int(0, 11);
  }

  /** One valid structure of `kind` (hed_type for 'msg' and 'link-msg' if given); a view valid until the next call. */
  make(kind: OracleKind, type = this.msgType()): Uint8Array {
    const g = this.g;
    this.#p = 0;
    if (kind === 'msg') this.#msg(type);
    else if (kind === 'link-msg') {
      const nr = g.int(0, 4) ? 1 : 0;
      this.#u64n(nr);
      if (nr) this.#msg(type); else { this.#buf.fill(0, this.#p, this.#p + 80); this.#p += 80; }
      this.#bytes(48); this.#u64r(); this.#u64r(); this.#u64r();
    } else if (kind === 'link-rep') {
      this.#u32(g.int(0, 3) ? 0 : g.pick([-67, -57, g.u32()])); this.#u64r(); this.#u64r();
    } else if (kind === 'entrypoint-req') {
      this.#u32(g.int(0, 1)); this.#u64r(); this.#fid(0x72); this.#bytes(112); this.#buf_(); this.#u64r(); this.#bytes(40);
    } else {
      const n = g.int(0, 9) ? g.int(0, 5) : g.int(6, 40);
      this.#u32(Math.floor(n / 2) + 1);
      this.#u32(n); for (let i = 0; i < n; i++) this.#fid(0x73);
      this.#u32(n); for (let i = 0; i < n; i++) this.#buf_();
      this.#fid(0x73); this.#buf_();
      this.#u32(g.int(0, 2)); this.#bytes(112); this.#u64n(g.int(0, 1)); this.#u32(g.int(0, 1)); this.#bytes(40);
    }
    return this.#buf.subarray(0, this.#p);
  }

  /** A realistic kind: mostly HA messages on links. */
  kind(): OracleKind {
    const x = this.g.int(0, 99);
    return x < 70 ? 'msg' : x < 85 ? 'link-msg' : x < 93 ? 'link-rep' : x < 97 ? 'entrypoint-req' : 'entrypoint-rep';
  }
}
