// Questions the host asks on behalf of HTTP routes; they change nothing.
//   STATES_ANSWERED  GET /api/v1/states: the notes an NVEC GET would get
//   DUMP_WRITTEN     GET /v1/cluster/status: every object's states and the counters
import { Reader } from '../codec/reader';
import { Out, notesRecord } from '../actions';
import { readFid } from '../events';
import { ACT_DUMP } from '../abi';
import { noteFor } from './nvec';
import { state } from './state';
import { shownState } from './status';

export function onStatesQueried(r: Reader, out: Out): void {
  const n = r.u32('count');
  if (<u64>n * 16 > <u64>r.remaining) abort('event record malformed: fid count');
  const cs = new Array<u64>(), ks = new Array<u64>(), sts = new Array<u32>();
  for (let i: u32 = 0; i < n; i++) {
    const f = readFid(r, 'fid');
    cs.push(f.c); ks.push(f.k); sts.push(noteFor(f.c, f.k));
  }
  notesRecord(out, cs, ks, sts);
  out.reason('STATES_ANSWERED', n.toString() + ' fid(s) answered from the model');
}

export function onDumpRequested(r: Reader, out: Out): void {
  const m = state.model;
  const w = out.w;
  const at = w.beginRecord(ACT_DUMP);
  w.u32(<u32>m.objs.length);
  for (let i = 0; i < m.objs.length; i++) {
    const o = m.objs[i];
    w.fid(o.c, o.k);
    w.u32(shownState(m, i));
    w.u8(o.event); w.u8(o.ptype); w.u8(o.check);
    w.u32(o.restarts);
    w.str(o.kvState);
    w.str(o.lastServiceEvent);
  }
  const keys = state.counters.keys();
  w.u32(<u32>keys.length);
  for (let i = 0; i < keys.length; i++) { w.str(keys[i]); w.u32(state.counters.get(keys[i])); }
  w.endRecord(at);
  out.actions++;
  if (w.failed) abort('dump does not fit the output region');
  out.reason('DUMP_WRITTEN', m.objs.length.toString() + ' object(s), ' + keys.length.toString() + ' counter(s)');
}
