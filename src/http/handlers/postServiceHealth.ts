// POST / — Consul's service-watch handler (validated against openapi.yaml).
import type { Handler } from '../server.ts';
import type { ServiceHealthPayload } from '../../daemon/api.ts';
import { RequestError } from '../../errors.ts';
import { consulIndex, type HandlerContext } from './context.ts';

export const postServiceHealth = (ctx: HandlerContext): Handler => async ({ body, headers }) => {
  try {
    return { body: await ctx.api.serviceHealth(body as ServiceHealthPayload, consulIndex(headers)) };
  } catch (error) {
    // The core takes one payload in one call through its input region (1 MiB:
    // about 100,000 checks; a 1,000-node cluster's watch has 8,000). A valid
    // body with more is the client's excess, not a bug of hax: refused, and
    // nothing was applied (the core did not run).
    if (error instanceof RangeError && /exceeds the core's input region/.test(error.message)) {
      throw new RequestError(413, 'HAX_ERR_BODY_TOO_COMPLEX', `the payload holds more checks than hax's core takes in one call (${error.message})`, 'Payload too large');
    }
    throw error;
  }
};
