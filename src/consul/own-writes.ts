// The Raft indexes of hax's own Consul writes (each /v1/txn is one Raft
// entry, so all of its keys carry the txn's index). A model watch woken by a
// change up to index Y after reading at X needs no read when every index in
// (X, Y] is one of these: nothing but hax wrote in between, and hax's writes
// are in its model already (issue 17). Any index not known here — another
// node's write, a catalog or session change, a write of hax's not recorded —
// means "read", so a missing record costs a read, never a lost change.
export const OWN_WRITES_KEPT = 8192;

export class OwnWrites {
  readonly #indexes = new Set<number>();
  readonly #order: number[] = [];
  /** True while hax has writes whose reply has not come back (their index is not recorded yet). */
  readonly inFlight: () => boolean;

  constructor(inFlight: () => boolean = () => false) { this.inFlight = inFlight; }

  record(index: number): void {
    if (!Number.isSafeInteger(index) || index <= 0 || this.#indexes.has(index)) return;
    this.#indexes.add(index);
    this.#order.push(index);
    if (this.#order.length > OWN_WRITES_KEPT) this.#indexes.delete(this.#order.shift()!);
  }

  /** True when every index in (after, upTo] is a write of hax's own. */
  covers(after: number, upTo: number): boolean {
    if (!(upTo > after) || upTo - after > OWN_WRITES_KEPT) return false;
    for (let i = after + 1; i <= upTo; i++) if (!this.#indexes.has(i)) return false;
    return true;
  }
}
