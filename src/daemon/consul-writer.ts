// Performs the core's Consul transactions durably, in order and exactly once:
// one writer loop takes the queued jobs (each the ops of one Motr message, in
// arrival order, so a process fid's writes land in the order its events came)
// and packs as many as fit into one /v1/txn of ≤ 64 ops. BQ publishes of the
// batch share one CAS on `epoch` (hax-reference.md §6.4): the epoch and its
// ModifyIndex are cached, re-read on a 409. During a Consul outage the loop
// retries with backoff; jobs wait in the backlog. What bounds it is the core:
// it stops taking Motr's events while PENDING_MAX writes are unanswered
// (EVENT_PROCESS_BUSY, assembly/machine/commit.ts saturated()); `full` only
// reports a backlog at BACKLOG_MAX, and nothing reads it to stop intake.
// Each job's result goes back to the core.
//
// Exactly once (docs/behaviour.md, "Exactly-once writes"): a request that
// failed (timeout, connection closed, 5xx) may still have been applied, and
// an epoch increment + bq/<epoch> publish applied twice is a duplicate BQ
// message. So every txn also CASes this node's write mark, `hax-writes/<node>`
// (value {"writer", "seq", "epoch"}: which writer, which of its txns, the epoch
// it published up to), at the mark's last known ModifyIndex. A retry is the
// same txn with the same expectations (mark index, epoch index, bq/ values):
// if an earlier attempt landed, the mark moved and the retry fails with 409
// instead of applying twice; the writer then reads the mark, finds its own
// writer id and txn number there, and reports the txn durable. A mark held by
// anything else means no attempt landed: the writer takes the new indexes and
// tries again. An attempt that reaches Consul late, after its retry (or any
// later txn) landed, fails its CAS too, so it never overwrites newer values.
import { randomUUID } from 'node:crypto';
import type { ConsulClient } from '../consul/client.ts';
import type { TxnKvOp } from '../consul/txn.ts';
import { TXN_MAX_OPS } from '../consul/txn.ts';
import { backoffMs } from '../consul/blocking.ts';
import { ConsulError } from '../errors.ts';
import type { TxnOp } from '../core/core-host.ts';

export interface WriteJob { opId: number; ops: TxnOp[] }
export type WriteMode = 'txn' | 'put';

export interface WriterEvents {
  onDone(job: WriteJob, ok: boolean, index: number | undefined): void;
  onRetry(error: Error, retryInMs: number, backlog: number): void;
  onPublished?(epoch: number, messageType: string): void;
}

export interface WriterOptions {
  /** KV key of this writer's mark (default `hax-writes/<the agent's NodeName>`): one hax per node writes it. */
  markKey?: string;
}

export const BACKLOG_MAX = 100_000;
/** Prefix of the write marks: `hax-writes/<node>`. */
export const WRITE_MARK_PREFIX = 'hax-writes/';

/** The BQ message as stored in bq/<epoch>: {"timestamp", "message_type", "payload"}. */
export function bqValue(messageType: string, payload: string): string {
  let p: unknown = payload;
  try { p = JSON.parse(payload); } catch { /* kept as text */ }
  return JSON.stringify({ timestamp: (Date.now() / 1000).toFixed(6), message_type: messageType, payload: p });
}

/** One op of a prepared txn; a publish carries its bq/ value, fixed once for every attempt. */
type Planned = { verb: 'set'; key: string; value: string } | { verb: 'delete'; key: string } | { verb: 'publish'; type: string; value: string };

/** One /v1/txn of a batch (a job too big for one txn is split into several, never with a publish). */
interface Unit { seq: number; ops: Planned[]; pubs: number }

/** The batch being written: kept across retries, so a retry sends the same txns. */
interface Inflight { jobs: WriteJob[]; units: Unit[]; next: number; index: number | undefined }

interface Mark { writer?: unknown; seq?: unknown; epoch?: unknown }

export class ConsulWriter {
  readonly #consul: ConsulClient;
  readonly #events: WriterEvents;
  readonly #mode: WriteMode;
  readonly #queue: WriteJob[] = [];
  readonly #id = randomUUID();
  readonly #markKeyOption: string | undefined;
  #mark: { key: string; index: number } | undefined;
  #seq = 0;
  #epoch: { value: number; index: number } | undefined;
  #inflight: Inflight | undefined;
  #running = false;
  #scheduled = false;
  #stopping = false;
  #idle: (() => void)[] = [];
  #wake: (() => void) | undefined;
  txns = 0;
  puts = 0;
  /** Txns found already applied when their retry was refused (the first attempt's reply was lost). */
  landedEarlier = 0;

  constructor(consul: ConsulClient, events: WriterEvents, mode: WriteMode = 'txn', options: WriterOptions = {}) {
    this.#consul = consul;
    this.#events = events;
    this.#mode = mode;
    this.#markKeyOption = options.markKey;
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
        const batch = this.#inflight ??= this.#prepare(this.#take());
        const from = batch.next;
        try {
          const index = await this.#apply(batch);
          failures = 0;
          this.#inflight = undefined;
          this.#queue.splice(0, batch.jobs.length);
          for (const job of batch.jobs) this.#events.onDone(job, true, index);
        } catch (error) {
          if (this.#stopping) {
            this.#inflight = undefined;
            for (const job of this.#queue.splice(0)) this.#events.onDone(job, false, undefined);
            break;
          }
          failures = batch.next > from ? 1 : failures + 1;   // a txn of the batch landed: Consul is back
          const delay = backoffMs(failures, Math.random);
          // The cached mark and epoch stay: the retry must expect exactly what
          // the failed attempt expected, so that it fails if that one landed.
          this.#events.onRetry(error as Error, delay, this.#queue.length);
          await new Promise<void>((r) => { const t = setTimeout(r, delay); this.#wake = () => { clearTimeout(t); r(); }; });
          this.#wake = undefined;
          if (this.#stopping) {
            this.#inflight = undefined;
            for (const job of this.#queue.splice(0)) this.#events.onDone(job, false, undefined);
            break;
          }
        }
      }
    } finally {
      this.#running = false;
      for (const r of this.#idle.splice(0)) r();
    }
  }

  /** Jobs from the head whose ops fit one txn with the mark (a job bigger than that goes alone). */
  #take(): WriteJob[] {
    const batch: WriteJob[] = [];
    let ops = 1;   // the write mark
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

  /** The batch's txns, with every bq/ value (and its timestamp) fixed for all attempts. */
  #prepare(jobs: WriteJob[]): Inflight {
    const planned: Planned[] = jobs.flatMap((j) => j.ops.map((op): Planned => (op.verb === 'publish'
      ? { verb: 'publish', type: op.key, value: bqValue(op.key, op.value) }
      : op.verb === 'delete' ? { verb: 'delete', key: op.key } : { verb: 'set', key: op.key, value: op.value })));
    const units: Unit[] = [];
    if (this.#mode === 'put') {
      // One PUT or DELETE per key (idempotent); each publish is its own marked txn.
      for (const op of planned) units.push({ seq: ++this.#seq, ops: [op], pubs: op.verb === 'publish' ? 1 : 0 });
    } else {
      const pubs = planned.filter((o) => o.verb === 'publish').length;
      const room = TXN_MAX_OPS - 1 - (pubs > 0 ? 1 : 0);
      if (planned.length <= room || pubs > 0) units.push({ seq: ++this.#seq, ops: planned, pubs });
      else for (let i = 0; i < planned.length; i += room) units.push({ seq: ++this.#seq, ops: planned.slice(i, i + room), pubs: 0 });
    }
    return { jobs, units, next: 0, index: undefined };
  }

  /** Applies the batch's remaining txns in order; a retry resumes at the first one not known durable. */
  async #apply(batch: Inflight): Promise<number | undefined> {
    for (; batch.next < batch.units.length; batch.next++) {
      const unit = batch.units[batch.next]!;
      const only = unit.ops[0]!;
      if (this.#mode === 'put' && unit.pubs === 0) {
        this.puts++;
        if (only.verb === 'set') await this.#consul.kv.put(only.key, only.value);
        else if (only.verb === 'delete') await this.#consul.kv.delete(only.key);
        continue;
      }
      if (this.#mode === 'put') this.puts++;
      batch.index = await this.#applyUnit(unit);
    }
    return this.#mode === 'put' ? undefined : batch.index;
  }

  async #readEpoch(): Promise<{ value: number; index: number }> {
    const e = await this.#consul.kv.get('epoch');
    if (!e) return { value: 0, index: 0 };
    return { value: Number.parseInt(e.value, 10) || 0, index: e.entry.ModifyIndex };
  }

  async #markKey(): Promise<string> {
    return this.#markKeyOption ?? `${WRITE_MARK_PREFIX}${await this.#consul.agent.nodeName()}`;
  }

  /** One txn, exactly once: see the header. Throws when Consul did not answer (the caller retries the same unit). */
  async #applyUnit(unit: Unit): Promise<number | undefined> {
    for (let attempt = 0; ; attempt++) {
      if (!this.#mark) {
        const key = await this.#markKey();
        const now = await this.#consul.kv.get(key);
        this.#mark = { key, index: now?.entry.ModifyIndex ?? 0 };
      }
      const mark = this.#mark;
      let epoch = this.#epoch;
      if (unit.pubs > 0) epoch ??= await this.#readEpoch();
      const base = epoch?.value ?? 0;
      const ops: TxnKvOp[] = [{ verb: 'cas', key: mark.key, index: mark.index,
        value: JSON.stringify({ writer: this.#id, seq: unit.seq, ...(unit.pubs > 0 ? { epoch: base + unit.pubs } : {}) }) }];
      if (unit.pubs > 0) ops.push({ verb: 'cas', key: 'epoch', value: String(base + unit.pubs), index: epoch!.index });
      const published: [number, string][] = [];
      let next = base;
      for (const op of unit.ops) {
        if (op.verb === 'publish') { next++; ops.push({ verb: 'set', key: `bq/${next}`, value: op.value }); published.push([next, op.type]); }
        else ops.push(op);
      }
      if (ops.length > TXN_MAX_OPS) throw new ConsulError('HAX_ERR_TXN_TOO_BIG', `one Motr message needs ${ops.length} Consul operations with its publishes; a transaction takes at most ${TXN_MAX_OPS}`);
      const res = await this.#consul.txn.apply(ops);
      this.txns++;
      if (res.ok) {
        this.#mark = { key: mark.key, index: res.results[0]?.ModifyIndex ?? res.index ?? 0 };
        if (unit.pubs > 0) this.#epoch = { value: base + unit.pubs, index: res.results[1]?.ModifyIndex ?? res.index ?? 0 };
        for (const [e, t] of published) this.#events.onPublished?.(e, t);
        return res.index;
      }
      // 409. Did an earlier attempt of this txn land (its reply lost)? The mark says.
      const now = await this.#consul.kv.get(mark.key);
      let m: Mark = {};
      try { const v: unknown = JSON.parse(now?.value ?? '{}'); if (v !== null && typeof v === 'object') m = v as Mark; } catch { /* somebody else's value */ }
      if (now && m.writer === this.#id && m.seq === unit.seq) {
        this.landedEarlier++;
        this.#mark = { key: mark.key, index: now.entry.ModifyIndex };
        this.#epoch = undefined;   // re-read before the next publish
        const top = typeof m.epoch === 'number' ? m.epoch : undefined;
        if (top !== undefined) unit.ops.filter((o) => o.verb === 'publish').forEach((o, i) => this.#events.onPublished?.(top - unit.pubs + i + 1, (o as { type: string }).type));
        return now.entry.ModifyIndex;
      }
      // Not landed: the mark or the epoch moved under us (another hax published; a restart). Take the new indexes.
      this.#mark = { key: mark.key, index: now?.entry.ModifyIndex ?? 0 };
      if (unit.pubs > 0) this.#epoch = await this.#readEpoch();
      if (attempt > 100) throw new ConsulError('HAX_ERR_TXN_CONFLICT', `Consul refused the txn 100 times (the epoch or ${mark.key} kept moving): ${JSON.stringify(res.errors).slice(0, 300)}`);
    }
  }
}
