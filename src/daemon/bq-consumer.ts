// POST /watcher/bq (hax-reference.md §6.4): Consul delivers the whole bq/
// prefix on every change. Entries are sorted by epoch, those at or below
// this node's offset (bq-delivered/<node>, -1 when absent) are dropped, each
// new message goes to the core in order, and the offset is stored after the
// batch (at-least-once; a replay of the same payload does nothing). Then bq/
// entries every node has read are deleted: the lowest bq-delivered offset
// over the nodes of the conf tree bounds what may go.
import type { ConsulClient } from '../consul/client.ts';
import { decodeValue } from '../consul/kv.ts';
import type { CoreHost, Decision } from '../core/core-host.ts';
import type { KvWatchEntry, QueueResult } from './api.ts';

export interface BqDeps {
  consul: ConsulClient;
  core: CoreHost;
  node: () => string;
  nodes: () => string[];
  apply(decision: Decision, context: Record<string, unknown>): void;
}

export class BqConsumer {
  readonly #d: BqDeps;
  #offset = -1;
  #chain: Promise<unknown> = Promise.resolve();
  removed = 0;

  constructor(deps: BqDeps) { this.#d = deps; }

  get offset(): number { return this.#offset; }

  async load(): Promise<void> {
    const v = await this.#d.consul.kv.get(`bq-delivered/${this.#d.node()}`);
    const n = v ? Number.parseInt(v.value, 10) : NaN;
    this.#offset = Number.isFinite(n) ? n : -1;
  }

  /** Serialised: two watch deliveries never interleave. */
  consume(entries: KvWatchEntry[] | null, consulIndex: number | undefined): Promise<QueueResult> {
    const next = this.#chain.then(() => this.#consume(entries, consulIndex));
    this.#chain = next.catch(() => {});
    return next;
  }

  async #consume(entries: KvWatchEntry[] | null, consulIndex: number | undefined): Promise<QueueResult> {
    const msgs = (entries ?? [])
      .map((e) => ({ epoch: /^bq\/(\d+)$/.exec(e.Key)?.[1], value: e.Value ?? null }))
      .filter((e): e is { epoch: string; value: string | null } => e.epoch !== undefined)
      .map((e) => ({ epoch: Number(e.epoch), text: decodeValue(e.value) }))
      .sort((a, b) => a.epoch - b.epoch);
    const processed: QueueResult['processed'] = [];
    const fresh = msgs.filter((m) => m.epoch > this.#offset);
    for (const m of fresh) {
      let type = '?';
      let payload = '';
      try {
        const v = JSON.parse(m.text) as { message_type?: unknown; payload?: unknown };
        type = String(v.message_type ?? '?');
        payload = typeof v.payload === 'string' ? v.payload : JSON.stringify(v.payload ?? null);
      } catch { /* core reports it */ }
      const d = this.#d.core.bqMessage(m.epoch, type, payload);
      this.#d.apply(d, { route: 'POST /watcher/bq', epoch: m.epoch, consulIndex });
      processed.push({ epoch: m.epoch, type, outcome: d.reason.code });
    }
    if (fresh.length > 0) {
      this.#offset = fresh[fresh.length - 1]!.epoch;
      await this.#d.consul.kv.put(`bq-delivered/${this.#d.node()}`, String(this.#offset));
    }
    let cleaned = '';
    if (msgs.length > 0) cleaned = await this.#cleanup(msgs.map((m) => m.epoch));
    const reason = fresh.length === 0
      ? `BQ_NOTHING_NEW: ${msgs.length} entr(ies), none above this node's offset ${this.#offset}${cleaned}`
      : `BQ_CONSUMED: ${fresh.length} new message(s) processed, offset now ${this.#offset}${cleaned}`;
    return { reason, offset: this.#offset, processed };
  }

  async #cleanup(epochs: number[]): Promise<string> {
    const offsets = await this.#d.consul.kv.list('bq-delivered/');
    const by = new Map(offsets.entries.map((e) => [e.key.slice('bq-delivered/'.length), Number.parseInt(e.value, 10)] as const));
    const nodes = this.#d.nodes();
    if (nodes.length === 0) return '';
    let floor = Infinity;
    for (const n of nodes) { const o = by.get(n); floor = Math.min(floor, o !== undefined && Number.isFinite(o) ? o : -1); }
    const gone = epochs.filter((e) => e <= floor);
    for (let i = 0; i < gone.length; i += 64) {
      await this.#d.consul.txn.apply(gone.slice(i, i + 64).map((e) => ({ verb: 'delete' as const, key: `bq/${e}` })));
    }
    this.removed += gone.length;
    return gone.length > 0 ? `; ${gone.length} entr(ies) every node has read removed (up to bq/${floor})` : '';
  }
}
