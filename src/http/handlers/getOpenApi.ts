import type { Handler } from '../server.ts';
import type { HandlerContext } from './context.ts';

export const getOpenApi = (ctx: HandlerContext): Handler => () => ({ contentType: 'application/yaml', body: ctx.openapiText() });
