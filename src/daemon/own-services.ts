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
// hax service is registered again only when its http_port is not the one
// hax serves on, and its check is passed either way — hax is starting, so
// its own check passing is the truth (a restarted agent brings TTL checks
// back critical).
import type { ConsulClient } from '../consul/client.ts';
import { parseRegistration, SERVICES_PREFIX } from '../bootstrap/service-registrations.ts';

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

/** Records the HTTP port hax serves on: the `hax` service's http_port meta (when it differs) and KV ports/<node>/hax. */
export async function recordHttpPort(consul: ConsulClient, node: string, haxServiceId: string | undefined, port: number): Promise<void> {
  if (haxServiceId) {
    const svc = (await consul.agent.services())[haxServiceId];
    if (svc && svc.Service === 'hax' && svc.Meta?.http_port !== String(port)) {
      await consul.agent.registerService({
        ID: svc.ID, Name: svc.Service, Address: svc.Address, Port: svc.Port, Meta: { ...svc.Meta, http_port: String(port) },
        Check: { CheckID: `service:${svc.ID}`, Name: "Service 'hax' check", TTL: '87600h', Status: 'passing' },
      });
    } else if (svc && svc.Service === 'hax') {
      // a restarted agent brings TTL checks back critical (consul-facts.md): hax is starting, so its own check passes
      await consul.agent.setCheck(`service:${svc.ID}`, 'pass', 'hax: started').catch(() => { /* a check that is not a TTL one: registered by other tools */ });
    }
  }
  // the layout's own spelling (hare's Python json.dumps), as bootstrap writes it
  await consul.kv.put(`ports/${node}/hax`, `{"http": ${port}}`);
}
