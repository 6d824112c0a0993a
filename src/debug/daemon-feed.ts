// Turns what the daemon sees and decides into feed records: every core
// decision (with its reason and the notes it broadcast) and the shim's link
// and delivery events. Only reads; never changes what hax does.
import type { Decision } from '../core/core-host.ts';
import type { ShimEvent } from '../native/binding.ts';
import type { LinkTable } from '../daemon/link-table.ts';
import { formatFid } from '../fid.ts';
import type { FeedDirection, FeedInput } from './feed-record.ts';

/** Context keys the daemon passes with a decision (see hax-daemon.ts apply()). */
interface DecisionContext {
  linkId?: number; tag?: number; type?: string; reqId?: number; remote?: string;
  route?: string; opId?: number; key?: string; service?: string; rows?: number; why?: string;
}

function classify(ctx: DecisionContext): { direction: FeedDirection; kind: string } {
  if (ctx.linkId !== undefined && ctx.tag !== undefined) return { direction: 'motr→hax', kind: ctx.type ?? 'MESSAGE' };
  if (ctx.reqId !== undefined) return { direction: 'motr→hax', kind: 'ENTRYPOINT' };
  if (ctx.route === 'POST /') return { direction: 'consul→hax', kind: 'HEALTH' };
  if (ctx.route !== undefined) return { direction: 'consul→hax', kind: ctx.route.includes('bq') ? 'BQ' : 'WATCH' };
  if (ctx.opId !== undefined) return { direction: 'hax→consul', kind: 'CONSUL_WRITE' };
  if (ctx.rows !== undefined || ctx.why !== undefined) return { direction: 'consul→hax', kind: 'MODEL' };
  return { direction: 'hax', kind: 'DECISION' };
}

export function feedOfDecision(decision: Decision, context: Record<string, unknown>, links: LinkTable): FeedInput {
  const ctx = context as DecisionContext;
  const { direction, kind } = classify(ctx);
  const link = ctx.linkId !== undefined ? links.get(ctx.linkId) : undefined;
  const notes = decision.actions.flatMap((a) => (a.kind === 'broadcast' ? a.notes : []));
  return {
    direction, kind, linkId: ctx.linkId,
    process: link ? formatFid(link.processFid) : undefined,
    summary: decision.actions.length ? `actions: ${[...new Set(decision.actions.map((a) => a.kind))].join(', ')}` : 'no action',
    notes: notes.length ? notes : undefined,
    reason: { code: decision.reason.code, text: decision.reason.text },
  };
}

/** Shim events worth a record (link life and delivery); undefined for the rest. */
export function feedOfShimEvent(ev: ShimEvent, links: LinkTable, latencyMs?: number): FeedInput | undefined {
  const process = 'linkId' in ev && links.get(ev.linkId) ? formatFid(links.get(ev.linkId)!.processFid) : undefined;
  switch (ev.type) {
    case 'link-connected': case 'link-reused':
      return { direction: 'motr→hax', kind: 'LINK', linkId: ev.linkId, process: formatFid(ev.processFid), summary: ev.type.replace('-', ' ') };
    case 'link-absent': return { direction: 'motr→hax', kind: 'LINK', summary: 'link absent (process declared dead before)' };
    case 'disconnecting': case 'disconnected': return { direction: 'hax', kind: 'LINK', linkId: ev.linkId, process, summary: ev.type };
    case 'delivered': case 'not-delivered':
      return { direction: 'motr→hax', kind: 'DELIVERY', linkId: ev.linkId, process, delivery: { outcome: ev.type, latencyMs } };
    case 'protocol-error': return { direction: 'motr→hax', kind: 'PROTOCOL_ERROR', summary: ev.remote, error: { code: ev.code, message: ev.message } };
    case 'io-error': return { direction: 'hax', kind: 'IO_ERROR', error: { code: ev.code, message: ev.message } };
    default: return undefined;
  }
}
