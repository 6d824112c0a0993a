// At start-up, hax registers its node's Consul services on its local agent
// from the registrations bootstrap left in KV (hax/services/<node>/; see
// src/bootstrap/service-registrations.ts for why there), and records the
// HTTP port it really serves on: the `hax` service's http_port meta and
// KV ports/<node>/hax.
//
// Only what is missing is registered: registering a service again would
// set its check back to passing, and a check another party failed (a
// process declared dead) must stay failed until that process reports it
// runs again (hax passes it then: assembly/machine/process-event.ts). The
// hax service is registered again at every start, with the http_port hax
// serves on and a short TTL check that hax passes while it runs
// (hax-check.ts): a hax that dies or hangs while its node lives fails its
// check, and with it the RC's session, so the RC role moves.
import type { ConsulClient } from '../consul/client.ts';
import { parseRegistration, serviceCheck, SERVICES_PREFIX } from '../bootstrap/service-registrations.ts';

export interface OwnServicesResult {
  /** Service ids registered now. */
  registered: string[];
  /** KV values under this node's prefix that are not registrations (left alone, logged). */
  refused: string[];
}

type Log = (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;

/** Registers the services of `node` (the description's node name) missing from the local agent. */
export async function registerOwnServices(consul: ConsulClient, node: string, log: Log): Promise<OwnServicesResult> {
  const { entries } = await consul.kv.list(`${SERVICES_PREFIX}${node}/`);
  const result: OwnServicesResult = { registered: [], refused: [] };
  if (entries.length === 0) return result;   // a cluster bootstrapped by other tools registers its services itself
  const have = await consul.agent.services();
  for (const e of entries) {
    const reg = parseRegistration(e.value);
    if (!reg || e.key !== `${SERVICES_PREFIX}${node}/${reg.ID}`) { result.refused.push(e.key); continue; }
    if (reg.ID in have) continue;
    await consul.agent.registerService(reg);
    result.registered.push(reg.ID);
  }
  if (result.refused.length > 0) log('warn', 'KV entries under hax/services/ that are not service registrations were skipped', { keys: result.refused.slice(0, 10) });
  if (result.registered.length > 0) log('info', 'registered this node\'s services on the local agent', { node, services: result.registered });
  return result;
}

/**
 * Records the HTTP port hax serves on (the `hax` service's http_port meta and
 * KV ports/<node>/hax) and makes hax's own check one it keeps alive: the
 * service is registered again with a TTL check of `checkTtlSec`, passing.
 * Returns that check's id for the heartbeat (hax-check.ts), or undefined when
 * the check is another tool's kind (an HTTP or script check) and left alone.
 */
export async function recordHttpPort(consul: ConsulClient, node: string, haxServiceId: string | undefined, port: number,
  checkTtlSec: number): Promise<string | undefined> {
  let heartbeat: string | undefined;
  if (haxServiceId) {
    const svc = (await consul.agent.services())[haxServiceId];
    const checkId = `service:${haxServiceId}`;
    const check = (await consul.agent.checks())[checkId];
    const ours = !check || check.Type === undefined || check.Type === 'ttl';
    if (svc && svc.Service === 'hax' && (ours || svc.Meta?.http_port !== String(port))) {
      // bootstrap's registration has a TTL of years (hax was not running yet); a restarted agent brings it back critical
      await consul.agent.registerService({
        ID: svc.ID, Name: svc.Service, Address: svc.Address, Port: svc.Port, Meta: { ...svc.Meta, http_port: String(port) },
        Check: serviceCheck(svc.ID, 'hax', `${checkTtlSec}s`),
      });
      heartbeat = checkId;
    }
  }
  // the layout's own spelling (hare's Python json.dumps), as bootstrap writes it
  await consul.kv.put(`ports/${node}/hax`, `{"http": ${port}}`);
  return heartbeat;
}
