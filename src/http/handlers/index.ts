// Handlers by operationId; server.ts refuses to start when this set and
// openapi.yaml's operations differ.
import type { Handler } from '../server.ts';
import type { HandlerContext } from './context.ts';
import { getAlive } from './getAlive.ts';
import { getLinks } from './getLinks.ts';
import { getOpenApi } from './getOpenApi.ts';
import { postServiceHealth } from './postServiceHealth.ts';

export function createHandlers(ctx: HandlerContext): Record<string, Handler> {
  return {
    getAlive: getAlive(),
    getOpenApi: getOpenApi(ctx),
    getLinks: getLinks(ctx),
    postServiceHealth: postServiceHealth(ctx),
  };
}
