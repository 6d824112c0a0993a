// The daemon's answers to the HTTP routes (HaxApi), built on the core and the
// link table. Kept apart from hax-daemon.ts so that the HTTP layer can be
// tested in process against the real core.
import type { CoreHost, Decision, HealthStatus } from '../core/core-host.ts';
import { RequestError } from '../errors.ts';
import type { HaxApi } from './api.ts';
import type { LinkTable } from './link-table.ts';

export interface HaxApiDeps {
  core: CoreHost;
  links: LinkTable;
  /** Performs a core decision's actions and logs its reason. */
  apply(decision: Decision, context?: Record<string, unknown>): void;
}

export function createHaxApi({ core, links, apply }: HaxApiDeps): HaxApi {
  const notYet = (route: string) => new RequestError(501, 'HAX_ERR_NOT_IMPLEMENTED', `${route} is not implemented yet`, 'Not implemented');
  return {
    async serviceHealth(payload, consulIndex) {
      const entries = (payload ?? []).map((e) => ({
        checks: e.Checks.map((c) => ({ serviceId: c.ServiceID ?? '', status: c.Status as HealthStatus })),
      }));
      const decision = core.healthReported(entries);
      const notes = decision.actions.flatMap((a) => (a.kind === 'broadcast' ? a.notes : []));
      const sentTo = notes.length > 0 ? links.active().length : 0;
      apply(decision, { route: 'POST /', consulIndex, entries: entries.length });
      return { reason: `${decision.reason.code}: ${decision.reason.text}`, notes, links: sentTo };
    },
    async broadcastQueue() { throw notYet('POST /watcher/bq'); },
    async processKey() { throw notYet('POST /watcher/processes'); },
    clusterStatus() { throw notYet('GET /v1/cluster/status'); },
    states() { throw notYet('GET /api/v1/states'); },
    links: () => links.view(),
  };
}
