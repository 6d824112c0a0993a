// The core deciding links for tests and benches that drive the native shim
// without the daemon: every shim event the core needs goes to a real
// CoreHost (cookie, links held, draining, gone), and an entrypoint request is
// answered with the core's own reply and link plan, which the shim performs.
// The shim decides nothing; neither does this helper (except that a test may
// force the reply's rc, and with it CONSUME or QUERY).
import { CoreHost, type CoreAction, type LinkPlan } from '../../src/core/core-host.ts';
import type { Shim, ShimEvent, Confd } from '../../src/native/binding.ts';
import type { Fid } from '../../src/fid.ts';

type Reply = Extract<CoreAction, { kind: 'reply-entrypoint' }>;
const ZERO: Fid = { container: 0n, key: 0n };

export class CoreLinks {
  private constructor(readonly core: CoreHost) {}

  /** A core with an empty conf tree and a view of these confds and RM: it answers CONSUME. */
  static async load(confds: Confd[], rm: { fid: Fid; endpoint: string }): Promise<CoreLinks> {
    const core = await CoreHost.load();
    core.confLoaded(1, []);
    core.viewUpdated({ confds, rm });
    return new CoreLinks(core);
  }

  /** Feeds one shim event to the core (call it for every event, in order). */
  see(e: ShimEvent): void {
    if (e.type === 'listening' && e.cookie.length === 40) this.core.linksOpened(e.cookie);
    else if (e.type === 'link-connected' || e.type === 'link-reused') this.core.linkChanged(e.linkId, 'held', e.processFid, e.ids);
    else if (e.type === 'disconnecting') this.core.linkChanged(e.linkId, 'draining', ZERO);
    else if (e.type === 'disconnected') this.core.linkChanged(e.linkId, 'gone', ZERO);
  }

  /** The core's reply to an entrypoint event. */
  decide(e: Extract<ShimEvent, { type: 'entrypoint' }>): Reply {
    const d = this.core.entrypointRequested(e.reqId, e.fop);
    const r = d.actions.find((a): a is Reply => a.kind === 'reply-entrypoint');
    if (!r) throw new Error(`the core gave no entrypoint reply: ${d.reason.code}: ${d.reason.text}`);
    return r;
  }

  /**
   * Answers an entrypoint event on the shim with the core's link plan; `rc`
   * forces the reply's rc (and so CONSUME/QUERY), `confds` its confds.
   */
  answer(shim: Shim, e: Extract<ShimEvent, { type: 'entrypoint' }>, rc?: number, confds?: Confd[]): Reply {
    const r = this.decide(e);
    const link: LinkPlan = rc === undefined ? r.link : { ...r.link, control: rc === 0 ? 'consume' : 'query' };
    shim.entrypointReply(r.reqId, rc ?? r.rc, confds ?? r.confds, r.quorum, r.rmFid, r.rmEndpoint, link);
    return r;
  }
}
