// Performs the core's Consul transactions durably and in order: one writer
// loop takes the queued jobs (each the ops of one Motr message, in arrival
// order, so a process fid's writes land in the order its events came) and
// packs as many as fit into one /v1/txn of ≤ 64 ops. BQ publishes of the
// batch share one CAS on `epoch` (hax-reference.md §6.4): the epoch and its
// ModifyIndex are cached, re-read on a 409. During a Consul outage the loop
// retries with backoff; jobs wait in a bounded backlog (`full` tells the
// daemon to stop taking work). Each job's result goes back to the core.
import type { ConsulClient } from '../consul/client.ts';
import type { TxnKvOp } from '../consul/txn.ts';
import { TXN_MAX_OPS } from '../consul/txn.ts';
import { backoffMs } from '../consul/blocking.ts';
import type { TxnOp } from '../core/core-host.ts';

export interface WriteJob { opId: number; ops: TxnOp[] }
export type WriteMode = 'txn' | 'put';

export interface WriterEvents {
  onDone(job: WriteJob, ok: boolean, index: number | undefined): void;
  onRetry(error: Error, retryInMs: number, backlog: number): void;
  onPublished?(epoch: number, messageType: string): void;
}

export const BACKLOG_MAX = 100_000;

/** The BQ message as stored in bq/<epoch>: {"timestamp", "message_type", "payload"}. */
export function bqValue(messageType: string, payload: string): string {
  let p: unknown = payload;
  try { p = JSON.parse(payload); } catch { /* kept as text */ }
  return JSON.stringify({ timestamp: (Date.now() / 1000).toFixed(6), message_type: messageType, payload: p });
}

export class ConsulWriter {
  readonly #consul: ConsulClient;
  readonly #events: WriterEvents;
  readonly #mode: WriteMode;
  readonly #queue: WriteJob[] = [];
  #epoch: { value: number; index: number } | undefined;
  #running = false;
  #scheduled = false;
  #stopping = false;
  #idle: (() => void)[] = [];
  #wake: (() => void) | undefined;
  txns = 0;
  puts = 0;

  constructor(consul: ConsulClient, events: WriterEvents, mode: WriteMode = 'txn') {
    this.#consul = consul;
    this.#events = events;
    this.#mode = mode;
  }

  get backlog(): number { return this.#queue.length; }
  get full(): boolean { return this.#queue.length >= BACKLOG_MAX; }

  submit(job: WriteJob): void {
    this.#queue.push(job);
    if (this.#running || this.#scheduled) return;
    // Started on the next turn, not inside the caller: a POST / answers
    // before hax builds and sends its txn (about 0.5 ms at 100 nodes), and
    // the jobs of one burst of events share the txn.
    this.#scheduled = true;
    setImmediate(() => { this.#scheduled = false; if (!this.#running && this.#queue.length > 0) void this.#loop(); });
  }

  /** Stop retrying: queued jobs are reported failed (their messages stay unacknowledged). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    // A job submitted in this turn has not started yet: start it now, so
    // stop() settles it exactly as it settles a running one.
    if (this.#scheduled && !this.#running && this.#queue.length > 0) void this.#loop();
    if (this.#running) await new Promise<void>((r) => this.#idle.push(r));
  }

  /** Resolves once the queue is empty. */
  async drained(): Promise<void> {
    if (!this.#running && !this.#scheduled && this.#queue.length === 0) return;
    await new Promise<void>((r) => this.#idle.push(r));
  }

  async #loop(): Promise<void> {
    this.#running = true;
    let failures = 0;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#take();
        try {
          const index = this.#mode === 'txn' ? await this.#applyTxn(batch) : await this.#applyPuts(batch);
          failures = 0;
          this.#queue.splice(0, batch.length);
          for (const job of batch) this.#events.onDone(job, true, index);
        } catch (error) {
          if (this.#stopping) {
            const all = this.#queue.splice(0);
            for (const job of all) this.#events.onDone(job, false, undefined);
            break;
          }
          failures++;
          const delay = backoffMs(failures, Math.random);
          this.#epoch = undefined;
          this.#events.onRetry(error as Error, delay, this.#queue.length);
          await new Promise<void>((r) => { const t = setTimeout(r, delay); this.#wake = () => { clearTimeout(t); r(); }; });
          this.#wake = undefined;
          if (this.#stopping) { for (const job of this.#queue.splice(0)) this.#events.onDone(job, false, undefined); break; }
        }
      }
    } finally {
      this.#running = false;
      for (const r of this.#idle.splice(0)) r();
    }
  }

  /** Jobs from the head whose ops fit one txn (a job bigger than that goes alone). */
  #take(): WriteJob[] {
    const batch: WriteJob[] = [];
    let ops = 0;
    let publishes = 0;
    for (const job of this.#queue) {
      const sets = job.ops.filter((o) => o.verb !== 'publish').length;
      const pubs = job.ops.length - sets;
      const need = sets + pubs + (publishes === 0 && pubs > 0 ? 1 : 0);
      if (batch.length > 0 && ops + need > TXN_MAX_OPS) break;
      batch.push(job);
      ops += need;
      publishes += pubs;
    }
    return batch;
  }

  async #readEpoch(): Promise<{ value: number; index: number }> {
    const e = await this.#consul.kv.get('epoch');
    if (!e) return { value: 0, index: 0 };
    return { value: Number.parseInt(e.value, 10) || 0, index: e.entry.ModifyIndex };
  }

  async #applyTxn(batch: WriteJob[]): Promise<number | undefined> {
    for (let attempt = 0; ; attempt++) {
      const ops: TxnKvOp[] = [];
      const published: string[] = [];
      const pubs = batch.flatMap((j) => j.ops.filter((o) => o.verb === 'publish'));
      let epoch = this.#epoch;
      if (pubs.length > 0) {
        epoch ??= await this.#readEpoch();
        ops.push({ verb: 'cas', key: 'epoch', value: String(epoch.value + pubs.length), index: epoch.index });
      }
      let next = epoch ? epoch.value : 0;
      for (const job of batch) {
        for (const op of job.ops) {
          if (op.verb === 'set') ops.push({ verb: 'set', key: op.key, value: op.value });
          else if (op.verb === 'delete') ops.push({ verb: 'delete', key: op.key });
          else { next += 1; ops.push({ verb: 'set', key: `bq/${next}`, value: bqValue(op.key, op.value) }); published.push(op.key); }
        }
      }
      const res = ops.length <= TXN_MAX_OPS ? await this.#consul.txn.apply(ops) : await this.#applyChunks(ops);
      this.txns++;
      if (res.ok) {
        if (epoch && pubs.length > 0) {
          const casResult = res.results[0];
          this.#epoch = { value: epoch.value + pubs.length, index: casResult?.ModifyIndex ?? res.index ?? 0 };
          published.forEach((t, i) => this.#events.onPublished?.(epoch!.value + i + 1, t));
        }
        return res.index;
      }
      // 409: somebody else moved the epoch (another hax published): re-read and retry
      this.#epoch = await this.#readEpoch();
      if (attempt > 100) throw new Error(`txn refused 100 times: ${JSON.stringify(res.errors).slice(0, 300)}`);
    }
  }

  /** A single job larger than one txn (never with a publish): applied in 64-op chunks. */
  async #applyChunks(ops: TxnKvOp[]) {
    let last = await this.#consul.txn.apply(ops.slice(0, TXN_MAX_OPS));
    for (let i = TXN_MAX_OPS; i < ops.length && last.ok; i += TXN_MAX_OPS) last = await this.#consul.txn.apply(ops.slice(i, i + TXN_MAX_OPS));
    return last;
  }

  /** The comparison mode of bench/events: one PUT per key, a CAS loop per publish. */
  async #applyPuts(batch: WriteJob[]): Promise<number | undefined> {
    for (const job of batch) {
      for (const op of job.ops) {
        this.puts++;
        if (op.verb === 'set') await this.#consul.kv.put(op.key, op.value);
        else if (op.verb === 'delete') await this.#consul.kv.delete(op.key);
        else {
          for (;;) {
            const e = await this.#readEpoch();
            const next = e.value + 1;
            const res = await this.#consul.txn.apply([{ verb: 'cas', key: 'epoch', value: String(next), index: e.index }, { verb: 'set', key: `bq/${next}`, value: bqValue(op.key, op.value) }]);
            if (res.ok) break;
          }
        }
      }
    }
    return undefined;
  }
}
