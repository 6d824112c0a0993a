// Reads the recorded m0d traces (../shared/fixtures/m0d-traces) and turns
// both the trace's HA-side records and a test HA's log into the same one-line
// summaries (type, event, fids), so a replay can be compared message for
// message. The HA's own self-link lines are ignored.
import fs from 'node:fs';
import type { HaMsg } from '../../src/core/codec.ts';
import { normFid, type HaRecord } from './_ha.ts';
import { FIXTURES_DIR } from '../helpers/fixtures.ts';

export const TRACES = `${FIXTURES_DIR}m0d-traces`;

const HED_TYPES = ['INVALID', 'STOB_IOQ', 'NVEC', 'FAILURE_VEC_REQ', 'FAILURE_VEC_REP', 'KEEPALIVE_REQ', 'KEEPALIVE_REP',
  'EVENT_PROCESS', 'EVENT_SERVICE', 'EVENT_RPC', 'BE_IO_ERR', 'SNS_ERR'];
const PROC_EVENTS = ['STARTING', 'STARTED', 'STOPPING', 'STOPPED'];
const SVC_EVENTS = ['STARTING', 'STARTED', 'STOPPING', 'STOPPED', 'FAILED'];
const PROC_TYPES = ['OTHER', 'KERNEL', 'M0MKFS', 'M0D'];
const SVC_TYPES = ['_UNUSED', 'MDS', 'IOS', 'CONFD', 'RMS', 'STATS', 'HA', 'SSS', 'SNS_REP', 'SNS_REB', 'ADDB2', 'CAS',
  'DIX_REP', 'DIX_REB', 'DS1', 'DS2', 'FIS', 'FDMI', 'BE', 'M0T1FS', 'CLIENT', 'ISCS', 'DTM0'];
const STATES = ['UNKNOWN', 'ONLINE', 'FAILED', 'TRANSIENT', 'REPAIR', 'REPAIRED', 'REBALANCE'];

const strip = (v: unknown, prefix: string): string => String(v).replace(prefix, '');
const name = (v: unknown, table: string[], prefix: string): string =>
  typeof v === 'number' ? table[v] ?? String(v) : strip(v, prefix);

interface Plain { fid: string; sp: string; ss: string; type: string; body: Record<string, any> }

function line(dir: 'recv' | 'sent', tag: number, m: Plain): string {
  const b = m.body;
  const head = `${dir} ${tag} ${m.type} fid=${normFid(m.fid)} src=${normFid(m.sp)}/${normFid(m.ss)}`;
  switch (m.type) {
    case 'EVENT_PROCESS': return `${head} ${name(b.chp_event, PROC_EVENTS, 'M0_CONF_HA_PROCESS_')} ${name(b.chp_type, PROC_TYPES, 'M0_CONF_HA_PROCESS_')}`;
    case 'EVENT_SERVICE': return `${head} ${name(b.chs_event, SVC_EVENTS, 'M0_CONF_HA_SERVICE_')} ${name(b.chs_type, SVC_TYPES, 'M0_CST_')}`;
    case 'EVENT_RPC': return `${head} attempts=${b.hmr_attempts} ${name(b.hmr_state, STATES, 'M0_NC_')}`;
    case 'FAILURE_VEC_REQ': return `${head} pool=${normFid(b.mfq_pool)}`;
    case 'FAILURE_VEC_REP': return `${head} pool=${normFid(b.mfp_pool)} nr=${b.mfp_nr ?? b.mfp_vec.length}`;
    case 'NVEC': {
      const notes = (b.hmnv_arr as { no_id: string; no_state: unknown }[]);
      const set = b.hmnv_type === 0 || b.hmnv_type === 'M0_HA_NVEC_SET';
      // GET notes carry no state worth comparing; SET notes do.
      const list = notes.map((n) => normFid(n.no_id) + (set ? '=' + name(n.no_state, STATES, 'M0_NC_') : '')).join(',');
      return `${head} ${set ? 'SET' : 'GET'} id=${b.hmnv_id_of_get} [${list}]`;
    }
    default: return head;
  }
}

/** The m0d-side conversation of a trace file: entrypoints, link events, messages both ways. */
export function traceLines(file: string): string[] {
  const out: string[] = [];
  for (const text of fs.readFileSync(`${TRACES}/${file}`, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    const r = JSON.parse(text);
    if (r.src !== 'ha' || r.self_link === true || r.self === true) continue;
    if (r.ev === 'entrypoint_request') out.push(`entrypoint first=${r.first_request ? 1 : 0}`);
    else if (r.ev === 'link_connected') out.push('link-connected');
    else if (r.ev === 'link_reused') out.push('link-reused');
    else if (r.ev === 'msg_received' || r.ev === 'msg_sent') {
      const m = r.msg;
      const type = HED_TYPES[m.hm_data.hed_type]!;
      const body = Object.entries(m.hm_data).find(([k]) => k !== 'hed_type')![1] as Record<string, any>;
      out.push(line(r.ev === 'msg_received' ? 'recv' : 'sent', r.tag, { fid: m.hm_fid, sp: m.hm_source_process, ss: m.hm_source_service, type, body }));
    }
  }
  return out;
}

/** The same summaries from a test HA's log (one process's link). */
export function haLines(log: HaRecord[]): string[] {
  const out: string[] = [];
  for (const r of log) {
    if (r.kind === 'entrypoint') out.push(`entrypoint first=${r.first ? 1 : 0}`);
    else if (r.kind === 'link-connected' || r.kind === 'link-reused') out.push(r.kind);
    else if (r.kind === 'received' || r.kind === 'sent') {
      const m: HaMsg = r.msg;
      out.push(line(r.kind === 'received' ? 'recv' : 'sent', r.tag, { fid: m.fid, sp: m.sourceProcess, ss: m.sourceService, type: m.type, body: m.body }));
    }
  }
  return out;
}
