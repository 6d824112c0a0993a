import type { Handler } from '../server.ts';
import type { components } from '../../generated/api.d.ts';
import type { HandlerContext } from './context.ts';

export const getLinks = (ctx: HandlerContext): Handler => () => {
  const body: components['schemas']['Link'][] = ctx.links.toJSON();
  return { body };
};
