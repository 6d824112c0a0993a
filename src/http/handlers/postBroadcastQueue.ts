// POST /watcher/bq — Consul's keyprefix watch on bq/.
import type { Handler } from '../server.ts';
import type { KvWatchEntry } from '../../daemon/api.ts';
import { consulIndex, type HandlerContext } from './context.ts';

export const postBroadcastQueue = (ctx: HandlerContext): Handler => async ({ body, headers }) =>
  ({ body: await ctx.api.broadcastQueue(body as KvWatchEntry[] | null, consulIndex(headers)) });
