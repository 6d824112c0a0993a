// The HA links this hax holds, as the shim reported them: which process each
// belongs to, whether hax may still send on it, and what it sent on it that
// is not confirmed yet (the link's queue depth and delivery latency).
import { formatFid, type Fid } from '../fid.ts';
import type { LinkView } from './api.ts';

export interface LinkInfo {
  linkId: number;
  processFid: Fid;
  remote: string;
  /** False once hax dropped the link or the shim reported "disconnecting": nothing more is sent. */
  active: boolean;
  /** hax asked the shim to disconnect the link (once per link; libmotr wants exactly one disconnect()). */
  disconnectRequested: boolean;
  sent: number;
  delivered: number;
  /** tag → send time (ms) of messages not yet confirmed. */
  pending: Map<number, number>;
  lastDeliveryMs: number | null;
}

export class LinkTable {
  readonly #links = new Map<number, LinkInfo>();
  /** Remote endpoint of each pending entrypoint request, by request id. */
  readonly #requests = new Map<number, string>();

  requestArrived(reqId: number, remote: string): void { this.#requests.set(reqId, remote); }
  /** The shim reported the request's link outcome (connected, reused or absent): forget it. */
  requestAnswered(reqId: number): string | undefined {
    const remote = this.#requests.get(reqId);
    this.#requests.delete(reqId);
    return remote;
  }

  connected(linkId: number, processFid: Fid, remote: string): void {
    const existing = this.#links.get(linkId);
    if (existing) { existing.active = true; return; }   // link reused: keep its counters
    this.#links.set(linkId, { linkId, processFid, remote, active: true, disconnectRequested: false, sent: 0, delivered: 0, pending: new Map(), lastDeliveryMs: null });
  }
  /** Nothing more is sent on the link. */
  stopSending(linkId: number): void {
    const l = this.#links.get(linkId);
    if (l) l.active = false;
  }
  /**
   * Marks the link's disconnect as requested; true when this call is the one
   * that must ask the shim (the first for a known link), false otherwise.
   */
  claimDisconnect(linkId: number): boolean {
    const l = this.#links.get(linkId);
    if (!l || l.disconnectRequested) return false;
    l.active = false;
    l.disconnectRequested = true;
    return true;
  }
  disconnected(linkId: number): void { this.#links.delete(linkId); }

  /** hax sent message `tag` on the link at `nowMs`. */
  sent(linkId: number, tag: number, nowMs: number): void {
    const l = this.#links.get(linkId);
    if (!l) return;
    l.sent += 1;
    l.pending.set(tag, nowMs);
  }

  /** The shim reported message `tag` delivered (or not); returns its latency in ms when known. */
  confirmed(linkId: number, tag: number, delivered: boolean, nowMs: number): number | undefined {
    const l = this.#links.get(linkId);
    const at = l?.pending.get(tag);
    if (!l || at === undefined) return undefined;
    l.pending.delete(tag);
    if (!delivered) return undefined;
    l.delivered += 1;
    l.lastDeliveryMs = nowMs - at;
    return l.lastDeliveryMs;
  }

  get(linkId: number): LinkInfo | undefined { return this.#links.get(linkId); }
  active(): LinkInfo[] { return [...this.#links.values()].filter((l) => l.active); }
  all(): LinkInfo[] { return [...this.#links.values()]; }

  view(): LinkView[] {
    return this.all().map((l) => ({
      linkId: l.linkId, processFid: formatFid(l.processFid), remote: l.remote, active: l.active,
      sent: l.sent, delivered: l.delivered, pending: l.pending.size, lastDeliveryMs: l.lastDeliveryMs,
    }));
  }
}
