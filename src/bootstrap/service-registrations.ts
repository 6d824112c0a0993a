// The Consul service registrations a cluster description makes, one per
// process, and where bootstrap leaves them for the nodes: KV
// `hax/services/<node>/<service id>`.
//
// Why through KV: a service must be registered on its own node's agent —
// there Consul's health judges it and anti-entropy keeps it; registered for
// another node through the catalog it is removed by that node's agent, and
// a check named like `serfHealth` replaces the real one (consul-facts.md §B).
// An agent's HTTP API is usually reachable on its own host only, so
// bootstrap, run once from any node, writes the registrations into KV and
// each node's hax registers its node's ones on its local agent at start-up
// (src/daemon/own-services.ts); bootstrap registers its own node's at once.
import type { ServiceRegistration } from '../consul/agent.ts';
import type { Cluster, ClusterProcess } from './cluster.ts';

export const SERVICES_PREFIX = 'hax/services/';

/** The Consul service name of a process (the original's: clients are `s3service`). */
export function serviceName(p: ClusterProcess): string { return p.kind === 'client' ? 's3service' : p.kind; }

/**
 * How long a process's TTL check stays passing unless passed again, as
 * bootstrap registers it: hax passes an ios's or confd's check when the
 * process reports STARTED, and nobody is due to pass it at an interval. hax
 * shortens its own check's TTL at start and passes it while it runs
 * (src/daemon/hax-check.ts).
 */
export const PROCESS_CHECK_TTL = '87600h';

/** The TTL check of a process's service, passing. */
export function serviceCheck(fidk: number | string, kind: string, ttl = PROCESS_CHECK_TTL): NonNullable<ServiceRegistration['Check']> {
  return { CheckID: `service:${fidk}`, Name: `Service '${kind}' check`, TTL: ttl, Status: 'passing' };
}

/** The registration of one process on its node's agent, with its TTL check passing. */
export function serviceRegistration(p: ClusterProcess, haxHttpPort = 8008): ServiceRegistration {
  const meta: Record<string, string> = { transport_type: 'libfab', ...(p.kind === 'hax' ? { http_port: String(haxHttpPort), http_protocol: 'http' } : {}) };
  return { ID: String(p.fidk), Name: serviceName(p), Address: p.address, Port: p.port, Meta: meta, Check: serviceCheck(p.fidk, p.kind) };
}

/** KV pairs holding every node's registrations (values: the registration as JSON). */
export function registrationKv(cluster: Cluster): [string, string][] {
  return cluster.nodes.flatMap((node) => node.processes.map((p): [string, string] =>
    [`${SERVICES_PREFIX}${node.name}/${p.fidk}`, JSON.stringify(serviceRegistration(p))]));
}

/** A registration read back from KV, or undefined when the value is not one. */
export function parseRegistration(value: string): ServiceRegistration | undefined {
  let r: unknown;
  try { r = JSON.parse(value); } catch { return undefined; }
  const o = r as Partial<ServiceRegistration> | null;
  if (!o || typeof o !== 'object' || typeof o.ID !== 'string' || !/^[0-9]{1,20}$/.test(o.ID) || typeof o.Name !== 'string'
    || (o.Port !== undefined && (!Number.isInteger(o.Port) || o.Port < 0 || o.Port > 65535))) return undefined;
  return o as ServiceRegistration;
}
