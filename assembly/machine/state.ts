// What the core knows between inputs. Rebuildable: after a trap the host
// re-feeds the last view; health memory and pending writes are lost (a
// replayed health payload then broadcasts once more; a lost pending write is
// never acknowledged, so Motr re-sends the message after reconnecting).
import { Endpoint } from '../events';

export const PENDING_MAX: i32 = 65536;

export class PendingAck {
  constructor(public linkId: u32, public tag: u64, public key: string) {}
}

export class CoreState {
  confds: Array<Endpoint> = [];
  rm: Endpoint | null = null;
  viewSeen: bool = false;
  nextOpId: u32 = 1;
  pending: Map<u32, PendingAck> = new Map();
  /** Last broadcast note state per fid text. */
  lastState: Map<string, u32> = new Map();

  takeOpId(): u32 {
    const id = this.nextOpId;
    this.nextOpId = this.nextOpId == 0xffffffff ? 1 : this.nextOpId + 1;
    return id;
  }
}

export const state = new CoreState();
