// Wraps the sans-IO core (build/as/*.wasm): turns host calls into event
// records, runs the core, and turns its output records into a Decision (one
// reason + the actions to perform, in order). The core never does I/O; the
// daemon performs the actions and feeds results back (consulReplied).
//
// Traps: if the core traps (abort, unreachable, out of memory), the call
// returns a Decision with reason CORE_TRAPPED and no actions, the trap is
// counted (trapCount), and a fresh instance is built and re-fed the last view
// and the model (identity, the last whole conf tree and the deltas since, the
// newest processes/ row per fid, health).
// What the rebuilt core forgets: pending Consul writes (their replies then get
// CONSUL_REPLY_UNKNOWN_OP and no ack, so Motr re-sends after reconnecting) and
// the last broadcast states (the next health payload is broadcast in full).
// The rebuilt core numbers its writes on from the trapped one's (IdentitySet's
// firstOpId): were it to start at 1 again, a late reply to an old write would
// settle the new write of the same number and acknowledge its message before
// that message's own write was durable. Broadcast ids likewise
// (firstBroadcastId): an entrypoint reply that waits on its broadcast's
// delivery must not be released by an old broadcast of the same id.
import type { Fid } from '../fid.ts';
import {
  EV_VIEW_UPDATED, EV_ENTRYPOINT_REQUESTED, EV_MESSAGE_RECEIVED, EV_CONSUL_REPLIED, EV_HEALTH_REPORTED,
  HEALTH_STATUS_CODES, OUT_REASON, ACT_REPLY_ENTRYPOINT, ACT_ACKNOWLEDGE, ACT_BROADCAST,
  STATE_NAMES, EV_IDENTITY_SET, EV_CONF_LOADED, EV_PROCESSES_LOADED, EV_HEALTH_VIEWED, EV_TIMER_FIRED, EV_BQ_READ, ACT_BQ_RESULT,
  EV_STATES_QUERIED, EV_DUMP_REQUESTED, EV_PROCESS_KEY, ACT_CONSUL_TXN, ACT_BROADCAST_TO, ACT_SEND, ACT_DROP_LINKS,
  ACT_AWAIT_DELIVERY, ACT_NOTES, ACT_DUMP, ACT_TIMER, EV_STATUS_QUERIED, ACT_STATUS,
  EV_LEADER_OBSERVED, EV_ELECTION_TICK, EV_ELECTION_RESULT, ACT_ELECTION, ACT_PASS_CHECK,
  EV_LINK_CHANGED, EV_LINKS_OPENED, LINK_MODES, LINK_CHANGES, RECORD_HEADER, KIND_HA_MSG,
} from './abi.ts';
import type { ConfRow, ProcessRow, HealthRow, DumpRow } from './records.ts';
import { RecordReader, RecordWriter } from './records.ts';
import { compileCore, instantiateCore, writeInput, readOutput, type CoreExports } from './wasm.ts';
import { formatFid, copySparse, codecResult, nvecSetInput } from './codec.ts';
import { readStatus, type CoreStatus } from './status-record.ts';
import { ELECTION_OPS, type CoreEvent, type CoreView, type ElectionOp } from './core-events.ts';
import { CoreAbort } from './wasm.ts';
import { HaxError } from '../errors.ts';

export type HealthStatus = 'passing' | 'warning' | 'critical' | 'maintenance';
const ZERO: Fid = { container: 0n, key: 0n };
export interface Reason { code: string; text: string }
export type CoreAction =
  | { kind: 'reply-entrypoint'; reqId: number; rc: number; quorum: number; confds: { fid: Fid; endpoint: string }[]; rmFid: Fid; rmEndpoint: string; link: LinkPlan }
  | { kind: 'acknowledge'; linkId: number; tag: number }
  | { kind: 'broadcast'; msg: Uint8Array; notes: { fid: string; state: string }[]; id?: number; scope?: 'all' | 'hax'; skip?: Fid[] }
  | { kind: 'consul-txn'; opId: number; ops: TxnOp[] }
  | { kind: 'send'; linkId: number; msg: Uint8Array }
  | { kind: 'drop-links'; process: Fid; disconnect: boolean }
  | { kind: 'await-delivery'; broadcastId: number; timeoutMs: number }
  | { kind: 'notes'; notes: { fid: string; state: string }[] }
  | { kind: 'dump'; rows: DumpRow[]; counters: Record<string, number> }
  | { kind: 'timer'; dueMs: number }
  | { kind: 'status'; status: CoreStatus }
  | { kind: 'pass-check'; checkId: string; note: string }
  | { kind: 'election'; op: ElectionOp; session: string; value: string; lockDelaySec: number; checks: string[]; tickAtMs: number }
  /** The BQ read's result (after its other actions): this node's offset and each message's outcome. */
  | { kind: 'bq-result'; offset: number; outcomes: { epoch: number; type: string; code: string; text: string }[] };
/** The core's link decision for an entrypoint reply (assembly/machine/links.ts); the shim performs it. */
export interface LinkPlan {
  control: 'consume' | 'query';
  mode: (typeof LINK_MODES)[number];
  /** mode reuse: the link given back. */
  linkId: number;
  /** The request's words the shim needs: generation, process fid, its link params (14 u64). */
  generation: bigint;
  processFid: Fid;
  params: bigint[];
  /** mode reject: why. */
  note: string;
}
/** Facts of one read of the broadcast queue (bq-consumer.ts reads them from Consul). */
export interface BqReadFacts {
  startUp: boolean;
  /** The `epoch` key's value; null when absent. */
  epoch: string | null;
  /** deferred: the value is not sent in this read (one core input is bounded); the core processes no message from it on, and a later read carries it. */
  entries: { key: string; raw: string | null; value: string; deferred?: boolean }[];
  offsets: { key: string; value: string }[];
  body: { key: string; raw: string | null; deferred?: boolean }[];
}
/** hax's side of a link's ids, as the shim reports them. */
export interface LinkIds { local: { hi: bigint; lo: bigint }; remote: { hi: bigint; lo: bigint } }
/** One op of a core txn: verb set | delete | publish (key = BQ message_type, value = payload JSON). */
export interface TxnOp { verb: 'set' | 'delete' | 'publish'; key: string; value: string }
/**
 * One core decision, as the core reports it: its reason, its kind (the
 * event's name in the core's transition table, or what a rule narrowed it to,
 * e.g. the message type EVENT_PROCESS), the fids it is about, and the actions
 * to perform in order.
 */
export interface Decision {
  reason: Reason; kind: string; subjects: string[]; actions: CoreAction[];
  /** Set when the core trapped on this input (reason CORE_TRAPPED): the abort, as a coded error. */
  error?: HaxError;
}
export type { CoreView } from './core-events.ts';

export class CoreHost {
  #module: WebAssembly.Module;
  #ex: CoreExports;
  #lastView: Uint8Array | null = null;
  /** Model records re-fed after a trap: health and the shim's cookie (by kind). */
  readonly #replay = new Map<number, Uint8Array[]>();
  /** This hax's identity as last set, re-fed first after a trap (with the write numbering). */
  #identity: { node: string; process: Fid; stopping: boolean } | undefined;
  /** The op id of the last Consul write the core asked for (0: none yet). */
  #lastOpId = 0;
  /** The id of the last broadcast the core made (0: none yet): entrypoint replies wait on delivery by id. */
  #lastBroadcastId = 0;
  /** The links the shim holds (last LinkChanged record of each), re-fed after a trap after the cookie. */
  readonly #links = new Map<number, Uint8Array[]>();
  /** The last whole conf tree, then the newest delta row of each object since: re-fed after a trap. */
  #conf: Uint8Array[] = [];
  readonly #confDelta = new Map<string, ConfRow>();
  /** The newest processes/ row of each fid and the restart counters: re-fed after a trap as one record. */
  readonly #processes = { index: 0, rows: new Map<string, ProcessRow>(), restarts: [] as { fid: Fid; count: number }[] };
  #traps = 0;
  #inputs = 0;
  /** Views of the core's memory for #writeMessage; rebuilt when memory.buffer changes. */
  #memory: ArrayBuffer | null = null;
  #bytes = new Uint8Array(0);
  #view = new DataView(new ArrayBuffer(0));

  private constructor(module: WebAssembly.Module) {
    this.#module = module;
    this.#ex = instantiateCore(module);
  }

  static async load(options: { debug?: boolean } = {}): Promise<CoreHost> {
    return new CoreHost(await compileCore(options.debug ?? false));
  }

  /** One event in, the core's decision out (the daemon's loop: src/daemon/decision-loop.ts). */
  handle(event: CoreEvent): Decision {
    switch (event.type) {
      case 'message-received': return this.messageReceived(event.linkId, event.tag, event.msg);
      case 'entrypoint-requested': return this.entrypointRequested(event.reqId, event.fop, event.nowMs);
      case 'consul-replied': return this.consulReplied(event.opId, event.ok, event.index);
      case 'timer-fired': return this.timerFired(event.nowMs);
      case 'identity-set': return this.identitySet(event.node, event.process, event.stopping);
      case 'view-updated': return this.viewUpdated(event.view);
      case 'conf-loaded': return this.confLoaded(event.index, event.rows);
      case 'processes-loaded': return this.processesLoaded(event.index, event.rows, event.restarts);
      case 'health-viewed': return this.healthViewed(event.index, event.service, event.rows);
      case 'status-queried': return this.statusQueried();
      case 'links-opened': return this.linksOpened(event.cookie);
      case 'link-changed': return this.linkChanged(event.linkId, event.change, event.process, event.ids);
      case 'leader-observed': {
        const rec = RecordWriter.record(EV_LEADER_OBSERVED, (w) => { w.str(event.value).str(event.session).u64(BigInt(Math.floor(event.nowMs))).u32(event.random >>> 0); });
        // re-fed after a trap, so the rebuilt core knows who holds `leader` (an attempt in flight is
        // lost with the instance: its result is ignored, and the performer destroys its session at stop)
        this.#replay.set(EV_LEADER_OBSERVED, [rec]);
        return this.#run(rec);
      }
      case 'election-tick':
        return this.#run(RecordWriter.record(EV_ELECTION_TICK, (w) => { w.u64(BigInt(Math.floor(event.nowMs))).u32(event.random >>> 0); }));
      case 'election-result':
        return this.#run(RecordWriter.record(EV_ELECTION_RESULT, (w) => {
          w.u8(ELECTION_OPS.indexOf(event.op)).u8(event.ok ? 1 : 0).str(event.session).u64(BigInt(Math.floor(event.nowMs))).u32(event.random >>> 0);
        }));
    }
  }
  /** Bytes of the core instance's linear memory (it grows, never shrinks: the high-water mark of the model). */
  get memoryBytes(): number { return this.#ex.memory.buffer.byteLength; }

  /** Traps caught since load (each rebuilt the instance). */
  get trapCount(): number { return this.#traps; }
  /** Inputs handled so far, status queries not counted: while it stands still the model has not changed. */
  get inputs(): number { return this.#inputs; }

  viewUpdated(view: CoreView): Decision {
    const rec = RecordWriter.record(EV_VIEW_UPDATED, (w) => {
      w.u32(view.confds.length);
      for (const c of view.confds) w.fid(c.fid).str(c.endpoint);
      if (view.rm) w.u8(1).fid(view.rm.fid).str(view.rm.endpoint);
      else w.u8(0);
      if (view.isRc !== undefined) w.u8(view.isRc ? 1 : 0);
    });
    const d = this.#run(rec);
    if (d.reason.code !== 'CORE_TRAPPED') this.#lastView = rec;
    return d;
  }

  entrypointRequested(reqId: number, fop: Uint8Array, nowMs?: number): Decision {
    return this.#handle(this.#writeEntrypoint(reqId, fop, nowMs));
  }

  /** The core's memory as bytes and as a DataView, rebuilt when memory.buffer changes (growth, a new instance). */
  #views(): DataView {
    const buffer = this.#ex.memory.buffer;
    if (this.#memory !== buffer) {
      this.#memory = buffer;
      this.#bytes = new Uint8Array(buffer);
      this.#view = new DataView(buffer);
    }
    return this.#view;
  }

  #room(len: number): number {
    const cap = this.#ex.inputCapacity();
    if (len > cap) throw new RangeError(`input of ${len} bytes exceeds the core's input region (${cap})`);
    return this.#ex.inputPtr();
  }

  /** Writes the EntrypointRequested record (abi.ts: u32 reqId, blob fop, opt u64 nowMs) into the input region; returns its length. */
  #writeEntrypoint(reqId: number, fop: Uint8Array, nowMs?: number): number {
    const len = RECORD_HEADER + 4 + 4 + fop.length + (nowMs === undefined ? 0 : 8);
    const p = this.#room(len), v = this.#views();
    v.setUint16(p, EV_ENTRYPOINT_REQUESTED, true);
    v.setUint32(p + 2, len - RECORD_HEADER, true);
    v.setUint32(p + 6, reqId, true);
    v.setUint32(p + 10, fop.length, true);
    this.#bytes.set(fop, p + 14);
    if (nowMs !== undefined) writeU64(v, p + 14 + fop.length, Math.floor(nowMs));
    return len;
  }

  /**
   * Writes the MessageReceived record (abi.ts: u32 linkId, u64 tag, blob msg)
   * straight into the core's input region — one copy of the message, no
   * intermediate buffer: this runs for every message Motr sends. Returns the
   * record's length.
   */
  #writeMessage(linkId: number, tag: number, msg: Uint8Array): number {
    const len = RECORD_HEADER + 4 + 8 + 4 + msg.length;
    const p = this.#room(len), v = this.#views();
    v.setUint16(p, EV_MESSAGE_RECEIVED, true);
    v.setUint32(p + 2, len - RECORD_HEADER, true);
    v.setUint32(p + 6, linkId, true);
    writeU64(v, p + 10, tag);
    v.setUint32(p + 18, msg.length, true);
    copySparse(this.#bytes.subarray(p + 22, p + 22 + msg.length), KIND_HA_MSG, msg);   // an NVEC's unused notes are never read
    return len;
  }

  /**
   * bench/codec: the decode handle() runs on a MessageReceived (written as
   * messageReceived writes it) or an EntrypointRequested record, without its
   * rules (assembly/machine/decode-probe.ts). Returns the number of hot
   * values, -1 when the input does not decode.
   */
  probeMessage(linkId: number, tag: number, msg: Uint8Array): number {
    return this.#ex.probeDecode(this.#writeMessage(linkId, tag, msg));
  }

  probeEntrypoint(reqId: number, fop: Uint8Array, nowMs: number): number {
    return this.#ex.probeDecode(this.#writeEntrypoint(reqId, fop, nowMs));
  }

  /** The hot values of the last probeDecode, in order (valid until the next call). */
  probeValues(n: number): bigint[] {
    return Array.from(new BigUint64Array(this.#ex.memory.buffer, this.#ex.outputPtr(), n));
  }

  /** The shim opened its links with this cookie (40 bytes: pid, time_start, uptime, uuid hi, uuid lo). */
  linksOpened(cookie: Uint8Array): Decision {
    if (cookie.length !== 40) throw new RangeError(`a cookie is 40 bytes, not ${cookie.length}`);
    const v = new DataView(cookie.buffer, cookie.byteOffset, 40);
    const rec = RecordWriter.record(EV_LINKS_OPENED, (w) => { for (let i = 0; i < 5; i++) w.u64(v.getBigUint64(i * 8, true)); });
    this.#replay.set(EV_LINKS_OPENED, [rec]);
    this.#links.clear();
    return this.#run(rec);
  }

  /** The shim holds a link (connected or reused), began draining it, or it is gone. */
  linkChanged(linkId: number, change: (typeof LINK_CHANGES)[number], process: Fid, ids?: LinkIds): Decision {
    const z = { hi: 0n, lo: 0n };
    const rec = RecordWriter.record(EV_LINK_CHANGED, (w) => w.u32(linkId).u8(LINK_CHANGES.indexOf(change)).fid(process)
      .u64((ids?.local ?? z).hi).u64((ids?.local ?? z).lo).u64((ids?.remote ?? z).hi).u64((ids?.remote ?? z).lo));
    const d = this.#run(rec);
    const held = this.#links.get(linkId);
    if (change === 'gone') this.#links.delete(linkId);
    else if (!held) this.#links.set(linkId, [rec]);
    else if (change === 'draining') held.push(rec);
    return d;
  }

  identitySet(node: string, haxProcess: Fid, stopping: boolean): Decision {
    this.#identity = { node, process: haxProcess, stopping };
    return this.#run(identityRecord(node, haxProcess, stopping));
  }

  /**
   * The whole conf tree (several records when big); the model is swapped in
   * at the last one. The parts are one load: if one traps, the rest are not
   * fed (the rebuilt instance holds the last whole tree again) and the trap
   * is what this returns.
   */
  confLoaded(index: number, rows: ConfRow[]): Decision {
    const recs = confRecords(index, rows, 0);
    let d: Decision | undefined;
    for (const rec of recs) {
      d = this.#run(rec);
      if (d.reason.code === 'CORE_TRAPPED') return d;
    }
    this.#conf = recs;
    this.#confDelta.clear();
    return d!;
  }

  /**
   * States of objects already in the model (the structure is unchanged),
   * applied in place: what an outside write to m0conf/ costs (model-source.ts).
   * Several records when big; each applies on its own.
   */
  confChanged(index: number, rows: ConfRow[]): Decision {
    let d: Decision | undefined;
    for (const rec of confRecords(index, rows, CONF_DELTA)) {
      d = this.#run(rec);
      if (d.reason.code === 'CORE_TRAPPED') return d;
    }
    for (const r of rows) this.#confDelta.set(fidKey(r.fid), r);
    return d!;
  }

  /** processes/ rows (all of them, or only the changed ones: the core merges) and this node's restart counters. */
  processesLoaded(index: number, rows: ProcessRow[], restarts: { fid: Fid; count: number }[] = []): Decision {
    const d = this.#run(processesRecord(index, rows, restarts));
    if (d.reason.code !== 'CORE_TRAPPED') {
      for (const r of rows) this.#processes.rows.set(fidKey(r.fid), r);
      this.#processes.index = Math.max(this.#processes.index, index);
      this.#processes.restarts = restarts;
    }
    return d;
  }

  healthViewed(index: number, service: string, rows: HealthRow[]): Decision {
    const rec = RecordWriter.record(EV_HEALTH_VIEWED, (w) => {
      w.u64(BigInt(index)).str(service).u32(rows.length);
      for (const r of rows) w.str(r.serviceId).str(r.node).u8(HEALTH_STATUS_CODES[r.nodeStatus]).u8(HEALTH_STATUS_CODES[r.serviceStatus]);
    });
    this.#replay.set(EV_HEALTH_VIEWED + 1000 * (service.length % 7) + service.charCodeAt(0), [rec]);
    return this.#run(rec);
  }

  timerFired(nowMs: number): Decision {
    return this.#run(RecordWriter.record(EV_TIMER_FIRED, (w) => w.u64(BigInt(Math.floor(nowMs)))));
  }

  /**
   * What hax read of the broadcast queue in Consul (bq/ with raw and decoded
   * values, `epoch`, bq-delivered/) and, for a watch delivery, the body as it
   * came. `startUp`: read this node's offset only. The core decides the rest.
   */
  bqRead(read: BqReadFacts): Decision {
    return this.#run(RecordWriter.record(EV_BQ_READ, (w) => {
      w.u8(read.startUp ? 0 : 1).u8(read.epoch === null ? 0 : 1).str(read.epoch ?? '');
      w.u32(read.entries.length);
      for (const e of read.entries) w.str(e.key).u8(e.deferred ? 2 : e.raw === null ? 0 : 1).str(e.deferred ? '' : e.raw ?? '').str(e.deferred ? '' : e.value);
      w.u32(read.offsets.length);
      for (const o of read.offsets) w.str(o.key).str(o.value);
      w.u32(read.body.length);
      for (const e of read.body) w.str(e.key).u8(e.deferred ? 2 : e.raw === null ? 0 : 1).str(e.deferred ? '' : e.raw ?? '');
    }));
  }

  /**
   * POST /watcher/processes: the watch entry as it came (null when the key is
   * missing), its value as text; `modifyIndex` is the entry's ModifyIndex, or
   * else the X-Consul-Index. The core reads the key and the value.
   */
  processKeyPosted(entry: { key: string; value: string } | null, modifyIndex: number | undefined): Decision {
    const kind = modifyIndex === undefined ? 0 : Number.isSafeInteger(modifyIndex) && modifyIndex >= 0 ? 1 : 2;
    return this.#run(RecordWriter.record(EV_PROCESS_KEY, (w) => w.u8(entry ? 1 : 0).str(entry?.key ?? '').str(entry?.value ?? '')
      .u8(kind).u64(kind === 1 ? BigInt(modifyIndex!) : 0n)));
  }

  statesQueried(fids: Fid[]): Decision {
    return this.#run(RecordWriter.record(EV_STATES_QUERIED, (w) => { w.u32(fids.length); for (const f of fids) w.fid(f); }));
  }

  dumpRequested(): Decision {
    return this.#run(RecordWriter.record(EV_DUMP_REQUESTED, () => {}));
  }

  /** The cluster as the model holds it (GET /v1/cluster/status, the monitor's map). */
  statusQueried(): Decision {
    const d = this.#run(RecordWriter.record(EV_STATUS_QUERIED, () => {}));
    this.#inputs--;   // a query changes nothing: answers cached by `inputs` stay good
    return d;
  }

  messageReceived(linkId: number, tag: number, msg: Uint8Array): Decision {
    return this.#handle(this.#writeMessage(linkId, tag, msg));
  }

  consulReplied(opId: number, ok: boolean, index?: number): Decision {
    return this.#run(RecordWriter.record(EV_CONSUL_REPLIED, (w) => { w.u32(opId).u8(ok ? 1 : 0); if (index !== undefined) w.u64(BigInt(index)); }));
  }

  /** The service-watch rule, from hax's own shape of a payload (tests, tools). */
  healthReported(entries: { checks: { serviceId: string; status: HealthStatus }[] }[], consulIndex?: number): Decision {
    return this.healthPayload(entries.map((e) => ({ Checks: e.checks.map((c) => ({ ServiceID: c.serviceId, Status: c.status })) })), consulIndex);
  }

  /**
   * The service-watch rule, straight from Consul's payload (POST /, already
   * validated): encoded into the event record in one pass, without an
   * intermediate copy — a 100-node payload has over a thousand checks.
   */
  healthPayload(entries: readonly ConsulHealthEntry[], consulIndex?: number): Decision {
    return this.#run(RecordWriter.record(EV_HEALTH_REPORTED, (w) => {
      w.u32(entries.length);
      for (const e of entries) {
        w.u32(e.Checks.length);
        for (const c of e.Checks) {
          const code = HEALTH_STATUS_CODES[c.Status as HealthStatus];
          if (code === undefined) throw new TypeError(`unknown health status ${String(c.Status)}`);
          w.str(c.ServiceID ?? '').u8(code);
        }
      }
      if (consulIndex !== undefined) w.u64(BigInt(consulIndex));
    }));
  }

  /**
   * The NVEC SET broadcast of `notes` (wire form, 20 bytes each), made by the
   * codec function the core's broadcasts use: the performer merges the notes
   * held for a link that is behind with it (link-outbox.ts). Changes nothing
   * in the core's state. Throws CodecError for a count outside 1..1024 or a
   * note Motr refuses (never the case for notes the core made).
   */
  encodeNvecSet(notes: Uint8Array): Uint8Array {
    const input = nvecSetInput(notes);
    writeInput(this.#ex, input);
    return codecResult(readOutput(this.#ex, this.#ex.codecEncodeNvecSet(input.length)));
  }

  /**
   * Feeds one raw event record (tag u16, length u32, payload; assembly/abi.ts).
   * For tests and diagnostics: a malformed record is host misuse and traps.
   */
  handleRecord(record: Uint8Array): Decision {
    return this.#run(record);
  }

  #run(record: Uint8Array): Decision {
    writeInput(this.#ex, record);   // throws RangeError (host misuse) before touching the core
    return this.#handle(record.length);
  }

  /** Runs the core on the `len` bytes of record already in its input region. */
  #handle(len: number): Decision {
    this.#inputs++;
    let n: number;
    try {
      n = this.#ex.handle(len);
    } catch (e) {
      return this.#recover(e);
    }
    const d = parseDecision(readOutput(this.#ex, n));
    for (const a of d.actions) {
      if (a.kind === 'consul-txn') this.#lastOpId = a.opId;
      else if (a.kind === 'broadcast' && a.id) this.#lastBroadcastId = a.id;
    }
    return d;
  }

  #recover(e: unknown): Decision {
    this.#traps++;
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    // an abort is already coded; a wasm trap (unreachable, out of bounds) becomes one
    const error = e instanceof CoreAbort ? e : new CoreAbort(what, { cause: e });
    this.#ex = instantiateCore(this.#module);
    let refed = 'no view to re-feed';
    if (this.#lastView) {
      writeInput(this.#ex, this.#lastView);
      const d = parseDecision(readOutput(this.#ex, this.#ex.handle(this.#lastView.length)));
      refed = `last view re-fed (${d.reason.code})`;
    }
    let models = 0;
    const refeed = (recs: Uint8Array[]) => {
      for (const rec of recs) {
        try { writeInput(this.#ex, rec); this.#ex.handle(rec.length); models++; } catch { /* a model record that traps is dropped */ }
      }
    };
    // identity, the conf tree and its deltas, processes/, then health and the
    // shim's cookie: each needs the ones before it; then the links held
    // the identity goes even when none was set (the defaults): it carries where write numbers go on
    const id = this.#identity ?? { node: '', process: ZERO, stopping: false };
    refeed([identityRecord(id.node, id.process, id.stopping, { opId: after(this.#lastOpId), broadcastId: after(this.#lastBroadcastId) })]);
    refeed(this.#conf);
    if (this.#confDelta.size > 0) refeed(confRecords(0, [...this.#confDelta.values()], CONF_DELTA));
    const p = this.#processes;
    if (p.rows.size > 0 || p.restarts.length > 0) refeed([processesRecord(p.index, [...p.rows.values()], p.restarts)]);
    for (const recs of this.#replay.values()) refeed(recs);
    refeed([...this.#links.values()].flat());
    if (models > 0) refed += `, ${models} model record(s) re-fed`;
    return {
      reason: { code: 'CORE_TRAPPED', text: `core trapped (${what}); instance rebuilt, ${refed}; trap #${this.#traps}` },
      kind: 'CoreTrapped', subjects: [], actions: [], error,
    };
  }
}

/** The IdentitySet record; `firstOpId` only for a rebuilt core (the core numbers its writes from there). */
function identityRecord(node: string, haxProcess: Fid, stopping: boolean, next?: { opId: number; broadcastId: number }): Uint8Array {
  return RecordWriter.record(EV_IDENTITY_SET, (w) => { w.str(node).fid(haxProcess).u8(stopping ? 1 : 0); if (next) w.u32(next.opId).u32(next.broadcastId); });
}

/** The id after `last` in the core's u32 numbering (0 is never used). */
const after = (last: number): number => (last === 0xffffffff ? 1 : last + 1);

/** A u64 below 2^53 as its low and high words (no BigInt on the hot path). */
function writeU64(v: DataView, at: number, n: number): void {
  v.setUint32(at, n >>> 0, true);
  v.setUint32(at + 4, Math.floor(n / 0x1_0000_0000), true);
}

/** EV_CONF_LOADED flags (assembly/abi.ts): first part, last part, delta. */
const CONF_FIRST = 1, CONF_LAST = 2, CONF_DELTA = 4;
/** Rows per conf record: 2,000 rows of a 1,000-node tree take about 400 KB of the 1 MiB input region. */
const CONF_PART = 2000;

const fidKey = (f: Fid) => `${f.container}:${f.key}`;

/** EV_CONF_LOADED records of rows: the parts of one whole tree, or self-contained deltas. */
function confRecords(index: number, rows: ConfRow[], delta: 0 | typeof CONF_DELTA): Uint8Array[] {
  const recs: Uint8Array[] = [];
  for (let from = 0; from < Math.max(rows.length, 1); from += CONF_PART) {
    const part = rows.slice(from, from + CONF_PART);
    const flags = delta ? CONF_DELTA | CONF_FIRST | CONF_LAST : (from === 0 ? CONF_FIRST : 0) | (from + CONF_PART >= rows.length ? CONF_LAST : 0);
    recs.push(RecordWriter.record(EV_CONF_LOADED, (w) => {
      w.u64(BigInt(index)).u8(flags).u32(part.length);
      for (const r of part) {
        w.u8(r.type).fid(r.fid).fid(r.parent ?? ZERO).fid(r.ref ?? ZERO).u8(r.kind ?? 0).u64(BigInt(r.modifyIndex ?? 0))
          .str(r.key ?? '').str(r.name ?? '').str(r.endpoint ?? '').str(r.state ?? '');
      }
    }));
  }
  return recs;
}

function processesRecord(index: number, rows: ProcessRow[], restarts: { fid: Fid; count: number }[]): Uint8Array {
  return RecordWriter.record(EV_PROCESSES_LOADED, (w) => {
    w.u64(BigInt(index)).u32(rows.length);
    for (const r of rows) w.fid(r.fid).str(r.event).str(r.type).u64(BigInt(r.modifyIndex));
    w.u32(restarts.length);
    for (const r of restarts) w.fid(r.fid).u32(r.count);
  });
}

/** The part of a Consul health entry the rule reads. */
export interface ConsulHealthEntry { Checks: readonly { ServiceID?: string | null; Status: string }[] }

export function parseDecision(out: Uint8Array): Decision {
  let reason: Reason | null = null;
  let kind = '';
  const subjects: string[] = [];
  const actions: CoreAction[] = [];
  for (const { tag, body: r } of RecordReader.records(out)) {
    switch (tag) {
      case OUT_REASON:
        reason = { code: r.str(), text: r.str() };
        kind = r.str();
        for (let n = r.u32(); n > 0; n--) subjects.push(formatFid(r.fid()));
        break;
      case ACT_REPLY_ENTRYPOINT: {
        const reqId = r.u32();
        const rc = r.i32();
        const quorum = r.u32();
        const n = r.u32();
        const confds: { fid: Fid; endpoint: string }[] = [];
        for (let i = 0; i < n; i++) confds.push({ fid: r.fid(), endpoint: r.str() });
        const rmFid = r.fid();
        const rmEndpoint = r.str();
        const control = r.u8() === 0 ? 'consume' as const : 'query' as const;
        const mode = LINK_MODES[r.u8()] ?? 'none';
        const linkId = r.u32();
        const generation = r.u64();
        const processFid = r.fid();
        const params: bigint[] = [];
        for (let i = 0; i < 14; i++) params.push(r.u64());
        const link: LinkPlan = { control, mode, linkId, generation, processFid, params, note: r.str() };
        actions.push({ kind: 'reply-entrypoint', reqId, rc, quorum, confds, rmFid, rmEndpoint, link });
        break;
      }
      case ACT_BQ_RESULT: {
        const offset = Number(BigInt.asIntN(64, r.u64()));
        const n = r.u32();
        const outcomes: { epoch: number; type: string; code: string; text: string }[] = [];
        for (let i = 0; i < n; i++) outcomes.push({ epoch: Number(r.u64()), type: r.str(), code: r.str(), text: r.str() });
        actions.push({ kind: 'bq-result', offset, outcomes });
        break;
      }
      case ACT_ACKNOWLEDGE:
        actions.push({ kind: 'acknowledge', linkId: r.u32(), tag: Number(r.u64()) });
        break;
      case ACT_BROADCAST: {
        const msg = r.blob();
        const n = r.u32();
        const notes: { fid: string; state: string }[] = [];
        for (let i = 0; i < n; i++) {
          const fid = formatFid(r.fid());
          const st = r.u32();
          notes.push({ fid, state: STATE_NAMES[st] ?? String(st) });
        }
        actions.push({ kind: 'broadcast', msg, notes });
        break;
      }
      case ACT_CONSUL_TXN: {
        const opId = r.u32();
        const n = r.u32();
        const ops: TxnOp[] = [];
        for (let i = 0; i < n; i++) {
          const v = r.u8();
          ops.push({ verb: v === 0 ? 'set' : v === 1 ? 'delete' : 'publish', key: r.str(), value: r.str() });
        }
        actions.push({ kind: 'consul-txn', opId, ops });
        break;
      }
      case ACT_BROADCAST_TO: {
        const id = r.u32();
        const scope = r.u8() === 1 ? 'hax' as const : 'all' as const;
        const nSkip = r.u32();
        const skip: Fid[] = [];
        for (let i = 0; i < nSkip; i++) skip.push(r.fid());
        const msg = r.blob();
        const n = r.u32();
        const notes: { fid: string; state: string }[] = [];
        for (let i = 0; i < n; i++) { const fid = formatFid(r.fid()); const st = r.u32(); notes.push({ fid, state: STATE_NAMES[st] ?? String(st) }); }
        actions.push({ kind: 'broadcast', msg, notes, id, scope, skip });
        break;
      }
      case ACT_SEND:
        actions.push({ kind: 'send', linkId: r.u32(), msg: r.blob() });
        break;
      case ACT_DROP_LINKS:
        actions.push({ kind: 'drop-links', process: r.fid(), disconnect: r.u8() === 1 });
        break;
      case ACT_AWAIT_DELIVERY:
        actions.push({ kind: 'await-delivery', broadcastId: r.u32(), timeoutMs: r.u32() });
        break;
      case ACT_NOTES: {
        const n = r.u32();
        const notes: { fid: string; state: string }[] = [];
        for (let i = 0; i < n; i++) { const fid = formatFid(r.fid()); const st = r.u32(); notes.push({ fid, state: STATE_NAMES[st] ?? String(st) }); }
        actions.push({ kind: 'notes', notes });
        break;
      }
      case ACT_DUMP: {
        const n = r.u32();
        const rows: DumpRow[] = [];
        for (let i = 0; i < n; i++) {
          const fid = formatFid(r.fid());
          const st = r.u32();
          rows.push({ fid, state: STATE_NAMES[st] ?? String(st), event: r.u8(), ptype: r.u8(), check: r.u8(), restarts: r.u32(), kvState: r.str(), serviceEvent: r.str() });
        }
        const m = r.u32();
        const counters: Record<string, number> = {};
        for (let i = 0; i < m; i++) { const k = r.str(); counters[k] = r.u32(); }
        actions.push({ kind: 'dump', rows, counters });
        break;
      }
      case ACT_TIMER:
        actions.push({ kind: 'timer', dueMs: Number(r.u64()) });
        break;
      case ACT_STATUS:
        actions.push({ kind: 'status', status: readStatus(r) });
        break;
      case ACT_PASS_CHECK:
        actions.push({ kind: 'pass-check', checkId: r.str(), note: r.str() });
        break;
      case ACT_ELECTION: {
        const op = ELECTION_OPS[r.u8()] ?? 'none';
        const session = r.str(); const value = r.str(); const lockDelaySec = r.u32();
        const n = r.u32();
        const checks: string[] = [];
        for (let i = 0; i < n; i++) checks.push(r.str());
        actions.push({ kind: 'election', op, session, value, lockDelaySec, checks, tickAtMs: Number(r.u64()) });
        break;
      }
      default:
        throw new Error(`core output: unknown record tag 0x${tag.toString(16)}`);
    }
  }
  if (!reason) throw new Error('core output: no reason record');
  return { reason, kind, subjects, actions };
}
