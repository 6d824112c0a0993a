// POST /watcher/processes — Consul's key watch on one processes/<fid>.
import type { Handler } from '../server.ts';
import type { KvWatchEntry } from '../../daemon/api.ts';
import { consulIndex, type HandlerContext } from './context.ts';

export const postProcessKey = (ctx: HandlerContext): Handler => async ({ body, headers }) =>
  ({ body: await ctx.api.processKey(body as KvWatchEntry | null, consulIndex(headers)) });
