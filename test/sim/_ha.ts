// A small HA for the simulator tests, built directly on the native Shim (no
// Consul, no core): it answers every entrypoint like the traces' HA (confd
// s:1:(2k-1) of process k, quorum 1, RM s:1:2), answers FAILURE_VEC_REQ with
// an empty FAILURE_VEC_REP (or failureVecNotes) and NVEC GET with an NVEC SET of the same notes,
// all ONLINE, delivers every message, and logs everything in arrival order.
import { Shim, type ShimEvent } from '../../src/native/binding.ts';
import type { Codec, HaMsg } from '../../src/core/codec.ts';
import { formatFid, parseFid, type Fid } from '../../src/fid.ts';
import { ownServices } from '../../src/sim/scenarios.ts';
import { CoreLinks } from '../helpers/core-links.ts';

export const HA_PROCESS = '0x7200000000000001:0x1';
export const HA_SERVICE = '0x7300000000000001:0x1';
export const RM_FID: Fid = { container: 0x7300000000000001n, key: 2n };
export const RM_EP = 'inet:tcp:127.0.0.1@22011';

export type HaRecord =
  | { kind: 'entrypoint'; reqId: number; first: boolean; processFid: string }
  | { kind: 'link-connected' | 'link-reused'; linkId: number; processFid: string }
  | { kind: 'link-absent'; reqId: number }
  | { kind: 'received'; linkId: number; tag: number; msg: HaMsg }
  | { kind: 'sent'; linkId: number; tag: number; msg: HaMsg }
  | { kind: 'delivered' | 'not-delivered'; linkId: number; tag: number }
  | { kind: 'disconnected'; linkId: number };

export interface TestHaOptions {
  codec: Codec;
  listen?: string[];
  /** rc for entrypoint replies, by request count of that process (default 0). */
  entrypointRc?(nth: number): number;
  /** Runs before a FAILURE_VEC / NVEC reply is sent (e.g. a pause); default none. */
  beforeReply?(msg: HaMsg): Promise<void> | void;
  /** The notes of a FAILURE_VEC_REP (default none, as the traces' HA and the original hax). */
  failureVecNotes?(req: HaMsg): { no_id: string; no_state: string }[];
  /** Rewrites the notes of an NVEC reply (mismatch tests). */
  nvecNotes?(notes: { no_id: string; no_state: string }[]): { no_id: string; no_state: string }[];
  /** Whether to call delivered() for a received message (default always). */
  deliver?(msg: HaMsg): boolean;
  /** Sees every record as it is logged. */
  onRecord?(r: HaRecord): void;
}

export interface TestHa {
  shim: Shim;
  address: string;
  log: HaRecord[];
  linkOf(processFid: string): number | undefined;
  send(linkId: number, msg: Omit<HaMsg, 'tag'>): number;
  waitFor(pred: (r: HaRecord) => boolean): Promise<HaRecord>;
  stop(): Promise<void>;
}

const HANG_GUARD_MS = 30_000;

export async function startTestHa(opts: TestHaOptions): Promise<TestHa> {
  const { codec } = opts;
  const log: HaRecord[] = [];
  const waiters: { pred: (r: HaRecord) => boolean; resolve: (r: HaRecord) => void }[] = [];
  const links = new Map<string, number>();
  const requests = new Map<string, number>();
  const fids = new Map<number, string>(); // reqId -> process fid text
  let address = '';
  let onListening!: () => void;
  const listening = new Promise<void>((r) => { onListening = r; });

  const record = (r: HaRecord): void => {
    log.push(r);
    opts.onRecord?.(r);
    for (const w of [...waiters]) if (w.pred(r)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(r); }
  };
  const send = (linkId: number, msg: Omit<HaMsg, 'tag'>): number => {
    const bytes = codec.encodeMsg({ ...msg, tag: 0n });
    const tag = shim.send(linkId, bytes);
    record({ kind: 'sent', linkId, tag, msg: { ...msg, tag: BigInt(tag) } });
    return tag;
  };
  const head = (fid: string) => ({ fid, sourceProcess: HA_PROCESS, sourceService: HA_SERVICE, time: BigInt(Date.now()) * 1_000_000n, epoch: 0n });

  const answer = async (linkId: number, msg: HaMsg): Promise<void> => {
    if (msg.type === 'FAILURE_VEC_REQ') {
      await opts.beforeReply?.(msg);
      const b = msg.body as { mfq_pool: string; mfq_cookie: unknown };
      const vec = opts.failureVecNotes?.(msg) ?? [];
      send(linkId, { ...head(b.mfq_pool), type: 'FAILURE_VEC_REP', body: { mfp_pool: b.mfq_pool, mfp_cookie: b.mfq_cookie, mfp_vec: vec } });
    } else if (msg.type === 'NVEC' && (msg.body as { hmnv_type: string }).hmnv_type === 'M0_HA_NVEC_GET') {
      await opts.beforeReply?.(msg);
      const b = msg.body as { hmnv_id_of_get: bigint; hmnv_arr: { no_id: string }[] };
      let notes = b.hmnv_arr.map((n) => ({ no_id: n.no_id, no_state: 'M0_NC_ONLINE' }));
      if (opts.nvecNotes) notes = opts.nvecNotes(notes);
      send(linkId, { ...head('0x0:0x0'), type: 'NVEC', body: { hmnv_type: 'M0_HA_NVEC_SET', hmnv_id_of_get: b.hmnv_id_of_get, hmnv_ignore_same_state: 0, hmnv_arr: notes } });
    }
  };

  const onEvent = (e: ShimEvent): void => {
    switch (e.type) {
      case 'listening': address = e.address; onListening(); break;
      case 'entrypoint': {
        const req = codec.decodeEntrypointReq(e.fop);
        const pf = normFid(req.erf_process_fid);
        fids.set(e.reqId, pf);
        const nth = (requests.get(pf) ?? 0) + 1;
        requests.set(pf, nth);
        record({ kind: 'entrypoint', reqId: e.reqId, first: req.erf_first_request === 1, processFid: pf });
        const rc = opts.entrypointRc?.(nth) ?? 0;
        const confd = ownServices(parseFid(pf)!).confd;
        coreLinks.answer(shim, e, rc, rc === 0 ? [{ fid: confd, endpoint: 'inet:tcp:127.0.0.1@22012' }] : []);
        break;
      }
      case 'link-connected': case 'link-reused': {
        const pf = fids.get(e.reqId) ?? formatFid(e.processFid);
        links.set(pf, e.linkId);
        record({ kind: e.type, linkId: e.linkId, processFid: pf });
        break;
      }
      case 'link-absent': record({ kind: 'link-absent', reqId: e.reqId }); break;
      case 'received': {
        const msg = codec.decodeMsg(e.msg);
        record({ kind: 'received', linkId: e.linkId, tag: e.tag, msg });
        if (opts.deliver?.(msg) ?? true) shim.delivered(e.linkId, e.tag);
        answer(e.linkId, msg).catch((err) => { console.error('test HA: reply failed:', err); });
        break;
      }
      case 'delivered': case 'not-delivered': record({ kind: e.type, linkId: e.linkId, tag: e.tag }); break;
      case 'disconnected': record({ kind: 'disconnected', linkId: e.linkId }); break;
      case 'protocol-error': case 'io-error': console.error('test HA:', e); break;
      default: break;
    }
  };
  const coreLinks = await CoreLinks.load([{ fid: RM_FID, endpoint: RM_EP }], { fid: RM_FID, endpoint: RM_EP });
  const shim = Shim.start({ listen: opts.listen ?? ['tcp:127.0.0.1:0'] }, (batch) => { for (const e of batch) { coreLinks.see(e); onEvent(e); } });
  await listening;
  return {
    shim, address, log, send,
    linkOf: (pf) => links.get(normFid(pf)),
    waitFor: (pred) => new Promise((resolve, reject) => {
      const hit = log.find(pred);
      if (hit) { resolve(hit); return; }
      const guard = setTimeout(() => reject(new Error('hang guard: the HA never saw the awaited record')), HANG_GUARD_MS);
      guard.unref();
      waiters.push({ pred, resolve: (r) => { clearTimeout(guard); resolve(r); } });
    }),
    stop: () => shim.stop(),
  };
}

export function normFid(text: string): string {
  const f = parseFid(text);
  return f ? formatFid(f) : text;
}
