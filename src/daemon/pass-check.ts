// Performs the core's ACT_PASS_CHECK: a process of this node reported that it
// runs, so its TTL check on the local agent is passed (the rule and why are
// in assembly/machine/process-event.ts). A process whose service was not
// registered by `hax bootstrap` (a cluster registered by other tools, a
// process outside the description) has no such check: Consul answers 500
// "does not have associated TTL", which is logged at debug, not as a fault.
import type { ConsulClient } from '../consul/client.ts';
import { ConsulError } from '../errors.ts';
import type { Logger } from '../log.ts';

export function passCheck(consul: ConsulClient, checkId: string, note: string, log: Logger): void {
  consul.agent.setCheck(checkId, 'pass', note).then(
    () => log.log('debug', 'check passed', { checkId }),
    (error: unknown) => {
      const noTtl = error instanceof ConsulError && error.status === 500 && /does not have associated TTL|not found/i.test(error.message);
      log.log(noTtl ? 'debug' : 'warn', noTtl ? 'no TTL check to pass for this process (its service was not registered by hax bootstrap)' : 'could not pass a process\'s check',
        { checkId, error: (error as Error).message });
    });
}
