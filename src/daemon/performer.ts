// Performs a core decision's actions, in order, and feeds results back:
// replies and sends on links, broadcasts (to every active link but a skip
// list, or to hax's own link only), Consul transactions through the writer,
// acknowledgements, dropping a dead process's links, timers, and "await
// delivery": the actions after it wait until every message of that broadcast
// was confirmed delivered (or not) by the links, or the timeout passed.
import type { CoreAction, Decision } from '../core/core-host.ts';
import type { Shim } from '../native/binding.ts';
import { formatFid, type Fid } from '../fid.ts';
import type { Logger } from '../log.ts';
import type { HaxMetrics } from '../metrics.ts';
import type { LinkTable } from './link-table.ts';
import type { ConsulWriter } from './consul-writer.ts';

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
}

const same = (a: Fid, b: Fid) => a.container === b.container && a.key === b.key;

export class Performer {
  readonly #d: PerformerDeps;
  /** broadcast id → link/tag keys not yet confirmed, and who waits. */
  readonly #awaiting = new Map<number, { pending: Set<string>; done?: () => void }>();
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
      this.#d.log.log('warn', 'disconnect failed', { linkId, code, error: (error as Error).message });
    }
    return true;
  }

  /** Logs the reason and performs the actions (the part after an await-delivery later). */
  apply(decision: Decision, context: Record<string, unknown> = {}, log = this.#d.log): void {
    const level = decision.reason.code === 'CORE_TRAPPED' ? 'error' : 'info';
    log.log(level, decision.reason.text, { reason: decision.reason.code, ...context, actions: decision.actions.map((a) => a.kind) });
    void this.#run(decision.actions);
  }

  /** A link confirmed message `tag` (delivered or not). */
  confirmed(linkId: number, tag: number): void {
    const key = `${linkId}:${tag}`;
    for (const [id, w] of this.#awaiting) {
      if (w.pending.delete(key) && w.pending.size === 0) { this.#awaiting.delete(id); w.done?.(); }
    }
  }

  /** A link went away: whatever hax waited for on it will not come. */
  linkGone(linkId: number): void {
    for (const [id, w] of this.#awaiting) {
      for (const k of w.pending) if (k.startsWith(`${linkId}:`)) w.pending.delete(k);
      if (w.pending.size === 0) { this.#awaiting.delete(id); w.done?.(); }
    }
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
        const tag = shim().send(action.linkId, action.msg);
        links.sent(action.linkId, tag, Date.now());
        return;
      }
      case 'broadcast': {
        metrics.broadcastNotes.inc({}, action.notes.length);
        const hax = this.#d.haxFid();
        const targets = links.active().filter((l) => (action.scope === 'hax' ? same(l.processFid, hax) : !(action.skip ?? []).some((s) => same(s, l.processFid))));
        const pending = new Set<string>();
        for (const link of targets) {
          try {
            const tag = shim().send(link.linkId, action.msg);
            links.sent(link.linkId, tag, Date.now());
            pending.add(`${link.linkId}:${tag}`);
            metrics.broadcasts.inc();
          } catch (error) {
            this.#d.log.log('warn', 'broadcast to a link failed', { linkId: link.linkId, process: formatFid(link.processFid), error: (error as Error).message });
          }
        }
        if (action.id !== undefined && pending.size > 0) this.#awaiting.set(action.id, { pending });
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
