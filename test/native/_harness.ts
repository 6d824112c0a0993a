// Shared setup for the native shim tests: a started shim that records every
// event batch, and waiters that resolve on matching events. No timing
// thresholds: waits end on events; the only timer is a hang guard.
import fs from 'node:fs';
import net from 'node:net';
import { Shim, type ShimEvent, type ShimOptions } from '../../src/native/binding.ts';
import { FrameReader, type Frame, encodeFrame, OP_ENTRYPOINT_REQ, encodeEntrypointReq, NO_COOKIE, ZERO_PARAMS } from '../../src/sim/link-client.ts';
import type { Fid } from '../../src/fid.ts';
import { CoreLinks } from '../helpers/core-links.ts';
import { FIXTURES_DIR } from '../helpers/fixtures.ts';

export const FIXTURES = `${FIXTURES_DIR}motr-xcode`;
export const fixture = (name: string): { hex: string; fields: any; length: number } =>
  JSON.parse(fs.readFileSync(`${FIXTURES}/${name}.json`, 'utf8'));
export const fixtureBytes = (name: string): Buffer => Buffer.from(fixture(name).hex, 'hex');

export const PROCESS_FID: Fid = { container: 0x7200000000000001n, key: 2n };
export const CONFD = { fid: { container: 0x7300000000000001n, key: 3n }, endpoint: 'inet:tcp:127.0.0.1@22012' };
export const RM_FID: Fid = { container: 0x7300000000000001n, key: 2n };
export const RM_EP = 'inet:tcp:127.0.0.1@22011';

/** An EVENT_PROCESS m0_ha_msg (104 bytes) with hm_tag 0, as send() wants it. */
export function eventMsg(pid = 12345): Buffer {
  const b = Buffer.from(fixtureBytes('msg_07_event_process'));
  b.writeBigUInt64LE(BigInt(pid), 88);
  b.writeBigUInt64LE(0n, b.length - 8);
  return b;
}

const HANG_GUARD_MS = 30000;

export interface Harness {
  shim: Shim;
  /** The core that decides each entrypoint reply's link (it sees every event). */
  links: CoreLinks;
  address: string;
  events: ShimEvent[];
  batches: ShimEvent[][];
  /** Resolves with the first recorded event (from index `from`) matching `pred`. */
  waitFor<T extends ShimEvent = ShimEvent>(pred: (e: ShimEvent) => boolean, from?: number): Promise<T>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  listen?: string[];
  queueLimit?: number;
  /** Answer every entrypoint request, with the core's reply and link plan, forcing rc (default 0). null: do not answer. */
  autoReply?: number | null;
  /** Call delivered() for every received message (default true). */
  autoDeliver?: boolean;
  limits?: ShimOptions['limits'];
}

export async function startShim(opts: HarnessOptions = {}): Promise<Harness> {
  const events: ShimEvent[] = [];
  const batches: ShimEvent[][] = [];
  const waiters: { pred: (e: ShimEvent) => boolean; from: number; resolve: (e: ShimEvent) => void }[] = [];
  const autoReply = opts.autoReply === undefined ? 0 : opts.autoReply;
  const autoDeliver = opts.autoDeliver ?? true;
  let shim!: Shim;
  const links = await CoreLinks.load([CONFD], { fid: RM_FID, endpoint: RM_EP });
  const check = (): void => {
    for (const w of [...waiters]) {
      const e = events.slice(w.from).find(w.pred);
      if (e) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
    }
  };
  shim = Shim.start({ listen: opts.listen ?? ['tcp:127.0.0.1:0'], queueLimit: opts.queueLimit, limits: opts.limits }, (batch) => {
    batches.push(batch);
    for (const e of batch) {
      events.push(e);
      links.see(e);
      if (e.type === 'entrypoint' && autoReply !== null) links.answer(shim, e, autoReply);
      if (e.type === 'received' && autoDeliver) shim.delivered(e.linkId, e.tag);
    }
    check();
  });
  const waitFor = <T extends ShimEvent>(pred: (e: ShimEvent) => boolean, from = 0): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error('hang guard: event never came')), HANG_GUARD_MS);
      guard.unref();
      waiters.push({ pred, from, resolve: (e) => { clearTimeout(guard); resolve(e as T); } });
      check();
    });
  const listening = await waitFor<Extract<ShimEvent, { type: 'listening' }>>((e) => e.type === 'listening');
  return { shim, links, address: listening.address, events, batches, waitFor, stop: () => shim.stop() };
}

/** A raw frame-level peer for byte-exact checks. */
export class RawPeer {
  readonly frames: Frame[] = [];
  private reader = new FrameReader();
  private waiters: { n: number; resolve: () => void }[] = [];
  closed: Promise<void>;
  private xid = 1n;
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      for (const f of this.reader.push(d)) this.frames.push(f);
      this.waiters = this.waiters.filter((w) => (this.frames.length >= w.n ? (w.resolve(), false) : true));
    });
    this.closed = new Promise((r) => sock.on('close', () => r()));
    sock.on('error', () => {});
  }
  static connect(address: string): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = address.startsWith('unix:')
        ? net.connect({ path: address.slice(5) })
        : net.connect({ host: address.slice(4, address.lastIndexOf(':')), port: Number(address.slice(address.lastIndexOf(':') + 1)) });
      s.once('connect', () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }
  /**
   * Connects and sends a first entrypoint request for process fid key `key`
   * (generation 1, no cookie), as a new Motr process would; with `awaitReply`
   * resolves once the reply frame came. Tests make silent or throw-away links with it.
   */
  static async entrypoint(address: string, key: number, gitRev: string, awaitReply = true): Promise<RawPeer> {
    const peer = await RawPeer.connect(address);
    peer.send(OP_ENTRYPOINT_REQ, encodeEntrypointReq({
      first: true, generation: 1n, processFid: { container: 0x7200000000000001n, key: BigInt(key) }, linkParams: ZERO_PARAMS,
      gitRev, pid: 1n, cookieExpected: NO_COOKIE,
    }));
    if (awaitReply) await peer.waitFrames(1);
    return peer;
  }
  send(opcode: number, body: Uint8Array, xid?: bigint): bigint {
    const x = xid ?? this.xid++;
    this.sock.write(encodeFrame(opcode, x, body));
    return x;
  }
  raw(bytes: Uint8Array): void { this.sock.write(bytes); }
  /** Resolves once at least n frames have arrived in total. */
  waitFrames(n: number): Promise<Frame[]> {
    if (this.frames.length >= n) return Promise.resolve(this.frames);
    return new Promise((resolve) => this.waiters.push({ n, resolve: () => resolve(this.frames) }));
  }
  close(): void { this.sock.destroy(); }
}

export const sleepTick = (): Promise<void> => new Promise((r) => setImmediate(r));
