// POST /watcher/bq (hax-reference.md §6.4): Consul delivers the whole bq/
// prefix on every change. The watch body is only a wake-up call. This file
// reads what the core decides on — bq/ (keys, raw and decoded values),
// `epoch` and bq-delivered/ — straight from Consul, hands it to the core with
// the body (BqRead: assembly/machine/bq-read.ts decides which entries are
// messages, this node's offset, the outcomes, the cleanup), performs the
// decision and waits until its writes are durable before it answers. It makes
// no decision and no reason code of its own.
import type { ConsulClient } from '../consul/client.ts';
import type { CoreHost, CoreAction, Decision } from '../core/core-host.ts';
import type { KvWatchEntry, QueueResult } from './api.ts';

export interface BqDeps {
  consul: ConsulClient;
  core: CoreHost;
  /** Performs a decision (actions through the performer and the one writer) and logs its reason. */
  apply(decision: Decision, context: Record<string, unknown>): void;
  /** Resolves once the writes queued so far are durable (or failed). */
  written(): Promise<void>;
  /** Logs a message's outcome as the core gave it. */
  log?(level: 'warn' | 'info', msg: string, fields?: Record<string, unknown>): void;
}

type BqResult = Extract<CoreAction, { kind: 'bq-result' }>;

/** Bytes of bq/ values one read carries at most (raw and decoded; the core's input region is 1 MiB). */
export const VALUE_BUDGET = 512 * 1024;
/** Reads in a row for one delivery while values were deferred (a backlog of this many budgets is drained per delivery). */
const MAX_REREADS = 64;
/** Body entries passed on (they are only reported; the rest of a huge body is not). */
const MAX_BODY_ENTRIES = 4096;

export class BqConsumer {
  readonly #d: BqDeps;
  #chain: Promise<unknown> = Promise.resolve();
  #offset = -1;

  constructor(deps: BqDeps) { this.#d = deps; }

  /** This node's offset as the core last gave it. */
  get offset(): number { return this.#offset; }

  /** Start-up: the core reads this node's offset from Consul (and repairs a corrupt one). */
  load(): Promise<void> {
    return this.#serial(async () => { await this.#read(null, undefined, true); });
  }

  /** Serialised: two watch deliveries never interleave. */
  consume(entries: KvWatchEntry[] | null, consulIndex: number | undefined): Promise<QueueResult> {
    return this.#serial(() => this.#read(entries ?? [], consulIndex, false));
  }

  #serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(run);
    this.#chain = next.catch(() => {});
    return next;
  }

  /**
   * One read, and more while messages are left above this node's offset
   * (each read carries at most VALUE_BUDGET bytes of values, a core input is
   * bounded, and so is what one decision may output; bq/ grows until every
   * node has read it).
   */
  async #read(body: KvWatchEntry[] | null, consulIndex: number | undefined, startUp: boolean): Promise<QueueResult> {
    let result = await this.#readOnce(body, consulIndex, startUp);
    for (let i = 0; i < MAX_REREADS && result.deferredAbove(this.#offset); i++) result = await this.#readOnce(null, consulIndex, false);
    return result.answer;
  }

  async #readOnce(body: KvWatchEntry[] | null, consulIndex: number | undefined, startUp: boolean): Promise<{ answer: QueueResult; deferredAbove(offset: number): boolean }> {
    // bq/ first and then the epoch: a publish puts bq/<n> and epoch n in one
    // txn, so every entry read is at or below the epoch read.
    const listed = (await this.#d.consul.kv.list('bq/')).entries;
    const epoch = await this.#d.consul.kv.get('epoch');
    const offsets = (await this.#d.consul.kv.list('bq-delivered/')).entries;
    // Values the core needs are those above this node's offset, oldest first, up to the budget;
    // the others are deferred (at start-up the core reads only the offset).
    const epochOf = (key: string) => (/^bq\/\d{1,16}$/.test(key) ? Number(key.slice(3)) : -1);
    const byEpoch = [...listed].sort((a, b) => epochOf(a.key) - epochOf(b.key));
    const deferred = new Set<string>();
    // where the body claims another value than Consul holds, both are carried so that the core can report it
    const claimed = new Map((body ?? []).slice(0, MAX_BODY_ENTRIES).map((b) => [b.Key, b.Value ?? null]));
    let claims = VALUE_BUDGET / 4;
    const disputed = new Set<string>();
    for (const e of listed) {
      const claim = claimed.get(e.key);
      const size = (claim ?? '').length + (e.entry.Value ?? '').length + e.value.length;
      if (claim !== undefined && claim !== (e.entry.Value ?? null) && size <= claims) { disputed.add(e.key); claims -= size; }
    }
    let budget = VALUE_BUDGET;
    for (const e of byEpoch) {
      const size = (e.entry.Value ?? '').length + e.value.length;
      // the oldest message is always carried, whatever its size: deferring it would stall the queue
      if (disputed.has(e.key) && (startUp || epochOf(e.key) <= this.#offset)) continue;   // carried for the report only
      if (startUp || epochOf(e.key) <= this.#offset || (size > budget && budget < VALUE_BUDGET)) deferred.add(e.key);
      else budget -= size;
    }
    const decision = this.#d.core.bqRead({
      startUp,
      epoch: epoch ? epoch.value : null,
      entries: listed.map((e) => ({ key: e.key, raw: e.entry.Value ?? null, value: e.value, deferred: deferred.has(e.key) })),
      offsets: offsets.map((e) => ({ key: e.key, value: e.value })),
      // the body only says what the watch claimed: its values are compared where Consul's are sent, and never kept
      body: (body ?? []).slice(0, MAX_BODY_ENTRIES).map((b) => ({ key: b.Key, raw: b.Value ?? null, deferred: deferred.has(b.Key) || !listed.some((e) => e.key === b.Key) })),
    });
    this.#d.apply(decision, { route: startUp ? 'start-up' : 'POST /watcher/bq', consulIndex });
    const result = decision.actions.find((a): a is BqResult => a.kind === 'bq-result');
    for (const o of result?.outcomes ?? []) this.#d.log?.('info', o.text, { reason: o.code, epoch: o.epoch });
    await this.#d.written();
    if (result) this.#offset = result.offset;
    return {
      answer: {
        reason: `${decision.reason.code}: ${decision.reason.text}`,
        offset: this.#offset,
        processed: (result?.outcomes ?? []).map((o) => ({ epoch: o.epoch, type: o.type, outcome: o.code })),
      },
      // messages left above the offset (values deferred, or the core's output region full): read again
      deferredAbove: (offset) => !startUp && listed.some((e) => epochOf(e.key) > offset && epochOf(e.key) <= Number(epoch?.value ?? -1)),
    };
  }
}
