// One simulated Motr process: it dials hax over the socket transport, asks
// its entrypoint until hax answers CONSUME (again after a hax restart: the
// link reconnects and re-sends what hax had not confirmed), reports process,
// service and RPC events the way m0d does, asks FAILURE_VEC and NVEC GET and
// waits for their replies (checking an NVEC reply like m0d: same id, same
// fids in order; applying a failure vector like m0d: an ONLINE device in it
// kills the process), and acknowledges everything hax broadcasts, handing
// NVEC SET notes to the caller. It exits on disconnected_previously (a real
// m0d asserts there). Leaving cleanly (shutdown()) it waits, as m0_ha_flush
// does, until hax has confirmed delivery of everything it sent. The demo,
// the CLI (`hax sim`), the tests and the benchmarks use it; the HA-link
// protocol itself is LinkClient's, the message sequences are scenarios.ts's.
//
// What real Motr taught (issue 12), enforced here so that CI without libmotr
// catches a regression in hax:
//   * FAILURE_VEC_REP: m0d applies every listed device as a pool-machine
//     transition (m0_poolmach_failvec_apply); an ONLINE device panics it
//     ("!pool_failed_devs_tlink_is_in(pd)" at m0_poolmach_state_transit(),
//     pool/pool_machine.c:688) → HAX_ERR_SIM_FAILVEC_ONLINE_DEVICE, dead.
//   * On exit m0d waits for the delivery of its last message
//     (motr_ha_level_leave → m0_ha_flush → m0_ha_link_flush →
//     m0_ha_link_wait_delivery) → exit 0 only once hax confirmed it;
//     HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY if the link goes first,
//     HAX_ERR_SIM_FLUSH_TIMEOUT after flushTimeoutMs (m0d would hang).
import type { Codec, HaMsg } from '../core/codec.ts';
import { HaxError } from '../errors.ts';
import { formatFid, parseFid, ZERO_FID, type Fid } from '../fid.ts';
import type { Logger } from '../log.ts';
import { LinkClient, CONTROL_CONSUME, FLUSH_TIMEOUT_MS, FlushError, type EntrypointRep, type FlushResult } from './link-client.ts';
import type { ServiceEvent, ServiceType, Step } from './scenarios.ts';

/** A simulated process failed the way a real one would crash or hang (code HAX_ERR_SIM_*). */
export class SimError extends HaxError {
  /** Machine-readable facts about the failure (device fids, unconfirmed tags …), logged with it. */
  readonly details: Record<string, unknown>;
  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, options);
    this.details = details;
  }
}

/** M0_NC_ONLINE as the codec decodes it (name) or as a raw value (motr-ha-wire.md §3). */
const isOnline = (state: unknown): boolean => state === 'M0_NC_ONLINE' || state === 1 || state === 1n;

export interface Note { fid: string; state: string }

export type ProcessType = 'M0_CONF_HA_PROCESS_OTHER' | 'M0_CONF_HA_PROCESS_KERNEL' | 'M0_CONF_HA_PROCESS_M0MKFS' | 'M0_CONF_HA_PROCESS_M0D';
export type ProcessEvent = 'M0_CONF_HA_PROCESS_STARTING' | 'M0_CONF_HA_PROCESS_STARTED' | 'M0_CONF_HA_PROCESS_STOPPING' | 'M0_CONF_HA_PROCESS_STOPPED' | 'M0_CONF_HA_PROCESS_DTM_RECOVERED';

export interface SimProcessOptions {
  /** hax's HA-link address: tcp:HOST:PORT or unix:PATH */
  address: string;
  codec: Codec;
  processFid: Fid;
  type: ProcessType;
  pid?: number;
  /** Called with the notes of every NVEC SET hax sends, after acknowledging it. */
  onNotes?(notes: Note[], msg: HaMsg): void;
  /** How long connect() waits for a CONSUME reply. */
  entrypointTimeoutMs?: number;
  /** Called for every message hax sends (after it was acknowledged). */
  onMessage?(msg: HaMsg, tag: number): void;
  /** hax answered disconnected_previously: the process is declared dead and has closed its link. */
  onDisconnectedPreviously?(): void;
  /** The link was re-established after a connection drop (reused, or reconnected to a new hax). */
  onReconnected?(how: 'reused' | 'reconnected'): void;
  /** How long the step methods wait for an acknowledgement or a reply; 0 waits forever (default 30 s). */
  replyTimeoutMs?: number;
  /**
   * How long shutdown()/flush() wait for hax to confirm delivery of the last
   * message before giving up with HAX_ERR_SIM_FLUSH_TIMEOUT (default 30 s;
   * real m0d waits forever).
   */
  flushTimeoutMs?: number;
  /** Structured log (JSON lines): failure vectors applied, the flush, the death of the process, each with its code. */
  log?: Logger;
}

export interface SentStep {
  step: Step;
  tag: number;
  /** FAILURE_VEC_REP / NVEC SET that answered a waiting step. */
  reply?: HaMsg;
}

type ReplyWaiter = { match(msg: HaMsg): boolean; resolve(msg: HaMsg): void; reject(error: Error): void };

/** What a process learns from its entrypoint reply, in text form. */
export interface EntrypointSummary {
  control: 'CONSUME' | 'QUERY';
  confds: string[];
  confdEndpoints: string[];
  quorum: number;
  rm: string;
  rmEndpoint: string;
}

export class SimProcess {
  readonly processFid: Fid;
  readonly #options: SimProcessOptions;
  readonly #link: LinkClient;
  readonly #waiting = new Map<number, { resolve(): void; reject(error: Error): void }>();
  readonly #replies: ReplyWaiter[] = [];
  #nextIdOfGet = 100n; // m0d's first hmnv_id_of_get (trace b)
  #connected = false;
  #dead: SimError | undefined;
  #flushing = false;
  #flushed: FlushResult | undefined;
  readonly #devices = new Map<string, string>();

  constructor(options: SimProcessOptions) {
    this.#options = options;
    this.processFid = options.processFid;
    this.#link = new LinkClient({ address: options.address, processFid: options.processFid, pid: BigInt(options.pid ?? process.pid) });
    this.#link.on('message', (tag, msg) => this.#onMessage(tag, msg));
    this.#link.on('delivered', (tag) => { this.#waiting.get(tag)?.resolve(); this.#waiting.delete(tag); });
    this.#link.on('error', () => { /* connection errors surface as timeouts of the pending calls */ });
    this.#link.on('entrypoint-reply', (rep) => {
      if (!this.#connected || rep.control !== CONTROL_CONSUME || rep.disconnectedPreviously) return;
      this.#options.onReconnected?.(rep.doReconnect ? 'reconnected' : 'reused');
    });
    this.#link.on('disconnected-previously', () => {
      // While flushing, flush() reports it (HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY, with the unconfirmed tags).
      if (!this.#flushing) {
        this.#die(new SimError('HAX_ERR_SIM_DISCONNECTED_PREVIOUSLY',
          `hax answered disconnected_previously to ${formatFid(this.processFid)}: it was declared dead (m0d asserts and exits)`));
      }
      this.#options.onDisconnectedPreviously?.();
    });
  }

  /**
   * Set once the process has died (disconnected_previously, NVEC mismatch,
   * an ONLINE device in a failure vector, a failed flush); it sends nothing more.
   */
  get dead(): SimError | undefined { return this.#dead; }
  /** The link's own view: out/in tags (tests). */
  get link(): LinkClient { return this.#link; }
  /**
   * The exit status a real process would have: 1 once it died, 0 once it left
   * cleanly (shutdown()/flush() saw every message confirmed), undefined while
   * it runs.
   */
  get exitStatus(): 0 | 1 | undefined { return this.#dead ? 1 : this.#flushed ? 0 : undefined; }
  /** Device states this process's pool machine took from failure vectors (fid text → M0_NC_*). */
  get devices(): ReadonlyMap<string, string> { return this.#devices; }

  /** Dials hax and resolves with the first CONSUME entrypoint reply. */
  connect(): Promise<EntrypointSummary> {
    const timeoutMs = this.#options.entrypointTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#link.off('entrypoint-reply', onReply); reject(new Error(`no CONSUME entrypoint reply from ${this.#options.address} in ${timeoutMs} ms`)); }, timeoutMs);
      const onReply = (rep: EntrypointRep) => {
        if (rep.control !== CONTROL_CONSUME) return;   // QUERY: LinkClient asks again, as m0d does
        clearTimeout(timer);
        this.#link.off('entrypoint-reply', onReply);
        this.#connected = true;
        resolve(summarise(rep));
      };
      this.#link.on('entrypoint-reply', onReply);
      this.#link.connect().catch((error) => { clearTimeout(timer); reject(error); });
    });
  }

  /** Sends an EVENT_PROCESS about this process; resolves once hax reported it delivered. */
  processEvent(event: ProcessEvent, timeoutMs = this.#options.replyTimeoutMs ?? 30_000): Promise<void> {
    return this.#processEvent(event, timeoutMs).then(() => undefined);
  }

  #processEvent(event: ProcessEvent, timeoutMs = this.#options.replyTimeoutMs ?? 30_000): Promise<number> {
    return this.#sendAcked({
      fid: formatFid(this.processFid), sourceProcess: formatFid(ZERO_FID), sourceService: formatFid(ZERO_FID),
      type: 'EVENT_PROCESS',
      body: { chp_event: event, chp_type: this.#options.type, chp_pid: BigInt(this.#options.pid ?? process.pid) },
    }, event, timeoutMs);
  }

  /**
   * Sends an EVENT_SERVICE. A conf service carries its fid in hm_fid and
   * hm_source_service; an internal one (no conf object) has fid 0. Resolves
   * once hax confirmed delivery.
   */
  serviceEvent(event: ServiceEvent, type: ServiceType, service: Fid = ZERO_FID): Promise<number> {
    return this.#sendAcked({
      fid: formatFid(service), sourceProcess: formatFid(this.processFid), sourceService: formatFid(service),
      type: 'EVENT_SERVICE', body: { chs_event: event, chs_type: type, chs_pid: BigInt(this.#options.pid ?? process.pid) },
    }, `${event} ${type}`);
  }

  /** Sends an EVENT_RPC about `fid`; resolves once hax confirmed delivery. */
  rpcEvent(fid: Fid, state: 'M0_NC_TRANSIENT' | 'M0_NC_ONLINE', attempts = 1): Promise<number> {
    return this.#sendAcked({
      fid: formatFid(fid), sourceProcess: formatFid(ZERO_FID), sourceService: formatFid(ZERO_FID),
      type: 'EVENT_RPC', body: { hmr_attempts: BigInt(attempts), hmr_state: state },
    }, `EVENT_RPC ${formatFid(fid)}`);
  }

  /**
   * FAILURE_VEC_REQ for `pool`; resolves with hax's FAILURE_VEC_REP (same
   * pool and cookie). m0d waits for it before going on, and so do the
   * scenarios.
   */
  async failureVecReq(pool: Fid): Promise<{ tag: number; reply: HaMsg; applied: Note[] }> {
    const cookie = { co_addr: BigInt(0x55d4_0000_0000 + Number(this.processFid.key)), co_generation: BigInt(Date.now()) * 1_000_000n };
    const poolText = formatFid(pool);
    const reply = this.#waitReply('FAILURE_VEC_REP for ' + poolText, (m) => {
      if (m.type !== 'FAILURE_VEC_REP') return false;
      const b = m.body as { mfp_pool: string; mfp_cookie: { co_addr: bigint; co_generation: bigint } };
      return sameFid(b.mfp_pool, poolText) && b.mfp_cookie.co_addr === cookie.co_addr && b.mfp_cookie.co_generation === cookie.co_generation;
    });
    // Applied as soon as it arrives, as m0d's handler does; a death rejects `applied`.
    const applied = reply.then((m) => ({ m, notes: this.applyFailureVec(m) }));
    applied.catch(() => { /* surfaced below, or by #sendAcked's rejection */ });
    const tag = await this.#sendAcked({
      fid: formatFid(ZERO_FID), sourceProcess: formatFid(ZERO_FID), sourceService: formatFid(ZERO_FID),
      type: 'FAILURE_VEC_REQ', body: { mfq_pool: poolText, mfq_cookie: cookie },
    }, 'FAILURE_VEC_REQ');
    const { m, notes } = await applied;
    return { tag, reply: m, applied: notes };
  }

  /**
   * The failure-vector handler (m0d: m0_ha_msg_fvec handling →
   * m0_poolmach_failvec_apply): every note of a FAILURE_VEC_REP (the first
   * mfp_nr) is a pool-machine state transition of that device. A device
   * listed as ONLINE panics a real m0d (the device is not in the failed list
   * it is moved out of): the process dies with
   * HAX_ERR_SIM_FAILVEC_ONLINE_DEVICE naming the device(s), and this throws
   * that error. Otherwise the states are applied (`devices`) and returned.
   * Callable on its own (tests feed it a reply directly).
   */
  applyFailureVec(reply: HaMsg): Note[] {
    if (this.#dead) throw this.#dead;
    const b = reply.body as { mfp_pool?: string; mfp_nr?: number; mfp_vec?: { no_id: string; no_state: unknown }[] };
    const vec = (b.mfp_vec ?? []).slice(0, b.mfp_nr ?? b.mfp_vec?.length ?? 0);
    const online = vec.filter((n) => isOnline(n.no_state)).map((n) => n.no_id);
    if (online.length > 0) {
      const error = new SimError('HAX_ERR_SIM_FAILVEC_ONLINE_DEVICE',
        `FAILURE_VEC_REP for pool ${b.mfp_pool ?? '?'} to ${formatFid(this.processFid)} lists device ${online[0]} as M0_NC_ONLINE` +
        (online.length > 1 ? ` (and ${online.length - 1} more: ${online.slice(1).join(', ')})` : '') +
        ': a real m0d panics here: (!pool_failed_devs_tlink_is_in(pd)) at m0_poolmach_state_transit() (pool/pool_machine.c:688);' +
        ' hax must list only devices that are not ONLINE',
        { pool: b.mfp_pool, devices: online });
      this.#die(error);
      throw error;
    }
    const notes = vec.map((n) => ({ fid: n.no_id, state: String(n.no_state) }));
    for (const n of notes) this.#devices.set(n.fid, n.state);
    this.#log('info', 'SIM_FAILVEC_APPLIED', `failure vector of pool ${b.mfp_pool ?? '?'} applied: ${notes.length} device(s)` +
      (notes.length ? ` (${notes.map((n) => `${n.fid}=${n.state.replace('M0_NC_', '')}`).join(', ')})` : ''),
    { pool: b.mfp_pool, notes });
    return notes;
  }

  /**
   * NVEC GET of `fids` (states UNKNOWN); resolves with hax's NVEC SET reply.
   * The reply must carry the same hmnv_id_of_get and the same fids in the
   * same order: otherwise the promise rejects with HAX_ERR_SIM_NVEC_MISMATCH
   * and the process is dead (m0d would crash on such a reply).
   */
  async nvecGet(fids: readonly Fid[]): Promise<{ tag: number; reply: HaMsg }> {
    const id = this.#nextIdOfGet++;
    const reply = this.#waitReply(`NVEC SET reply to GET ${id}`, (m) =>
      m.type === 'NVEC' && (m.body as { hmnv_id_of_get: bigint }).hmnv_id_of_get === id);
    reply.catch(() => { /* surfaced below, or by #sendAcked's rejection */ });
    const tag = await this.#sendAcked({
      fid: formatFid(ZERO_FID), sourceProcess: formatFid(ZERO_FID), sourceService: formatFid(ZERO_FID),
      type: 'NVEC', body: {
        hmnv_type: 'M0_HA_NVEC_GET', hmnv_id_of_get: id, hmnv_ignore_same_state: 0,
        hmnv_arr: fids.map((x) => ({ no_id: formatFid(x), no_state: 'M0_NC_UNKNOWN' })),
      },
    }, `NVEC GET ${id}`);
    const rep = await reply;
    const body = rep.body as { hmnv_type: string; hmnv_arr: { no_id: string }[] };
    const got = body.hmnv_arr.map((n) => n.no_id);
    const want = fids.map(formatFid);
    const first = got.findIndex((g, i) => !sameFid(g, want[i] ?? ''));
    const bad = body.hmnv_type !== 'M0_HA_NVEC_SET' ? `type ${body.hmnv_type}`
      : got.length !== want.length ? `${got.length} notes for ${want.length} fids`
      : first >= 0 ? `note ${first} is ${got[first]}, expected ${want[first]}`
      : undefined;
    if (bad !== undefined) {
      const error = new SimError('HAX_ERR_SIM_NVEC_MISMATCH',
        `NVEC reply to GET ${id} from ${formatFid(this.processFid)} does not match the request (${bad}): a real m0d would crash here`);
      this.#die(error);
      throw error;
    }
    return { tag, reply: rep };
  }

  /** Plays scenario steps in order (scenarios.ts), waiting where m0d waits; returns what was sent. */
  async runSteps(steps: readonly Step[]): Promise<SentStep[]> {
    const out: SentStep[] = [];
    for (const step of steps) out.push(await this.#runStep(step));
    return out;
  }

  async #runStep(step: Step): Promise<SentStep> {
    switch (step.kind) {
      case 'process': return { step, tag: await this.#processEvent(step.event) };
      case 'service': return { step, tag: await this.serviceEvent(step.event, step.type, step.service) };
      case 'rpc': return { step, tag: await this.rpcEvent(step.fid, step.state, step.attempts) };
      case 'failure-vec': { const r = await this.failureVecReq(step.pool); return { step, tag: r.tag, reply: r.reply }; }
      case 'nvec-get': return { step, ...await this.nvecGet(step.fids) };
    }
  }

  /**
   * Leaves cleanly, as m0d and m0mkfs do after their last event: plays the
   * shutdown steps (each but the last waited for, as runSteps does), sends the
   * last one (process STOPPED) and then waits in flush() until hax has
   * confirmed delivery of everything sent. Resolves with the flush result
   * (exitStatus 0); rejects with the SimError that killed the process
   * (exitStatus 1), e.g. HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY.
   */
  async shutdown(steps: readonly Step[], flushTimeoutMs?: number): Promise<{ sent: SentStep[]; flush: FlushResult }> {
    const sent = steps.length > 1 ? await this.runSteps(steps.slice(0, -1)) : [];
    const last = steps.at(-1);
    let lastStep: Promise<SentStep> | undefined;
    if (last) {
      if (this.#dead) throw this.#dead;
      lastStep = this.#runStep(last);                // queued now (its tag is assigned synchronously) …
      lastStep.catch(() => { /* flush() reports the failure */ });
    }
    const flush = await this.flush(flushTimeoutMs);  // … and confirmed here
    if (lastStep) sent.push(await lastStep);
    return { sent, flush };
  }

  /**
   * m0_ha_flush: waits until hax has confirmed delivery of every message this
   * process sent (and confirmed its acknowledgements of hax's messages). On
   * success the process has left cleanly (exitStatus 0). If the link goes
   * away first — the connection closes, a LINK_MSG is answered -67
   * (ENOLINK), hax answers disconnected_previously — the process dies with
   * HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY; after `timeoutMs` (default
   * flushTimeoutMs, 30 s) with HAX_ERR_SIM_FLUSH_TIMEOUT. Both name the tags
   * never confirmed.
   */
  async flush(timeoutMs: number = this.#options.flushTimeoutMs ?? FLUSH_TIMEOUT_MS): Promise<FlushResult> {
    if (this.#dead) throw this.#dead;
    this.#flushing = true;
    const waiting = this.#link.unconfirmed;
    this.#log('info', 'SIM_FLUSH_WAIT', `leaving: waiting for hax to confirm delivery of ${waiting.length ? `tag(s) ${waiting.join(', ')}` : 'nothing more'} (m0_ha_flush), at most ${timeoutMs} ms`,
      { unconfirmed: waiting, timeoutMs });
    try {
      const result = await this.#link.flush(timeoutMs);
      this.#flushed = result;
      this.#log('info', 'SIM_FLUSH_DONE', `hax confirmed delivery of every message up to tag ${result.lastTag} (delivered tag ${result.delivered}) after ${result.waitedMs} ms: exiting 0`,
        { lastTag: result.lastTag, delivered: result.delivered, lastReceived: result.lastReceived, waitedMs: result.waitedMs });
      return result;
    } catch (err) {
      if (this.#dead) throw this.#dead;
      const e = err as FlushError;
      const error = new SimError(e.code ?? 'HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY', `${formatFid(this.processFid)}: ${e.message}`,
        { unconfirmed: e.unconfirmed ?? this.#link.unconfirmed, reason: e.reason }, { cause: err });
      this.#die(error);
      throw error;
    } finally {
      this.#flushing = false;
    }
  }

  #sendAcked(m: Omit<HaMsg, 'time' | 'epoch' | 'tag'>, what: string, timeoutMs = this.#options.replyTimeoutMs ?? 30_000): Promise<number> {
    if (this.#dead) return Promise.reject(this.#dead);
    const msg = this.#options.codec.encodeMsg({ ...m, time: BigInt(Date.now()) * 1_000_000n, epoch: 0n, tag: 0n });
    const tag = this.#link.send(msg);
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => {
        this.#waiting.delete(tag);
        reject(new SimError('HAX_ERR_SIM_TIMEOUT', `hax did not acknowledge ${what} (tag ${tag}) in ${timeoutMs} ms`));
      }, timeoutMs) : undefined;
      this.#waiting.set(tag, {
        resolve: () => { clearTimeout(timer); resolve(tag); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
    });
  }

  #waitReply(what: string, match: (m: HaMsg) => boolean): Promise<HaMsg> {
    const timeoutMs = this.#options.replyTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => {
        this.#replies.splice(this.#replies.indexOf(w), 1);
        reject(new SimError('HAX_ERR_SIM_TIMEOUT', `no ${what} from hax in ${timeoutMs} ms (m0d would stay stuck)`));
      }, timeoutMs) : undefined;
      const w: ReplyWaiter = {
        match,
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.#replies.push(w);
    });
  }

  #log(level: 'debug' | 'info' | 'warn' | 'error', code: string, msg: string, fields: Record<string, unknown> = {}): void {
    this.#options.log?.log(level, msg, { code, process: formatFid(this.processFid), ...fields });
  }

  #die(error: SimError): void {
    if (this.#dead) return;
    this.#dead = error;
    this.#log('error', error.code, error.message, { exitStatus: 1, ...error.details });
    for (const w of this.#waiting.values()) w.reject(error);
    this.#waiting.clear();
    for (const w of this.#replies.splice(0)) w.reject(error);
    this.#link.close();
  }

  async close(): Promise<void> {
    this.#link.close();
  }

  #onMessage(tag: number, bytes: Uint8Array): void {
    let msg: HaMsg;
    try { msg = this.#options.codec.decodeMsg(bytes); } finally { this.#link.delivered(tag); }
    this.#options.onMessage?.(msg, tag);
    const waiter = this.#replies.find((w) => w.match(msg));
    if (waiter) {
      this.#replies.splice(this.#replies.indexOf(waiter), 1);
      waiter.resolve(msg);
      return; // a reply to our GET, not a broadcast
    }
    if (msg.type !== 'NVEC') return;
    const body = msg.body as { hmnv_type: string; hmnv_arr: { no_id: string; no_state: string }[] };
    if (body.hmnv_type !== 'M0_HA_NVEC_SET') return;
    this.#options.onNotes?.(body.hmnv_arr.map((n) => ({ fid: n.no_id, state: n.no_state })), msg);
  }
}

function sameFid(a: string, b: string): boolean {
  const x = parseFid(a), y = parseFid(b);
  return x !== undefined && y !== undefined && x.container === y.container && x.key === y.key;
}

function summarise(rep: EntrypointRep): EntrypointSummary {
  return {
    control: rep.control === CONTROL_CONSUME ? 'CONSUME' : 'QUERY',
    confds: rep.confds.map((c) => formatFid(c.fid)),
    confdEndpoints: rep.confds.map((c) => c.endpoint),
    quorum: rep.quorum,
    rm: formatFid(rep.rmFid),
    rmEndpoint: rep.rmEndpoint,
  };
}
