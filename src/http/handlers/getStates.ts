// GET /api/v1/states?fid=A&fid=B or ?fid=A,B
import type { Handler } from '../server.ts';
import type { HandlerContext } from './context.ts';
import { RequestError } from '../../errors.ts';
import { parseFid, type Fid } from '../../fid.ts';

export const MAX_STATE_FIDS = 1024;

export const getStates = (ctx: HandlerContext): Handler => ({ query }) => {
  const texts = query.getAll('fid').flatMap((v) => v.split(',')).map((t) => t.trim()).filter((t) => t !== '');
  if (texts.length === 0) throw new RequestError(400, 'HAX_ERR_BAD_QUERY', 'give at least one fid: ?fid=0x7200000000000001:0x4', 'Bad query');
  if (texts.length > MAX_STATE_FIDS) throw new RequestError(400, 'HAX_ERR_BAD_QUERY', `at most ${MAX_STATE_FIDS} fids per request`, 'Bad query');
  const fids: Fid[] = texts.map((t) => {
    const fid = parseFid(t);
    if (!fid) throw new RequestError(400, 'HAX_ERR_BAD_QUERY', `"${t}" is not a fid (0x<container>:0x<key>)`, 'Bad query');
    return fid;
  });
  return { body: ctx.api.states(fids) };
};
