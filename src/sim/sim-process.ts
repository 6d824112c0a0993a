// One simulated Motr process: it dials hax over the socket transport, asks
// its entrypoint until hax answers CONSUME, reports process events the way
// m0d does (STARTING, STARTED, …) and acknowledges the NVEC SET notes hax
// broadcasts, handing them to the caller. The demo, the tests and the
// benchmarks use it; the HA-link protocol itself is LinkClient's.
import type { Codec, HaMsg } from '../core/codec.ts';
import { formatFid, ZERO_FID, type Fid } from '../fid.ts';
import { LinkClient, CONTROL_CONSUME, type EntrypointRep } from './link-client.ts';

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
}

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
  readonly #waiting = new Map<number, () => void>();

  constructor(options: SimProcessOptions) {
    this.#options = options;
    this.processFid = options.processFid;
    this.#link = new LinkClient({ address: options.address, processFid: options.processFid, pid: BigInt(options.pid ?? process.pid) });
    this.#link.on('message', (tag, msg) => this.#onMessage(tag, msg));
    this.#link.on('delivered', (tag) => { this.#waiting.get(tag)?.(); this.#waiting.delete(tag); });
    this.#link.on('error', () => { /* connection errors surface as timeouts of the pending calls */ });
  }

  /** Dials hax and resolves with the first CONSUME entrypoint reply. */
  connect(): Promise<EntrypointSummary> {
    const timeoutMs = this.#options.entrypointTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#link.off('entrypoint-reply', onReply); reject(new Error(`no CONSUME entrypoint reply from ${this.#options.address} in ${timeoutMs} ms`)); }, timeoutMs);
      const onReply = (rep: EntrypointRep) => {
        if (rep.control !== CONTROL_CONSUME) return;   // QUERY: LinkClient asks again, as m0d does
        clearTimeout(timer);
        this.#link.off('entrypoint-reply', onReply);
        resolve(summarise(rep));
      };
      this.#link.on('entrypoint-reply', onReply);
      this.#link.connect().catch((error) => { clearTimeout(timer); reject(error); });
    });
  }

  /** Sends an EVENT_PROCESS about this process; resolves once hax reported it delivered. */
  processEvent(event: ProcessEvent, timeoutMs = 30_000): Promise<void> {
    const msg = this.#options.codec.encodeMsg({
      fid: formatFid(this.processFid), sourceProcess: formatFid(ZERO_FID), sourceService: formatFid(ZERO_FID),
      time: BigInt(Date.now()) * 1_000_000n, epoch: 0n, tag: 0n, type: 'EVENT_PROCESS',
      body: { chp_event: event, chp_type: this.#options.type, chp_pid: BigInt(this.#options.pid ?? process.pid) },
    });
    const tag = this.#link.send(msg);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#waiting.delete(tag); reject(new Error(`hax did not acknowledge ${event} (tag ${tag}) in ${timeoutMs} ms`)); }, timeoutMs);
      this.#waiting.set(tag, () => { clearTimeout(timer); resolve(); });
    });
  }

  async close(): Promise<void> {
    this.#link.close();
  }

  #onMessage(tag: number, bytes: Uint8Array): void {
    let msg: HaMsg;
    try { msg = this.#options.codec.decodeMsg(bytes); } finally { this.#link.delivered(tag); }
    if (msg.type !== 'NVEC') return;
    const body = msg.body as { hmnv_type: string; hmnv_arr: { no_id: string; no_state: string }[] };
    if (body.hmnv_type !== 'M0_HA_NVEC_SET') return;
    this.#options.onNotes?.(body.hmnv_arr.map((n) => ({ fid: n.no_id, state: n.no_state })), msg);
  }
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
