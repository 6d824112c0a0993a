import type { Handler } from '../server.ts';
import type { HandlerContext } from './context.ts';

export const getLinks = (ctx: HandlerContext): Handler => () => ({ body: ctx.api.links() });
