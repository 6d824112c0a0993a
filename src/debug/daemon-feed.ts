// Turns what the daemon sees and decides into feed records: every core
// decision as the core reports it (kind, reason, subject fids, the notes it
// broadcast) and the shim's link and delivery events. Only reads; never
// changes what hax does, and never works out after the fact what a decision
// was: the core says so in its REASON record (assembly/actions.ts Out).
import type { Decision } from '../core/core-host.ts';
import { MSG_TYPE_NAMES } from '../core/abi.ts';
import type { ShimEvent } from '../native/binding.ts';
import type { LinkTable } from '../daemon/link-table.ts';
import { formatFid } from '../fid.ts';
import type { FeedDirection, FeedInput } from './feed-record.ts';

/**
 * Which way a decision's input came, by the core's decision kind: the event
 * names of its transition table (assembly/machine/core.ts) and the message
 * types a MessageReceived is narrowed to. A kind missing here is hax's own.
 */
const DIRECTION: ReadonlyMap<string, FeedDirection> = new Map<string, FeedDirection>([
  ['MessageReceived', 'motr→hax'], ['EntrypointRequested', 'motr→hax'],
  ...MSG_TYPE_NAMES.map((t) => [t, 'motr→hax'] as [string, FeedDirection]),
  ['HealthReported', 'consul→hax'], ['BqRead', 'consul→hax'], ['ProcessKeyPosted', 'consul→hax'],
  ['ViewUpdated', 'consul→hax'], ['ConfLoaded', 'consul→hax'], ['ProcessesLoaded', 'consul→hax'], ['HealthViewed', 'consul→hax'],
  ['ConsulReplied', 'hax→consul'],
]);

/** The process a decision is about: its first subject that is a process fid (type byte 'r'). */
const processOf = (subjects: string[]): string | undefined => subjects.find((f) => f.startsWith('0x72'));

export function feedOfDecision(decision: Decision): FeedInput {
  const notes = decision.actions.flatMap((a) => (a.kind === 'broadcast' ? a.notes : []));
  return {
    direction: DIRECTION.get(decision.kind) ?? 'hax', kind: decision.kind,
    process: processOf(decision.subjects),
    subjects: decision.subjects.length ? decision.subjects : undefined,
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
