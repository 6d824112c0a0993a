// Feeds a scenario step to the real WASM core (through CoreHost, as the
// daemon does) and turns the Decision into plain data a scenario file can
// spell: fids as text, bigints as numbers, sent messages decoded, a
// broadcast's notes as a {fid: state} map. No Consul, no sockets.
import { CoreHost, type BqReadFacts, type Decision, type CoreAction, type HealthStatus } from '../../src/core/core-host.ts';
import { Codec, type HaMsg } from '../../src/core/codec.ts';
import { CONF, KIND, type ConfRow } from '../../src/core/records.ts';
import { formatFid, parseFid, type Fid } from '../../src/fid.ts';
import { vector } from './helpers.ts';
import type { EventKey } from './scenario-load.ts';

function fid(text: unknown, what: string): Fid {
  const f = typeof text === 'string' ? parseFid(text) : undefined;
  if (!f) throw new Error(`${what}: "${String(text)}" is not a fid`);
  return f;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}

function name<T extends Record<string, number>>(table: T, v: unknown, what: string): number {
  if (v === undefined) return 0;
  const n = table[String(v)];
  if (n === undefined) throw new Error(`${what}: "${String(v)}" is not one of ${Object.keys(table).join(', ')}`);
  return n;
}

function confRow(r: any, i: number): ConfRow {
  const where = `conf row ${i + 1}`;
  return {
    type: name(CONF, r.type, `${where} type`), fid: fid(r.fid, `${where} fid`),
    parent: r.parent === undefined ? undefined : fid(r.parent, `${where} parent`),
    ref: r.ref === undefined ? undefined : fid(r.ref, `${where} ref`),
    kind: name(KIND, r.kind, `${where} kind`), modifyIndex: r.index ?? 0,
    key: r.key, name: r.name, endpoint: r.endpoint, state: r.state,
  };
}

/** Bytes of a golden vector, optionally cut short ({vector, truncate}), or hex. */
function rawBytes(input: any): Uint8Array | undefined {
  if (typeof input.hex === 'string') return new Uint8Array(Buffer.from(input.hex, 'hex'));
  if (typeof input.vector === 'string') {
    const b = vector(input.vector).bytes;
    return input.truncate === undefined ? b : b.subarray(0, num(input.truncate, 'truncate'));
  }
  return undefined;
}

/** {checks: N, status}: one entry with N checks, ServiceIDs "0".."N-1" (payloads too big to write out). */
function generatedChecks(g: any): { checks: { serviceId: string; status: HealthStatus }[] }[] {
  const n = num(g.checks, 'generate checks');
  return [{ checks: Array.from({ length: n }, (_, k) => ({ serviceId: String(k), status: g.status as HealthStatus })) }];
}

/**
 * One read of the broadcast queue (BqReadFacts) from its readable form:
 *   { start: true,                    # the start-up read (this node's offset only); default: a watch delivery
 *     epoch: 7,                       # the `epoch` key: a number, a text as stored, null = absent;
 *                                     #   default: the highest epoch of `queue` (absent when it is empty)
 *     queue: [ {epoch, type, payload} # bq/<epoch> = {"timestamp": "1.0", "message_type": type, "payload": payload}
 *              | {key, value} ],      #   or an entry as stored, key and value text (refused keys, non-JSON values)
 *     offsets: { srvnode-1: 4 },      # bq-delivered/<node> = the value as text
 *     body: [ same items as queue ] } # what the watch body claimed; default: none
 * A payload written as a string is stored as that JSON text (a publisher that wrote its payload as text).
 */
function bqFacts(i: any): BqReadFacts {
  const entry = (e: any, what: string): { key: string; raw: string; value: string } => {
    if (!e || typeof e !== 'object') throw new Error(`${what}: an entry is {epoch, type, payload} or {key, value}`);
    const key = e.key !== undefined ? String(e.key) : `bq/${num(e.epoch, `${what} epoch`)}`;
    const value = e.value !== undefined ? String(e.value) : JSON.stringify({ timestamp: '1.0', message_type: String(e.type), payload: e.payload });
    return { key, raw: Buffer.from(value).toString('base64'), value };
  };
  const queue: any[] = i.queue ?? [];
  if (!Array.isArray(queue)) throw new Error('bq queue: a list of entries');
  const entries = queue.map((e, k) => entry(e, `bq queue[${k}]`));
  const epochs = queue.filter((e) => e && e.epoch !== undefined).map((e) => Number(e.epoch));
  const epoch = i.epoch === null ? null : i.epoch !== undefined ? String(i.epoch) : epochs.length ? String(Math.max(...epochs)) : null;
  return {
    startUp: Boolean(i.start), epoch, entries,
    offsets: Object.entries(i.offsets ?? {}).map(([node, v]) => ({ key: `bq-delivered/${node}`, value: String(v) })),
    body: (i.body ?? []).map((e: any, k: number) => { const x = entry(e, `bq body[${k}]`); return { key: x.key, raw: x.raw }; }),
  };
}

/**
 * The processes/ watch entry: {fid, event, type} builds
 * key processes/<fid>, value {"state": "<event>", "type": "<type>"} (type
 * defaults to M0_CONF_HA_PROCESS_M0D); {key, value} gives it raw; {entry: null}: no entry.
 */
function processKeyEntry(i: any): { key: string; value: string } | null {
  if ('entry' in i) {
    if (i.entry === null) return null;
    throw new Error('process-key entry: only "entry: null" (no key); write key/value for a raw entry');
  }
  if (i.key !== undefined || i.value !== undefined) return { key: String(i.key ?? ''), value: typeof i.value === 'string' ? i.value : JSON.stringify(i.value) };
  const f = fid(i.fid, 'process-key fid');
  return { key: `processes/${formatFid(f)}`, value: `{"state": "${String(i.event)}", "type": "${String(i.type ?? 'M0_CONF_HA_PROCESS_M0D')}"}` };
}

export class ScenarioCore {
  private constructor(readonly core: CoreHost, readonly codec: Codec) {}

  /** A fresh core: its state is module-global, so every scenario gets its own instance. */
  static async fresh(codec: Codec): Promise<ScenarioCore> {
    return new ScenarioCore(await CoreHost.load(), codec);
  }

  feed(event: EventKey, i: any): Decision {
    const c = this.core;
    switch (event) {
      case 'view': return c.viewUpdated({
        confds: (i.confds ?? []).map((x: any) => ({ fid: fid(x.fid, 'view confd'), endpoint: String(x.endpoint ?? '') })),
        rm: i.rm ? { fid: fid(i.rm.fid, 'view rm'), endpoint: String(i.rm.endpoint ?? '') } : null,
        isRc: i.rc === undefined ? undefined : Boolean(i.rc),
      });
      case 'identity': return c.identitySet(String(i.node), fid(i.process, 'identity process'), Boolean(i.stopping));
      case 'conf': return c.confLoaded(num(i.index, 'conf index'), (i.rows ?? []).map(confRow));
      case 'processes': return c.processesLoaded(num(i.index, 'processes index'),
        (i.rows ?? []).map((r: any) => ({ fid: fid(r.fid, 'processes fid'), event: String(r.event), type: String(r.type), modifyIndex: num(r.index, 'processes row index') })),
        (i.restarts ?? []).map((r: any) => ({ fid: fid(r.fid, 'restarts fid'), count: num(r.count, 'restarts count') })));
      case 'health-viewed': return c.healthViewed(num(i.index, 'health-viewed index'), String(i.service),
        (i.rows ?? []).map((r: any) => ({ serviceId: String(r.id), node: String(r.node), nodeStatus: r.node_status ?? 'passing', serviceStatus: r.status ?? 'passing' })));
      case 'health': return c.healthReported(i.generate ? generatedChecks(i.generate) :
        (i.entries ?? []).map((checks: any[]) => ({ checks: checks.map((x: any) => ({ serviceId: String(x.id ?? ''), status: x.status })) })),
        i.index);
      case 'timer': return c.timerFired(num(i.now, 'timer now'));
      case 'bq': return c.bqRead(bqFacts(i));
      case 'process-key': return c.processKeyPosted(processKeyEntry(i), i.index === undefined ? undefined : num(i.index, 'process-key index'));
      case 'states': return c.statesQueried((Array.isArray(i) ? i : []).map((x: unknown) => fid(x, 'states')));
      case 'dump': return c.dumpRequested();
      case 'entrypoint': return c.entrypointRequested(num(i.req, 'entrypoint req'), rawBytes(i) ?? this.#entrypointReq(i), i.now);
      case 'message': return c.messageReceived(num(i.link, 'message link'), num(i.tag, 'message tag'), rawBytes(i) ?? this.#message(i));
      case 'consul-replied': return c.consulReplied(num(i.op, 'consul-replied op'), Boolean(i.ok), i.index);
      case 'leader': return c.handle({ type: 'leader-observed', value: String(i.value ?? ''), session: String(i.session ?? ''), nowMs: num(i.now, 'leader now'), random: num(i.random ?? 0, 'leader random') });
      case 'election-tick': return c.handle({ type: 'election-tick', nowMs: num(i.now, 'election-tick now'), random: num(i.random ?? 0, 'election-tick random') });
      case 'election-result': return c.handle({ type: 'election-result', op: i.op, ok: Boolean(i.ok), session: String(i.session ?? ''),
        nowMs: num(i.now, 'election-result now'), random: num(i.random ?? 0, 'election-result random') });
    }
  }

  /** An entrypoint request: the first-request golden vector with the process and flag given. */
  #entrypointReq(i: any): Uint8Array {
    const req = this.codec.decodeEntrypointReq(vector('ep_req_first').bytes);
    req.erf_process_fid = String(i.process);
    req.erf_first_request = i.first === false ? 0 : 1;
    return this.codec.encodeEntrypointReq(req);
  }

  #message(i: any): Uint8Array {
    const m: HaMsg = {
      fid: String(i.fid ?? '0:0'), sourceProcess: String(i.source_process ?? '0:0'), sourceService: String(i.source_service ?? '0:0'),
      time: 0n, epoch: 0n, tag: 0n, type: String(i.type), body: i.body ?? {},
    };
    return this.codec.encodeMsg(m);
  }

  /** The decision as data: { reason, text, actions: [{kind: fields}] }. */
  describe(d: Decision): { reason: string; text: string; actions: Record<string, unknown>[] } {
    return { reason: d.reason.code, text: d.reason.text, actions: d.actions.map((a) => ({ [a.kind]: this.#action(a) })) };
  }

  #action(a: CoreAction): Record<string, unknown> {
    const notes = (list: { fid: string; state: string }[]) => Object.fromEntries(list.map((n) => [n.fid, n.state]));
    switch (a.kind) {
      case 'reply-entrypoint': return {
        req: a.reqId, rc: a.rc, quorum: a.quorum, confds: a.confds.map((c) => formatFid(c.fid)),
        endpoints: a.confds.map((c) => c.endpoint), rm: formatFid(a.rmFid), rm_endpoint: a.rmEndpoint,
      };
      case 'bq-result': return { offset: a.offset, outcomes: a.outcomes.map((o) => ({ epoch: o.epoch, type: o.type, code: o.code, text: o.text })) };
      case 'acknowledge': return { link: a.linkId, tag: a.tag };
      case 'broadcast': {
        const b: Record<string, unknown> = { notes: notes(a.notes) };
        if (a.id !== undefined) b.id = a.id;
        if (a.scope !== undefined) b.scope = a.scope;
        if (a.skip !== undefined) b.skip = a.skip.map(formatFid);
        return b;
      }
      case 'consul-txn': return { op: a.opId, ops: a.ops.map((o) => `${o.verb} ${o.key} = ${o.value}`) };
      case 'send': return { link: a.linkId, msg: plain(this.codec.decodeMsg(a.msg)) };
      case 'drop-links': return { process: formatFid(a.process), disconnect: a.disconnect };
      case 'await-delivery': return { broadcast: a.broadcastId, timeout_ms: a.timeoutMs };
      case 'notes': return { notes: notes(a.notes) };
      case 'dump': return { rows: a.rows, counters: a.counters };
      case 'timer': return { due: a.dueMs };
      case 'election': return { op: a.op, session: a.session, value: a.value, lock_delay: a.lockDelaySec, checks: a.checks, tick_at: a.tickAtMs };
      case 'status': return { status: a.status };
      case 'pass-check': return { check: a.checkId, note: a.note };
    }
  }

  /**
   * What every broadcast must satisfy whatever the scenario says: its message
   * is an NVEC SET whose notes are exactly the notes the action lists (the
   * host logs and shows the list; Motr acts on the message).
   */
  checkBroadcasts(d: Decision): string | undefined {
    for (const a of d.actions) {
      if (a.kind !== 'broadcast') continue;
      const m = this.codec.decodeMsg(a.msg);
      const body = m.body as { hmnv_type?: string; hmnv_arr?: { no_id: string; no_state: string }[] };
      const inMsg = (body.hmnv_arr ?? []).map((n) => `${n.no_id} ${n.no_state}`);
      const listed = a.notes.map((n) => `${n.fid} ${n.state}`);
      if (m.type !== 'NVEC' || body.hmnv_type !== 'M0_HA_NVEC_SET' || JSON.stringify(inMsg) !== JSON.stringify(listed)) {
        return `a broadcast's message (${m.type} ${body.hmnv_type}: ${inMsg.join(', ')}) is not the NVEC SET of its notes (${listed.join(', ')})`;
      }
    }
    return undefined;
  }
}

/** bigints → numbers (strings when beyond 2^53), recursively. */
export function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
