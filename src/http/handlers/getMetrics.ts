import type { Handler } from '../server.ts';
import type { HandlerContext } from './context.ts';

export const getMetrics = (ctx: HandlerContext): Handler => () =>
  ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: ctx.metrics.registry.render() });
