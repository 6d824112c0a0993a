// POST / — Consul's service-watch handler (validated against openapi.yaml).
import type { Handler } from '../server.ts';
import type { ServiceHealthPayload } from '../../daemon/api.ts';
import { consulIndex, type HandlerContext } from './context.ts';

export const postServiceHealth = (ctx: HandlerContext): Handler => async ({ body, headers }) =>
  ({ body: await ctx.api.serviceHealth(body as ServiceHealthPayload, consulIndex(headers)) });
