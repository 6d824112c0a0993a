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

  async #read(body: KvWatchEntry[] | null, consulIndex: number | undefined, startUp: boolean): Promise<QueueResult> {
    // bq/ first and then the epoch: a publish puts bq/<n> and epoch n in one
    // txn, so every entry read is at or below the epoch read.
    const listed = (await this.#d.consul.kv.list('bq/')).entries;
    const epoch = await this.#d.consul.kv.get('epoch');
    const offsets = (await this.#d.consul.kv.list('bq-delivered/')).entries;
    const decision = this.#d.core.bqRead({
      startUp,
      epoch: epoch ? epoch.value : null,
      entries: listed.map((e) => ({ key: e.key, raw: e.entry.Value ?? null, value: e.value })),
      offsets: offsets.map((e) => ({ key: e.key, value: e.value })),
      body: (body ?? []).map((b) => ({ key: b.Key, raw: b.Value ?? null })),
    });
    this.#d.apply(decision, { route: startUp ? 'start-up' : 'POST /watcher/bq', consulIndex });
    const result = decision.actions.find((a): a is BqResult => a.kind === 'bq-result');
    for (const o of result?.outcomes ?? []) this.#d.log?.('info', o.text, { reason: o.code, epoch: o.epoch });
    await this.#d.written();
    if (result) this.#offset = result.offset;
    return {
      reason: `${decision.reason.code}: ${decision.reason.text}`,
      offset: this.#offset,
      processed: (result?.outcomes ?? []).map((o) => ({ epoch: o.epoch, type: o.type, outcome: o.code })),
    };
  }
}
