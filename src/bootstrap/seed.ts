// Writes a cluster description into Consul the way hare's bootstrap (cfgen,
// bootstrap-node) left it for the original hax (hax-reference.md §6.1):
// the name-keyed and fid-keyed m0conf/nodes trees, the sites tree
// (enclosure, controller, drives per node), pools, profiles, epochs,
// consul/node/<host>; catalog services hax / confd / ios with one TTL check
// each (processes of the agent's own node through the agent API, other nodes
// as catalog-only nodes), and the `leader` key held by a session of the
// agent's node (the principal RM node). KV goes in /v1/txn batches. Every
// fid comes from bootstrap/layout.ts, as the Motr conf's do.
import type { ConsulClient } from '../consul/client.ts';
import { TXN_MAX_OPS } from '../consul/txn.ts';
import { DEFAULT_CLIENT_TYPES, type Cluster, type ClusterProcess } from './cluster.ts';
import { clusterLayout, confFidText, type ClusterLayout } from './layout.ts';

export interface SeedResult { leaderSession: string; checks: string[]; kvPairs: number }

const dumps = (o: Record<string, unknown>) => '{' + Object.entries(o).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ') + '}';
const hostOf = (n: string) => n.split(':')[0]!;

/** The KV pairs of hare's layout for a cluster, in cfgen's order; fids from bootstrap/layout.ts. */
export function clusterKv(cluster: Cluster, consulNodeOf: (host: string) => string, layout: ClusterLayout = clusterLayout(cluster)): [string, string][] {
  const fid = confFidText;
  const kv: [string, string][] = [];
  const siteKey = `m0conf/sites/${fid(layout.site)}`, rackKey = `${siteKey}/racks/${fid(layout.rack)}`;
  const sites: [string, string][] = [[siteKey, dumps({ state: 'M0_NC_UNKNOWN' })], [rackKey, dumps({ state: 'M0_NC_UNKNOWN' })]];
  kv.push(['epoch', '1'], ['eq-epoch', '1'], ['m0_client_types', JSON.stringify(cluster.clientTypes ?? DEFAULT_CLIENT_TYPES)]);
  for (const node of layout.nodes) {
    const h = node.name;
    const nfid = fid(node.fid);
    kv.push([`consul/node/${h}`, consulNodeOf(h)]);
    kv.push([`ports/${h}/hax`, dumps({ http: 8008 })]);
    const nodeKey = `m0conf/nodes/${nfid}`;
    kv.push([nodeKey, dumps({ name: h, state: 'M0_NC_UNKNOWN' })]);
    const enclKey = `${rackKey}/encls/${fid(node.enclosure)}`, ctrlKey = `${enclKey}/ctrls/${fid(node.controller)}`;
    sites.push([enclKey, dumps({ node: nfid, state: 'M0_NC_UNKNOWN' })], [ctrlKey, dumps({ state: 'M0_NC_UNKNOWN' })]);
    for (const lp of node.processes) {
      const p = lp.process;
      const procKey = `${nodeKey}/processes/${fid(lp.fid)}`;
      kv.push([procKey, dumps({ name: p.kind === 'hax' ? 'hax' : 'm0_server', state: 'M0_NC_UNKNOWN' })]);
      for (const svc of lp.services) {
        kv.push([`m0conf/nodes/${h}/processes/${p.fidk}/services/${svc.type}`, String(svc.fid.key)]);
        const svcKey = `${procKey}/services/${fid(svc.fid)}`;
        kv.push([svcKey, dumps({ name: svc.type, state: 'M0_NC_UNKNOWN' })]);
        for (const d of svc.drives) {
          kv.push([`${svcKey}/sdevs/${fid(d.sdev)}`, dumps({ path: d.path, state: 'M0_NC_UNKNOWN' })]);
          sites.push([`${ctrlKey}/drives/${fid(d.drive)}`, dumps({ sdev: fid(d.sdev), state: 'M0_NC_UNKNOWN' })]);
        }
      }
      kv.push([`m0conf/nodes/${h}/processes/${p.fidk}/endpoint`, lp.endpoint]);
    }
  }
  kv.push(...sites);
  for (const pool of layout.pools) {
    const pf = fid(pool.fid);
    kv.push([`m0conf/pools/${pf}`, pool.name]);
    kv.push([`m0conf/pool-devices/${pf}`, JSON.stringify(pool.drives.map((d) => fid(d.drive)))]);
  }
  kv.push([`m0conf/profiles/${fid(layout.profile.fid)}`, dumps({ name: layout.profile.name, pools: layout.profile.pools })]);
  return kv;
}

function serviceName(p: ClusterProcess): string { return p.kind === 'client' ? 's3service' : p.kind; }

export async function seedCluster(consul: ConsulClient, cluster: Cluster, leaderNode?: string, layout?: ClusterLayout): Promise<SeedResult> {
  const agentNode = await consul.agent.nodeName();
  const local = (h: string) => hostOf(h) === hostOf(agentNode);
  const kv = clusterKv(cluster, (h) => (local(h) ? agentNode : h), layout);
  for (let i = 0; i < kv.length; i += TXN_MAX_OPS) {
    const res = await consul.txn.apply(kv.slice(i, i + TXN_MAX_OPS).map(([key, value]) => ({ verb: 'set' as const, key, value })));
    if (!res.ok) throw new Error(`seeding KV failed: ${JSON.stringify(res.errors).slice(0, 300)}`);
  }
  const checks: string[] = [];
  for (const node of cluster.nodes) {
    for (const p of node.processes) {
      const checkId = `service:${p.fidk}`;
      const meta: Record<string, string> = { transport_type: 'libfab', ...(p.kind === 'hax' ? { http_port: '8008', http_protocol: 'http' } : {}) };
      if (local(node.name)) {
        await consul.agent.registerService({
          ID: String(p.fidk), Name: serviceName(p), Address: p.address, Port: p.port, Meta: meta,
          Check: { CheckID: checkId, Name: `Service '${p.kind}' check`, TTL: '87600h', Status: 'passing' },
        });
      } else {
        await consul.catalog.register({
          Node: node.name, Address: '127.0.0.1',
          Service: { ID: String(p.fidk), Service: serviceName(p), Address: p.address, Port: p.port, Meta: meta },
          Checks: [{ CheckID: 'SerfHealth', Name: 'Serf Health Status', Status: 'passing' },
            { CheckID: checkId, Name: `Service '${p.kind}' check`, ServiceID: String(p.fidk), Status: 'passing' }],
        });
      }
      checks.push(checkId);
    }
  }
  const holder = leaderNode && local(leaderNode) ? leaderNode : hostOf(agentNode);
  const leaderSession = await consul.session.create({ Name: 'leader', Node: agentNode, Checks: ['serfHealth'], LockDelay: '2s' });
  const acquired = await consul.kv.acquire('leader', holder, leaderSession);
  if (!acquired) throw new Error(`could not acquire the leader key for ${holder}`);
  return { leaderSession, checks, kvPairs: kv.length };
}
