// Entrypoint fops (motr-ha-wire.md §4.1, §4.2, §4.4): request
// m0_ha_entrypoint_req_fop (opcode 117) and reply m0_ha_entrypoint_rep_fop
// (opcode 118). Decode is strict (exact length; reply eps count == fids count).
// JSON view: the C field names; m0_buf fields are plain strings; hbp_confd_fids
// a list of fid texts, hbp_confd_eps a list of strings.
import { Field, uint, sint, enm, flag, fid, struct, buf, fidArr, bufs } from './schema';
import { Reader } from './reader';
import { E_FLAG_RANGE, E_COUNT_RANGE } from './errors';

export function linkParams(name: string): Field {
  const tags = (n: string): Field => struct(n, [
    uint('hlt_confirmed', 8), uint('hlt_delivered', 8), uint('hlt_next', 8), uint('hlt_assign', 8),
  ]);
  const u128 = (n: string): Field => struct(n, [uint('u_hi', 8), uint('u_lo', 8)]);
  return struct(name, [
    u128('hlp_id_local'), u128('hlp_id_remote'), u128('hlp_id_connection'),
    tags('hlp_tags_local'), tags('hlp_tags_remote'),
  ]);
}

function haCookie(name: string): Field {
  return struct(name, [
    uint('hcx_pid', 8), uint('hcx_time_start', 8), uint('hcx_uptime', 8),
    struct('hcx_uuid', [uint('u_hi', 8), uint('u_lo', 8)]),
  ]);
}

export const CONTROL_NAMES: Array<string> = ['M0_HA_ENTRYPOINT_CONSUME', 'M0_HA_ENTRYPOINT_QUIT', 'M0_HA_ENTRYPOINT_QUERY'];

export const ENTRYPOINT_REQ: Array<Field> = [
  sint('erf_first_request', 4),
  uint('erf_generation', 8),
  fid('erf_process_fid'),
  linkParams('erf_link_params'),
  buf('erf_git_rev_id'),
  uint('erf_pid', 8),
  haCookie('erf_cookie_expected'),
];

export const ENTRYPOINT_REP: Array<Field> = [
  uint('hbp_quorum', 4),
  fidArr('hbp_confd_fids'),
  bufs('hbp_confd_eps'),
  fid('hbp_active_rm_fid'),
  buf('hbp_active_rm_ep'),
  enm('hbp_control', 4, CONTROL_NAMES, true),
  linkParams('hbp_link_params'),
  flag('hbp_link_do_reconnect', 8),
  flag('hbp_disconnected_previously', 4),
  haCookie('hbp_cookie_actual'),
];

// ---- the request, read once, for the rules --------------------------------------
// The daemon's one decode of an entrypoint request (the shim passes the fop's
// bytes on undecoded). Strict as the JSON view, plus two bounds of our own:
// erf_first_request is 0 or 1, and the git rev id is at most MAX_GIT_REV bytes.

export const MAX_GIT_REV: u64 = 1024;   // real ids are 40 bytes
/** u64 words of m0_ha_link_params: id_local hi lo, id_remote hi lo, id_connection hi lo, tags_local ×4, tags_remote ×4. */
export const LINK_PARAM_WORDS: i32 = 14;
/** u64 words of m0_ha_cookie: pid, time_start, uptime, uuid hi, uuid lo. */
export const COOKIE_WORDS: i32 = 5;

export class EntrypointReq {
  first: bool = false;
  generation: u64 = 0;
  pc: u64 = 0;
  pk: u64 = 0;
  params: StaticArray<u64> = new StaticArray<u64>(LINK_PARAM_WORDS);
  gitRev: string = '';
  pid: u64 = 0;
  cookie: StaticArray<u64> = new StaticArray<u64>(COOKIE_WORDS);
}

/** Reads a whole m0_ha_entrypoint_req_fop; on bad bytes r.failed says where and why. */
export function readEntrypointReq(r: Reader, q: EntrypointReq): void {
  const first = r.u32('erf_first_request');
  q.generation = r.u64('erf_generation');
  q.pc = r.u64('erf_process_fid');
  q.pk = r.u64('erf_process_fid');
  for (let i = 0; i < LINK_PARAM_WORDS; i++) q.params[i] = r.u64('erf_link_params');
  const at = r.offset;
  const n = r.u64('erf_git_rev_id length');
  if (!r.failed && n > MAX_GIT_REV) r.fail(E_COUNT_RANGE, at, 'erf_git_rev_id length ' + n.toString() + ' exceeds ' + MAX_GIT_REV.toString());
  q.gitRev = r.failed ? '' : r.utf8(n, 'erf_git_rev_id');
  q.pid = r.u64('erf_pid');
  for (let i = 0; i < COOKIE_WORDS; i++) q.cookie[i] = r.u64('erf_cookie_expected');
  r.expectEnd('m0_ha_entrypoint_req_fop');
  if (!r.failed && first > 1) r.fail(E_FLAG_RANGE, 0, 'erf_first_request = ' + first.toString() + ', must be 0 or 1');
  q.first = first == 1;
}
