// The host's side of the core's flat decode (assembly/codec/flat.ts): a view of
// u64 slots in the core's output region, read with typed arrays, so the hot
// path (type, fid, event, note states) needs no JSON text, no object per field
// and no BigInt unless a caller asks for one.
//
// Slot rules (same as flat.ts): one slot per atom in wire order (signed atoms
// sign-extended), fid = 2 slots, m0_buf = (offset in the input, length),
// sequences = count then elements, nvec array = 3 slots (container, key,
// state) per VALID note only.

/** Slot indices of a flat m0_ha_msg (at `base`, 0 for a bare message, 1 inside a link fop). */
export const MSG = {
  FID: 0, SOURCE_PROCESS: 2, SOURCE_SERVICE: 4, TIME: 6, EPOCH: 7, TYPE: 8, BODY: 9,
} as const;
/** Body slots of an NVEC message (relative to MSG.BODY). */
export const NVEC = { TYPE: 0, ID_OF_GET: 1, IGNORE_SAME_STATE: 2, NR: 3, NOTES: 4 } as const;

const TWO_32 = 4294967296;

/**
 * A window on the slots of the last flat decode. Valid until the next call on
 * the Codec that made it (the region is reused), so copy what you keep.
 */
export class FlatView {
  #u32: Uint32Array = new Uint32Array(0);
  #u64: BigUint64Array = new BigUint64Array(0);
  #base = 0;
  /** Number of slots. */
  count = 0;

  /** @internal Codec re-points the view after each decode. */
  reset(buffer: ArrayBuffer, byteOffset: number, count: number): this {
    if (this.#u32.buffer !== buffer) {
      this.#u32 = new Uint32Array(buffer);
      this.#u64 = new BigUint64Array(buffer);
    }
    this.#base = byteOffset >>> 3;
    this.count = count;
    return this;
  }

  lo(i: number): number { return this.#u32[(this.#base + i) * 2]!; }
  hi(i: number): number { return this.#u32[(this.#base + i) * 2 + 1]!; }
  /** The slot as a bigint (exact). */
  u64(i: number): bigint { return this.#u64[this.#base + i]!; }
  /** The slot as a number: exact up to 2^53 − 1, rounded above. */
  num(i: number): number { return this.hi(i) * TWO_32 + this.lo(i); }
  /** A sign-extended slot (i32/i64 fields) as a number. */
  signed(i: number): number { const h = this.hi(i); return (h | 0) * TWO_32 + this.lo(i); }
  /** True when the fids at slots i and j are equal. */
  sameFid(i: number, j: number): boolean {
    return this.lo(i) === this.lo(j) && this.hi(i) === this.hi(j) && this.lo(i + 1) === this.lo(j + 1) && this.hi(i + 1) === this.hi(j + 1);
  }
  /** The fid at slots i, i+1 as Hare prints it: 0x%x:0x%x. */
  fidText(i: number): string { return `0x${hex(this.hi(i), this.lo(i))}:0x${hex(this.hi(i + 1), this.lo(i + 1))}`; }
}

function hex(hi: number, lo: number): string {
  return hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0');
}
