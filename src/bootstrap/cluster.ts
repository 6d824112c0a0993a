// A cluster description: nodes, their Motr processes with services and
// drives, and pools. `hax bootstrap` reads it from a YAML or JSON file
// (docs/examples/cluster.yaml) and writes it into Consul in hare's layout
// (bootstrap/seed.ts) and, with `--motr-conf`, into the text m0confgen turns
// into Motr's conf.xc (bootstrap/motr-conf.ts); both take their fids from
// bootstrap/layout.ts. Keys not given are allocated as hare's cfgen does:
// one counter per object type, in file order.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
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

const DEFAULT_SERVICES: Record<ProcessKind, string[]> = { hax: ['ha', 'rms'], confd: ['confd', 'rms'], ios: ['ios', 'rms'], client: ['m0_client_other'] };
const DEFAULT_PORTS: Record<ProcessKind, number> = { hax: 22001, confd: 22002, ios: 21001, client: 23001 };

interface RawProcess { kind?: unknown; fidk?: unknown; address?: unknown; port?: unknown; services?: unknown; drives?: unknown }

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Validates a parsed description and fills in keys, addresses, ports and services. */
export function normaliseCluster(raw: unknown, where = 'cluster'): Cluster {
  const bad = (msg: string) => new ConfigError('HAX_ERR_BAD_CLUSTER', `${where}: ${msg}`);
  if (!raw || typeof raw !== 'object' || !Array.isArray((raw as { nodes?: unknown }).nodes)) throw bad('expected an object with a "nodes" list');
  const r = raw as { nodes: unknown[]; pools?: unknown; clientTypes?: unknown };
  let nextProcess = 1;
  let nextService = 1;
  const used = new Set<number>();
  for (const n of r.nodes) for (const p of ((n as { processes?: RawProcess[] }).processes ?? [])) if (typeof p.fidk === 'number') used.add(p.fidk);
  const nodes: ClusterNode[] = r.nodes.map((n, i) => {
    const node = n as { name?: unknown; address?: unknown; processes?: unknown };
    if (typeof node.name !== 'string' || !node.name) throw bad(`nodes[${i}].name must be a non-empty string`);
    if (!Array.isArray(node.processes)) throw bad(`nodes[${i}].processes must be a list`);
    const portCount = new Map<ProcessKind, number>();
    const processes = (node.processes as RawProcess[]).map((p, j) => {
      const kind = p.kind as ProcessKind;
      if (!['hax', 'confd', 'ios', 'client'].includes(kind)) throw bad(`nodes[${i}].processes[${j}].kind must be hax, confd, ios or client`);
      let fidk = typeof p.fidk === 'number' ? p.fidk : 0;
      if (!fidk) { while (used.has(nextProcess)) nextProcess++; fidk = nextProcess; used.add(fidk); }
      const k = portCount.get(kind) ?? 0;
      portCount.set(kind, k + 1);
      let services: Record<string, number>;
      if (p.services && typeof p.services === 'object' && !Array.isArray(p.services)) services = p.services as Record<string, number>;
      else {
        const types = Array.isArray(p.services) ? (p.services as string[]) : DEFAULT_SERVICES[kind];
        services = Object.fromEntries(types.map((t) => [t, nextService++]));
      }
      for (const v of Object.values(services)) if (v >= nextService) nextService = v + 1;
      let drives: string[] | undefined;
      let driveAttrs: Record<string, DriveAttrs> | undefined;
      if (Array.isArray(p.drives)) {
        drives = (p.drives as unknown[]).map((d, k) => {
          if (!d || typeof d !== 'object') return String(d);
          const { path, size, blksize } = d as { path?: unknown; size?: unknown; blksize?: unknown };
          const at = `nodes[${i}].processes[${j}].drives[${k}]`;
          if (typeof path !== 'string' || !path) throw bad(`${at}.path must be a non-empty string`);
          if (size !== undefined && !isCount(size)) throw bad(`${at}.size must be a whole number of bytes`);
          if (blksize !== undefined && !(isCount(blksize) && blksize > 0)) throw bad(`${at}.blksize must be a positive whole number of bytes`);
          (driveAttrs ??= {})[path] = { ...(size !== undefined ? { size } : {}), ...(blksize !== undefined ? { blksize } : {}) };
          return path;
        });
      }
      if (drives && kind !== 'ios') throw bad(`nodes[${i}].processes[${j}]: only an ios has drives`);
      return {
        kind, fidk, services, drives, ...(driveAttrs ? { driveAttrs } : {}),
        address: typeof p.address === 'string' ? p.address : (typeof node.address === 'string' ? node.address : 'inet:tcp:127.0.0.1'),
        port: typeof p.port === 'number' ? p.port : DEFAULT_PORTS[kind] + k,
      } satisfies ClusterProcess;
    });
    const { cpus, memsizeMB } = node as { cpus?: unknown; memsizeMB?: unknown };
    if (cpus !== undefined && !(isCount(cpus) && cpus > 0)) throw bad(`nodes[${i}].cpus must be a positive whole number`);
    if (memsizeMB !== undefined && !(isCount(memsizeMB) && memsizeMB > 0)) throw bad(`nodes[${i}].memsizeMB must be a positive whole number`);
    return { name: node.name, processes, ...(cpus !== undefined ? { cpus } : {}), ...(memsizeMB !== undefined ? { memsizeMB } : {}) };
  });
  const pools = Array.isArray(r.pools) ? (r.pools as Record<string, unknown>[]).map((p, i) => {
    if (typeof p.name !== 'string') throw bad(`pools[${i}].name must be a string`);
    const units: Pick<ClusterPool, 'dataUnits' | 'parityUnits' | 'spareUnits'> = {};
    for (const f of ['dataUnits', 'parityUnits', 'spareUnits'] as const) {
      if (p[f] === undefined) continue;
      if (!isCount(p[f])) throw bad(`pools[${i}].${f} must be a whole number`);
      units[f] = p[f] as number;
    }
    return { name: p.name, drives: Array.isArray(p.drives) ? p.drives.map(String) : undefined, ...units };
  }) : undefined;
  const clientTypes = Array.isArray(r.clientTypes) ? r.clientTypes.map(String) : undefined;
  return { nodes, ...(pools ? { pools } : {}), ...(clientTypes ? { clientTypes } : {}) };
}

/** Reads a cluster file (.yaml, .yml or .json). */
export function readClusterFile(path: string): Cluster {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (error) {
    throw new ConfigError('HAX_ERR_BAD_CLUSTER', `cluster file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let raw: unknown;
  try { raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text); } catch (error) {
    throw new ConfigError('HAX_ERR_BAD_CLUSTER', `cluster file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`);
  }
  return normaliseCluster(raw, path);
}
