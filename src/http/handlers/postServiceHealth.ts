// POST / — Consul's service-watch handler. The body was validated against
// openapi.yaml; here it becomes compact records for the core, which decides
// which HA states changed and what to broadcast.
import type { Handler } from '../server.ts';
import type { components, operations } from '../../generated/api.d.ts';
import type { HealthStatus } from '../../core/core-host.ts';
import type { HandlerContext } from './context.ts';

type Payload = operations['postServiceHealth']['requestBody']['content']['application/json'];

export const postServiceHealth = (ctx: HandlerContext): Handler => ({ body, headers }) => {
  const entries = ((body as Payload) ?? []).map((e) => ({
    checks: e.Checks.map((c) => ({ serviceId: c.ServiceID ?? '', status: c.Status as HealthStatus })),
  }));
  const decision = ctx.core.healthReported(entries);
  const notes = decision.actions.flatMap((a) => (a.kind === 'broadcast' ? a.notes : []));
  const links = ctx.links.active().length;
  ctx.apply(decision, { route: 'POST /', consulIndex: headers['x-consul-index'], entries: entries.length });
  const result: components['schemas']['BroadcastResult'] = { reason: `${decision.reason.code}: ${decision.reason.text}`, notes, links: notes.length > 0 ? links : 0 };
  return { body: result };
};
