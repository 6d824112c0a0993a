// A tiny fake hax on a real socket (node:net, no native shim, no Consul): it
// speaks just enough of the HA-link socket transport (ha-link-socket.md §2–4)
// to test how a simulated process leaves. It answers every entrypoint with
// CONSUME and one link, answers every LINK_MSG, and for each message from the
// process asks `policy` what to do:
//   'deliver'             delivered at once (its tag comes back in the LINK_MSG_REP)
//   'hold'                acknowledged (rc 0) but not delivered; deliverHeld() delivers later
//   'close-after-reply'   acknowledged (rc 0), not delivered, then the connection is closed
//   'enolink'             answered -67 (ENOLINK), as hax does for a link it disconnected
// deliverHeld() sends the delivered tag back in a LINK_MSG of its own
// (msg_nr 0, a pure acknowledgement), as hax's shim does after delivered().
import net from 'node:net';
import type { Codec } from '../../src/core/codec.ts';
import {
  FrameReader, encodeFrame, decodeLinkMsg, encodeLinkMsg, encodeLinkMsgRep, msgTag,
  OP_ENTRYPOINT_REQ, OP_ENTRYPOINT_REP, OP_LINK_MSG, OP_LINK_MSG_REP, ENOLINK,
} from '../../src/sim/link-client.ts';

export type Policy = 'deliver' | 'hold' | 'close-after-reply' | 'enolink';

/** What the fake saw of one m0_ha_msg from the process. */
export interface Seen { tag: number; hedType: number; chpEvent?: number; policy: Policy; repliedRc: number }

export interface FakeHax {
  address: string;
  seen: Seen[];
  /** Tags the fake has delivered so far (its in-queue delivered tag). */
  inDelivered(): number;
  /** Delivers every held message and sends the new delivered tag to the process in a LINK_MSG (msg_nr 0). */
  deliverHeld(): void;
  /** Resolves when a message matching `pred` was answered. */
  waitFor(pred: (s: Seen) => boolean, timeoutMs?: number): Promise<Seen>;
  close(): Promise<void>;
}

const HED_EVENT_PROCESS = 7;
export const CHP_STOPPED = 3;
/** The process's last message: EVENT_PROCESS STOPPED. */
export const isStopped = (s: { hedType: number; chpEvent?: number }): boolean => s.hedType === HED_EVENT_PROCESS && s.chpEvent === CHP_STOPPED;

const u = (hi: bigint, lo: bigint) => ({ u_hi: hi, u_lo: lo });
const tags = (t: bigint) => ({ hlt_confirmed: t, hlt_delivered: t, hlt_next: t, hlt_assign: t });
// The process's view of the link (the "inverted" params of §3): its id 4, hax's 3, connection 1:3.
const PEER_ID = { hi: 0n, lo: 4n }, HAX_ID = { hi: 0n, lo: 3n }, CONN_ID = { hi: 1n, lo: 3n };

export async function startFakeHax(codec: Codec, policy: (s: Omit<Seen, 'policy' | 'repliedRc'>) => Policy): Promise<FakeHax> {
  const seen: Seen[] = [];
  const waiters: { pred: (s: Seen) => boolean; resolve: (s: Seen) => void }[] = [];
  const sockets = new Set<net.Socket>();
  let inAssign = 2;        // the process's messages carry even tags 2, 4, …
  let inDelivered = 2;
  let xid = 1n;
  let seq = 0n;
  let current: net.Socket | undefined;

  const record = (s: Seen): void => {
    seen.push(s);
    for (const w of [...waiters]) if (w.pred(s)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(s); }
  };

  const entrypointRep = (first: boolean): Uint8Array => codec.encodeEntrypointRep({
    hbp_quorum: 1, hbp_confd_fids: ['0x7300000000000001:0x3'], hbp_confd_eps: ['inet:tcp:127.0.0.1@22012'],
    hbp_active_rm_fid: '0x7300000000000001:0x2', hbp_active_rm_ep: 'inet:tcp:127.0.0.1@22011', hbp_control: 'M0_HA_ENTRYPOINT_CONSUME',
    hbp_link_params: first
      ? { hlp_id_local: u(PEER_ID.hi, PEER_ID.lo), hlp_id_remote: u(HAX_ID.hi, HAX_ID.lo), hlp_id_connection: u(CONN_ID.hi, CONN_ID.lo), hlp_tags_local: tags(2n), hlp_tags_remote: tags(1n) }
      : { hlp_id_local: u(0n, 0n), hlp_id_remote: u(0n, 0n), hlp_id_connection: u(0n, 0n), hlp_tags_local: tags(0n), hlp_tags_remote: tags(0n) },
    hbp_link_do_reconnect: 0, hbp_disconnected_previously: 0,
    hbp_cookie_actual: { hcx_pid: BigInt(process.pid), hcx_time_start: 1n, hcx_uptime: 2n, hcx_uuid: u(3n, 4n) },
  });

  const onFrame = (sock: net.Socket, f: { opcode: number; xid: bigint; body: Buffer }): void => {
    if (f.opcode === OP_ENTRYPOINT_REQ) {
      const req = codec.decodeEntrypointReq(f.body);
      sock.write(encodeFrame(OP_ENTRYPOINT_REP, f.xid, entrypointRep(req.erf_first_request !== 0)));
      return;
    }
    if (f.opcode === OP_LINK_MSG_REP) return;   // the process answered our pure acknowledgement
    if (f.opcode !== OP_LINK_MSG) return;
    const fop = decodeLinkMsg(f.body);
    let rc = 0;
    let after: Policy = 'deliver';
    if (fop.msgNr === 1) {
      const msg = Buffer.from(fop.msg);
      const tag = msgTag(msg);
      const hedType = Number(msg.readBigUInt64LE(64));
      const chpEvent = hedType === HED_EVENT_PROCESS ? Number(msg.readBigUInt64LE(72)) : undefined;
      if (tag === inAssign) {       // else a re-send of one we have: dropped, answered
        after = policy({ tag, hedType, chpEvent });
        if (after === 'enolink') rc = ENOLINK;
        else {
          inAssign += 2;
          if (after === 'deliver' && inDelivered === tag) inDelivered = inAssign;
        }
        queueMicrotask(() => record({ tag, hedType, chpEvent, policy: after, repliedRc: rc }));
      }
    }
    sock.write(encodeFrame(OP_LINK_MSG_REP, f.xid, encodeLinkMsgRep(rc === 0 ? { rc, outNext: 1, inDelivered } : { rc, outNext: 0, inDelivered: 0 })));
    if (after === 'close-after-reply') sock.end();   // the reply goes out first, then FIN
  };

  const server = net.createServer({ noDelay: true }, (sock) => {
    sockets.add(sock);
    current = sock;
    const reader = new FrameReader();
    sock.on('data', (chunk: Buffer) => { for (const f of reader.push(chunk)) onFrame(sock, f); });
    sock.on('error', () => {});
    sock.on('close', () => { sockets.delete(sock); if (current === sock) current = undefined; });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    address: `tcp:127.0.0.1:${port}`,
    seen,
    inDelivered: () => inDelivered,
    deliverHeld() {
      inDelivered = inAssign;
      current?.write(encodeFrame(OP_LINK_MSG, xid++, encodeLinkMsg({
        msgNr: 0, msg: new Uint8Array(0), idLocal: HAX_ID, idRemote: PEER_ID, idConnection: CONN_ID, outNext: 1, inDelivered, seq: ++seq,
      })));
    },
    waitFor: (pred, timeoutMs = 20_000) => new Promise((resolve, reject) => {
      const hit = seen.find(pred);
      if (hit) { resolve(hit); return; }
      const t = setTimeout(() => reject(new Error('fake hax: the awaited message never came')), timeoutMs);
      t.unref();
      waiters.push({ pred, resolve: (s) => { clearTimeout(t); resolve(s); } });
    }),
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}
