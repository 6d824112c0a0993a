// POST /watcher/bq (hax-reference.md §6.4): Consul delivers the whole bq/
// prefix on every change. The watch body is only a wake-up call: hax acts on
// what it reads from Consul itself (bq/ and then `epoch`), never on the body,
// so a POST cannot make hax act on an entry Consul does not hold, nor move
// this node's offset. A bq/ key is an epoch Consul issued through the CAS on
// `epoch`: only keys that are decimal safe integers at or below the current
// epoch are messages; anything else under bq/ is refused and reported.
// Entries above this node's offset (bq-delivered/<node>, -1 when absent) go
// to the core in epoch order, and the offset is stored after the batch
// (at-least-once; a replay changes nothing). Then bq/ entries every node has
// read are deleted: the lowest trusted bq-delivered offset over the nodes of
// the conf tree bounds what may go. An offset that is not such an integer,
// or is above the epoch, is never obeyed: this node's own is repaired to -1
// (replay what is still queued) with a warning, another node's counts as -1.
import type { ConsulClient } from '../consul/client.ts';
import type { CoreHost, Decision } from '../core/core-host.ts';
import type { KvWatchEntry, QueueResult } from './api.ts';

export interface BqDeps {
  consul: ConsulClient;
  core: CoreHost;
  node: () => string;
  nodes: () => string[];
  apply(decision: Decision, context: Record<string, unknown>): void;
  /** Warnings (a corrupt offset repaired, bq/ entries refused); decisions go through apply either way. */
  log?(level: 'warn' | 'info', msg: string, fields?: Record<string, unknown>): void;
}

/** An epoch as publishers write it (String of an integer): a decimal safe integer ≥ 0, or undefined. */
export function parseEpoch(text: string): number | undefined {
  const t = text.trim();
  if (!/^(0|[1-9][0-9]{0,15})$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A stored bq-delivered offset: an epoch, or -1 (nothing read). */
export function parseOffset(text: string): number | undefined {
  return text.trim() === '-1' ? -1 : parseEpoch(text);
}

/** The epoch of a bq/<epoch> key, or undefined for any other key. */
export function bqKeyEpoch(key: string): number | undefined {
  return key.startsWith('bq/') ? parseEpoch(key.slice(3)) : undefined;
}

const show = (key: string) => JSON.stringify(key.length > 48 ? key.slice(0, 45) + '...' : key);
const list = (keys: string[]) => keys.slice(0, 5).map(show).join(', ') + (keys.length > 5 ? `, … (${keys.length} in all)` : '');

export class BqConsumer {
  readonly #d: BqDeps;
  #offset = -1;
  #chain: Promise<unknown> = Promise.resolve();
  removed = 0;
  /** Offsets found corrupt (not an integer, or above the epoch) and repaired to -1. */
  repaired = 0;

  constructor(deps: BqDeps) { this.#d = deps; }

  get offset(): number { return this.#offset; }

  /** The current epoch: 0 when the key is absent (nothing published yet), undefined when it holds no integer. */
  async #epoch(): Promise<{ value: number | undefined; raw: string }> {
    const e = await this.#d.consul.kv.get('epoch');
    if (!e) return { value: 0, raw: '' };
    return { value: parseEpoch(e.value), raw: e.value };
  }

  /** Reads this node's offset; a corrupt one (not an integer, above the epoch) is repaired to -1 with a warning. */
  async load(): Promise<void> {
    const key = `bq-delivered/${this.#d.node()}`;
    const stored = await this.#d.consul.kv.get(key);
    const epoch = await this.#epoch();
    if (!stored) { this.#offset = -1; return; }
    const n = parseOffset(stored.value);
    if (n !== undefined && (epoch.value === undefined || n <= epoch.value)) { this.#offset = n; return; }
    await this.#repair(stored.value, epoch.value, 'start-up');
  }

  async #repair(was: string, epoch: number | undefined, when: string): Promise<void> {
    const key = `bq-delivered/${this.#d.node()}`;
    this.#offset = -1;
    await this.#d.consul.kv.put(key, '-1');
    this.repaired++;
    const text = `${key} held ${show(was)}, which is not an epoch Consul issued (a decimal integer at or below the current epoch ${epoch ?? '?'}): ` +
      'repaired to -1, so this node replays the messages still under bq/ instead of skipping them forever';
    this.#d.log?.('warn', text, { code: 'HAX_ERR_BQ_OFFSET_CORRUPT', key, was });
    this.#d.apply({ reason: { code: 'BQ_OFFSET_REPAIRED', text: `HAX_ERR_BQ_OFFSET_CORRUPT: ${text}` }, kind: 'BqMessage', subjects: [], actions: [] }, { route: 'POST /watcher/bq', when, severity: 'warning', code: 'HAX_ERR_BQ_OFFSET_CORRUPT' });
  }

  /** Serialised: two watch deliveries never interleave. */
  consume(entries: KvWatchEntry[] | null, consulIndex: number | undefined): Promise<QueueResult> {
    const next = this.#chain.then(() => this.#consume(entries, consulIndex));
    this.#chain = next.catch(() => {});
    return next;
  }

  async #consume(body: KvWatchEntry[] | null, consulIndex: number | undefined): Promise<QueueResult> {
    // Consul's own view, bq/ first and then the epoch: a publish puts bq/<n>
    // and epoch n in one txn, so every entry read is at or below the epoch read.
    const listed = (await this.#d.consul.kv.list('bq/')).entries;
    const epoch = await this.#epoch();
    const held = new Map(listed.map((e) => [e.key, e] as const));
    const notes: string[] = [];

    // The body is checked against Consul, only to report what it claimed and Consul does not hold.
    const unlike = (body ?? []).filter((b) => { const c = held.get(b.Key); return !c || (c.entry.Value ?? null) !== (b.Value ?? null); }).map((b) => b.Key);
    if (unlike.length > 0) notes.push(`${unlike.length} entr(ies) of the watch body ignored, not in Consul as sent: ${list(unlike)}`);

    if (epoch.value === undefined) {
      this.#d.log?.('warn', `the epoch key holds ${show(epoch.raw)}, not an integer: no bq/ entry can be trusted, nothing processed`, { code: 'HAX_ERR_BQ_EPOCH_CORRUPT' });
      return { reason: `BQ_NOTHING_NEW: HAX_ERR_BQ_EPOCH_CORRUPT: the epoch key holds ${show(epoch.raw)}, not an integer; ${listed.length} entr(ies) in Consul, none processed${notes.map((n) => '; ' + n).join('')}`, offset: this.#offset, processed: [] };
    }
    const top = epoch.value;
    if (this.#offset > top) await this.#repair(String(this.#offset), top, 'consume');

    const refused = listed.filter((e) => { const n = bqKeyEpoch(e.key); return n === undefined || n > top; }).map((e) => e.key);
    if (refused.length > 0) {
      const text = `${refused.length} entr(ies) under bq/ refused: not bq/<epoch> with an epoch at or below ${top}, so not published through the CAS on epoch: ${list(refused)}`;
      notes.push(`HAX_ERR_BQ_ENTRY_REFUSED: ${text}`);
      this.#d.log?.('warn', text, { code: 'HAX_ERR_BQ_ENTRY_REFUSED', keys: refused.slice(0, 20) });
    }
    const msgs = listed
      .map((e) => ({ epoch: bqKeyEpoch(e.key), text: e.value }))
      .filter((m): m is { epoch: number; text: string } => m.epoch !== undefined && m.epoch <= top)
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
    if (msgs.length > 0) {
      const cleaned = await this.#cleanup(msgs.map((m) => m.epoch), top);
      if (cleaned) notes.push(cleaned);
    }
    const tail = notes.map((n) => '; ' + n).join('');
    const reason = fresh.length === 0
      ? `BQ_NOTHING_NEW: ${msgs.length} entr(ies) in Consul, none above this node's offset ${this.#offset}${tail}`
      : `BQ_CONSUMED: ${fresh.length} new message(s) processed, offset now ${this.#offset}${tail}`;
    return { reason, offset: this.#offset, processed };
  }

  async #cleanup(epochs: number[], top: number): Promise<string> {
    const offsets = await this.#d.consul.kv.list('bq-delivered/');
    const by = new Map(offsets.entries.map((e) => [e.key.slice('bq-delivered/'.length), parseOffset(e.value)] as const));
    const nodes = this.#d.nodes();
    if (nodes.length === 0) return '';
    let floor = Infinity;
    for (const n of nodes) {
      const o = n === this.#d.node() ? this.#offset : by.get(n);
      floor = Math.min(floor, o !== undefined && o <= top ? o : -1);   // an untrusted offset read nothing
    }
    const gone = epochs.filter((e) => e <= floor);
    for (let i = 0; i < gone.length; i += 64) {
      await this.#d.consul.txn.apply(gone.slice(i, i + 64).map((e) => ({ verb: 'delete' as const, key: `bq/${e}` })));
    }
    this.removed += gone.length;
    return gone.length > 0 ? `${gone.length} entr(ies) every node has read removed (up to bq/${floor})` : '';
  }
}
