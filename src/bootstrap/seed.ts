// Writes a cluster description into Consul the way hare's bootstrap (cfgen,
// bootstrap-node) left it for the original hax (hax-reference.md §6.1):
// the name-keyed and fid-keyed m0conf/nodes trees, the sites tree
// (enclosure, controller, drives per node), pools, profiles, epochs,
// consul/node/<host>; catalog services hax / confd / ios with one TTL check
// each (processes of the agent's own node through the agent API, other nodes
// as catalog-only nodes), and the `leader` key held by a session of the
// agent's node (the principal RM node). KV goes in /v1/txn batches.
import type { ConsulClient } from '../consul/client.ts';
import { TXN_MAX_OPS } from '../consul/txn.ts';
import { processEndpoint, type Cluster, type ClusterProcess } from './cluster.ts';

export interface SeedResult { leaderSession: string; checks: string[]; kvPairs: number }

const C = { node: 0x6en, sdev: 0x64n, drive: 0x6bn, site: 0x53n, rack: 0x61n, encl: 0x65n, ctrl: 0x63n, pool: 0x6fn, profile: 0x70n, process: 0x72n, service: 0x73n } as const;
const fid = (t: keyof typeof C, k: number | bigint) => `0x${((C[t] << 56n) | 1n).toString(16)}:0x${BigInt(k).toString(16)}`;
const dumps = (o: Record<string, unknown>) => '{' + Object.entries(o).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ') + '}';
const hostOf = (n: string) => n.split(':')[0]!;

/** The KV pairs of hare's layout for a cluster, in cfgen's order. */
export function clusterKv(cluster: Cluster, consulNodeOf: (host: string) => string): [string, string][] {
  const ctr = new Map<string, number>();
  const next = (t: string) => { const n = (ctr.get(t) ?? 0) + 1; ctr.set(t, n); return n; };
  const kv: [string, string][] = [];
  const site = fid('site', next('site')), rack = fid('rack', next('rack'));
  const siteKey = `m0conf/sites/${site}`, rackKey = `${siteKey}/racks/${rack}`;
  const sites: [string, string][] = [[siteKey, dumps({ state: 'M0_NC_UNKNOWN' })], [rackKey, dumps({ state: 'M0_NC_UNKNOWN' })]];
  kv.push(['epoch', '1'], ['eq-epoch', '1'], ['m0_client_types', JSON.stringify(cluster.clientTypes ?? ['m0_client_other', 'm0_client_s3'])]);
  const drivesByPath = new Map<string, string>();
  for (const node of cluster.nodes) {
    const h = node.name;
    const nfid = fid('node', next('node')), encl = fid('encl', next('encl')), ctrl = fid('ctrl', next('ctrl'));
    kv.push([`consul/node/${h}`, consulNodeOf(h)]);
    const hax = node.processes.find((p) => p.kind === 'hax');
    kv.push([`ports/${h}/hax`, dumps({ http: 8008 })]);
    void hax;
    const nodeKey = `m0conf/nodes/${nfid}`;
    kv.push([nodeKey, dumps({ name: h, state: 'M0_NC_UNKNOWN' })]);
    const enclKey = `${rackKey}/encls/${encl}`, ctrlKey = `${enclKey}/ctrls/${ctrl}`;
    sites.push([enclKey, dumps({ node: nfid, state: 'M0_NC_UNKNOWN' })], [ctrlKey, dumps({ state: 'M0_NC_UNKNOWN' })]);
    for (const p of node.processes) {
      const pfid = fid('process', p.fidk);
      const procKey = `${nodeKey}/processes/${pfid}`;
      kv.push([procKey, dumps({ name: p.kind === 'hax' ? 'hax' : 'm0_server', state: 'M0_NC_UNKNOWN' })]);
      for (const [type, sk] of Object.entries(p.services)) {
        kv.push([`m0conf/nodes/${h}/processes/${p.fidk}/services/${type}`, String(sk)]);
        const svcKey = `${procKey}/services/${fid('service', sk)}`;
        kv.push([svcKey, dumps({ name: type, state: 'M0_NC_UNKNOWN' })]);
        if (type === 'ios') {
          for (const path of p.drives ?? []) {
            const sdev = fid('sdev', next('sdev')), drive = fid('drive', next('drive'));
            kv.push([`${svcKey}/sdevs/${sdev}`, dumps({ path, state: 'M0_NC_UNKNOWN' })]);
            sites.push([`${ctrlKey}/drives/${drive}`, dumps({ sdev, state: 'M0_NC_UNKNOWN' })]);
            drivesByPath.set(`${h}:${path}`, drive);
          }
        }
      }
      kv.push([`m0conf/nodes/${h}/processes/${p.fidk}/endpoint`, processEndpoint(p)]);
    }
  }
  kv.push(...sites);
  const pools = cluster.pools ?? [{ name: 'the pool' }];
  const poolNames: string[] = [];
  for (const pool of pools) {
    const pf = fid('pool', next('pool'));
    poolNames.push(pool.name);
    kv.push([`m0conf/pools/${pf}`, pool.name]);
    const drives = pool.drives ? pool.drives.map((d) => drivesByPath.get(d)).filter((d): d is string => !!d) : [...drivesByPath.values()];
    kv.push([`m0conf/pool-devices/${pf}`, JSON.stringify(drives)]);
  }
  kv.push([`m0conf/profiles/${fid('profile', next('profile'))}`, dumps({ name: 'Profile_the_pool', pools: poolNames })]);
  return kv;
}

function serviceName(p: ClusterProcess): string { return p.kind === 'client' ? 's3service' : p.kind; }

export async function seedCluster(consul: ConsulClient, cluster: Cluster, leaderNode?: string): Promise<SeedResult> {
  const agentNode = await consul.agent.nodeName();
  const local = (h: string) => hostOf(h) === hostOf(agentNode);
  const kv = clusterKv(cluster, (h) => (local(h) ? agentNode : h));
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
