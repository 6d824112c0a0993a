// How many broadcasts bench/events lets be on their way at once, in both the
// hax run and the links floor, and the pacer the hax run keeps it with.
//
// Why a bound: hax drops a link on which more than 8 MiB of its messages are
// unconfirmed (docs/operations.md, "Limits": HAX_ERR_LINK_BACKLOG; the process
// must restart). Every NVEC SET is 20,592 bytes whatever its note count, so
// that is 407 broadcasts queued on one link. A link carries one message per
// round trip (stop-and-wait, motr-ha-wire.md §7.2), and hax acknowledges an
// event once Consul holds it, not once its broadcast reached every link: so
// simulated processes that pipeline hundreds of events each outrun the links'
// fan-out. Without a bound (16 processes, 250 events each), hax took 925
// events in 1.3 s, broadcast 466 of them to every link while the links had
// carried ~58, and dropped all 16 links (HAX_ERR_LINK_BACKLOG, 408 messages,
// 8,401,536 bytes); the acknowledgements of the events still in flight went to
// links that were gone. A real process sends a handful of process events in its
// life (STARTING, STARTED, DTM_RECOVERED, STOPPING, STOPPED); the bench plays
// many lifetimes back to back, so it paces them as the links floor does.
import type { Peer } from '../../test/behaviour/_world.ts';
import { ENOLINK } from '../../src/sim/link-client.ts';

/** Broadcasting events whose NVEC SET has not reached every link yet; well under the 407 a link holds. */
export const BROADCAST_WINDOW = 64;

/**
 * Counts what hax sent on each peer's link (in bench/events every message
 * hax sends is the NVEC SET of one broadcasting event, to every link, in
 * order) and holds the sender while BROADCAST_WINDOW broadcasts have not
 * reached every peer. `lost` rejects as soon as hax drops a peer's link
 * (its events would then never be acknowledged: better said at once than
 * after the acknowledgement timeout).
 */
export class BroadcastPacer {
  readonly #received: number[];
  #sent = 0;
  #wake: (() => void) | undefined;
  #lostError: Error | undefined;
  readonly lost: Promise<never>;

  constructor(peers: Peer[], readonly window = BROADCAST_WINDOW) {
    this.#received = peers.map(() => 0);
    let reject!: (e: Error) => void;
    this.lost = new Promise<never>((_, r) => { reject = r; });
    this.lost.catch(() => {});   // read by room()/drained() too; never an unhandled rejection
    const gone = (k: number, how: string) => {
      if (this.#lostError) return;
      this.#lostError = new Error(`hax dropped the link of simulated process ${k} (${how}): its events in flight will never be acknowledged`);
      reject(this.#lostError);
      this.#wake?.();
    };
    peers.forEach((p, k) => {
      p.link.on('message', () => { this.#received[k]!++; this.#wake?.(); });
      p.link.on('reply-rc', (rc) => { if (rc === ENOLINK) gone(k, 'a LINK_MSG answered -ENOLINK'); });
      p.link.on('disconnected-previously', () => gone(k, 'entrypoint answered disconnected_previously'));
    });
  }

  /** Broadcasts that reached every peer. */
  get reachedAll(): number { return Math.min(...this.#received); }

  /** Resolves when one more broadcasting event may be sent, and counts it as sent. */
  async room(timeoutMs: number): Promise<void> {
    await this.#until(() => this.#sent - this.reachedAll < this.window, timeoutMs, 'room in the broadcast window');
    this.#sent++;
  }

  /** Resolves when every broadcast counted so far reached every peer. */
  drained(timeoutMs: number): Promise<void> {
    return this.#until(() => this.reachedAll >= this.#sent, timeoutMs, 'every broadcast at every peer');
  }

  async #until(ok: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (this.#lostError) throw this.#lostError;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} in ${timeoutMs} ms: ${this.#sent} broadcasting events sent, per peer received ${this.#received.join(' ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake = () => { clearTimeout(t); resolve(); };
      });
      this.#wake = undefined;
    }
  }
}
