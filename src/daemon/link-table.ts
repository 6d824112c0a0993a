// The HA links this hax holds, as the shim reported them: which process each
// belongs to, and whether hax may still send on it.
import { formatFid, type Fid } from '../fid.ts';

export interface LinkInfo {
  linkId: number;
  processFid: Fid;
  remote: string;
  /** False once the shim reported "disconnecting": nothing more is sent. */
  active: boolean;
}

export class LinkTable {
  readonly #links = new Map<number, LinkInfo>();
  /** Remote endpoint of each pending entrypoint request, by request id. */
  readonly #requests = new Map<number, string>();

  requestArrived(reqId: number, remote: string): void { this.#requests.set(reqId, remote); }
  requestAnswered(reqId: number): string | undefined {
    const remote = this.#requests.get(reqId);
    this.#requests.delete(reqId);
    return remote;
  }

  connected(linkId: number, processFid: Fid, remote: string): void {
    this.#links.set(linkId, { linkId, processFid, remote, active: true });
  }
  disconnecting(linkId: number): void {
    const l = this.#links.get(linkId);
    if (l) l.active = false;
  }
  disconnected(linkId: number): void { this.#links.delete(linkId); }

  get(linkId: number): LinkInfo | undefined { return this.#links.get(linkId); }
  active(): LinkInfo[] { return [...this.#links.values()].filter((l) => l.active); }
  all(): LinkInfo[] { return [...this.#links.values()]; }

  toJSON(): { linkId: number; processFid: string; remote: string }[] {
    return this.all().map((l) => ({ linkId: l.linkId, processFid: formatFid(l.processFid), remote: l.remote }));
  }
}
