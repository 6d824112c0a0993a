// What bench/events watches on the links while hax runs, now that hax is not
// paced: whether hax dropped a simulated process's link (then its events in
// flight would never be acknowledged: better said at once than after the
// acknowledgement timeout), and when every broadcast hax made has been
// confirmed delivered on every link.
//
// History: hax used to queue one 20,592-byte NVEC SET per broadcast on every
// link, a link carries one message per round trip, and hax acknowledges an
// event once Consul holds it — so 16 processes pipelining 250 events each
// outran the links and every link was dropped at its 8 MiB backlog limit
// (HAX_ERR_LINK_BACKLOG, 408 messages) after ~1.3 s; the bench then paced
// itself to 64 broadcasts in flight. hax now holds the notes of a link that
// is behind and sends them merged (src/daemon/link-outbox.ts), so the bench
// sends as fast as the processes can.
import type { RunningHax } from '../../src/daemon/hax-daemon.ts';
import type { Peer } from '../../test/behaviour/_world.ts';
import { ENOLINK } from '../../src/sim/link-client.ts';

export class LinkWatch {
  readonly lost: Promise<never>;
  #lostError: Error | undefined;

  constructor(peers: Peer[]) {
    let reject!: (e: Error) => void;
    this.lost = new Promise<never>((_, r) => { reject = r; });
    this.lost.catch(() => {});   // read by drained() too; never an unhandled rejection
    const gone = (k: number, how: string) => {
      if (this.#lostError) return;
      this.#lostError = new Error(`hax dropped the link of simulated process ${k} (${how}): its events in flight will never be acknowledged`);
      reject(this.#lostError);
    };
    peers.forEach((p, k) => {
      p.link.on('reply-rc', (rc) => { if (rc === ENOLINK) gone(k, 'a LINK_MSG answered -ENOLINK'); });
      p.link.on('disconnected-previously', () => gone(k, 'entrypoint answered disconnected_previously'));
    });
  }

  /**
   * Resolves when, on every link hax holds, nothing it sent is unconfirmed and
   * nothing is held: every broadcast made so far reached every process.
   */
  async drained(hax: RunningHax, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const busy = () => hax.links.active().filter((l) => l.pending.size > 0 || hax.heldNotes(l.linkId) > 0);
    for (;;) {
      if (this.#lostError) throw this.#lostError;
      const left = busy();
      if (left.length === 0) return;
      if (Date.now() > deadline) throw new Error(`broadcasts still on their way after ${timeoutMs} ms: ${left.map((l) => `link ${l.linkId} ${l.pending.size} unconfirmed, ${hax.heldNotes(l.linkId)} notes held`).join('; ')}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}
