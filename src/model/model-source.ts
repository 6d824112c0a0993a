// Keeps the core's model current with Consul blocking queries (never a read
// per request): m0conf/ (in shards, conf-watch.ts), processes/ (recurse) with
// this node's process_restarts/, and the health of the hax, confd and ios
// services. Each change is parsed here (V8) and handed to the core as compact
// records.
import type { ConsulClient } from '../consul/client.ts';
import { BlockingWatch, watchLogHooks } from '../consul/blocking.ts';
import { parseFid } from '../fid.ts';
import type { HealthRow, ProcessRow } from '../core/records.ts';
import { parseConfTree, type KvItem } from './conf-tree.ts';
import type { ConfRow } from '../core/records.ts';
import { ConfWatch } from './conf-watch.ts';
import type { OwnWrites } from '../consul/own-writes.ts';
import { untilOutsideChange } from './own-write-gate.ts';

export interface ModelEvents {
  /** The whole conf tree (start-up, structure changed, index went back). */
  onConf(index: number, rows: ConfRow[]): void;
  /** States of objects already in the model changed (conf-watch.ts, conf-delta.ts); only those rows. */
  onConfChanged(index: number, rows: ConfRow[]): void;
  onProcesses(index: number, rows: ProcessRow[], restarts: { fid: ReturnType<typeof parseFid> & object; count: number }[]): void;
  onHealth(index: number, service: string, rows: HealthRow[]): void;
  onLog(level: 'info' | 'warn' | 'debug', msg: string, fields?: Record<string, unknown>): void;
}

export const HEALTH_SERVICES = ['hax', 'confd', 'ios'];
/**
 * Rate limit of every model watch under churn. hax's own writes land under
 * m0conf/ and processes/ with each Motr event; the core already holds them,
 * so re-reading the whole tree after each one (about 1 MB at 100 nodes) only
 * competed with the next event for the CPU. A lone outside change is still
 * read at once (the bucket's burst); the core skips views older than its own writes.
 */
export const MODEL_WATCH_INTERVAL_MS = 250;
type Status = HealthRow['nodeStatus'];
const status = (s: string | undefined): Status => (s === 'passing' || s === 'warning' || s === 'critical' || s === 'maintenance' ? s : 'critical');

export class ModelSource {
  readonly #consul: ConsulClient;
  readonly #events: ModelEvents;
  readonly #node: string;
  readonly #watches: BlockingWatch<unknown>[] = [];
  #restarts: { fid: NonNullable<ReturnType<typeof parseFid>>; count: number }[] = [];
  /** processes/ as last read: the newest row and ModifyIndex of each key, and the read's index. */
  #processes: { index: number; rows: Map<string, ProcessRow> } | undefined;
  #conf: ConfWatch | undefined;

  readonly #own: OwnWrites | undefined;

  /** `own`: hax's own writes; with it, m0conf/ and processes/ are not read again after those alone (own-write-gate.ts). */
  constructor(consul: ConsulClient, node: string, events: ModelEvents, own?: OwnWrites) {
    this.#consul = consul;
    this.#node = node;
    this.#events = events;
    this.#own = own;
  }

  /** Starts every watch; resolves once each delivered its first result. */
  async start(): Promise<void> {
    const { onError, onSkip } = watchLogHooks((level, msg, fields) => this.#events.onLog(level, msg, fields));
    // no dedupe: each watch compares ModifyIndexes itself
    const kvWatch = (prefix: string, onChange: (items: KvItem[], index: number) => void, minIntervalMs = MODEL_WATCH_INTERVAL_MS, gated = false) => new BlockingWatch<KvItem[]>({
      name: `kv ${prefix}`, onError: onError(`kv ${prefix}`), onSkip, minIntervalMs, dedupe: false,
      fetch: async (index, wait, signal) => {
        let r;
        if (gated && this.#own && index > 0) {
          await untilOutsideChange(this.#consul, prefix, this.#own, index, wait, signal, onSkip);
          r = await this.#consul.kv.list(prefix, { signal });
        } else {
          r = await this.#consul.kv.list(prefix, { index, wait, signal });
        }
        return { value: r.entries.map((e) => ({ key: e.key, value: e.value, modifyIndex: e.entry.ModifyIndex })), index: r.index };
      },
      onChange,
    });
    const clientTypes = (await this.#consul.kv.get('m0_client_types').catch(() => undefined))?.value ?? '';
    const conf = new ConfWatch(this.#consul, {
      onWhole: (index, rows) => {
        this.#events.onConf(index, rows);
        // objects new to the model get their process states
        if (this.#processes) this.#events.onProcesses(this.#processes.index, [...this.#processes.rows.values()], this.#restarts);
      },
      onDelta: (index, rows) => this.#events.onConfChanged(index, rows),
      onLog: (level, msg, fields) => this.#events.onLog(level, msg, fields),
    }, (items) => parseConfTree(items, clientTypes), this.#own);
    this.#conf = conf;
    const procs = kvWatch('processes/', (items, index) => {
      // only keys whose ModifyIndex moved are parsed and handed on: the core merges
      const known = this.#processes?.rows ?? new Map<string, ProcessRow>();
      const rows: ProcessRow[] = [];
      const now = new Map<string, ProcessRow>();
      for (const it of items) {
        const was = known.get(it.key);
        if (was && was.modifyIndex === it.modifyIndex) { now.set(it.key, was); continue; }
        const fid = parseFid(it.key.slice('processes/'.length));
        if (!fid) continue;
        let v: { state?: unknown; type?: unknown } = {};
        try { v = JSON.parse(it.value) as typeof v; } catch { continue; }
        const row = { fid, event: String(v.state ?? ''), type: String(v.type ?? ''), modifyIndex: it.modifyIndex };
        now.set(it.key, row);
        rows.push(row);
      }
      this.#processes = { index, rows: now };
      if (rows.length > 0 || known.size === 0) this.#events.onProcesses(index, rows, this.#restarts);
    }, MODEL_WATCH_INTERVAL_MS, true);
    const restarts = kvWatch(`${this.#node}/process_restarts/`, (items) => {
      this.#restarts = [];
      for (const it of items) {
        const fid = parseFid(it.key.split('/').pop() ?? '');
        const count = Number.parseInt(it.value.replace(/"/g, ''), 10);
        if (fid && Number.isFinite(count)) this.#restarts.push({ fid, count });
      }
      if (this.#processes) this.#events.onProcesses(this.#processes.index, [], this.#restarts);
    });
    const health = HEALTH_SERVICES.map((service) => new BlockingWatch<HealthRow[]>({
      name: `health ${service}`, onError: onError(`health ${service}`), onSkip, minIntervalMs: MODEL_WATCH_INTERVAL_MS,
      fetch: async (index, wait, signal) => {
        const r = await this.#consul.health.service(service, { index, wait, signal });
        const rows = r.entries.map((e) => {
          const serf = e.Checks.find((c) => !c.ServiceID);
          const own = e.Checks.filter((c) => c.ServiceID === e.Service.ID);
          const worst = own.find((c) => c.Status !== 'passing') ?? own[0];
          return { serviceId: e.Service.ID, node: e.Node.Node, nodeStatus: status(serf?.Status ?? 'passing'), serviceStatus: status(worst?.Status) };
        });
        return { value: rows, index: r.index };
      },
      onChange: (rows, index) => this.#events.onHealth(index, service, rows),
    }));
    const all = [restarts, procs, ...health] as BlockingWatch<unknown>[];
    this.#watches.push(...all);
    // restarts and conf first, so that processes/ lands on a loaded tree
    restarts.start(); await restarts.ready();
    await conf.start();
    procs.start(); for (const h of health) h.start();
    await Promise.all([procs.ready(), ...health.map((h) => h.ready())]);
  }

  /** The m0conf/ watch (its plan and counts), once started. */
  get conf(): ConfWatch | undefined { return this.#conf; }

  async stop(): Promise<void> {
    await Promise.all([...this.#watches.map((w) => w.stop()), this.#conf?.stop()]);
  }
}
