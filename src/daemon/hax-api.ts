// The daemon's answers to the HTTP routes (HaxApi), built on the core and the
// link table. Kept apart from hax-daemon.ts so that the HTTP layer can be
// tested in process against the real core.
import type { CoreHost, Decision } from '../core/core-host.ts';
import { RequestError } from '../errors.ts';
import { formatFid } from '../fid.ts';
import { decodeValue } from '../consul/kv.ts';
import type { ClusterStatus, HaxApi, Note, RcSeen } from './api.ts';
import type { LinkTable } from './link-table.ts';
import type { BqConsumer } from './bq-consumer.ts';

export interface HaxApiDeps {
  core: CoreHost;
  links: LinkTable;
  /** Performs a core decision's actions and logs its reason. */
  apply(decision: Decision, context?: Record<string, unknown>): void;
  bq?: BqConsumer;
  node?: () => string;
  /** The RC and principal RM as the daemon's Consul watches last saw them. */
  rc?: () => RcSeen;
  /** Notes held for a link that is behind (performer.ts); 0 without a performer. */
  heldNotes?: (linkId: number) => number;
}

export function createHaxApi({ core, links, apply, bq, node, rc, heldNotes }: HaxApiDeps): HaxApi {
  // Only the daemon has a broadcast-queue consumer (it needs Consul); an API
  // built without one (tools, the HTTP benchmark) says so instead of guessing.
  const noConsumer = () => new RequestError(503, 'HAX_ERR_BQ_UNAVAILABLE', 'this hax has no broadcast-queue consumer (it runs without a Consul agent); POST /watcher/bq is served by `hax run`', 'Service unavailable');
  const broadcastResult = (decision: Decision) => {
    const notes = decision.actions.flatMap((a) => (a.kind === 'broadcast' ? a.notes : []));
    const sentTo = notes.length > 0 ? links.active().length : 0;
    return { reason: `${decision.reason.code}: ${decision.reason.text}`, notes, links: sentTo };
  };
  // The status walks the whole model (about 100–200 ms of the event loop at
  // 1,000 nodes, 1.9 MB): an answer is reused while the core has taken no input since.
  let cached: { inputs: number; status: ClusterStatus } | undefined;
  return {
    async serviceHealth(payload, consulIndex) {
      const entries = payload ?? [];
      const decision = core.healthPayload(entries, consulIndex);
      apply(decision, { route: 'POST /', consulIndex, entries: entries.length });
      return broadcastResult(decision);
    },
    async broadcastQueue(entries, consulIndex) {
      if (!bq) throw noConsumer();
      return bq.consume(entries, consulIndex);
    },
    async processKey(entry, consulIndex) {
      // The core reads the entry (key, value, index) and says what it is: the route only reports.
      const decision = core.processKeyPosted(entry ? { key: entry.Key, value: decodeValue(entry.Value ?? null) } : null, entry?.ModifyIndex ?? consulIndex);
      apply(decision, { route: 'POST /watcher/processes', consulIndex });
      return broadcastResult(decision);
    },
    clusterStatus(): ClusterStatus {
      if (cached && cached.inputs === core.inputs) return cached.status;
      // The core's model is the only one: the host shows what it answers.
      const decision = core.statusQueried();
      const answer = decision.actions.find((a) => a.kind === 'status');
      // the core trapped on the query (it is rebuilt already): a retry is answered
      if (answer?.kind !== 'status') throw new RequestError(503, 'HAX_ERR_CORE_ABORT', `the core gave no status (${decision.reason.code}: ${decision.reason.text}); retry`, 'Service unavailable');
      const seen = rc?.();
      const status = { node: node?.() ?? '', ...(seen ? { rc: { node: seen.node, rm: seen.rm && { ...seen.rm } } } : {}), nodes: answer.status.nodes, counters: answer.status.counters };
      cached = { inputs: core.inputs, status };
      return status;
    },
    states(fids): Note[] {
      const d = core.statesQueried(fids);
      const notes = d.actions.find((a) => a.kind === 'notes');
      return notes?.kind === 'notes' ? notes.notes : fids.map((f) => ({ fid: formatFid(f), state: 'M0_NC_ONLINE' }));
    },
    links: () => links.view().map((l) => ({ ...l, heldNotes: heldNotes?.(l.linkId) ?? 0 })),
  };
}
