// What the core knows between inputs. Rebuildable: after a trap the host
// re-feeds the last view, identity, conf tree, process states and health;
// pending writes are lost (a lost pending write is never acknowledged, so
// Motr re-sends the message after reconnecting).
import { Endpoint } from '../events';
import { Model } from './model';
import { Fid } from '../codec/fid';
import { EntrypointReq } from '../codec/entrypoint';
import { Election } from './election';

export const PENDING_MAX: i32 = 65536;

export class PendingAck {
  constructor(public linkId: u32, public tag: u64, public key: string) {}
  /** Process whose links are disconnected once the write is durable (FAILED broadcast). */
  dropC: u64 = 0;
  dropK: u64 = 0;
  /** Fids whose KV state (objC/objK) or processes/<fid> (procC/procK) this txn writes. */
  objC: Array<u64> = [];
  objK: Array<u64> = [];
  procC: Array<u64> = [];
  procK: Array<u64> = [];
  noAck: bool = false;
}

/** An HA link the shim holds (links.ts decides with these). */
export class HeldLink {
  id: u32 = 0;
  process: Fid = new Fid();
  /** hax's side of the link: its id_local and id_remote (hi, lo). */
  lh: u64 = 0; ll: u64 = 0; rh: u64 = 0; rl: u64 = 0;
  draining: bool = false;
}

export class DelayedReply {
  constructor(public reqId: u32, public dueMs: u64, public who: string, public why: string, public req: EntrypointReq) {}
}

export class CoreState {
  confds: Array<Endpoint> = [];
  rm: Endpoint | null = null;
  viewSeen: bool = false;
  isRc: bool = false;
  nextOpId: u32 = 1;
  pending: Map<u32, PendingAck> = new Map();
  model: Model = new Model();
  node: string = '';
  /** hostOf(node), kept with it: the health rule compares it for every process. */
  host: string = '';
  haxC: u64 = 0;
  haxK: u64 = 0;
  stopping: bool = false;
  nextBroadcastId: u32 = 1;
  delayed: Array<DelayedReply> = [];
  /** RC election (election.ts). */
  election: Election = new Election();
  /** The HA links the shim holds (links.ts), and its cookie once it said. */
  links: Array<HeldLink> = [];
  cookie: StaticArray<u64> = new StaticArray<u64>(5);
  cookieKnown: bool = false;
  /** Counters shown by the status dump: message types without a rule, errors. */
  counters: Map<string, u32> = new Map();

  takeOpId(): u32 {
    const id = this.nextOpId;
    this.nextOpId = this.nextOpId == 0xffffffff ? 1 : this.nextOpId + 1;
    return id;
  }
  takeBroadcastId(): u32 {
    const id = this.nextBroadcastId;
    this.nextBroadcastId = this.nextBroadcastId == 0xffffffff ? 1 : this.nextBroadcastId + 1;
    return id;
  }
  count(name: string): void {
    this.counters.set(name, (this.counters.has(name) ? this.counters.get(name) : 0) + 1);
  }
  isHax(c: u64, k: u64): bool { return c == this.haxC && k == this.haxK && (c | k) != 0; }
}

export const state = new CoreState();
