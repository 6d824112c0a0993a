// seed.py's `load` (../shared/fixtures/hare-layout/): the original hax's
// Consul state — KV in /v1/txn batches of 64, the catalog services of every
// node (node 1 registered with the local agent, the others catalog-only) and
// the leader session — done over HTTP from Node, for tests and benchmarks.
import { ConsulClient } from '../../src/consul/client.ts';
import { until } from '../behaviour/_world.ts';

export interface SeedProcess { fid: string; fidk: number; node: number; service: string; address: string; port: number }
export interface SeedCluster { processes: SeedProcess[]; node_list: { consul_node: string }[]; kv: { key: string; value: string }[]; local_consul_node: string; local_host: string; nodes: number }

/** seed.py's `load` (the same KV, catalog entries and leader), done over HTTP from here. */
export async function loadSeed(consul: ConsulClient, cl: SeedCluster): Promise<void> {
  for (let i = 0; i < cl.kv.length; i += 64) {
    const r = await consul.txn.apply(cl.kv.slice(i, i + 64).map((x) => ({ verb: 'set' as const, key: x.key, value: x.value })));
    if (!r.ok) throw new Error('seeding KV failed');
  }
  for (const p of cl.processes) {
    const meta: Record<string, string> = { transport_type: 'libfab', ...(p.service === 'hax' ? { http_port: '8008', http_protocol: 'http' } : {}) };
    if (p.node === 1) {
      await consul.agent.registerService({ ID: String(p.fidk), Name: p.service, Address: p.address, Port: p.port, Meta: meta,
        Check: { CheckID: `service:${p.fidk}`, Name: `Service '${p.service}' check`, TTL: '87600h', Status: 'passing' } });
    } else {
      await consul.catalog.register({ Node: cl.node_list[p.node - 1]!.consul_node, Address: p.address.replace('inet:tcp:', ''),
        Service: { ID: String(p.fidk), Service: p.service, Address: p.address, Port: p.port, Meta: meta },
        Checks: [{ CheckID: 'SerfHealth', Name: 'Serf Health Status', Status: 'passing' }, { CheckID: `service:${p.fidk}`, Name: `Service '${p.service}' check`, ServiceID: String(p.fidk), Status: 'passing' }] });
    }
  }
  await until('a raft leader', async () => ((await (await fetch(`${(consul as unknown as { url: string }).url}/v1/status/leader`)).text()).includes(':') || undefined), 60_000);
  const sid = await consul.session.create({ Name: 'leader', Node: cl.local_consul_node, Checks: ['serfHealth'], LockDelay: '2s' });
  await consul.kv.acquire('leader', cl.local_host, sid);
  await until('local services in the catalog', async () => (await consul.catalog.service('hax')).services.length === cl.nodes || undefined);
}

