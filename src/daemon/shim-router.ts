// Routes the native shim's events: what Motr sent becomes a core event on
// the decision loop (entrypoint requests, messages); link life and delivery
// confirmations update the link table and the performer; errors the I/O
// thread reported become NativeErrors, logged and counted. Every event gets
// its feed record (daemon-feed.ts). Runs on the main thread, one batch at a time.
import type { ShimEvent } from '../native/binding.ts';
import { MSG_TYPE_NAMES } from '../core/abi.ts';
import { NativeError } from '../errors.ts';
import type { Feed } from '../debug/feed.ts';
import { feedOfShimEvent } from '../debug/daemon-feed.ts';
import { formatFid } from '../fid.ts';
import type { Logger } from '../log.ts';
import type { HaxMetrics } from '../metrics.ts';
import type { LinkTable } from './link-table.ts';
import type { Performer } from './performer.ts';
import type { DecisionLoop } from './decision-loop.ts';
import type { AckLatency } from './ack-latency.ts';

export interface ShimRouterDeps {
  loop: DecisionLoop;
  links: LinkTable;
  performer: Performer;
  latency: AckLatency;
  feed: Feed;
  metrics: HaxMetrics;
  log: Logger;
  /** A listener is ready at `address`. */
  onListening(address: string): void;
}

/** Name of an m0_ha_msg's hed_type (u64 at byte 64), for counting; the core does the real decoding. */
function msgType(msg: Uint8Array): string {
  const t = msg.length >= 72 ? new DataView(msg.buffer, msg.byteOffset, msg.byteLength).getUint32(64, true) : -1;
  return MSG_TYPE_NAMES[t] ?? 'UNKNOWN';
}

const NO_FID = { container: 0n, key: 0n };

export function shimRouter(d: ShimRouterDeps): (events: ShimEvent[]) => void {
  const { loop, links, performer, log } = d;
  let cookieGiven = false;

  function publish(ev: ShimEvent): void {
    if (ev.type === 'received' || ev.type === 'entrypoint') return;   // their core decisions have records
    try {
      const sentAt = ev.type === 'delivered' ? links.get(ev.linkId)?.pending.get(ev.tag) : undefined;   // before the table forgets it
      const rec = feedOfShimEvent(ev, links, sentAt === undefined ? undefined : Date.now() - sentAt);
      if (rec) d.feed.publish(rec);
    } catch { /* read-only */ }
  }

  function route(ev: ShimEvent): void {
    publish(ev);
    switch (ev.type) {
      case 'listening':
        // the shim's cookie comes with its first listener: the core answers reconnects with it
        if (!cookieGiven && ev.cookie.length === 40) { cookieGiven = true; loop.handle({ type: 'links-opened', cookie: ev.cookie }, { address: ev.address }); }
        log.log('info', 'HA link listener ready', { address: ev.address });
        d.onListening(ev.address);
        return;
      case 'entrypoint':
        links.requestArrived(ev.reqId, ev.remote);
        loop.handle({ type: 'entrypoint-requested', reqId: ev.reqId, fop: ev.fop, nowMs: Date.now() }, { reqId: ev.reqId, remote: ev.remote });
        return;
      case 'link-connected': case 'link-reused': {
        const remote = links.requestAnswered(ev.reqId) ?? 'unknown';
        links.connected(ev.linkId, ev.processFid, remote);
        loop.handle({ type: 'link-changed', linkId: ev.linkId, change: 'held', process: ev.processFid, ids: ev.ids }, { linkId: ev.linkId });
        log.log('info', ev.type === 'link-connected' ? 'link connected' : 'link reused', { linkId: ev.linkId, process: formatFid(ev.processFid), remote });
        return;
      }
      case 'link-absent': log.log('info', 'link absent: the process was declared dead before; it must restart', { reqId: ev.reqId, remote: links.requestAnswered(ev.reqId) }); return;
      case 'received': {
        const type = msgType(ev.msg);
        d.latency.received(ev.linkId, ev.tag);
        d.metrics.messages.inc({ type });
        loop.handle({ type: 'message-received', linkId: ev.linkId, tag: ev.tag, msg: ev.msg }, { linkId: ev.linkId, tag: ev.tag, type });
        return;
      }
      case 'delivered': case 'not-delivered': {
        const latency = links.confirmed(ev.linkId, ev.tag, ev.type === 'delivered', Date.now());
        if (latency !== undefined) d.metrics.deliveryLatency.observe(latency / 1000);
        performer.confirmed(ev.linkId, ev.tag);
        log.log('debug', ev.type, { linkId: ev.linkId, tag: ev.tag, latencyMs: latency });
        return;
      }
      case 'disconnecting': {
        loop.handle({ type: 'link-changed', linkId: ev.linkId, change: 'draining', process: links.get(ev.linkId)?.processFid ?? NO_FID }, { linkId: ev.linkId });
        links.stopSending(ev.linkId);
        performer.disconnect(ev.linkId);   // no-op when hax asked already; libmotr waits for it otherwise
        performer.linkGone(ev.linkId);
        if (ev.code) {   // dropped by a limit: the peer is not keeping up, or is gone
          const error = new NativeError(ev.code, ev.message ?? 'link dropped by a limit');
          d.metrics.errors.inc({ code: error.code });
          log.log('warn', 'link dropped by a limit', { linkId: ev.linkId, process: formatFid(links.get(ev.linkId)?.processFid ?? { container: 0n, key: 0n }), code: error.code, error: error.message });
        } else {
          log.log('info', 'link disconnecting', { linkId: ev.linkId });
        }
        return;
      }
      case 'disconnected':
        loop.handle({ type: 'link-changed', linkId: ev.linkId, change: 'gone', process: links.get(ev.linkId)?.processFid ?? NO_FID }, { linkId: ev.linkId });
        links.disconnected(ev.linkId); performer.linkGone(ev.linkId); log.log('info', 'link disconnected', { linkId: ev.linkId }); return;
      case 'protocol-error': {
        const error = new NativeError(ev.code, ev.message);
        d.metrics.errors.inc({ code: error.code });
        log.log('warn', 'HA link protocol error; connection closed', { remote: ev.remote, code: error.code, error: error.message });
        return;
      }
      case 'io-error': {
        const error = new NativeError(ev.code, ev.message, { errno: ev.errno });
        log.log('error', 'HA link I/O error', { code: error.code, errno: error.errno, error: error.message });
        return;
      }
    }
  }

  return (events) => {
    for (const ev of events) {
      try { route(ev); } catch (error) {
        log.log('error', 'handling a shim event failed', { event: ev.type, code: (error as { code?: string }).code, error: (error as Error).message });
      }
    }
  };
}
