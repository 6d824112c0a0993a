// The one place `hax bootstrap` allocates fids. Both outputs read them from
// here: the Consul KV layout (bootstrap/seed.ts) and the Motr conf text for
// m0confgen (bootstrap/motr-conf.ts), so a process, service, sdev, drive,
// node, enclosure, controller, pool or profile has the same fid on both sides.
//
// Allocation is hare's cfgen's: one counter per object type, in file order —
// site and rack first, then per node: node, enclosure, controller, and for
// every drive of an `ios` service an sdev and a drive; then the pools and the
// profile. Process and service keys come from the cluster description. Objects
// only the Motr conf has (root, pool versions, objvs, the metadata pool) take
// the next values of the same counters afterwards (`counters`), so adding
// them never moves a fid Consul holds.
import { formatFid } from '../fid.ts';
import { processEndpoint, type Cluster, type ClusterNode, type ClusterPool, type ClusterProcess } from './cluster.ts';

/** Motr conf object types (conf/obj.h), named as m0confgen names them. */
export type ConfType = 'root' | 'node' | 'process' | 'service' | 'sdev' | 'site' | 'rack' | 'enclosure'
  | 'controller' | 'drive' | 'pool' | 'pver' | 'objv' | 'profile';

/** The type letter of each conf type: the top byte of a fid's container. */
export const CONF_TYPE_LETTER: Record<ConfType, string> = {
  root: 't', node: 'n', process: 'r', service: 's', sdev: 'd', site: 'S', rack: 'a', enclosure: 'e',
  controller: 'c', drive: 'k', pool: 'o', pver: 'v', objv: 'j', profile: 'p',
};

/** A conf fid as hare allocates them: container = type letter << 56 | 1. */
export interface ConfFid { readonly type: ConfType; readonly key: number }

/** Hare's (and Consul's) text form, e.g. 0x7200000000000001:0x4. */
export function confFidText(f: ConfFid): string {
  return formatFid({ container: (BigInt(CONF_TYPE_LETTER[f.type].charCodeAt(0)) << 56n) | 1n, key: BigInt(f.key) });
}

/** m0confgen's form of the same fid (container 1 is left out), e.g. process-4. */
export function confObjid(f: ConfFid): string {
  return `${f.type}-${f.key}`;
}

export interface LayoutDrive {
  /** node name and path: the pool references drives as `node:path` */
  node: string; path: string;
  sdev: ConfFid; drive: ConfFid;
  /** Motr's device index: the sdev's place among all IO devices of the cluster, from 0 */
  devIdx: number;
}

export interface LayoutService { type: string; fid: ConfFid; drives: LayoutDrive[] }

export interface LayoutProcess { process: ClusterProcess; fid: ConfFid; endpoint: string; services: LayoutService[] }

export interface LayoutNode {
  node: ClusterNode; name: string;
  fid: ConfFid; enclosure: ConfFid; controller: ConfFid;
  processes: LayoutProcess[];
}

export interface LayoutPool {
  pool: ClusterPool; name: string; fid: ConfFid;
  drives: LayoutDrive[];
  /** `node:path` references of the description that name no drive (Consul ignores them; the Motr conf refuses them) */
  unknownDrives: string[];
}

export interface ClusterLayout {
  site: ConfFid; rack: ConfFid;
  nodes: LayoutNode[];
  /** every drive, in allocation order */
  drives: LayoutDrive[];
  pools: LayoutPool[];
  profile: { fid: ConfFid; name: string; pools: string[] };
  /** last key used per type, for allocating conf-only objects after these */
  counters: ReadonlyMap<ConfType, number>;
}

/** Returns an allocator that continues from `start` (a copy is taken). */
export function keyAllocator(start?: ReadonlyMap<ConfType, number>): (t: ConfType) => ConfFid {
  const ctr = new Map(start ?? []);
  return (type) => { const key = (ctr.get(type) ?? 0) + 1; ctr.set(type, key); return { type, key }; };
}

export const DEFAULT_POOL_NAME = 'the pool';

/** The fids of every object of a cluster description, deterministic for a given description. */
export function clusterLayout(cluster: Cluster): ClusterLayout {
  const ctr = new Map<ConfType, number>();
  const next = (type: ConfType): ConfFid => { const key = (ctr.get(type) ?? 0) + 1; ctr.set(type, key); return { type, key }; };
  const site = next('site'), rack = next('rack');
  const drives: LayoutDrive[] = [];
  const drivesByPath = new Map<string, LayoutDrive>();
  const nodes = cluster.nodes.map((node): LayoutNode => {
    const fid = next('node'), enclosure = next('enclosure'), controller = next('controller');
    const processes = node.processes.map((p): LayoutProcess => ({
      process: p, fid: { type: 'process', key: p.fidk }, endpoint: processEndpoint(p),
      services: Object.entries(p.services).map(([type, key]): LayoutService => {
        const svcDrives = type === 'ios' ? (p.drives ?? []).map((path): LayoutDrive => {
          const d = { node: node.name, path, sdev: next('sdev'), drive: next('drive'), devIdx: drives.length };
          drives.push(d);
          drivesByPath.set(`${node.name}:${path}`, d);
          return d;
        }) : [];
        return { type, fid: { type: 'service', key }, drives: svcDrives };
      }),
    }));
    return { node, name: node.name, fid, enclosure, controller, processes };
  });
  const pools = (cluster.pools ?? [{ name: DEFAULT_POOL_NAME }]).map((pool): LayoutPool => {
    const fid = next('pool');
    const refs = pool.drives ?? [];
    return {
      pool, name: pool.name, fid,
      drives: pool.drives ? refs.map((r) => drivesByPath.get(r)).filter((d): d is LayoutDrive => !!d) : [...drivesByPath.values()],
      unknownDrives: refs.filter((r) => !drivesByPath.has(r)),
    };
  });
  const profile = { fid: next('profile'), name: 'Profile_the_pool', pools: pools.map((p) => p.name) };
  return { site, rack, nodes, drives, pools, profile, counters: new Map(ctr) };
}
