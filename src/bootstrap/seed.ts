// Writes a cluster description into Consul the way hare's bootstrap (cfgen,
// bootstrap-node) left it for the original hax (hax-reference.md §6.1):
// the name-keyed and fid-keyed m0conf/nodes trees, the sites tree
// (enclosure, controller, drives per node), pools, profiles, epochs,
// consul/node/<host>; the services hax / confd / ios with one TTL check each,
// for every node in KV hax/services/<node>/ and registered on the agent for
// its own node (each other node's hax registers its own at start-up:
// service-registrations.ts); and the `leader` key held by a session of the
// agent's node (the principal RM node). KV goes in /v1/txn batches. Every
// fid comes from bootstrap/layout.ts, as the Motr conf's do. seedCluster
// (the demo, tests and benches, many nodes simulated on one agent) also
// registers the nodes that have no agent as catalog-only nodes.
//
// `hax bootstrap` goes through bootstrapCluster: it reads what Consul holds
// first and writes only into a Consul without a cluster, or completes the
// same description (an interrupted run, a re-run): keys that are missing
// are created (create-only, so a concurrent writer is noticed), services
// that are missing are registered, the leader key is taken when no session
// holds it; nothing that is there is rewritten. A Consul that holds another
// description is refused (HAX_ERR_CLUSTER_EXISTS) and left as it is:
// rewriting it would reset the epoch hax advances, turn failed checks back
// to passing and leave the old description's keys behind.
//
// Which description Consul holds is recorded, last, in BOOTSTRAP_KEY: a
// digest of the KV pairs and services the description makes. With it, a
// description that only adds to the one there (a drive, a node) is told
// from the same one with keys missing. Without it (an interrupted first
// run, or a Consul bootstrapped before hax recorded it) what is there must
// be a part of the description, with the same values, to be completed.
import { createHash } from 'node:crypto';
import type { ConsulClient } from '../consul/client.ts';
import { TXN_MAX_OPS, type TxnKvOp } from '../consul/txn.ts';
import { ConsulError, HaxError } from '../errors.ts';
import { DEFAULT_CLIENT_TYPES, show, type Cluster, type ClusterProcess } from './cluster.ts';
import { clusterLayout, confFidText, type ClusterLayout } from './layout.ts';
import { registrationKv, serviceName, serviceRegistration, SERVICES_PREFIX } from './service-registrations.ts';

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

/** Registers a process on its node: through the agent when the node is the agent's; else (seedCluster only: a node simulated on this agent) catalog-only. */
async function registerProcess(consul: ConsulClient, node: string, p: ClusterProcess, local: boolean): Promise<string> {
  const reg = serviceRegistration(p);
  if (local) {
    await consul.agent.registerService(reg);
  } else {
    await consul.catalog.register({
      Node: node, Address: '127.0.0.1',
      Service: { ID: reg.ID, Service: reg.Name, Address: reg.Address, Port: reg.Port, Meta: reg.Meta },
      // the simulated node's liveness; never registered for a node with an agent (whose real serfHealth it would replace)
      Checks: [{ CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' },
        { CheckID: reg.Check!.CheckID!, Name: reg.Check!.Name!, ServiceID: reg.ID, Status: 'passing' }],
    });
  }
  return reg.Check!.CheckID!;
}

/** Names of the cluster's Consul members (nodes with an agent of their own). */
async function memberNames(consul: ConsulClient): Promise<Set<string>> {
  return new Set((await consul.agent.members()).map((m) => m.Name));
}

/**
 * The checks the leader session is tied to, as hax's RC election ties its own
 * (assembly/machine/election.ts): the node's serfHealth and the checks of its
 * confd and hax, so that the key is released when any of them fails.
 */
function leaderChecks(cluster: Cluster, holder: string): string[] {
  const node = cluster.nodes.find((n) => hostOf(n.name) === hostOf(holder));
  const own = (node?.processes ?? []).filter((p) => p.kind === 'confd' || p.kind === 'hax').map((p) => `service:${p.fidk}`);
  return ['serfHealth', ...own];
}

/** Takes the leader key for `holder` with a new session of the agent's node; refuses when another session holds it. */
async function takeLeader(consul: ConsulClient, holder: string, agentNode: string, checks: string[]): Promise<string> {
  const session = await consul.session.create({ Name: 'leader', Node: agentNode, Checks: checks, LockDelay: '2s' });
  if (await consul.kv.acquire('leader', holder, session)) return session;
  // Not ours to hold: the session would outlive this command otherwise.
  await consul.session.destroy(session);
  const now = await consul.kv.get('leader');
  const owner = now?.entry.Session ? await consul.session.info(now.entry.Session) : undefined;
  throw new HaxError('HAX_ERR_CLUSTER_EXISTS', `the leader key cannot be taken for ${holder}: ${now?.entry.Session
    ? `session ${now.entry.Session}${owner ? ` of node ${owner.Node}` : ''} holds it (value ${show(now.value)})`
    : 'a lock delay of a released session is still running; retry in a few seconds'}`);
}

async function writeKv(consul: ConsulClient, pairs: [string, string][], createOnly: boolean): Promise<void> {
  for (let i = 0; i < pairs.length; i += TXN_MAX_OPS) {
    const ops: TxnKvOp[] = pairs.slice(i, i + TXN_MAX_OPS).map(([key, value]) => (createOnly ? { verb: 'cas', key, value, index: 0 } : { verb: 'set', key, value }));
    const res = await consul.txn.apply(ops);
    if (res.ok) continue;
    const first = res.errors[0];
    const key = first ? pairs[i + first.OpIndex]?.[0] : undefined;
    if (createOnly) throw new HaxError('HAX_ERR_CLUSTER_EXISTS', `Consul changed while bootstrapping: ${key ? `key ${show(key)} was written by someone else` : 'a transaction was refused'} (${show(first?.What ?? '')}); run hax bootstrap again to see what Consul holds`);
    throw new ConsulError('HAX_ERR_CONSUL_STATUS', `Consul refused the KV transaction${key ? ` at key ${show(key)}` : ''}: ${show(first?.What ?? '')}`);
  }
}

/** Writes the cluster into Consul unconditionally (the demo and tests, on a fresh agent); `hax bootstrap` uses bootstrapCluster. */
export async function seedCluster(consul: ConsulClient, cluster: Cluster, leaderNode?: string, layout?: ClusterLayout): Promise<SeedResult> {
  const agentNode = await consul.agent.nodeName();
  const local = (h: string) => hostOf(h) === hostOf(agentNode);
  const kv = [...clusterKv(cluster, (h) => (local(h) ? agentNode : h), layout), ...registrationKv(cluster)];
  await writeKv(consul, kv, false);
  const checks: string[] = [];
  // A node that has an agent of its own registers its services there (its hax does at start-up).
  const members = await memberNames(consul);
  for (const node of cluster.nodes) {
    if (!local(node.name) && members.has(node.name)) continue;
    for (const p of node.processes) checks.push(await registerProcess(consul, node.name, p, local(node.name)));
  }
  const holder = leaderNode && local(leaderNode) ? leaderNode : hostOf(agentNode);
  const leaderSession = await takeLeader(consul, holder, agentNode, leaderChecks(cluster, holder));
  return { leaderSession, checks, kvPairs: kv.length };
}

/** KV keys (and prefixes) that bootstrap writes; some are hax's to rewrite afterwards (isRuntimeKey). */
const OWNED_PREFIXES = ['m0conf/', 'consul/node/', 'ports/', SERVICES_PREFIX];
const OWNED_KEYS = ['epoch', 'eq-epoch', 'm0_client_types'];
const RUNTIME_KEYS = new Set(['epoch', 'eq-epoch']);
/** Keys bootstrap creates and hax rewrites at run time: epochs, and the HTTP port each hax serves on (own-services.ts). */
const isRuntimeKey = (key: string) => RUNTIME_KEYS.has(key) || key.startsWith('ports/');
/** Where bootstrapCluster records the description it wrote: {"description": "sha256:<hex>", "kvPairs": N, "services": N}. */
export const BOOTSTRAP_KEY = 'hax/bootstrap';

export interface BootstrapResult extends SeedResult {
  /** seeded: Consul held no cluster; completed: the same description, missing parts written; unchanged: nothing was missing */
  outcome: 'seeded' | 'completed' | 'unchanged';
  /** KV pairs and services written by this run */
  written: number; registered: number;
  leader: { holder: string; session: string; taken: boolean };
}

interface Found { key: string; have: string; want?: string }
/** A key in a message: whole (keys name a field), quoted, cut only when absurd. */
const showKey = (k: string) => JSON.stringify(k.length > 200 ? `${k.slice(0, 200)}…` : k);

/**
 * Writes the cluster into Consul when Consul holds no cluster or the same
 * one (then only what is missing); refuses another cluster with
 * HAX_ERR_CLUSTER_EXISTS before writing anything.
 */
export async function bootstrapCluster(consul: ConsulClient, cluster: Cluster, options: {
  leaderNode?: string; layout?: ClusterLayout;
  /** runs once Consul's content is known to allow the bootstrap, before its first write (hax bootstrap writes --motr-conf there) */
  beforeWrite?: () => void | Promise<void>;
} = {}): Promise<BootstrapResult> {
  const agentNode = await consul.agent.nodeName();
  const local = (h: string) => hostOf(h) === hostOf(agentNode);
  const want = [...clusterKv(cluster, (h) => (local(h) ? agentNode : h), options.layout), ...registrationKv(cluster)];
  const holder = options.leaderNode && local(options.leaderNode) ? options.leaderNode : hostOf(agentNode);

  // What is there: KV, the leader, and the services of the description's process ids.
  const have = new Map<string, string>();
  for (const prefix of OWNED_PREFIXES) for (const e of (await consul.kv.list(prefix)).entries) have.set(e.key, e.value);
  for (const key of OWNED_KEYS) { const e = await consul.kv.get(key); if (e) have.set(key, e.value); }
  const leader = await consul.kv.get('leader');
  const leaderSession = leader?.entry.Session ? await consul.session.info(leader.entry.Session) : undefined;
  // This node's services, registered through its agent; the other nodes' are
  // registered by their own hax from hax/services/ (service-registrations.ts).
  const agentServices = await consul.agent.services();

  const wanted = new Set(want.map(([k]) => k));
  const conflicts: Found[] = [], extras: Found[] = [];
  const missing: [string, string][] = [];
  for (const [key, value] of want) {
    const now = have.get(key);
    if (now === undefined) missing.push([key, value]);
    else if (now !== value && !isRuntimeKey(key)) conflicts.push({ key, have: now, want: value });
  }
  for (const [key, value] of have) if (!wanted.has(key)) extras.push({ key, have: value });
  const toRegister: { node: string; p: ClusterProcess }[] = [];
  const services: string[] = [];
  let localServices = 0;
  for (const node of cluster.nodes) {
    for (const p of node.processes) {
      services.push(`${node.name} ${p.fidk} ${serviceName(p)} ${p.address}@${p.port}`);
      if (!local(node.name)) continue;
      localServices++;
      const s = agentServices[String(p.fidk)];
      if (!s) { toRegister.push({ node: node.name, p }); continue; }
      if (s.Service !== serviceName(p) || s.Address !== p.address || s.Port !== p.port) {
        conflicts.push({ key: `service ${p.fidk} on node ${node.name}`, have: `${s.Service} ${s.Address}@${s.Port}`, want: `${serviceName(p)} ${p.address}@${p.port}` });
      }
    }
  }
  const digest = `sha256:${createHash('sha256').update(JSON.stringify({ kv: want, services })).digest('hex')}`;
  const recordedEntry = await consul.kv.get(BOOTSTRAP_KEY);
  let recorded: string | undefined;
  if (recordedEntry) {
    try { recorded = String((JSON.parse(recordedEntry.value) as { description?: unknown }).description); } catch { recorded = show(recordedEntry.value); }
  }
  const another = recordedEntry !== undefined && recorded !== digest;
  const fresh = have.size === 0 && !leader && !recordedEntry && toRegister.length === localServices;
  if (conflicts.length || extras.length || another) {
    const nodes = [...have.keys()].filter((k) => k.startsWith('consul/node/')).map((k) => k.slice('consul/node/'.length));
    const there = [
      `${nodes.length} node(s)${nodes.length ? ` (${nodes.slice(0, 5).join(', ')}${nodes.length > 5 ? ', …' : ''})` : ''}`,
      `${have.size} bootstrap key(s)`,
      have.has('epoch') ? `epoch ${show(have.get('epoch'))}` : 'no epoch',
      leader ? `leader ${show(leader.value)}${leaderSession ? ` held by node ${leaderSession.Node}` : ' (not held)'}` : 'no leader',
      ...(recorded ? [`description ${recorded.slice(0, 19)}…`] : []),
    ].join(', ');
    const diff = [
      conflicts.length ? `${conflicts.length} key(s) or service(s) differ (first: ${showKey(conflicts[0]!.key)}: Consul has ${show(conflicts[0]!.have)}, the description gives ${show(conflicts[0]!.want)})` : '',
      extras.length ? `${extras.length} key(s) are not in the description (first: ${showKey(extras[0]!.key)})` : '',
      another && missing.length ? `the description adds ${missing.length} key(s) (first: ${showKey(missing[0]![0])})` : '',
      another && !conflicts.length && !extras.length && !missing.length ? `the description (${digest.slice(0, 19)}…) is another one` : '',
    ].filter(Boolean).join(' and ');
    throw new HaxError('HAX_ERR_CLUSTER_EXISTS', `Consul at ${consul.url} already holds another cluster: ${there}; ${diff}. Nothing was written. hax bootstrap writes only into a Consul without a cluster or completes the same description; to bootstrap another cluster, stop hax on every node and start from an empty Consul (docs/operations.md)`);
  }

  await options.beforeWrite?.();
  await writeKv(consul, missing, true);
  const checks: string[] = [];
  for (const { node, p } of toRegister) checks.push(await registerProcess(consul, node, p, local(node)));
  let session = leader?.entry.Session && leaderSession ? leader.entry.Session : undefined;
  const taken = !session;
  if (!session) session = await takeLeader(consul, holder, agentNode, leaderChecks(cluster, holder));
  // Last: the record that the whole description is there.
  if (!recordedEntry) await writeKv(consul, [[BOOTSTRAP_KEY, JSON.stringify({ description: digest, kvPairs: want.length, services: services.length })]], true);
  const outcome = fresh ? 'seeded' : missing.length || toRegister.length || taken || !recordedEntry ? 'completed' : 'unchanged';
  return {
    outcome, written: missing.length, registered: toRegister.length, leader: { holder: taken ? holder : leader!.value, session, taken },
    leaderSession: session, checks, kvPairs: want.length,
  };
}
