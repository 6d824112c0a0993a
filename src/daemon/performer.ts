// Performs a core decision's actions, in order, and feeds results back:
// replies and sends on links, broadcasts (to every active link but a skip
// list, or to hax's own link only), Consul transactions through the writer,
// acknowledgements, dropping a dead process's links, timers, and "await
// delivery": the actions after it wait until every message of that broadcast
// was confirmed delivered (or not) by the links, or the timeout passed.
// A link that is behind gets broadcasts through its outbox (link-outbox.ts):
// held while SEND_AHEAD of its messages are unconfirmed, merged into as few
// NVEC SETs as they fit in as it confirms; a broadcast's delivery is then
// the delivery of the merged message that carried its notes.
import type { CoreAction, Decision } from '../core/core-host.ts';
import type { Shim } from '../native/binding.ts';
import { formatFid, type Fid } from '../fid.ts';
import type { Logger } from '../log.ts';
import type { HaxMetrics } from '../metrics.ts';
import type { LinkTable } from './link-table.ts';
import type { ConsulWriter } from './consul-writer.ts';
import { LinkOutbox, SEND_AHEAD, MAX_HELD_NOTES, notesOfNvecSet } from './link-outbox.ts';

export interface PerformerDeps {
  shim: () => Shim;
  links: LinkTable;
  writer: ConsulWriter;
  log: Logger;
  metrics: HaxMetrics;
  haxFid: () => Fid;
  /** Caps the core's delivery timeout (tests; the core says 30 s). */
  deliveryTimeoutMs?: number;
  onTimer(dueMs: number): void;
  /** Passes a TTL check on the local agent (a process of this node reported it runs). */
  onPassCheck?(checkId: string, note: string): void;
  /** Performs the RC election's actions (election-performer.ts). */
  onElection?(action: Extract<CoreAction, { kind: 'election' }>): void;
  /** A message was acknowledged to its link (for the socket → durable latency). */
  onAck?(linkId: number, tag: number): void;
  /** The NVEC SET broadcast of given notes (wire bytes), as the core encodes it (CoreHost.encodeNvecSet). */
  encodeNvecSet(notes: Uint8Array): Uint8Array;
  /** Messages a link may be handed with no confirmation before it may be dropped (the shim's max-unconfirmed; 1024). */
  maxUnconfirmed?: number;
  /** ...and for how long it must then have confirmed nothing (default LINK_STALL_MS). */
  linkStallMs?: number;
}

/**
 * How long a link that was handed more than max-unconfirmed messages since
 * its last confirmation may go on confirming nothing before it is dropped. A
 * real m0d confirms within milliseconds; the grace keeps a burst of
 * broadcasts decided in one turn of the event loop (before any confirmation
 * can be heard) from counting against a healthy link.
 */
export const LINK_STALL_MS = 10_000;

/** A shim call failed because the shim no longer has the link (it dropped it before hax heard): nothing is wrong. */
const linkGoneInShim = (error: unknown) => (error as { code?: string }).code === 'HAX_ERR_UNKNOWN_LINK';

const same = (a: Fid, b: Fid) => a.container === b.container && a.key === b.key;

export class Performer {
  readonly #d: PerformerDeps;
  /** broadcast id → link/tag keys not yet confirmed, and who waits. */
  readonly #awaiting = new Map<number, { pending: Set<string>; done?: () => void }>();
  /** What is held for each link that is behind (made on a link's first broadcast). */
  readonly #outboxes = new Map<number, LinkOutbox>();
  timeouts = 0;

  constructor(deps: PerformerDeps) { this.#d = deps; }

  /**
   * Asks the shim, once per link, to disconnect it: hax dropped the link, or
   * the shim reported it disconnecting (libmotr then waits for exactly one
   * disconnect()). The shim drains the link first. True when asked now.
   */
  disconnect(linkId: number): boolean {
    if (!this.#d.links.claimDisconnect(linkId)) return false;
    try {
      this.#d.shim().disconnect(linkId);
    } catch (error) {
      const code = (error as { code?: string }).code;
      // at shutdown the shim stops first and closes every link itself: nothing failed
      if (code === 'HAX_ERR_STOPPED') return true;
      // a limit dropped the link in the shim (its `disconnecting` event is what called this): nothing to disconnect
      this.#d.log.log(linkGoneInShim(error) ? 'debug' : 'warn', 'disconnect failed', { linkId, code, error: (error as Error).message });
    }
    return true;
  }

  /** Logs the reason and performs the actions (the part after an await-delivery later). */
  apply(decision: Decision, context: Record<string, unknown> = {}, log = this.#d.log): void {
    const level = decision.reason.code === 'CORE_TRAPPED' ? 'error' : 'info';
    log.log(level, decision.reason.text, { reason: decision.reason.code, ...context, actions: decision.actions.map((a) => a.kind) });
    void this.#run(decision.actions);
  }

  /** A link confirmed message `tag` (delivered or not): what waited on it goes on, and what is held for the link goes out. */
  confirmed(linkId: number, tag: number): void {
    const key = `${linkId}:${tag}`;
    for (const [id, w] of this.#awaiting) {
      if (w.pending.delete(key) && w.pending.size === 0) { this.#awaiting.delete(id); w.done?.(); }
    }
    const box = this.#outboxes.get(linkId);
    if (!box) return;
    box.handed = 0;
    box.quietSinceMs = Date.now();
    this.#flush(linkId, box);
  }

  /** A link went away: whatever hax waited for on it will not come, and what it held is not delivered. */
  linkGone(linkId: number): void {
    this.#outboxes.get(linkId)?.clear();
    this.#outboxes.delete(linkId);
    for (const [id, w] of this.#awaiting) {
      for (const k of w.pending) if (k.startsWith(`${linkId}:`)) w.pending.delete(k);
      if (w.pending.size === 0) { this.#awaiting.delete(id); w.done?.(); }
    }
  }

  /** Notes held for a link that is behind (0 for one that is not); without a link, for all links together. */
  heldNotes(linkId?: number): number {
    if (linkId !== undefined) return this.#outboxes.get(linkId)?.notes ?? 0;
    let n = 0;
    for (const box of this.#outboxes.values()) n += box.notes;
    return n;
  }

  async #run(actions: CoreAction[]): Promise<void> {
    for (const action of actions) {
      if (action.kind === 'await-delivery') { await this.#await(action.broadcastId, Math.min(action.timeoutMs, this.#d.deliveryTimeoutMs ?? action.timeoutMs)); continue; }
      try { this.#perform(action); } catch (error) {
        this.#d.log.log('warn', 'performing a core action failed', { action: action.kind, error: (error as Error).message });
      }
    }
  }

  #await(id: number, timeoutMs: number): Promise<void> {
    const w = this.#awaiting.get(id);
    if (!w || w.pending.size === 0) { this.#awaiting.delete(id); return Promise.resolve(); }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timeouts++;
        this.#d.log.log('warn', 'broadcast not delivered in time; going on', { broadcastId: id, undelivered: [...w.pending], timeoutMs });
        this.#awaiting.delete(id);
        resolve();
      }, timeoutMs);
      w.done = () => { clearTimeout(t); resolve(); };
    });
  }

  #outbox(linkId: number): LinkOutbox {
    let box = this.#outboxes.get(linkId);
    if (!box) { box = new LinkOutbox(Date.now()); this.#outboxes.set(linkId, box); }
    return box;
  }

  /**
   * Sends what is held for the link while fewer than SEND_AHEAD of its
   * messages are unconfirmed: held notes as merged NVEC SETs, in order. A
   * broadcast's wait moves from the link's held key (`<link>:held`) to the
   * tags of the messages that carry its notes.
   */
  #flush(linkId: number, box: LinkOutbox): void {
    const link = this.#d.links.get(linkId);
    if (!link || link.disconnectRequested) return;   // a draining link sends nothing more; linkGone clears the box
    while (!box.empty && link.pending.size < SEND_AHEAD) {
      const out = box.next()!;
      let tag: number;
      try {
        tag = this.#d.shim().send(linkId, out.kind === 'message' ? out.msg : this.#d.encodeNvecSet(out.notes));
      } catch (error) {
        this.#d.log.log(linkGoneInShim(error) ? 'debug' : 'warn', 'sending held notes to a link failed; they count as not delivered', { linkId, process: formatFid(link.processFid), error: (error as Error).message });
        if (out.kind === 'notes') for (const id of out.finished) this.#unwait(id, `${linkId}:held`);   // taken from the box already
        this.#releaseHeld(linkId, box);
        return;
      }
      this.#d.links.sent(linkId, tag, Date.now());
      if (out.kind === 'message') continue;
      this.#d.metrics.broadcasts.inc();
      for (const id of out.ids) this.#awaiting.get(id)?.pending.add(`${linkId}:${tag}`);
      for (const id of out.finished) this.#unwait(id, `${linkId}:held`);
    }
  }

  /** Drops what is held for the link: every broadcast that waited on it stops waiting for this link. */
  #releaseHeld(linkId: number, box: LinkOutbox): void {
    for (const id of box.clear()) this.#unwait(id, `${linkId}:held`);
  }

  /** Broadcast `id` no longer waits on `key`; what waited on it goes on once nothing else is pending. */
  #unwait(id: number, key: string): void {
    const w = this.#awaiting.get(id);
    if (w && w.pending.delete(key) && w.pending.size === 0) { this.#awaiting.delete(id); w.done?.(); }
  }

  /**
   * The link's bounds (docs/operations.md, "Limits"): more than
   * MAX_HELD_NOTES held; or more than max-unconfirmed messages handed to it
   * since its last confirmation while it has confirmed nothing for
   * linkStallMs (checked again when that time comes). Either drops the link.
   */
  #checkBacklog(linkId: number, box: LinkOutbox): void {
    if (box.notes > MAX_HELD_NOTES) {
      this.#dropBehind(linkId, box, `link ${linkId}: ${box.notes} notes held for the peer, which is not keeping up (limit ${MAX_HELD_NOTES}); link dropped`);
      return;
    }
    const limit = this.#d.maxUnconfirmed ?? 1024;
    if (box.handed <= limit) return;
    const stallMs = this.#d.linkStallMs ?? LINK_STALL_MS;
    const quietMs = Date.now() - box.quietSinceMs;
    if (quietMs >= stallMs) {
      this.#dropBehind(linkId, box, `link ${linkId}: the peer confirmed none of the ${box.handed} message(s) hax gave it in ${quietMs} ms (limits ${limit}, ${stallMs} ms); link dropped`);
    } else if (!box.stallTimer) {
      box.stallTimer = setTimeout(() => {
        box.stallTimer = undefined;
        if (this.#outboxes.get(linkId) === box) this.#checkBacklog(linkId, box);
      }, stallMs - quietMs);
      box.stallTimer.unref?.();
    }
  }

  /** Drops a link whose peer does not keep up, as the shim's backlog limit does (HAX_ERR_LINK_BACKLOG). */
  #dropBehind(linkId: number, box: LinkOutbox, message: string): void {
    const code = 'HAX_ERR_LINK_BACKLOG';
    const link = this.#d.links.get(linkId);
    this.#d.metrics.errors.inc({ code });
    this.#d.log.log('warn', 'link dropped by a limit', { linkId, process: link ? formatFid(link.processFid) : undefined, code, error: message });
    this.#releaseHeld(linkId, box);
    this.#d.links.stopSending(linkId);
    this.disconnect(linkId);
  }

  #perform(action: CoreAction): void {
    const { links, metrics } = this.#d;
    // Looked up per use: Consul actions may come before the shim started (the model loads first).
    const shim = (): Shim => this.#d.shim();
    switch (action.kind) {
      case 'reply-entrypoint':
        shim().entrypointReply(action.reqId, action.rc, action.confds, action.quorum, action.rmFid, action.rmEndpoint, action.link);
        return;
      case 'acknowledge':
        shim().delivered(action.linkId, action.tag);
        this.#d.onAck?.(action.linkId, action.tag);
        return;
      case 'send': {
        const box = this.#outboxes.get(action.linkId);
        if (box) box.handed++;
        if (box && !box.empty) { box.holdMessage(action.msg); this.#checkBacklog(action.linkId, box); return; }   // never ahead of held notes
        const tag = shim().send(action.linkId, action.msg);
        links.sent(action.linkId, tag, Date.now());
        return;
      }
      case 'broadcast': {
        metrics.broadcastNotes.inc({}, action.notes.length);
        const hax = this.#d.haxFid();
        const targets = links.active().filter((l) => (action.scope === 'hax' ? same(l.processFid, hax) : !(action.skip ?? []).some((s) => same(s, l.processFid))));
        const id = action.id;
        // one broadcast id may span several actions (chunks of 1024 notes): their waits add up
        const wait = id === undefined ? undefined : this.#awaiting.get(id) ?? { pending: new Set<string>() };
        if (id !== undefined && wait) this.#awaiting.set(id, wait);
        let notes: Uint8Array | undefined;   // made once, shared by every link that holds them
        const behind: [number, LinkOutbox][] = [];
        for (const link of targets) {
          const box = this.#outbox(link.linkId);
          box.handed++;
          if (!box.empty || link.pending.size >= SEND_AHEAD) {
            box.holdNotes(notes ??= notesOfNvecSet(action.msg), id);
            wait?.pending.add(`${link.linkId}:held`);
            behind.push([link.linkId, box]);
            continue;
          }
          try {
            const tag = shim().send(link.linkId, action.msg);
            links.sent(link.linkId, tag, Date.now());
            wait?.pending.add(`${link.linkId}:${tag}`);
            metrics.broadcasts.inc();
          } catch (error) {
            this.#d.log.log(linkGoneInShim(error) ? 'debug' : 'warn', 'broadcast to a link failed', { linkId: link.linkId, process: formatFid(link.processFid), error: (error as Error).message });
          }
        }
        if (id !== undefined && wait && wait.pending.size === 0) this.#awaiting.delete(id);
        for (const [linkId, box] of behind) this.#checkBacklog(linkId, box);
        return;
      }
      case 'consul-txn':
        this.#d.writer.submit({ opId: action.opId, ops: action.ops });
        return;
      case 'drop-links': {
        for (const l of links.all()) {
          if (!same(l.processFid, action.process)) continue;
          links.stopSending(l.linkId);
          if (action.disconnect && this.disconnect(l.linkId)) {
            this.#d.log.log('info', 'link of a stopped or failed process disconnecting', { linkId: l.linkId, process: formatFid(action.process) });
          }
        }
        return;
      }
      case 'timer':
        this.#d.onTimer(action.dueMs);
        return;
      case 'election':
        this.#d.onElection?.(action);
        return;
      case 'pass-check':
        this.#d.onPassCheck?.(action.checkId, action.note);
        return;
      case 'notes': case 'dump': case 'await-delivery': case 'bq-result':
        return;
    }
  }
}
