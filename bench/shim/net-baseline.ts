// The baseline for bench/shim: the HA side of the same socket framing
// (ha-link-socket.md) written in TypeScript on node:net, on the JS thread.
// It does what the shim does on the bench's paths: answers entrypoints with
// a new link, accepts in-order LINK_MSGs and answers them, sends with
// stop-and-wait, reports delivered from the peer's in_delivered, and sends a
// pure ack when delivered() has nothing to ride on. Events are handed over
// per socket read, in one array, like the shim's batches. Not a product:
// no re-send timer, no reconnect, no protocol-error handling.
import net from 'node:net';
import {
  FrameReader, OP_ENTRYPOINT_REP, OP_ENTRYPOINT_REQ, OP_LINK_MSG, OP_LINK_MSG_REP,
  decodeLinkMsg, decodeLinkMsgRep, encodeFrame, encodeLinkMsg, encodeLinkMsgRep, type U128,
} from '../../src/sim/link-client.ts';

export type BaselineEvent =
  | { type: 'listening'; address: string }
  | { type: 'link-connected'; linkId: number }
  | { type: 'received'; linkId: number; tag: number; msg: Buffer }
  | { type: 'delivered'; linkId: number; tag: number };

interface Link {
  id: number;
  sock: net.Socket;
  idLocal: U128; idRemote: U128; idConnection: U128;
  outAssign: number; outQueue: { tag: number; msg: Buffer }[]; inflight: { xid: bigint; tag: number } | undefined;
  outSent: number[]; // sent, not yet confirmed, in order
  inAssign: number; inDelivered: number; inMarked: Set<number>; inConfirmed: number;
  xid: bigint; seq: bigint;
}

const u64 = (v: bigint | number): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
const u32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
const str = (s: string): Buffer => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
const u128 = (v: U128): Buffer => Buffer.concat([u64(v.hi), u64(v.lo)]);
const tags = (t: number): Buffer => Buffer.concat([u64(t), u64(t), u64(t), u64(t)]);

/** m0_ha_entrypoint_rep_fop for a new link (ids from the HA's view, inverted for the peer). */
function entrypointRep(l: Link): Buffer {
  const fid = Buffer.concat([u64(0x7300000000000001n), u64(3n)]);
  const cookie = Buffer.concat([u64(process.pid), u64(1n), u64(0xffffffffffffffffn), u64(7n), u64(9n)]);
  return Buffer.concat([
    u32(1), u32(1), fid, u32(1), str('inet:tcp:127.0.0.1@22012'),
    Buffer.concat([u64(0x7300000000000001n), u64(2n)]), str('inet:tcp:127.0.0.1@22011'), u32(0),
    u128(l.idRemote), u128(l.idLocal), u128(l.idConnection), tags(2), tags(1),
    u64(0), u32(0), cookie,
  ]);
}

export class NetBaselineHa {
  readonly #server: net.Server;
  readonly #links = new Map<number, Link>();
  #nextLink = 1;
  #nextId = 1n;

  private constructor(server: net.Server) { this.#server = server; }

  static start(onEvents: (events: BaselineEvent[]) => void): Promise<NetBaselineHa> {
    const server = net.createServer();
    const ha = new NetBaselineHa(server);
    server.on('connection', (sock) => ha.#onConnection(sock, onEvents));
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
      const a = server.address() as net.AddressInfo;
      onEvents([{ type: 'listening', address: `tcp:127.0.0.1:${a.port}` }]);
      resolve(ha);
    }));
  }

  send(linkId: number, msg: Uint8Array): number {
    const l = this.#links.get(linkId)!;
    const tag = l.outAssign;
    l.outAssign += 2;
    const b = Buffer.from(msg);
    b.writeBigUInt64LE(BigInt(tag), b.length - 8);
    l.outQueue.push({ tag, msg: b });
    this.#pump(l);
    return tag;
  }

  delivered(linkId: number, tag: number): void {
    const l = this.#links.get(linkId);
    if (!l) return;
    l.inMarked.add(tag);
    while (l.inMarked.delete(l.inDelivered)) l.inDelivered += 2;
    this.#pump(l);
  }

  stop(): Promise<void> {
    for (const l of this.#links.values()) l.sock.destroy();
    return new Promise((r) => this.#server.close(() => r()));
  }

  #onConnection(sock: net.Socket, onEvents: (events: BaselineEvent[]) => void): void {
    sock.setNoDelay(true);
    const reader = new FrameReader();
    let link: Link | undefined;
    sock.on('error', () => {});
    sock.on('close', () => { if (link) this.#links.delete(link.id); });
    sock.on('data', (chunk: Buffer) => {
      const events: BaselineEvent[] = [];
      for (const f of reader.push(chunk)) {
        if (f.opcode === OP_ENTRYPOINT_REQ) {
          const id = this.#nextLink++;
          link = {
            id, sock, idLocal: { hi: 0n, lo: this.#nextId++ }, idRemote: { hi: 0n, lo: this.#nextId++ }, idConnection: { hi: 1n, lo: BigInt(id) },
            outAssign: 1, outQueue: [], inflight: undefined, outSent: [],
            inAssign: 2, inDelivered: 2, inMarked: new Set(), inConfirmed: 2, xid: 1n, seq: 0n,
          };
          this.#links.set(id, link);
          sock.write(encodeFrame(OP_ENTRYPOINT_REP, f.xid, entrypointRep(link)));
          events.push({ type: 'link-connected', linkId: id });
        } else if (f.opcode === OP_LINK_MSG && link) {
          const m = decodeLinkMsg(f.body);
          if (m.msgNr === 1) {
            const msg = Buffer.from(m.msg.buffer, m.msg.byteOffset, m.msg.byteLength);
            const tag = Number(msg.readBigUInt64LE(msg.length - 8));
            if (tag === link.inAssign) { link.inAssign += 2; events.push({ type: 'received', linkId: link.id, tag, msg }); }
          }
          this.#confirm(link, m.inDelivered, events);
          sock.write(encodeFrame(OP_LINK_MSG_REP, f.xid, encodeLinkMsgRep({ rc: 0, outNext: link.outAssign, inDelivered: link.inDelivered })));
          link.inConfirmed = link.inDelivered;
        } else if (f.opcode === OP_LINK_MSG_REP && link) {
          if (link.inflight?.xid !== f.xid) continue;
          link.inflight = undefined;
          this.#confirm(link, decodeLinkMsgRep(f.body).inDelivered, events);
          this.#pump(link);
        }
      }
      if (events.length) onEvents(events);
    });
  }

  #confirm(l: Link, inDelivered: number, events: BaselineEvent[]): void {
    while (l.outSent.length && l.outSent[0]! < inDelivered) events.push({ type: 'delivered', linkId: l.id, tag: l.outSent.shift()! });
  }

  /** Stop-and-wait: one unanswered LINK_MSG per link; a pure ack when only delivered() moved. */
  #pump(l: Link): void {
    if (l.inflight) return;
    const next = l.outQueue.shift();
    if (!next && l.inDelivered === l.inConfirmed) return;
    const xid = l.xid++;
    l.inflight = { xid, tag: next?.tag ?? 0 };
    if (next) l.outSent.push(next.tag);
    l.inConfirmed = l.inDelivered;
    l.sock.write(encodeFrame(OP_LINK_MSG, xid, encodeLinkMsg({
      msgNr: next ? 1 : 0, msg: next?.msg ?? new Uint8Array(80), idLocal: l.idLocal, idRemote: l.idRemote, idConnection: l.idConnection,
      outNext: l.outAssign, inDelivered: l.inDelivered, seq: ++l.seq,
    })));
  }
}
