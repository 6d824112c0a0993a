// What changed in m0conf/ since the last read, so that the core is handed
// only that (issue 17). A read — of the whole tree (39,000 keys at 1,000
// nodes), of one shard of it, or of single keys (conf-watch.ts) — carries
// every key's ModifyIndex, so the keys whose index moved are the change.
// When only the state inside fid-keyed values changed (other nodes' hax
// writing states, hax's own writes coming back), the change is a delta of
// rows applied in place. Anything else — a key added or removed, a value whose
// other fields changed, a key that maps to no row (the name-keyed tree,
// pools), an index that went backwards — needs the whole tree parsed again:
// that happens at bootstrap, not in steady state.
import type { ConfRow } from '../core/records.ts';
import type { KvItem } from './conf-tree.ts';

export type ConfChange =
  | { kind: 'whole'; why: string }
  | { kind: 'delta'; rows: ConfRow[] };

interface Seen { modifyIndex: number; value: string; row: ConfRow | undefined }

function fieldsBesidesState(value: string): string | undefined {
  try {
    const v = JSON.parse(value) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    const { state: _state, ...rest } = v as Record<string, unknown>;
    return JSON.stringify(rest);
  } catch { return undefined; }
}

function stateOf(value: string): string {
  try { const v = JSON.parse(value) as { state?: unknown }; return typeof v.state === 'string' ? v.state : ''; } catch { return ''; }
}

export class ConfDelta {
  #seen = new Map<string, Seen>();
  #index = 0;

  /** Remembers a whole tree just handed to the core (its items and the rows parsed from them). */
  remember(items: KvItem[], rows: ConfRow[], index: number): void {
    const byKey = new Map<string, ConfRow>();
    for (const r of rows) if (r.key) byKey.set(r.key, r);
    this.#seen = new Map();
    for (const it of items) this.#seen.set(it.key, { modifyIndex: it.modifyIndex, value: it.value, row: byKey.get(it.key) });
    this.#index = index;
  }

  /** The change from the remembered tree to `items` (read at `index`); a delta is remembered at once. */
  change(items: KvItem[], index: number): ConfChange {
    if (this.#seen.size === 0) return { kind: 'whole', why: 'first read' };
    if (index < this.#index) return { kind: 'whole', why: `index went back from ${this.#index} to ${index}` };
    if (items.length !== this.#seen.size) return { kind: 'whole', why: `${items.length - this.#seen.size > 0 ? 'keys added' : 'keys removed'}` };
    const change = this.#compare(items, true);
    if (change.kind === 'delta') this.#index = index;
    return change;
  }

  /**
   * The change within one shard of the tree (conf-shards.ts): `items` is all
   * that lies under `prefix` now, where `count` keys lay when the tree was last
   * read whole.
   */
  changeUnder(prefix: string, count: number, items: KvItem[]): ConfChange {
    if (this.#seen.size === 0) return { kind: 'whole', why: 'first read' };
    if (items.length !== count) return { kind: 'whole', why: `${items.length > count ? 'keys added' : 'keys removed'} under ${prefix}` };
    return this.#compare(items, false);
  }

  /** The change of single keys read on their own (the loose keys of conf-shards.ts). */
  changeKeys(items: KvItem[]): ConfChange {
    if (this.#seen.size === 0) return { kind: 'whole', why: 'first read' };
    return this.#compare(items, false);
  }

  #compare(items: KvItem[], whole: boolean): ConfChange {
    const changed: { seen: Seen; item: KvItem }[] = [];
    for (const it of items) {
      const seen = this.#seen.get(it.key);
      if (!seen) return { kind: 'whole', why: `key ${it.key} is new` };
      if (it.modifyIndex === seen.modifyIndex) continue;
      if (it.modifyIndex < seen.modifyIndex) {
        // A whole read holds nothing older than what it replaces but after a
        // restored snapshot. A shard read may be older than a whole read that
        // overtook it (conf-watch.ts): what it says is known already.
        if (whole) return { kind: 'whole', why: `key ${it.key} went back from index ${seen.modifyIndex} to ${it.modifyIndex}` };
        continue;
      }
      if (!seen.row) {
        if (seen.value === it.value) { seen.modifyIndex = it.modifyIndex; continue; }   // rewritten unchanged: no row depends on it
        return { kind: 'whole', why: `key ${it.key} holds no object state` };
      }
      // a value equal to the one seen is still handed on: the core may hold a
      // newer write of its own that this one overwrote
      if (seen.value !== it.value) {
        const before = fieldsBesidesState(seen.value);
        if (before === undefined || before !== fieldsBesidesState(it.value)) return { kind: 'whole', why: `key ${it.key} changed more than its state` };
      }
      changed.push({ seen, item: it });
    }
    const rows: ConfRow[] = [];
    for (const { seen, item } of changed) {
      const row: ConfRow = { ...seen.row!, state: stateOf(item.value), modifyIndex: item.modifyIndex };
      seen.modifyIndex = item.modifyIndex; seen.value = item.value; seen.row = row;
      rows.push(row);
    }
    return { kind: 'delta', rows };
  }
}
