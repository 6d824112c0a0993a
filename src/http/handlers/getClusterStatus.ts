import type { Handler } from '../server.ts';
import type { HandlerContext } from './context.ts';

export const getClusterStatus = (ctx: HandlerContext): Handler => () => ({ body: ctx.api.clusterStatus() });
