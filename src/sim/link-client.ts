// The PEER side of the HA link socket transport (ha-link-socket.md): what a
// Motr process does toward hax. Used by the m0d simulator and the tests.
// m0_ha_msg bytes are opaque here except for hed_type (offset 64, to know a
// message's length) and hm_tag (last 8 bytes).
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { HaxError } from '../errors.ts';
import type { Fid } from '../fid.ts';

// ---- constants (motr-ha-wire.md §4, §6.3; ha-link-socket.md §2) -----------
// From protocol/constants.yaml, the source the shim's are generated from too.
import {
  OP_ENTRYPOINT_REQ, OP_ENTRYPOINT_REP, OP_LINK_MSG, OP_LINK_MSG_REP, MAX_FRAME_BODY, FRAME_HEADER,
  CONTROL_CONSUME, CONTROL_QUERY, ENOLINK, EBADSLT,
} from '../generated/protocol.ts';
export {
  OP_ENTRYPOINT_REQ, OP_ENTRYPOINT_REP, OP_LINK_MSG, OP_LINK_MSG_REP, MAX_FRAME_BODY, FRAME_HEADER,
  CONTROL_CONSUME, CONTROL_QUERY, ENOLINK, EBADSLT,
};
const U64_MAX = 0xffffffffffffffffn;

const BRANCH_BYTES = [0, 92, 20512, 32, 20516, 16, 24, 24, 24, 16, 6, 5];

/** Wire size of a whole m0_ha_msg of this hed_type, or undefined if unknown (§2.5). */
export function haMsgWireSize(hedType: bigint | number): number | undefined {
  const t = Number(hedType);
  return t >= 0 && t < BRANCH_BYTES.length ? 72 + BRANCH_BYTES[t]! + 8 : undefined;
}

// ---- wire types ------------------------------------------------------------

export interface U128 { hi: bigint; lo: bigint }
export interface Tags { confirmed: number; delivered: number; next: number; assign: number }
export interface LinkParams { idLocal: U128; idRemote: U128; idConnection: U128; tagsLocal: Tags; tagsRemote: Tags }
export interface HaCookie { pid: bigint; timeStart: bigint; uptime: bigint; uuid: U128 }

export const NO_COOKIE: HaCookie = { pid: U64_MAX, timeStart: U64_MAX, uptime: U64_MAX, uuid: { hi: U64_MAX, lo: U64_MAX } };
const ZERO_TAGS: Tags = { confirmed: 0, delivered: 0, next: 0, assign: 0 };
export const ZERO_PARAMS: LinkParams = {
  idLocal: { hi: 0n, lo: 0n }, idRemote: { hi: 0n, lo: 0n }, idConnection: { hi: 0n, lo: 0n },
  tagsLocal: ZERO_TAGS, tagsRemote: ZERO_TAGS,
};

export interface EntrypointReq {
  first: boolean;
  generation: bigint;
  processFid: Fid;
  linkParams: LinkParams;
  gitRev: string;
  pid: bigint;
  cookieExpected: HaCookie;
}

export interface EntrypointRep {
  quorum: number;
  confds: { fid: Fid; endpoint: string }[];
  rmFid: Fid;
  rmEndpoint: string;
  control: number;
  linkParams: LinkParams;
  doReconnect: boolean;
  disconnectedPreviously: boolean;
  cookie: HaCookie;
}

export interface LinkMsgFop {
  msgNr: number;
  msg: Uint8Array; // whole m0_ha_msg (80 zero bytes when msgNr is 0)
  idLocal: U128; idRemote: U128; idConnection: U128;
  outNext: number; inDelivered: number; seq: bigint;
}

export interface LinkMsgRep { rc: number; outNext: number; inDelivered: number }

// ---- xcode writer / reader (little-endian, no padding: §6.1) ---------------

class Writer {
  private parts: Buffer[] = [];
  u32(v: number): this { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); this.parts.push(b); return this; }
  i32(v: number): this { const b = Buffer.alloc(4); b.writeInt32LE(v); this.parts.push(b); return this; }
  u64(v: bigint | number): this { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.parts.push(b); return this; }
  u128(v: U128): this { return this.u64(v.hi).u64(v.lo); }
  fid(f: Fid): this { return this.u64(f.container).u64(f.key); }
  tags(t: Tags): this { return this.u64(t.confirmed).u64(t.delivered).u64(t.next).u64(t.assign); }
  params(p: LinkParams): this {
    return this.u128(p.idLocal).u128(p.idRemote).u128(p.idConnection).tags(p.tagsLocal).tags(p.tagsRemote);
  }
  cookie(c: HaCookie): this { return this.u64(c.pid).u64(c.timeStart).u64(c.uptime).u128(c.uuid); }
  buf(s: string): this { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.parts.push(b); return this; }
  bytes(b: Uint8Array): this { this.parts.push(Buffer.from(b)); return this; }
  done(): Buffer { return Buffer.concat(this.parts); }
}

export class WireError extends Error {
  constructor(public readonly code: string, message: string) { super(message); }
}

class Reader {
  pos = 0;
  constructor(private readonly b: Buffer) {}
  need(n: number): void {
    if (this.pos + n > this.b.length) throw new WireError('HAX_ERR_BAD_FOP', 'truncated body');
  }
  u32(): number { this.need(4); const v = this.b.readUInt32LE(this.pos); this.pos += 4; return v; }
  i32(): number { this.need(4); const v = this.b.readInt32LE(this.pos); this.pos += 4; return v; }
  u64(): bigint { this.need(8); const v = this.b.readBigUInt64LE(this.pos); this.pos += 8; return v; }
  num(): number { return Number(this.u64()); }
  u128(): U128 { return { hi: this.u64(), lo: this.u64() }; }
  fid(): Fid { return { container: this.u64(), key: this.u64() }; }
  tags(): Tags { return { confirmed: this.num(), delivered: this.num(), next: this.num(), assign: this.num() }; }
  params(): LinkParams {
    return { idLocal: this.u128(), idRemote: this.u128(), idConnection: this.u128(), tagsLocal: this.tags(), tagsRemote: this.tags() };
  }
  cookie(): HaCookie { return { pid: this.u64(), timeStart: this.u64(), uptime: this.u64(), uuid: this.u128() }; }
  bytes(n: number): Buffer { this.need(n); const v = this.b.subarray(this.pos, this.pos + n); this.pos += n; return v; }
  str(): string {
    const n = this.u64();
    if (n > BigInt(this.b.length)) throw new WireError('HAX_ERR_BAD_FOP', 'string length beyond body');
    return this.bytes(Number(n)).toString('utf8');
  }
  end(what: string): void {
    if (this.pos !== this.b.length) throw new WireError('HAX_ERR_BAD_FOP', `${what}: ${this.b.length - this.pos} trailing bytes`);
  }
}

const asBuf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export function encodeEntrypointReq(q: EntrypointReq): Buffer {
  return new Writer().u32(q.first ? 1 : 0).u64(q.generation).fid(q.processFid).params(q.linkParams)
    .buf(q.gitRev).u64(q.pid).cookie(q.cookieExpected).done();
}

export function decodeEntrypointRep(body: Uint8Array): EntrypointRep {
  const r = new Reader(asBuf(body));
  const quorum = r.u32();
  const nFids = r.u32();
  if (nFids > 4096) throw new WireError('HAX_ERR_BAD_FOP', 'too many confd fids');
  const fids: Fid[] = [];
  for (let i = 0; i < nFids; i++) fids.push(r.fid());
  const nEps = r.u32();
  if (nEps !== nFids) throw new WireError('HAX_ERR_BAD_FOP', 'confd eps count differs from fids count');
  const confds = fids.map((fid) => ({ fid, endpoint: r.str() }));
  const rep: EntrypointRep = {
    quorum, confds, rmFid: r.fid(), rmEndpoint: r.str(), control: r.u32(), linkParams: r.params(),
    doReconnect: r.u64() !== 0n, disconnectedPreviously: r.u32() !== 0, cookie: r.cookie(),
  };
  r.end('entrypoint reply');
  return rep;
}

export function encodeLinkMsg(f: LinkMsgFop): Buffer {
  const msg = f.msgNr === 0 && f.msg.length === 0 ? new Uint8Array(80) : f.msg;
  return new Writer().u64(f.msgNr).bytes(msg).u128(f.idLocal).u128(f.idRemote).u128(f.idConnection)
    .u64(f.outNext).u64(f.inDelivered).u64(f.seq).done();
}

export function decodeLinkMsg(body: Uint8Array): LinkMsgFop {
  const r = new Reader(asBuf(body));
  const msgNr = r.num();
  if (msgNr > 1) throw new WireError('HAX_ERR_BAD_FOP', `lmf_msg_nr ${msgNr}`);
  r.need(72);
  const hedType = asBuf(body).readBigUInt64LE(r.pos + 64);
  const size = haMsgWireSize(hedType);
  if (size === undefined) throw new WireError('HAX_ERR_UNKNOWN_MSG_TYPE', `unknown hed_type ${hedType}`);
  const msg = Buffer.from(r.bytes(size));
  const f: LinkMsgFop = {
    msgNr, msg, idLocal: r.u128(), idRemote: r.u128(), idConnection: r.u128(), outNext: r.num(), inDelivered: r.num(), seq: r.u64(),
  };
  r.end('link msg');
  return f;
}

export function encodeLinkMsgRep(p: LinkMsgRep): Buffer {
  return new Writer().i32(p.rc).u64(p.outNext).u64(p.inDelivered).done();
}

export function decodeLinkMsgRep(body: Uint8Array): LinkMsgRep {
  const r = new Reader(asBuf(body));
  const rep = { rc: r.i32(), outNext: r.num(), inDelivered: r.num() };
  r.end('link msg reply');
  return rep;
}

export function encodeFrame(opcode: number, xid: bigint | number, body: Uint8Array): Buffer {
  const h = Buffer.alloc(FRAME_HEADER);
  h.writeUInt32LE(body.length, 0);
  h.writeUInt32LE(opcode, 4);
  h.writeBigUInt64LE(BigInt(xid), 8);
  return Buffer.concat([h, Buffer.from(body)]);
}

export interface Frame { opcode: number; xid: bigint; body: Buffer }

/** Incremental frame splitter; throws WireError on a contract violation. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= FRAME_HEADER) {
      const length = this.buf.readUInt32LE(0);
      const opcode = this.buf.readUInt32LE(4);
      if (length > MAX_FRAME_BODY) throw new WireError('HAX_ERR_FRAME_TOO_LONG', `frame length ${length}`);
      if (![OP_ENTRYPOINT_REQ, OP_ENTRYPOINT_REP, OP_LINK_MSG, OP_LINK_MSG_REP].includes(opcode))
        throw new WireError('HAX_ERR_UNKNOWN_OPCODE', `opcode ${opcode}`);
      if (this.buf.length < FRAME_HEADER + length) break;
      out.push({ opcode, xid: this.buf.readBigUInt64LE(8), body: Buffer.from(this.buf.subarray(FRAME_HEADER, FRAME_HEADER + length)) });
      this.buf = this.buf.subarray(FRAME_HEADER + length);
    }
    return out;
  }
}

export function msgTag(msg: Uint8Array): number {
  return Number(asBuf(msg).readBigUInt64LE(msg.length - 8));
}

export function withTag(msg: Uint8Array, tag: number): Buffer {
  const b = Buffer.from(msg);
  b.writeBigUInt64LE(BigInt(tag), b.length - 8);
  return b;
}

const u128eq = (a: U128, b: U128): boolean => a.hi === b.hi && a.lo === b.lo;

// ---- the link client ---------------------------------------------------------

export interface LinkClientOptions {
  address: string;             // tcp:HOST:PORT or unix:PATH
  processFid: Fid;
  pid?: bigint;
  gitRev?: string;
  reconnect?: boolean;         // dial again after the connection drops (default true)
  reconnectDelayMs?: number;   // default 1000 (Motr's reconnect interval)
  resendMs?: number;           // default 1000 (Motr's resend interval)
}

export interface LinkClientEvents {
  'entrypoint-reply': [rep: EntrypointRep];
  'link-started': [params: LinkParams];
  'message': [tag: number, msg: Buffer];
  'delivered': [tag: number];
  'reply-rc': [rc: number];
  'disconnected-previously': [];
  'connection-closed': [];
  /** hax confirmed (replied to) a LINK_MSG carrying this side's in-queue delivered tag. */
  'acks-confirmed': [inDelivered: number];
  /** close() was called: the client will not dial again. */
  'closed': [];
  'error': [err: Error];
}

interface Inflight { xid: bigint; tag: number; inDelivered: number; timer: NodeJS.Timeout }

/** What a successful flush() waited for. */
export interface FlushResult {
  /** The last tag this side had sent when the flush began (0: nothing was ever sent). */
  lastTag: number;
  /** The out-queue's delivered tag hax reported: every tag below it is confirmed. */
  delivered: number;
  /** The last tag received from hax whose acknowledgement hax has confirmed (0: none received). */
  lastReceived: number;
  /** How long the flush waited, in ms. */
  waitedMs: number;
}

/**
 * flush() failed: the link went away (HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY)
 * or nothing came back in time (HAX_ERR_SIM_FLUSH_TIMEOUT) before hax
 * confirmed delivery of `unconfirmed`.
 */
export class FlushError extends HaxError {
  constructor(code: string, message: string, readonly unconfirmed: number[], readonly reason: string) { super(code, message); }
}

/** Default bound of flush(): real m0d waits forever (m0_ha_flush); the simulator gives up after this. */
export const FLUSH_TIMEOUT_MS = 30_000;

/**
 * A Motr process's end of one HA link. Sends even tags 2, 4, 6 ...,
 * stop-and-wait with 1 s re-send, drops duplicates, re-does the entrypoint
 * after a connection drop (not first, with current link params and the last
 * cookie seen), and follows do_reconnect / disconnected_previously.
 */
export class LinkClient extends EventEmitter<LinkClientEvents> {
  private sock: net.Socket | undefined;
  private reader = new FrameReader();
  private xid = 1n;
  private generation = 0n;
  private first = true;
  private cookie: HaCookie = NO_COOKIE;
  private params: LinkParams | undefined;
  private out: Tags = { ...ZERO_TAGS };
  private in: Tags = { ...ZERO_TAGS };
  private inConfirmed = 0;
  private inMarked = new Set<number>();
  private outQ: { tag: number; msg: Buffer }[] = [];
  private inflight: Inflight | undefined;
  private epXid: bigint | undefined;
  private seq = 0n;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private requeryTimer: NodeJS.Timeout | undefined;
  private readonly opts: Required<LinkClientOptions>;

  constructor(options: LinkClientOptions) {
    super();
    this.opts = { pid: BigInt(process.pid), gitRev: 'hax-sim', reconnect: true, reconnectDelayMs: 1000, resendMs: 1000, ...options };
  }

  get linkParams(): LinkParams | undefined { return this.params; }
  get outTags(): Tags { return { ...this.out }; }
  get inTags(): Tags { return { ...this.in }; }
  get lastCookie(): HaCookie { return this.cookie; }
  get started(): boolean { return this.params !== undefined; }

  /** Dials hax and sends the entrypoint request; resolves on the first reply. */
  connect(): Promise<EntrypointRep> {
    const p = new Promise<EntrypointRep>((resolve, reject) => {
      const onRep = (rep: EntrypointRep): void => { this.off('error', onErr); resolve(rep); };
      const onErr = (err: Error): void => { this.off('entrypoint-reply', onRep); reject(err); };
      this.once('entrypoint-reply', onRep);
      this.once('error', onErr);
    });
    this.dial();
    return p;
  }

  /** Queues one m0_ha_msg; returns its (even) tag. */
  send(msg: Uint8Array): number {
    if (!this.params) throw new Error('link not started');
    const tag = this.out.assign;
    this.out.assign += 2;
    this.outQ.push({ tag, msg: withTag(msg, tag) });
    this.pump();
    return tag;
  }

  /** The application consumed message `tag`. */
  delivered(tag: number): void {
    if (tag < this.in.delivered || tag >= this.in.assign) return;
    this.inMarked.add(tag);
    while (this.inMarked.has(this.in.delivered)) {
      this.inMarked.delete(this.in.delivered);
      this.in.delivered += 2;
    }
    this.pump();
  }

  /** Drops the TCP connection (as a network failure would); reconnects if enabled. */
  dropConnection(): void { this.sock?.destroy(); }

  /** Sends raw bytes on the current connection (tests: malformed frames). */
  writeRaw(bytes: Uint8Array): void { this.sock?.write(bytes); }

  /** Asks the entrypoint again on the current connection (rconfc-style re-query). */
  requery(): void { this.sendEntrypoint(); }

  /**
   * Tags sent on this link whose delivery hax has not confirmed yet, in send
   * order (the out queue between `delivered` and `assign`).
   */
  get unconfirmed(): number[] { return this.outQ.map((m) => m.tag); }

  /**
   * m0_ha_link_flush (ha/link.c), as m0_ha_flush() calls it when a process
   * leaves (motr_ha_level_leave): resolves once hax has confirmed delivery of
   * every message sent so far (its in-queue `delivered` tag, carried back in a
   * LINK_MSG or LINK_MSG_REP, is past the last one) and has confirmed this
   * side's acknowledgement of everything it received.
   *
   * Rejects with FlushError HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY when the
   * link goes away first: the connection closes, a LINK_MSG is answered
   * -ENOLINK (-67), hax answers disconnected_previously, or close() is called;
   * with HAX_ERR_SIM_FLUSH_TIMEOUT when nothing of that happens within
   * `timeoutMs` (real m0d would hang there forever). Either way it names the
   * tags never confirmed. The client is left as it is: the caller closes it.
   */
  flush(timeoutMs: number = FLUSH_TIMEOUT_MS): Promise<FlushResult> {
    const started = Date.now();
    const lastOut = this.out.assign - 2;   // tags step by 2; assign is the next one
    const lastIn = this.in.assign - 2;
    const done = (): boolean => this.out.delivered > lastOut && this.inConfirmed > lastIn;
    const result = (): FlushResult => ({
      lastTag: Math.max(lastOut, 0), delivered: this.out.delivered, lastReceived: Math.max(lastIn, 0), waitedMs: Date.now() - started,
    });
    if (!this.params || done()) return Promise.resolve(result());
    return new Promise<FlushResult>((resolve, reject) => {
      const pending = (): number[] => this.outQ.filter((m) => m.tag <= lastOut).map((m) => m.tag);
      const describe = (): string => {
        const tags = pending();
        const acks = this.inConfirmed > lastIn ? '' : `; its acknowledgement of hax's messages up to tag ${lastIn} not confirmed either`;
        return (tags.length ? `tag(s) ${tags.join(', ')} never confirmed delivered` : 'every sent tag was confirmed') + acks;
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('delivered', check); this.off('acks-confirmed', check);
        this.off('connection-closed', onClosed); this.off('reply-rc', onRc);
        this.off('disconnected-previously', onGone); this.off('closed', onClosedByUs);
      };
      const fail = (code: string, reason: string, text: string): void => {
        cleanup();
        reject(new FlushError(code, `${text}: ${describe()} (m0_ha_flush did not complete)`, pending(), reason));
      };
      const check = (): void => { if (done()) { cleanup(); resolve(result()); } };
      const onClosed = (): void => fail('HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY', 'connection-closed', 'the connection to hax closed while waiting for delivery confirmation');
      const onRc = (rc: number): void => {
        if (rc === ENOLINK) fail('HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY', 'enolink', 'hax answered a LINK_MSG with -67 (ENOLINK: the link is gone) while waiting for delivery confirmation');
      };
      const onGone = (): void => fail('HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY', 'disconnected-previously', 'hax answered disconnected_previously (the link is gone) while waiting for delivery confirmation');
      const onClosedByUs = (): void => fail('HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY', 'closed', 'the link was closed while waiting for delivery confirmation');
      const timer = setTimeout(() => fail('HAX_ERR_SIM_FLUSH_TIMEOUT', 'timeout',
        `hax confirmed nothing more in ${timeoutMs} ms while the process waited to exit (real m0d would wait forever)`), timeoutMs);
      this.on('delivered', check); this.on('acks-confirmed', check);
      this.on('connection-closed', onClosed); this.on('reply-rc', onRc);
      this.on('disconnected-previously', onGone); this.on('closed', onClosedByUs);
      if (this.closed || !this.sock) onClosed();
    });
  }

  close(): void {
    const wasOpen = !this.closed;
    this.closed = true;
    if (wasOpen) this.emit('closed');
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.requeryTimer);
    if (this.inflight) clearTimeout(this.inflight.timer);
    this.inflight = undefined;
    this.sock?.destroy();
  }

  // -- connection ------------------------------------------------------------

  private dial(): void {
    const a = this.opts.address;
    let sock: net.Socket;
    if (a.startsWith('unix:')) sock = net.connect({ path: a.slice(5) });
    else if (a.startsWith('tcp:')) {
      const rest = a.slice(4);
      const i = rest.lastIndexOf(':');
      // noDelay: stop-and-wait frames must not wait for a delayed ACK (Nagle)
      sock = net.connect({ host: rest.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(rest.slice(i + 1)), noDelay: true });
    } else throw new Error(`bad address ${a}`);
    this.sock = sock;
    this.reader = new FrameReader();
    this.xid = 1n;
    sock.on('connect', () => this.sendEntrypoint());
    sock.on('data', (chunk: Buffer) => this.onData(sock, chunk));
    sock.on('error', () => { /* 'close' follows */ });
    sock.on('close', () => this.onClose(sock));
  }

  private onClose(sock: net.Socket): void {
    if (this.sock !== sock) return;
    this.sock = undefined;
    this.epXid = undefined;
    this.unsend();
    this.emit('connection-closed');
    if (!this.closed && this.opts.reconnect) {
      this.reconnectTimer = setTimeout(() => { if (!this.closed) this.dial(); }, this.opts.reconnectDelayMs);
    }
  }

  private write(opcode: number, xid: bigint, body: Uint8Array): void {
    this.sock?.write(encodeFrame(opcode, xid, body));
  }

  private onData(sock: net.Socket, chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.emit('error', err as Error);
      sock.destroy();
      return;
    }
    for (const f of frames) {
      try {
        this.onFrame(f);
      } catch (err) {
        this.emit('error', err as Error);
        sock.destroy();
        return;
      }
    }
  }

  private onFrame(f: Frame): void {
    switch (f.opcode) {
      case OP_ENTRYPOINT_REP: return this.onEntrypointRep(f);
      case OP_LINK_MSG: return this.onLinkMsg(f);
      case OP_LINK_MSG_REP: return this.onLinkMsgRep(f);
      default: throw new WireError('HAX_ERR_UNEXPECTED_OPCODE', `opcode ${f.opcode} from hax`);
    }
  }

  // -- entrypoint (ha_entrypoint_state_cb) ------------------------------------

  private sendEntrypoint(): void {
    if (!this.sock || this.closed) return;
    const xid = this.xid++;
    this.epXid = xid;
    this.generation += 1n;
    const req: EntrypointReq = {
      first: this.first,
      generation: this.generation,
      processFid: this.opts.processFid,
      linkParams: this.first || !this.params ? ZERO_PARAMS : this.currentParams(),
      gitRev: this.opts.gitRev,
      pid: this.opts.pid,
      cookieExpected: this.cookie,
    };
    this.write(OP_ENTRYPOINT_REQ, xid, encodeEntrypointReq(req));
  }

  private currentParams(): LinkParams {
    const p = this.params!;
    return { ...p, tagsLocal: { ...this.out }, tagsRemote: { ...this.in } };
  }

  private onEntrypointRep(f: Frame): void {
    if (f.xid !== this.epXid) return;
    this.epXid = undefined;
    const rep = decodeEntrypointRep(f.body);
    this.cookie = rep.cookie;
    if (rep.disconnectedPreviously) {
      // A real m0d asserts here; the simulator reports it and stops.
      this.emit('entrypoint-reply', rep);
      this.emit('disconnected-previously');
      this.close();
      return;
    }
    if (this.first) {
      // A QUERY reply to a first request still starts the link (§4.6).
      this.startLink(rep.linkParams);
      this.first = false;
    } else if (rep.doReconnect) {
      // m0_ha_link_reconnect_end: new ids/connection; our out next was reset
      // to delivered by hax, so every unconfirmed message goes again.
      this.unsend();
      this.params = rep.linkParams;
      this.out = { ...rep.linkParams.tagsLocal };
      this.in = { ...rep.linkParams.tagsRemote };
      this.inConfirmed = this.in.delivered;
      this.outQ = this.outQ.filter((m) => m.tag >= this.out.delivered);
    }
    this.emit('entrypoint-reply', rep);
    if (rep.control === CONTROL_QUERY) this.sendEntrypoint();
    this.pump();
  }

  private startLink(p: LinkParams): void {
    this.params = p;
    this.out = { ...p.tagsLocal };
    this.in = { ...p.tagsRemote };
    this.inConfirmed = this.in.delivered;
    this.emit('link-started', p);
  }

  // -- link messages (ha/link.c) -----------------------------------------------

  private onLinkMsg(f: Frame): void {
    const fop = decodeLinkMsg(f.body);
    let rep: LinkMsgRep;
    const p = this.params;
    if (!p || !u128eq(fop.idRemote, p.idLocal)) rep = { rc: ENOLINK, outNext: 0, inDelivered: 0 };
    else if (!u128eq(fop.idConnection, p.idConnection)) rep = { rc: EBADSLT, outNext: 0, inDelivered: 0 };
    else {
      if (fop.msgNr === 1) {
        const tag = msgTag(fop.msg);
        if (tag === 0 || tag === this.in.assign) {
          const t = this.in.assign;
          this.in.assign += 2;
          this.in.next = this.in.assign;
          this.emit('message', t, withTag(fop.msg, t));
        } // else: duplicate or out of order, dropped but answered
      }
      this.tagsUpdate(fop.inDelivered);
      rep = { rc: 0, outNext: this.out.next, inDelivered: this.in.delivered };
    }
    this.write(OP_LINK_MSG_REP, f.xid, encodeLinkMsgRep(rep));
    this.pump();
  }

  private onLinkMsgRep(f: Frame): void {
    const rep = decodeLinkMsgRep(f.body);
    if (!this.inflight || this.inflight.xid !== f.xid) return; // stale
    const sent = this.inflight;
    clearTimeout(sent.timer);
    this.emit('reply-rc', rep.rc);
    if (rep.rc !== 0) {
      // LINK_FAILED on the outgoing link: step back and, after Motr's 1 s
      // reconnect interval (§7.2; never at once, or a link hax keeps
      // refusing becomes a request storm), ask the entrypoint again
      // (reused / reconnect / disconnected_previously follow).
      this.unsend();
      if (this.epXid === undefined && this.requeryTimer === undefined) {
        this.requeryTimer = setTimeout(() => { this.requeryTimer = undefined; if (!this.closed && this.epXid === undefined) this.sendEntrypoint(); }, this.opts.reconnectDelayMs);
      }
      return;
    }
    this.inflight = undefined;
    const confirmedMore = sent.inDelivered > this.inConfirmed;
    if (confirmedMore) this.inConfirmed = sent.inDelivered;
    this.tagsUpdate(rep.inDelivered);
    if (confirmedMore) this.emit('acks-confirmed', this.inConfirmed);
    this.pump();
  }

  private tagsUpdate(inDelivered: number): void {
    if (inDelivered > this.out.assign) inDelivered = this.out.assign;
    if (this.out.next < inDelivered) this.out.next = inDelivered;
    // tags first, then the events: a 'delivered' listener sees the new tags
    if (inDelivered > this.out.delivered) this.out.delivered = this.out.confirmed = inDelivered;
    while (this.outQ.length && this.outQ[0]!.tag < inDelivered) this.emit('delivered', this.outQ.shift()!.tag);
  }

  private unsend(): void {
    const f = this.inflight;
    if (!f) return;
    clearTimeout(f.timer);
    if (f.tag !== 0 && f.tag >= this.out.delivered && f.tag < this.out.next) this.out.next = f.tag;
    this.inflight = undefined;
  }

  /** Stop-and-wait: at most one unanswered LINK_MSG. */
  private pump(): void {
    const p = this.params;
    if (!p || !this.sock || this.sock.connecting || this.inflight || this.epXid !== undefined || this.closed) return;
    const hasMsg = this.out.next < this.out.assign;
    const needAck = this.in.delivered > this.inConfirmed;
    if (!hasMsg && !needAck) return;
    let msg: Uint8Array = new Uint8Array(80);
    let tag = 0;
    if (hasMsg) {
      const m = this.outQ.find((x) => x.tag === this.out.next);
      if (!m) { this.out.next = this.out.assign; return; }
      msg = m.msg;
      tag = m.tag;
      this.out.next += 2;
    }
    const xid = this.xid++;
    const fop: LinkMsgFop = {
      msgNr: hasMsg ? 1 : 0, msg, idLocal: p.idLocal, idRemote: p.idRemote, idConnection: p.idConnection,
      outNext: this.out.next, inDelivered: this.in.delivered, seq: ++this.seq,
    };
    const timer = setTimeout(() => {
      // Unanswered for 1 s: re-send as a new request (new xid, seq + 1).
      if (this.inflight?.xid !== xid) return;
      this.unsend();
      this.pump();
    }, this.opts.resendMs);
    this.inflight = { xid, tag, inDelivered: this.in.delivered, timer };
    this.write(OP_LINK_MSG, xid, encodeLinkMsg(fop));
  }
}
