// The Motr side of `hax bootstrap --motr-conf FILE`: the cluster description
// as the text Motr's utils/m0confgen reads ("confgen" format, see
// `m0confgen --help-format`) and turns into the conf.xc the confd m0d loads
// with `-c`. Every fid the text shares with Consul — nodes, processes,
// services, sdevs, site, rack, enclosures, controllers, drives, pools,
// profile — comes from bootstrap/layout.ts, as seed.ts's do.
//
// What is generated, and from which Motr source it is taken (commit 27e7f86):
// - object types and attributes: utils/m0confgen `conf_obj_types`, in that
//   order; service types: conf/schema.h M0_CONF_SERVICE_TYPES. Keys print in
//   decimal and the container 1 is left out (`process-4`), as m0confgen does.
// - root-0 (conf/obj.h M0_CONF_ROOT_FID), verno 1, no DIX (imeta_pver (0,0)),
//   mdredundancy = the number of nodes with IO drives, and `mdpool` a
//   metadata pool of the first drive of each such node (N=1, K=that number
//   − 1), which every profile lists: pool/pool.c m0_pools_setup() fails
//   without it, and clients in oostore mode need mdredundancy > 0
//   (motr/client_init.c). This is hare's cfgen's choice (ConfPool md).
// - a service's endpoints = its process's endpoint: m0d asserts that the
//   services of its own process carry its endpoint (motr/conf.c
//   is_local_service); dtm0 gets hare's `origin:in-persistent` (servers) or
//   `origin:in-volatile` (clients) parameter.
// - sdevs: dev_idx = the drive's place among all IO devices from 0
//   (conf/validation.c conf_iodev_error), iface 2 (SATA), media 1 (disk),
//   bsize 4096 and size 0 unless the description gives them (size matters
//   for `-T ad` only: with `-T linux` the filename is the directory of a
//   linuxstob domain, ioservice/storage_dev.c), filename = the drive path.
// - one actual pool version per pool: N, K, S from the description (default
//   1, 0, 0), P = its drive count, tolerance [site, rack, enclosure,
//   controller, drive] = [0, 0, e, e, K] with e = floor(K / ceil((N+K+S) /
//   nodes)) when every node holds as many of the pool's drives, else 0
//   (fd/fd.c tolerance_check; hare's gen_sns_tolerance); its objv tree
//   site → rack → enclosure → controller → drive (conf/validation.c
//   conf_pver_width_error).
// - memory and CPU: hare's values (cfgen ConfProcess): cores = a mask of the
//   node's CPUs, mem_limit_as 128 MiB, rss/stack/memlock = the node's memory
//   in KiB; unused by m0d.
// A client type (clientTypes, e.g. m0_client_other) is a name only Consul
// has: it marks client processes for hax and is left out of the conf.
//
// Every description is checked first (bootstrap/cluster.ts: names, fids,
// endpoints, drive paths, pool drives, a confd, one hax per node); what m0d
// needs on top and the description may lack is refused here with
// HAX_ERR_BAD_CLUSTER, and the text is then re-read by
// bootstrap/motr-conf-check.ts against Motr's own validation rules. Both run
// from bootstrap/validate.ts before anything is written anywhere.
import { ConfigError } from '../errors.ts';
import { DEFAULT_CLIENT_TYPES, type Cluster, type ClusterProcess } from './cluster.ts';
import { checkMotrConf, endpointIsValid, parseConfgen } from './motr-conf-check.ts';
import { clusterLayout, confFidText, confObjid, keyAllocator, type ClusterLayout, type ConfFid, type LayoutDrive, type LayoutNode } from './layout.ts';

/** hare's service names (the KV `services/<type>` keys) → Motr service types (conf/schema.h). */
export const MOTR_SERVICE_TYPES: Readonly<Record<string, string>> = {
  mds: 'M0_CST_MDS', ios: 'M0_CST_IOS', confd: 'M0_CST_CONFD', rms: 'M0_CST_RMS', stats: 'M0_CST_STATS',
  ha: 'M0_CST_HA', sss: 'M0_CST_SSS', sns_rep: 'M0_CST_SNS_REP', sns_reb: 'M0_CST_SNS_REB', addb2: 'M0_CST_ADDB2',
  cas: 'M0_CST_CAS', dix_rep: 'M0_CST_DIX_REP', dix_reb: 'M0_CST_DIX_REB', ds1: 'M0_CST_DS1', ds2: 'M0_CST_DS2',
  fis: 'M0_CST_FIS', fdmi: 'M0_CST_FDMI', be: 'M0_CST_BE', m0t1fs: 'M0_CST_M0T1FS', client: 'M0_CST_CLIENT',
  iscs: 'M0_CST_ISCS', dtm0: 'M0_CST_DTM0',
};
/** Services that need a DIX pool version and CAS devices, which this generator does not make. */
const DIX_SERVICES = new Set(['cas', 'dix_rep', 'dix_reb']);

const DEFAULTS = { cpus: 1, memsizeMB: 1024, blksize: 4096, size: 0, memLimitAs: 134217728, iface: 2, media: 1 } as const;

export interface MotrConf {
  /** the m0confgen input */
  text: string;
  /** number of conf objects */
  objects: number;
  /** the metadata pool (conf only) and the pool version of each pool, by pool name */
  mdPool: ConfFid;
  pvers: Map<string, ConfFid>;
}

type Value = number | bigint | string | ConfFid | { enum: string } | { zeroFid: true } | Value[];

const isFid = (v: Value): v is ConfFid => typeof v === 'object' && v !== null && !Array.isArray(v) && 'type' in v && 'key' in v;
function encode(v: Value): string {
  if (Array.isArray(v)) return `[${v.map(encode).join(', ')}]`;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return `"${v}"`;
  if (isFid(v)) return confObjid(v);
  if ('enum' in v) return `@${v.enum}`;
  return '(0, 0)';
}

interface Pver { fid: ConfFid; N: number; K: number; S: number; drives: LayoutDrive[]; tolerance: number[]; sitev: ConfFid; objvs: [ConfFid, ConfFid, Value[]][] }

/** The parity declustering tolerance vector of a pool version over `drives`. */
function tolerance(drives: LayoutDrive[], N: number, K: number, S: number): number[] {
  const perNode = new Map<string, number>();
  for (const d of drives) perNode.set(d.node, (perNode.get(d.node) ?? 0) + 1);
  const counts = [...perNode.values()];
  const symmetric = counts.every((c) => c === counts[0]);
  const e = symmetric ? Math.floor(K / Math.ceil((N + K + S) / counts.length)) : 0;
  return [0, 0, e, e, K];
}

function bad(problems: string[]): ConfigError {
  const shown = problems.slice(0, 4).join('; ') + (problems.length > 4 ? `; and ${problems.length - 4} more` : '');
  return new ConfigError('HAX_ERR_BAD_CLUSTER', `the cluster description lacks what Motr's m0d needs for --motr-conf: ${shown}`);
}

/**
 * What m0d needs of a description beyond what every description must be
 * (bootstrap/cluster.ts checks names, fids, endpoints, drive paths, pool
 * drives, confd and hax first): one sentence per problem.
 */
export function motrConfProblems(cluster: Cluster, layout: ClusterLayout = clusterLayout(cluster)): string[] {
  const problems: string[] = [];
  const clientTypes = new Set(cluster.clientTypes ?? DEFAULT_CLIENT_TYPES);
  let confds = 0, ioses = 0;
  for (const node of layout.nodes) {
    for (const lp of node.processes) {
      const p = lp.process, pf = confFidText(lp.fid), who = `process ${pf} (${p.kind} on ${node.name})`;
      if (!endpointIsValid(lp.endpoint)) problems.push(`${who}: endpoint "${lp.endpoint}" is neither inet:tcp:HOST@PORT (libfab) nor an LNet address`);
      const has = (t: string) => lp.services.some((s) => s.type === t);
      for (const s of lp.services) {
        if (clientTypes.has(s.type)) continue;
        if (DIX_SERVICES.has(s.type)) problems.push(`service ${s.type} of ${who}: DIX (cas, dix_rep, dix_reb) needs a DIX pool version and CAS devices, which --motr-conf does not generate; leave it out`);
        else if (!MOTR_SERVICE_TYPES[s.type]) problems.push(`service "${s.type}" of ${who} is neither a Motr service type (${Object.keys(MOTR_SERVICE_TYPES).join(', ')}) nor a client type (${[...clientTypes].join(', ')})`);
        if (s.type === 'confd') confds++;
        if (s.type === 'ios') {
          ioses++;
          if (!s.drives.length) problems.push(`service ios of ${who} has no drives: an IO service needs at least one (conf/validation.c)`);
        }
      }
      if (p.kind === 'hax' && !has('ha')) problems.push(`${who} has no ha service: Motr processes' HA links end at it`);
      if (p.kind === 'confd' && !has('confd')) problems.push(`${who} has no confd service`);
      if (p.kind === 'confd' && !has('rms')) problems.push(`${who} has no rms service: the entrypoint names the leader's confd rms as the principal RM, and m0d looks it up in the conf`);
      if (p.kind === 'ios' && !has('ios')) problems.push(`${who} has no ios service`);
    }
  }
  if (!confds) problems.push('no process has a confd service (conf/validation.c: "No confd service defined")');
  if (!ioses) problems.push('no process has an ios service (conf/validation.c: "No IO services")');
  const inPool = new Map<LayoutDrive, string>();
  for (const pool of layout.pools) {
    const { dataUnits: N = 1, parityUnits: K = 0, spareUnits: S = 0 } = pool.pool;
    const what = `pool "${pool.name}"`;
    for (const r of pool.unknownDrives) problems.push(`${what} names drive ${r}, which no ios process has (drives are node:path)`);
    if (!pool.drives.length) { problems.push(`${what} has no drives`); continue; }
    for (const d of pool.drives) {
      const other = inPool.get(d);
      if (other && other !== pool.name) problems.push(`drive ${d.node}:${d.path} is in pools "${other}" and "${pool.name}"; pools must not share drives`);
      inPool.set(d, pool.name);
    }
    if (N < 1) problems.push(`${what}: dataUnits must be at least 1`);
    if (S > K) problems.push(`${what}: spareUnits (${S}) must not exceed parityUnits (${K}) (layout/pdclust.c)`);
    if (pool.drives.length < N + K + S) problems.push(`${what}: ${pool.drives.length} drive(s) cannot hold N+K+S = ${N}+${K}+${S} units of a parity group`);
    if (N > 1 && K === 0) problems.push(`${what}: with dataUnits ${N} it needs parityUnits ≥ 1 (Motr accepts a zero failure tolerance only with N = 1)`);
  }
  return problems;
}

/**
 * The m0confgen text of a cluster description. Deterministic: the same
 * description gives the same text. Throws HAX_ERR_BAD_CLUSTER when the
 * description lacks what m0d needs.
 */
export function motrConf(cluster: Cluster, layout: ClusterLayout = clusterLayout(cluster)): MotrConf {
  const problems = motrConfProblems(cluster, layout);
  if (problems.length) throw bad(problems);
  const clientTypes = new Set(cluster.clientTypes ?? DEFAULT_CLIENT_TYPES);
  const alloc = keyAllocator(layout.counters);
  const root: ConfFid = { type: 'root', key: 0 };
  const mdPool = alloc('pool');

  // Pool versions: one per pool, then the metadata pool's.
  const ioNodes = layout.nodes.filter((n) => n.processes.some((lp) => lp.services.some((s) => s.drives.length)));
  const nodeDrives = (n: LayoutNode) => n.processes.flatMap((lp) => lp.services.flatMap((s) => s.drives));
  const mdDrives = ioNodes.map((n) => nodeDrives(n)[0]!);
  const specs = [
    ...layout.pools.map((p) => ({ pool: p.fid, name: p.name, drives: p.drives, N: p.pool.dataUnits ?? 1, K: p.pool.parityUnits ?? 0, S: p.pool.spareUnits ?? 0 })),
    { pool: mdPool, name: '', drives: mdDrives, N: 1, K: ioNodes.length - 1, S: 0 },
  ];
  const pvers: Pver[] = specs.map((s) => {
    const fid = alloc('pver');
    const objv = () => alloc('objv');
    const sitev = objv(), rackv = objv();
    const below: Pver['objvs'] = [];
    const encls: ConfFid[] = [];
    for (const node of layout.nodes) {
      const mine = s.drives.filter((d) => d.node === node.name);
      if (!mine.length) continue;
      const enclv = objv(), ctrlv = objv();
      const drivevs = mine.map((d) => [objv(), d.drive, []] as Pver['objvs'][number]);
      encls.push(enclv);
      below.push([enclv, node.enclosure, [ctrlv]], [ctrlv, node.controller, drivevs.map((v) => v[0])], ...drivevs);
    }
    const objvs: Pver['objvs'] = [[sitev, layout.site, [rackv]], [rackv, layout.rack, encls], ...below];
    return { fid, N: s.N, K: s.K, S: s.S, drives: s.drives, tolerance: tolerance(s.drives, s.N, s.K, s.S), sitev, objvs };
  });
  const pversWith = (pred: (d: LayoutDrive) => boolean) => pvers.filter((v) => v.drives.some(pred)).map((v) => v.fid);

  const lines: string[] = [];
  let objects = 0;
  const obj = (fid: ConfFid, attrs: [string, Value][]) => {
    objects++;
    lines.push(`(${confObjid(fid)} ${attrs.map(([k, v]) => `${k}=${encode(v)}`).join(' ')})`);
  };
  const comment = (s: string) => lines.push('', `# ${s}`);

  lines.push('# Motr configuration in m0confgen\'s "confgen" format, written by `hax bootstrap --motr-conf`.',
    '# Its fids are those hax bootstrap wrote into Consul. Make conf.xc with: m0confgen FILE > conf.xc');
  const allPools = [...layout.pools.map((p) => p.fid), mdPool];
  obj(root, [['verno', 1], ['rootfid', root], ['mdpool', mdPool], ['imeta_pver', { zeroFid: true }], ['mdredundancy', ioNodes.length],
    ['params', []], ['nodes', layout.nodes.map((n) => n.fid)], ['sites', [layout.site]], ['pools', allPools],
    ['profiles', [layout.profile.fid]], ['fdmi_flt_grps', []]]);

  comment('Software: nodes, processes, services, storage devices');
  for (const node of layout.nodes) {
    const cpus = node.node.cpus ?? DEFAULTS.cpus, memsizeMB = node.node.memsizeMB ?? DEFAULTS.memsizeMB;
    const cores: bigint[] = [];
    for (let left = cpus; left > 0; left -= 64) cores.push((1n << BigInt(Math.min(64, left))) - 1n);
    obj(node.fid, [['memsize', memsizeMB], ['nr_cpu', cpus], ['last_state', 0], ['flags', 0], ['processes', node.processes.map((lp) => lp.fid)]]);
    for (const lp of node.processes) {
      const services = lp.services.filter((s) => !clientTypes.has(s.type));
      const kib = memsizeMB * 1024;
      obj(lp.fid, [['cores', cores], ['mem_limit_as', DEFAULTS.memLimitAs], ['mem_limit_rss', kib], ['mem_limit_stack', kib],
        ['mem_limit_memlock', kib], ['endpoint', lp.endpoint], ['services', services.map((s) => s.fid)]]);
      for (const s of services) {
        const params = s.type === 'dtm0' ? [lp.process.kind === 'client' ? 'origin:in-volatile' : 'origin:in-persistent'] : [];
        obj(s.fid, [['type', { enum: MOTR_SERVICE_TYPES[s.type]! }], ['endpoints', [lp.endpoint]], ['params', params], ['sdevs', s.drives.map((d) => d.sdev)]]);
        for (const d of s.drives) {
          const a = attrsOf(lp.process, d.path);
          obj(d.sdev, [['dev_idx', d.devIdx], ['iface', DEFAULTS.iface], ['media', DEFAULTS.media], ['bsize', a.blksize], ['size', a.size],
            ['last_state', 0], ['flags', 0], ['filename', d.path]]);
        }
      }
    }
  }

  comment('Hardware: site, rack, an enclosure and a controller per node, drives');
  const all = pvers.map((v) => v.fid);
  obj(layout.site, [['racks', [layout.rack]], ['pvers', all]]);
  obj(layout.rack, [['encls', layout.nodes.map((n) => n.enclosure)], ['pvers', all]]);
  for (const node of layout.nodes) {
    const here = pversWith((d) => d.node === node.name);
    const drives = nodeDrives(node);
    obj(node.enclosure, [['node', node.fid], ['ctrls', [node.controller]], ['pvers', here]]);
    obj(node.controller, [['drives', drives.map((d) => d.drive)], ['pvers', here]]);
    for (const d of drives) obj(d.drive, [['dev', d.sdev], ['pvers', pversWith((x) => x === d)]]);
  }

  comment('Pools: pool versions and their objv trees; the last pool is the metadata pool');
  for (const [i, s] of specs.entries()) {
    const v = pvers[i]!;
    lines.push(i < layout.pools.length ? `# pool ${JSON.stringify(s.name)}` : '# the metadata pool (root mdpool)');
    obj(s.pool, [['pver_policy', 0], ['pvers', [v.fid]]]);
    obj(v.fid, [['N', v.N], ['K', v.K], ['S', v.S], ['P', v.drives.length], ['tolerance', v.tolerance], ['sitevs', [v.sitev]]]);
    for (const [fid, real, children] of v.objvs) obj(fid, [['real', real], ['children', children]]);
  }

  comment('Profiles');
  obj(layout.profile.fid, [['pools', allPools]]);
  const text = lines.join('\n') + '\n';

  const found = checkMotrConf(parseConfgen(text));
  if (found.length) throw bad(found.map((p) => `the generated conf would be refused: ${p}`));
  return { text, objects, mdPool, pvers: new Map(layout.pools.map((p, i) => [p.name, pvers[i]!.fid])) };
}

function attrsOf(p: ClusterProcess, path: string): { size: number; blksize: number } {
  const a = p.driveAttrs?.[path];
  return { size: a?.size ?? DEFAULTS.size, blksize: a?.blksize ?? DEFAULTS.blksize };
}
