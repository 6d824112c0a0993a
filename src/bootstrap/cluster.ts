// A cluster description: nodes, their Motr processes with services and
// drives, and pools. `hax bootstrap` reads it from a YAML or JSON file
// (docs/examples/cluster.yaml) and writes it into Consul in hare's layout
// (bootstrap/seed.ts) and, with `--motr-conf`, into the text m0confgen turns
// into Motr's conf.xc (bootstrap/motr-conf.ts); both take their fids from
// bootstrap/layout.ts. Keys not given are allocated as hare's cfgen does:
// one counter per object type, in file order.
//
// This file is the one place a description is checked (bootstrap/validate.ts
// adds only what --motr-conf needs on top). Nothing of a description reaches
// Consul or a file before all of it passed:
// - the file: a regular file of at most CLUSTER_LIMITS.fileBytes, UTF-8 text
//   without control characters, one YAML document (or JSON for .json) with
//   unique keys and at most 100 alias expansions;
// - the schema: every field's type and range, unknown keys refused by name;
//   node names that are Consul node names and KV path segments, service
//   type names that are KV path segments, drive paths absolute without NUL,
//   control characters, quotes or `.`/`..` segments;
// - cross-references: unique node names (case-insensitively, as Consul's
//   catalog compares them), process fidks, service keys, endpoints
//   (address@port) and drive paths per node; pool drives that name an
//   existing node:path; and for a deployable cluster (readClusterFile) at
//   least one confd and exactly one hax on every node with processes.
// Every problem names its field as a path (nodes[1].processes[0].fidk).
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ConfigError } from '../errors.ts';

export type ProcessKind = 'hax' | 'confd' | 'ios' | 'client';

export interface ClusterProcess {
  kind: ProcessKind;
  /** Key of the process fid 0x7200000000000001:<fidk>; also its Consul ServiceID. */
  fidk: number;
  /** Motr endpoint address without the port, e.g. inet:tcp:127.0.0.1 */
  address: string;
  port: number;
  /** Service type → key of the service fid 0x7300000000000001:<fidk>. */
  services: Record<string, number>;
  /** Block devices of an ioservice (each one sdev + one drive). */
  drives?: string[];
  /** Motr conf only: sdev size and block size by drive path, where the file gave them. */
  driveAttrs?: Record<string, DriveAttrs>;
}

export interface DriveAttrs { /** bytes; 0 = not known */ size?: number; /** bytes */ blksize?: number }

export interface ClusterNode {
  /** Host name; also the Consul node name in the demo and tests. */
  name: string;
  processes: ClusterProcess[];
  /** Motr conf only: the node's CPU count and memory (MiB). */
  cpus?: number;
  memsizeMB?: number;
}

export interface ClusterPool {
  name: string;
  /** drive paths as node:path, or omitted for every drive */
  drives?: string[];
  /** Motr conf only: the pool version's parity declustering, N data + K parity + S spare units (default 1, 0, 0). */
  dataUnits?: number;
  parityUnits?: number;
  spareUnits?: number;
}

export interface Cluster { nodes: ClusterNode[]; pools?: ClusterPool[]; clientTypes?: string[] }

export const processEndpoint = (p: ClusterProcess) => `${p.address}@${p.port}`;

/** Names that mark client processes (KV m0_client_types) when the description gives none. */
export const DEFAULT_CLIENT_TYPES = ['m0_client_other', 'm0_client_s3'];

const KINDS: readonly ProcessKind[] = ['hax', 'confd', 'ios', 'client'];
const DEFAULT_SERVICES: Record<ProcessKind, string[]> = { hax: ['ha', 'rms'], confd: ['confd', 'rms'], ios: ['ios', 'rms'], client: ['m0_client_other'] };
const DEFAULT_PORTS: Record<ProcessKind, number> = { hax: 22001, confd: 22002, ios: 21001, client: 23001 };
const DEFAULT_ADDRESS = 'inet:tcp:127.0.0.1';

/** What a description may hold at most; beyond it the file is refused rather than half-read. */
export const CLUSTER_LIMITS = {
  fileBytes: 4 << 20, nodes: 10_000, processesPerNode: 1000, servicesPerProcess: 64, drivesPerProcess: 1000,
  pools: 1000, clientTypes: 64, aliases: 100, nameLength: 253, pathLength: 4096, cpus: 65_536, memsizeMB: 2 ** 32, units: 1024,
} as const;

const MAX_KEY = Number.MAX_SAFE_INTEGER;

/**
 * Consul node names (also KV path segments: consul/node/<name>,
 * m0conf/nodes/<name>/...): dot-separated labels of letters, digits, '-'
 * and '_', each starting and ending with a letter or digit; no '/', ':',
 * NUL, spaces, '.' or '..'.
 */
const NODE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*$/;
/** Service type and client type names (KV path segments m0conf/nodes/<node>/processes/<fidk>/services/<type>). */
const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** A Motr endpoint address without the port: inet:tcp:HOST (libfab; the port comes from `port`). */
const ADDRESS = /^inet6?:(?:tcp|stream|dgram|verbs|o2ib):[A-Za-z0-9._%[\]:-]{1,253}$/;

export const isNodeName = (s: string) => s.length <= CLUSTER_LIMITS.nameLength && NODE_NAME.test(s);

/** A value as it may appear in a one-line message: strings quoted, escaped and shortened; containers by kind only. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'binary data';
  return typeof v === 'object' ? 'a mapping' : typeof v;
}

/** Why a drive path cannot be one, or undefined when it can. */
function drivePathProblem(path: string): string | undefined {
  if (path.length === 0 || path.length > CLUSTER_LIMITS.pathLength) return `must be 1 to ${CLUSTER_LIMITS.pathLength} characters`;
  if (!path.startsWith('/')) return 'must be an absolute path';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f"]/.test(path)) return 'must hold no NUL, control character or quote';
  if (path.split('/').some((seg) => seg === '.' || seg === '..')) return "must hold no '.' or '..' segment";
  return undefined;
}

export interface ClusterProblem { at: string; msg: string }

/** One line for up to three problems: `at: msg; at: msg; at: msg (and N more)`. */
export function describeProblems(problems: readonly ClusterProblem[]): string {
  const shown = problems.slice(0, 3).map((p) => (p.at ? `${p.at}: ${p.msg}` : p.msg)).join('; ');
  return problems.length > 3 ? `${shown} (and ${problems.length - 3} more)` : shown;
}

/** The path of a key under `at`: plain keys as they are, others quoted (a key may hold anything). */
const keyAt = (at: string, k: string) => {
  const key = /^[A-Za-z0-9_-]{1,40}$/.test(k) ? k : show(k);
  return at ? `${at}.${key}` : key;
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** Collects schema problems while reading a parsed description. */
class Reader {
  readonly problems: ClusterProblem[] = [];
  bad(at: string, msg: string): undefined { if (this.problems.length < 100) this.problems.push({ at, msg }); return undefined; }

  /** A mapping with only `keys`; unknown keys are refused by name. */
  mapping(v: unknown, at: string, keys: readonly string[]): Record<string, unknown> | undefined {
    if (!isPlainObject(v)) return this.bad(at, `must be a mapping (${keys.join(', ')}), got ${show(v)}`);
    for (const k of Object.keys(v)) if (!keys.includes(k)) this.bad(keyAt(at, k), `unknown key; expected one of ${keys.join(', ')}`);
    return v;
  }
  list(v: unknown, at: string, max: number, min = 0): unknown[] | undefined {
    if (!Array.isArray(v)) return this.bad(at, `must be a list, got ${show(v)}`);
    if (v.length < min || v.length > max) return this.bad(at, `must hold ${min} to ${max} entries, got ${v.length}`);
    return v;
  }
  int(v: unknown, at: string, min: number, max: number): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return this.bad(at, `must be a whole number from ${min} to ${max}, got ${show(v)}${typeof v === 'number' && Math.abs(v) > MAX_KEY ? ' (beyond 2^53, where numbers stop being exact)' : ''}`);
    }
    return v;
  }
  name(v: unknown, at: string, re: RegExp, what: string): string | undefined {
    if (typeof v !== 'string' || v.length > CLUSTER_LIMITS.nameLength || !re.test(v)) return this.bad(at, `must be ${what}, got ${show(v)}`);
    return v;
  }
  text(v: unknown, at: string, what: string): string | undefined {
    // eslint-disable-next-line no-control-regex
    if (typeof v !== 'string' || v.length === 0 || v.length > CLUSTER_LIMITS.nameLength || /[\x00-\x1f\x7f"]/.test(v)) return this.bad(at, `must be ${what}, got ${show(v)}`);
    return v;
  }
}

const NODE_NAME_WHAT = "a host name (dot-separated labels of letters, digits, '-' and '_', at most 253 characters), as Consul node names and KV paths allow";
const TYPE_WHAT = "a name of letters, digits and '_' starting with a letter (at most 64 characters)";

interface Where {
  fidk: Map<ClusterProcess, string>; port: Map<ClusterProcess, { at: string; given: boolean }>;
  service: Map<ClusterProcess, Map<string, string>>; drive: Map<ClusterProcess, Map<string, string>>; process: Map<ClusterProcess, string>;
}

/** Reads the schema and fills in keys, addresses, ports and services; problems instead of a cluster when the schema is not met. */
function readSchema(raw: unknown, r: Reader): { cluster: Cluster; where: Where } | undefined {
  const top = r.mapping(raw, '', ['nodes', 'pools', 'clientTypes']);
  if (!top) return undefined;
  if (!('nodes' in top)) r.bad('nodes', 'is missing: a description lists its nodes');
  const rawNodes = 'nodes' in top ? r.list(top.nodes, 'nodes', CLUSTER_LIMITS.nodes, 1) ?? [] : [];
  const where: Where = { fidk: new Map(), port: new Map(), service: new Map(), drive: new Map(), process: new Map() };

  // Keys the file gives, so that allocated ones never take them.
  const usedFidks = new Set<number>(), usedServiceKeys = new Set<number>();
  for (const n of rawNodes) {
    const ps = isPlainObject(n) && Array.isArray(n.processes) ? n.processes : [];
    for (const p of ps) {
      if (!isPlainObject(p)) continue;
      if (typeof p.fidk === 'number') usedFidks.add(p.fidk);
      if (isPlainObject(p.services)) for (const v of Object.values(p.services)) if (typeof v === 'number') usedServiceKeys.add(v);
    }
  }
  let nextProcess = 1, nextService = 1;
  const allocService = () => { while (usedServiceKeys.has(nextService)) nextService++; return nextService++; };

  const nodes: ClusterNode[] = [];
  rawNodes.forEach((n, i) => {
    const at = `nodes[${i}]`;
    const node = r.mapping(n, at, ['name', 'address', 'processes', 'cpus', 'memsizeMB']);
    if (!node) return;
    const name = r.name(node.name, `${at}.name`, NODE_NAME, NODE_NAME_WHAT);
    const nodeAddress = node.address === undefined ? DEFAULT_ADDRESS : r.name(node.address, `${at}.address`, ADDRESS, 'a Motr address without the port, like inet:tcp:192.168.1.10');
    const cpus = node.cpus === undefined ? undefined : r.int(node.cpus, `${at}.cpus`, 1, CLUSTER_LIMITS.cpus);
    const memsizeMB = node.memsizeMB === undefined ? undefined : r.int(node.memsizeMB, `${at}.memsizeMB`, 1, CLUSTER_LIMITS.memsizeMB);
    if (!('processes' in node)) r.bad(`${at}.processes`, 'is missing: a list of the node\'s Motr processes (may be empty)');
    const rawProcs = 'processes' in node ? r.list(node.processes, `${at}.processes`, CLUSTER_LIMITS.processesPerNode) ?? [] : [];
    const perKind = new Map<ProcessKind, number>();
    const processes: ClusterProcess[] = [];
    rawProcs.forEach((rp, j) => {
      const pat = `${at}.processes[${j}]`;
      const p = r.mapping(rp, pat, ['kind', 'fidk', 'address', 'port', 'services', 'drives']);
      if (!p) return;
      const kind = KINDS.includes(p.kind as ProcessKind) ? p.kind as ProcessKind : r.bad(`${pat}.kind`, `must be one of ${KINDS.join(', ')}, got ${show(p.kind)}`);
      let fidk = p.fidk === undefined ? undefined : r.int(p.fidk, `${pat}.fidk`, 1, MAX_KEY);
      if (p.fidk === undefined) { while (usedFidks.has(nextProcess)) nextProcess++; fidk = nextProcess; usedFidks.add(fidk); }
      const address = p.address === undefined ? nodeAddress : r.name(p.address, `${pat}.address`, ADDRESS, 'a Motr address without the port, like inet:tcp:192.168.1.10');
      const k = kind ? perKind.get(kind) ?? 0 : 0;
      if (kind) perKind.set(kind, k + 1);
      const port = p.port === undefined ? (kind ? DEFAULT_PORTS[kind] + k : undefined) : r.int(p.port, `${pat}.port`, 1, 65535);

      const services: Record<string, number> = {};
      const serviceAt = new Map<string, string>();
      if (isPlainObject(p.services)) {
        const entries = Object.entries(p.services);
        if (entries.length > CLUSTER_LIMITS.servicesPerProcess) r.bad(`${pat}.services`, `must hold at most ${CLUSTER_LIMITS.servicesPerProcess} services, got ${entries.length}`);
        for (const [type, key] of entries.slice(0, CLUSTER_LIMITS.servicesPerProcess)) {
          const sat = keyAt(`${pat}.services`, type);
          const t = r.name(type, sat, TYPE_NAME, `a service type: ${TYPE_WHAT}`);
          const v = r.int(key, sat, 1, MAX_KEY);
          if (t !== undefined && v !== undefined) { services[t] = v; serviceAt.set(t, sat); }
        }
      } else if (p.services === undefined || Array.isArray(p.services)) {
        const types = p.services === undefined ? (kind ? DEFAULT_SERVICES[kind] : []) : r.list(p.services, `${pat}.services`, CLUSTER_LIMITS.servicesPerProcess) ?? [];
        types.forEach((type, s) => {
          const sat = `${pat}.services[${s}]`;
          const t = r.name(type, sat, TYPE_NAME, `a service type: ${TYPE_WHAT}`);
          if (t === undefined) return;
          if (Object.hasOwn(services, t)) { r.bad(sat, `${show(t)} is listed twice`); return; }
          services[t] = allocService();
          serviceAt.set(t, sat);
        });
      } else r.bad(`${pat}.services`, `must be a list of service types or a mapping of service type to key, got ${show(p.services)}`);
      for (const v of Object.values(services)) if (v >= nextService) nextService = v + 1;

      let drives: string[] | undefined;
      let driveAttrs: Record<string, DriveAttrs> | undefined;
      const driveAt = new Map<string, string>();
      if (p.drives !== undefined) {
        if (kind && kind !== 'ios') r.bad(`${pat}.drives`, `only an ios process has drives, this is a ${kind}`);
        drives = [];
        (r.list(p.drives, `${pat}.drives`, CLUSTER_LIMITS.drivesPerProcess) ?? []).forEach((d, m) => {
          const dat = `${pat}.drives[${m}]`;
          let path: unknown = d, size: number | undefined, blksize: number | undefined;
          if (isPlainObject(d)) {
            const o = r.mapping(d, dat, ['path', 'size', 'blksize'])!;
            path = o.path;
            if (o.size !== undefined) size = r.int(o.size, `${dat}.size`, 0, MAX_KEY);
            if (o.blksize !== undefined) blksize = r.int(o.blksize, `${dat}.blksize`, 1, 1 << 30);
          }
          const pathAt = isPlainObject(d) ? `${dat}.path` : dat;
          if (typeof path !== 'string') { r.bad(pathAt, `must be a drive path (absolute, e.g. /dev/sdb), got ${show(path)}`); return; }
          const why = drivePathProblem(path);
          if (why) { r.bad(pathAt, `${why}, got ${show(path)}`); return; }
          drives!.push(path);
          driveAt.set(path, pathAt);
          if (size !== undefined || blksize !== undefined) (driveAttrs ??= {})[path] = { ...(size !== undefined ? { size } : {}), ...(blksize !== undefined ? { blksize } : {}) };
        });
      }
      if (!kind || fidk === undefined || address === undefined || port === undefined) return;
      const proc: ClusterProcess = { kind, fidk, services, drives, ...(driveAttrs ? { driveAttrs } : {}), address, port };
      processes.push(proc);
      where.process.set(proc, pat);
      where.fidk.set(proc, `${pat}.fidk`);
      where.port.set(proc, { at: `${pat}.port`, given: p.port !== undefined });
      where.service.set(proc, serviceAt);
      where.drive.set(proc, driveAt);
    });
    if (name === undefined) return;
    nodes.push({ name, processes, ...(cpus !== undefined ? { cpus } : {}), ...(memsizeMB !== undefined ? { memsizeMB } : {}) });
  });

  let pools: ClusterPool[] | undefined;
  if (top.pools !== undefined) {
    pools = [];
    (r.list(top.pools, 'pools', CLUSTER_LIMITS.pools, 1) ?? []).forEach((rp, i) => {
      const at = `pools[${i}]`;
      const p = r.mapping(rp, at, ['name', 'drives', 'dataUnits', 'parityUnits', 'spareUnits']);
      if (!p) return;
      const name = r.text(p.name, `${at}.name`, 'a name of 1 to 253 characters without control characters or quotes');
      const units: Pick<ClusterPool, 'dataUnits' | 'parityUnits' | 'spareUnits'> = {};
      for (const f of ['dataUnits', 'parityUnits', 'spareUnits'] as const) {
        if (p[f] === undefined) continue;
        const v = r.int(p[f], `${at}.${f}`, f === 'dataUnits' ? 1 : 0, CLUSTER_LIMITS.units);
        if (v !== undefined) units[f] = v;
      }
      let drives: string[] | undefined;
      if (p.drives !== undefined) {
        drives = [];
        (r.list(p.drives, `${at}.drives`, CLUSTER_LIMITS.nodes * CLUSTER_LIMITS.drivesPerProcess) ?? []).forEach((d, k) => {
          if (typeof d !== 'string' || !/^[^:/]+:\//.test(d)) { r.bad(`${at}.drives[${k}]`, `must be a drive as node:path (e.g. srvnode-1:/dev/sdb), got ${show(d)}`); return; }
          drives!.push(d);
        });
      }
      if (name !== undefined) pools!.push({ name, ...(drives ? { drives } : {}), ...units });
    });
  }
  let clientTypes: string[] | undefined;
  if (top.clientTypes !== undefined) {
    clientTypes = [];
    (r.list(top.clientTypes, 'clientTypes', CLUSTER_LIMITS.clientTypes) ?? []).forEach((t, i) => {
      const v = r.name(t, `clientTypes[${i}]`, TYPE_NAME, `a client type: ${TYPE_WHAT}`);
      if (v === undefined) return;
      if (clientTypes!.includes(v)) r.bad(`clientTypes[${i}]`, `${show(v)} is listed twice`);
      else clientTypes!.push(v);
    });
  }
  if (r.problems.length) return undefined;
  return { cluster: { nodes, ...(pools ? { pools } : {}), ...(clientTypes ? { clientTypes } : {}) }, where };
}

/** Cross-references of a schema-valid description: uniqueness, pool drives, and (deployable) confd and hax. */
function crossCheck(cluster: Cluster, where: Where, r: Reader, deployable: boolean): void {
  const names = new Map<string, number>();
  const fidks = new Map<number, string>(), serviceKeys = new Map<number, string>(), endpoints = new Map<string, string>();
  const drives = new Map<string, Set<string>>();
  let confds = 0;
  cluster.nodes.forEach((node, i) => {
    const lower = node.name.toLowerCase();
    const twin = names.get(lower);
    if (twin !== undefined) r.bad(`nodes[${i}].name`, `${show(node.name)} is also the name of nodes[${twin}] (Consul compares node names without case)`);
    else names.set(lower, i);
    const nodeDrives = drives.get(node.name) ?? new Set<string>();
    drives.set(node.name, nodeDrives);
    let haxes = 0;
    for (const p of node.processes) {
      if (p.kind === 'hax') haxes++;
      if (p.kind === 'confd') confds++;
      const fat = where.fidk.get(p)!;
      const otherProc = fidks.get(p.fidk);
      if (otherProc) r.bad(fat, `${p.fidk} is also the fidk of ${otherProc}; process fids must be unique`);
      else fidks.set(p.fidk, where.process.get(p)!);
      const ep = processEndpoint(p);
      const otherEp = endpoints.get(ep);
      const port = where.port.get(p)!;
      if (otherEp) r.bad(port.at, `endpoint ${ep}${port.given ? '' : ' (the default port)'} is also that of ${otherEp}; endpoints (address@port) must be unique`);
      else endpoints.set(ep, where.process.get(p)!);
      for (const [type, key] of Object.entries(p.services)) {
        const sat = where.service.get(p)!.get(type)!;
        const otherSvc = serviceKeys.get(key);
        if (otherSvc) r.bad(sat, `service key ${key} is also that of ${otherSvc}; service fids must be unique`);
        else serviceKeys.set(key, sat);
      }
      for (const d of p.drives ?? []) {
        if (nodeDrives.has(d)) r.bad(where.drive.get(p)!.get(d)!, `drive ${show(d)} appears twice on node ${node.name}`);
        nodeDrives.add(d);
      }
    }
    if (deployable && haxes > 1) r.bad(`nodes[${i}].processes`, `node ${node.name} has ${haxes} hax processes; one hax serves every Motr process of a node`);
    if (deployable && haxes === 0 && node.processes.length > 0) r.bad(`nodes[${i}].processes`, `node ${node.name} has Motr processes but no hax process, which they ask for their entrypoint`);
  });
  if (deployable && confds === 0) r.bad('nodes', 'no process is of kind confd; Motr processes learn the confds from the entrypoint, and hax answers it from the confd services');
  const poolNames = new Set<string>();
  (cluster.pools ?? []).forEach((pool, i) => {
    if (poolNames.has(pool.name)) r.bad(`pools[${i}].name`, `${show(pool.name)} is the name of another pool too`);
    poolNames.add(pool.name);
    const seen = new Set<string>();
    (pool.drives ?? []).forEach((ref, k) => {
      const at = `pools[${i}].drives[${k}]`;
      const colon = ref.indexOf(':');
      const node = ref.slice(0, colon), path = ref.slice(colon + 1);
      if (seen.has(ref)) r.bad(at, `${show(ref)} is listed twice`);
      seen.add(ref);
      const nodeDrives = drives.get(node);
      if (!nodeDrives) r.bad(at, `${show(ref)} names node ${show(node)}, which the description does not have`);
      else if (!nodeDrives.has(path)) r.bad(at, `${show(ref)} names no drive of an ios process of node ${node}`);
    });
  });
}

export interface NormaliseOptions {
  /**
   * Also require what a running cluster needs (at least one confd, exactly
   * one hax on every node with processes). readClusterFile always does; tests
   * that simulate part of a cluster may leave it out.
   */
  deployable?: boolean;
}

/** Every problem of a parsed description; empty when there is none. */
export function clusterProblems(raw: unknown, options: NormaliseOptions = {}): { cluster?: Cluster; problems: ClusterProblem[] } {
  const r = new Reader();
  const read = readSchema(raw, r);
  if (!read) return { problems: r.problems };
  crossCheck(read.cluster, read.where, r, options.deployable ?? false);
  return r.problems.length ? { problems: r.problems } : { cluster: read.cluster, problems: [] };
}

/** Validates a parsed description and fills in keys, addresses, ports and services; HAX_ERR_BAD_CLUSTER naming the fields otherwise. */
export function normaliseCluster(raw: unknown, where = 'cluster', options: NormaliseOptions = {}): Cluster {
  const { cluster, problems } = clusterProblems(raw, options);
  if (!cluster) throw new ConfigError('HAX_ERR_BAD_CLUSTER', `${where}: ${describeProblems(problems)}`);
  return cluster;
}

/** The text of a cluster file: a regular file, at most CLUSTER_LIMITS.fileBytes, UTF-8 without control characters. */
export function readClusterText(path: string): string {
  const file = show(path);
  const bad = (msg: string) => new ConfigError('HAX_ERR_BAD_CLUSTER', `cluster file ${file} ${msg}`);
  let fd: number;
  try {
    // stat first: opening a FIFO would block until a writer comes, /dev/zero would never end.
    if (!statSync(path).isFile()) throw bad('is not a regular file');
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw bad(`cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let bytes: Buffer;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw bad('is not a regular file');
    if (st.size > CLUSTER_LIMITS.fileBytes) throw bad(`is ${st.size} bytes; a description is at most ${CLUSTER_LIMITS.fileBytes}`);
    bytes = Buffer.alloc(CLUSTER_LIMITS.fileBytes + 1);
    let n = 0;
    for (let got; n < bytes.length && (got = readSync(fd, bytes, n, bytes.length - n, null)) > 0;) n += got;
    if (n > CLUSTER_LIMITS.fileBytes) throw bad(`is more than ${CLUSTER_LIMITS.fileBytes} bytes, the most a description may be`);
    bytes = bytes.subarray(0, n);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw bad(`cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  } finally {
    closeSync(fd);
  }
  let text: string;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch {
    throw bad('is not UTF-8 text');
  }
  // eslint-disable-next-line no-control-regex
  const ctl = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.exec(text);
  if (ctl) throw bad(`holds a control character (0x${ctl[0].charCodeAt(0).toString(16).padStart(2, '0')}) at line ${text.slice(0, ctl.index).split('\n').length}; it is not a text description`);
  return text.replace(/^\uFEFF/, '');
}

/** A parser's message on one line, without the control characters a quoted input may bring, at most 300 characters. */
// eslint-disable-next-line no-control-regex
const oneLine = (m: string) => { const t = m.replace(/[\x00-\x1f\x7f]+/g, ' ').trim(); return t.length > 300 ? `${t.slice(0, 300)}…` : t; };

/** The first key that appears twice in one object of (syntactically valid) JSON text. */
function jsonDuplicateKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') { stack.push(new Set()); expectKey = true; }
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') expectKey = stack[stack.length - 1] != null;
  }
  return undefined;
}

/** Parses a cluster file's text: JSON for .json, else one YAML document; duplicate keys, tags and alias bombs refused. */
export function parseClusterText(text: string, path: string): unknown {
  const file = show(path);
  const bad = (msg: string) => new ConfigError('HAX_ERR_BAD_CLUSTER', `cluster file ${file} ${msg}`);
  if (path.endsWith('.json')) {
    let raw: unknown;
    try { raw = JSON.parse(text); } catch (error) {
      throw bad(`is not valid JSON: ${oneLine((error as Error).message)}`);
    }
    const dup = jsonDuplicateKey(text);
    if (dup !== undefined) throw bad(`is not a valid description: the key ${show(dup)} appears twice in one object`);
    return raw;
  }
  let raw: unknown;
  try {
    const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true, logLevel: 'silent', strict: true });
    if (docs.length === 0) return null; // an empty file: "got nothing" below
    if (docs.length > 1) throw new Error(`it holds ${docs.length} documents; a description is one`);
    const doc = docs[0]!;
    const first = doc.errors[0] ?? doc.warnings[0];
    if (first) throw first;
    raw = doc.toJS({ maxAliasCount: CLUSTER_LIMITS.aliases });
  } catch (error) {
    // With prettyErrors the first line is "<what> at line L, column C:", the next ones quote the text.
    let why = oneLine((error as Error).message.split('\n')[0]!.replace(/:$/, ''));
    if (/call stack/i.test(why)) why = 'it is nested too deeply';
    else if (/alias count/i.test(why)) why = `it expands aliases more than ${CLUSTER_LIMITS.aliases} times (a resource exhaustion attack?)`;
    throw bad(`is not valid YAML: ${why}`);
  }
  return raw;
}

/**
 * Reads and validates a cluster file (.yaml, .yml or .json), deployable
 * rules included; HAX_ERR_BAD_CLUSTER naming the file and the fields otherwise.
 */
export function readClusterFile(path: string): Cluster {
  return normaliseCluster(parseClusterText(readClusterText(path), path), `cluster file ${show(path)}`, { deployable: true });
}
