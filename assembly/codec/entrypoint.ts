// Entrypoint fops (motr-ha-wire.md §4.1, §4.2, §4.4): request
// m0_ha_entrypoint_req_fop (opcode 117) and reply m0_ha_entrypoint_rep_fop
// (opcode 118). Decode is strict (exact length; reply eps count == fids count).
// JSON view: the C field names; m0_buf fields are plain strings; hbp_confd_fids
// a list of fid texts, hbp_confd_eps a list of strings.
import { Field, uint, sint, enm, flag, fid, struct, buf, fidArr, bufs } from './schema';

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
