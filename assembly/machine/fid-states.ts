// A note state per fid, keyed by the fid's two words (no fid text made per
// lookup: the health rule looks up every check of a payload, thousands of
// them). Containers are few (process, service), so the outer map stays tiny.

export class FidStates {
  private byContainer: Map<u64, Map<u64, u32>> = new Map();

  has(c: u64, k: u64): bool {
    return this.byContainer.has(c) && this.byContainer.get(c).has(k);
  }

  /** The state, or 0 (no state yet). */
  get(c: u64, k: u64): u32 {
    if (!this.byContainer.has(c)) return 0;
    const inner = this.byContainer.get(c);
    return inner.has(k) ? inner.get(k) : 0;
  }

  set(c: u64, k: u64, st: u32): void {
    if (!this.byContainer.has(c)) this.byContainer.set(c, new Map<u64, u32>());
    this.byContainer.get(c).set(k, st);
  }
}
