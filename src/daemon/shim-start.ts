// Starts the native shim with the backend the configuration names: the
// socket backend on hax's `listen` addresses, or the motr backend (libmotr's
// halon interface), whose options come from Consul's description of hax's
// own process (motr-options.ts). Logs what the addon's load did to signal
// handlers (docs/native.md).
import { Shim, addonLoadWarnings, type LinkLimits, type ShimEvent } from '../native/binding.ts';
import type { ConsulClient } from '../consul/client.ts';
import { HaxError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Identity } from './identity.ts';
import { resolveMotrOptions, describeMotrOptions, type MotrFlags } from './motr-options.ts';

export interface ShimConfig {
  backend?: 'socket' | 'motr';
  listen: string[];
  haLimits?: Partial<LinkLimits>;
  motr?: MotrFlags;
}

export async function startShim(config: ShimConfig, consul: ConsulClient, identity: Identity, log: Logger, onEvents: (events: ShimEvent[]) => void): Promise<Shim> {
  let shim: Shim;
  if (config.backend !== 'motr') {
    shim = Shim.start({ listen: config.listen, limits: config.haLimits }, onEvents);
  } else {
    if (!Shim.motrAvailable) {
      throw new HaxError('HAX_ERR_MOTR_UNAVAILABLE', 'backend motr: this build of the native shim has no motr backend (build it against libmotr: docs/motr.md)');
    }
    const motr = await resolveMotrOptions(consul, identity, config.motr ?? {});
    log.log('info', 'starting the motr backend (libmotr halon interface); ready once hax\'s own entrypoint is answered', describeMotrOptions(motr));
    shim = Shim.start({ backend: 'motr', motr }, onEvents);
  }
  for (const w of addonLoadWarnings()) log.log('warn', w.msg, w.fields);   // a library of shim.node replaced signal handlers, or the guard was missing
  return shim;
}
