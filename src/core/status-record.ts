// Reads the core's ACT_STATUS record (assembly/abi.ts; built by
// assembly/machine/status.ts): the cluster as the core's model holds it, in
// the shape GET /v1/cluster/status serves (openapi ClusterStatus, without the
// `node` field, which is the daemon's identity, not the model's).
import type { RecordReader } from './records.ts';
import { STATE_NAMES, PROCESS_EVENT_NAMES } from './abi.ts';
import { formatFid } from './codec.ts';


export interface StatusService { fid: string; type: string; state: string }
export interface StatusDrive { fid: string; sdev: string; state: string }
export interface StatusProcess { fid: string; kind: string; endpoint: string; state: string; event: string | null; services: StatusService[]; drives: StatusDrive[] }
export interface StatusNode { name: string; fid: string; state: string; processes: StatusProcess[] }
export interface CoreStatus { nodes: StatusNode[]; counters: Record<string, number> }

const stateName = (n: number): string => STATE_NAMES[n] ?? String(n);

export function readStatus(r: RecordReader): CoreStatus {
  const nodes: StatusNode[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const name = r.str(), fid = formatFid(r.fid()), state = stateName(r.u32());
    const processes: StatusProcess[] = [];
    for (let p = r.u32(); p > 0; p--) processes.push(readProcess(r));
    nodes.push({ name, fid, state, processes });
  }
  const counters: Record<string, number> = {};
  for (let m = r.u32(); m > 0; m--) { const k = r.str(); counters[k] = r.u32(); }
  return { nodes, counters };
}

function readProcess(r: RecordReader): StatusProcess {
  const fid = formatFid(r.fid()), kind = r.str(), endpoint = r.str(), state = stateName(r.u32());
  const ev = r.u8();   // chp_event number; 255 = none recorded
  const services: StatusService[] = [];
  for (let s = r.u32(); s > 0; s--) services.push({ fid: formatFid(r.fid()), type: r.str(), state: stateName(r.u32()) });
  const drives: StatusDrive[] = [];
  for (let d = r.u32(); d > 0; d--) drives.push({ fid: formatFid(r.fid()), sdev: formatFid(r.fid()), state: stateName(r.u32()) });
  return { fid, kind, endpoint, state, event: PROCESS_EVENT_NAMES[ev] ?? null, services, drives };
}
