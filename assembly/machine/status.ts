// The cluster as hax shows it (GET /v1/cluster/status, the monitor's map),
// answered from the core's own model: the host keeps no copy of the conf
// tree, so what an operator sees is exactly what the rules read.
//   STATUS_ANSWERED  nodes → processes → services and drives, with the state
//                    an NVEC GET would get for each, and the counters
import { Reader } from '../codec/reader';
import { Out } from '../actions';
import { ACT_STATUS } from '../abi';
import { Model, O_NODE, O_PROCESS, O_SERVICE, O_SDEV, O_DRIVE, KIND_NAMES } from './model';
import { noteFor } from './nvec';
import { state } from './state';

/**
 * The state shown for object i: processes, services, sdevs and drives answer
 * as an NVEC GET would (derived from events and checks); other objects show
 * the state last broadcast for them, or the derived one before any.
 */
export function shownState(m: Model, i: i32): u32 {
  const o = m.get(i);
  const derived = o.type == O_PROCESS || o.type == O_SERVICE || o.type == O_SDEV || o.type == O_DRIVE;
  return derived || o.state == 0 ? noteFor(o.c, o.k) : o.state;
}

export function onStatusQueried(r: Reader, out: Out): void {
  const m = state.model;
  const w = out.w;
  const at = w.beginRecord(ACT_STATUS);
  let nodes: u32 = 0, processes: u32 = 0;
  for (let i = 0; i < m.objs.length; i++) if (m.objs[i].type == O_NODE) nodes++;
  w.u32(nodes);
  for (let n = 0; n < m.objs.length; n++) {
    const node = m.objs[n];
    if (node.type != O_NODE) continue;
    w.str(node.name); w.fid(node.c, node.k); w.u32(shownState(m, n));
    const procs = m.childrenOfType(n, O_PROCESS);
    w.u32(<u32>procs.length);
    processes += <u32>procs.length;
    for (let x = 0; x < procs.length; x++) writeProcess(m, out, procs[x]);
  }
  const keys = state.counters.keys();
  w.u32(<u32>keys.length);
  for (let i = 0; i < keys.length; i++) { w.str(keys[i]); w.u32(state.counters.get(keys[i])); }
  w.endRecord(at);
  out.actions++;
  if (w.failed) abort('status does not fit the output region');
  out.reason('STATUS_ANSWERED', nodes.toString() + ' node(s), ' + processes.toString() + ' process(es) from the model' +
    (m.loaded ? '' : ' (no conf tree loaded yet)'));
}

//   fid, str kind, str endpoint, u32 state, u8 event, u32 nServices × (fid, str type, u32 state),
//   u32 nDrives × (fid drive (the sdev's when it has none), fid sdev, u32 state)
function writeProcess(m: Model, out: Out, p: i32): void {
  const w = out.w;
  const o = m.get(p);
  w.fid(o.c, o.k);
  w.str(o.kind < <u8>KIND_NAMES.length ? KIND_NAMES[o.kind] : 'other');
  w.str(o.endpoint);
  w.u32(shownState(m, p));
  w.u8(o.event);
  const svcs = m.childrenOfType(p, O_SERVICE);
  w.u32(<u32>svcs.length);
  for (let s = 0; s < svcs.length; s++) {
    const svc = m.get(svcs[s]);
    w.fid(svc.c, svc.k); w.str(svc.name); w.u32(shownState(m, svcs[s]));
  }
  const sdevs = m.sdevsOfProcess(p);
  w.u32(<u32>sdevs.length);
  for (let d = 0; d < sdevs.length; d++) {
    const sdev = m.get(sdevs[d]);
    const shown = sdev.ref >= 0 ? sdev.ref : sdevs[d];
    const drive = m.get(shown);
    w.fid(drive.c, drive.k); w.fid(sdev.c, sdev.k); w.u32(shownState(m, shown));
  }
}
