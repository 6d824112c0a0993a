// HA link fops (motr-ha-wire.md §6.3): m0_ha_link_msg_fop (opcode 207) carries
// lmf_msg_nr (0 or 1) and ALWAYS one encoded m0_ha_msg (all zero, type 0, when
// nr is 0); m0_ha_link_msg_rep_fop (opcode 208) is {lmr_rc i32, out_next,
// in_delivered}. JSON view: C names; lmf_msg is a HaMsg object.
import { Field, uint, sint, struct, nested, flag } from './schema';

const u128 = (n: string): Field => struct(n, [uint('u_hi', 8), uint('u_lo', 8)]);

export const LINK_MSG: Array<Field> = [
  flag('lmf_msg_nr', 8),
  nested('lmf_msg'),
  u128('lmf_id_local'),
  u128('lmf_id_remote'),
  u128('lmf_id_connection'),
  uint('lmf_out_next', 8),
  uint('lmf_in_delivered', 8),
  uint('lmf_seq', 8),
];

export const LINK_MSG_REP: Array<Field> = [
  sint('lmr_rc', 4),
  uint('lmr_out_next', 8),
  uint('lmr_in_delivered', 8),
];
