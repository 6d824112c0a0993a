// Writes a cluster description into Consul the way hare's bootstrap left it
// for the original hax: the name-keyed m0conf tree, catalog services hax /
// confd / ios with one TTL check each, and the `leader` key held by a session
// of the given node (the principal RM node). Only the local agent's node can
// own agent-registered services, so every process is registered on it.
import type { ConsulClient } from '../consul/client.ts';
import { processEndpoint, type Cluster } from './cluster.ts';

export interface SeedResult { leaderSession: string; checks: string[] }

export async function seedCluster(consul: ConsulClient, cluster: Cluster, leaderNode: string): Promise<SeedResult> {
  const checks: string[] = [];
  for (const node of cluster.nodes) {
    for (const p of node.processes) {
      const base = `m0conf/nodes/${node.name}/processes/${p.fidk}`;
      for (const [type, fidk] of Object.entries(p.services)) await consul.kv.put(`${base}/services/${type}`, String(fidk));
      await consul.kv.put(`${base}/endpoint`, processEndpoint(p));
      const checkId = `service:${p.fidk}`;
      await consul.agent.registerService({
        ID: String(p.fidk), Name: p.kind, Address: p.address, Port: p.port, Meta: { transport_type: 'libfab' },
        Check: { CheckID: checkId, Name: `Service '${p.kind}' check`, TTL: '87600h', Status: 'passing' },
      });
      checks.push(checkId);
    }
  }
  const leaderSession = await consul.session.create({ Name: 'leader', Node: leaderNode, Checks: ['serfHealth'], LockDelay: '2s' });
  const acquired = await consul.kv.acquire('leader', leaderNode, leaderSession);
  if (!acquired) throw new Error(`could not acquire the leader key for ${leaderNode}`);
  return { leaderSession, checks };
}
