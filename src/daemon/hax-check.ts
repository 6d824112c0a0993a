// hax's own Consul check: a TTL check hax passes while it runs. The RC's
// `leader` session is tied to it (with serfHealth and the confd's check), so
// a hax that dies or hangs on a node that lives lets the session go and
// another node take the RC role. Before, the check had bootstrap's TTL of
// years: a dead hax left it passing and kept the role where nobody did it.
//
// Passed every third of the TTL, so one lost or slow pass does not fail it;
// a pass is skipped while the previous one is still in flight. The passes
// run on the event loop: a loop stuck for a whole TTL fails the check too.
import type { ConsulClient } from '../consul/client.ts';
import type { Logger } from '../log.ts';

/** Default TTL of hax's own check, seconds (`hax run --check-ttl`). */
export const HAX_CHECK_TTL_SEC = 10;

export interface CheckHeartbeat { stop(): void }

/** Passes `checkId` every `ttlSec / 3` until stopped; logs when passes begin and stop failing. */
export function startCheckHeartbeat(consul: ConsulClient, checkId: string, ttlSec: number, log: Logger): CheckHeartbeat {
  let inFlight = false;
  let failingSince: number | undefined;
  const pass = async () => {
    if (inFlight) return;
    inFlight = true;
    try {
      await consul.agent.setCheck(checkId, 'pass', 'hax: running');
      if (failingSince !== undefined) log.log('info', 'hax\'s own check is passed again', { check: checkId, failedForMs: Date.now() - failingSince });
      failingSince = undefined;
    } catch (error) {
      if (failingSince === undefined) {
        failingSince = Date.now();
        log.log('warn', `could not pass hax's own check; it turns critical ${ttlSec} s after the last pass, and an RC session tied to it ends`, { check: checkId, error: (error as Error).message });
      }
    } finally {
      inFlight = false;
    }
  };
  const timer = setInterval(() => { void pass(); }, ttlSec * 1000 / 3);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
