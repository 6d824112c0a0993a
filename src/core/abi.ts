// Host mirror of assembly/abi.ts (record tags, region use) and of the codec
// error names in assembly/codec/errors.ts. Keep in step with those files.

export const RECORD_HEADER = 6;

export const EV_VIEW_UPDATED = 1;
export const EV_ENTRYPOINT_REQUESTED = 2;
export const EV_MESSAGE_RECEIVED = 3;
export const EV_CONSUL_REPLIED = 4;
export const EV_HEALTH_REPORTED = 5;
export const EV_IDENTITY_SET = 6;
export const EV_CONF_LOADED = 7;
export const EV_PROCESSES_LOADED = 8;
export const EV_HEALTH_VIEWED = 9;
export const EV_TIMER_FIRED = 10;
export const EV_STATES_QUERIED = 12;
export const EV_DUMP_REQUESTED = 13;
export const EV_PROCESS_KEY = 14;
export const EV_STATUS_QUERIED = 32;
export const EV_LEADER_OBSERVED = 40;
export const EV_ELECTION_TICK = 41;
export const EV_ELECTION_RESULT = 42;
export const EV_LINK_CHANGED = 15;
export const EV_LINKS_OPENED = 16;
export const EV_BQ_READ = 17;
/** LinkChanged's change field, by value (assembly/machine/links.ts CHANGE_*). */
export const LINK_CHANGES = ['held', 'draining', 'gone'] as const;
/** An entrypoint reply's link mode, by value (assembly/machine/links.ts LINK_*). */
export const LINK_MODES = ['none', 'new', 'reconnect', 'reuse', 'absent', 'reject'] as const;
export const CONF_POOL_MEMBER = 9;

export const HEALTH_STATUS_CODES = { passing: 0, warning: 1, critical: 2, maintenance: 3 } as const;

export const OUT_REASON = 0x100;
export const ACT_REPLY_ENTRYPOINT = 0x101;
export const ACT_ACKNOWLEDGE = 0x103;
export const ACT_BROADCAST = 0x104;
export const ACT_CONSUL_TXN = 0x105;
export const ACT_BROADCAST_TO = 0x106;
export const ACT_SEND = 0x107;
export const ACT_DROP_LINKS = 0x108;
export const ACT_AWAIT_DELIVERY = 0x109;
export const ACT_NOTES = 0x10a;
export const ACT_DUMP = 0x10b;
export const ACT_TIMER = 0x10c;
export const ACT_STATUS = 0x120;
export const ACT_ELECTION = 0x130;
export const ACT_BQ_RESULT = 0x10d;
export const OUT_CODEC_ERROR = 0x1f0;
export const OUT_CODEC_RESULT = 0x1f1;

export const KIND_HA_MSG = 1;
export const KIND_ENTRYPOINT_REQ = 2;
export const KIND_ENTRYPOINT_REP = 3;
export const KIND_LINK_MSG = 4;
export const KIND_LINK_MSG_REP = 5;
export const KIND_FID_TEXT = 6;

/** Index = numeric code from the core; host code = 'HAX_ERR_XCODE_' + name. */
export const CODEC_ERROR_NAMES = [
  'NONE', 'TRUNCATED', 'TRAILING_BYTES', 'MSG_TYPE', 'COUNT_RANGE', 'STATE_RANGE', 'ENUM_RANGE',
  'COUNT_MISMATCH', 'FLAG_RANGE', 'REFUSE_UNKNOWN_STATE', 'REFUSE_REPAIR_FID', 'JSON_SYNTAX',
  'FIELD_MISSING', 'FIELD_TYPE', 'FID_TEXT', 'OUTPUT_FULL', 'INT_RANGE', 'REFUSE_GET_MISMATCH',
  'NOT_NVEC_GET',
] as const;

export function codecErrorCode(n: number): string {
  return 'HAX_ERR_XCODE_' + (CODEC_ERROR_NAMES[n] ?? 'UNKNOWN');
}

/** m0_ha_msg hed_type names, by number (motr-ha-wire.md). */
export const MSG_TYPE_NAMES = [
  'INVALID', 'STOB_IOQ', 'NVEC', 'FAILURE_VEC_REQ', 'FAILURE_VEC_REP', 'KEEPALIVE_REQ', 'KEEPALIVE_REP',
  'EVENT_PROCESS', 'EVENT_SERVICE', 'EVENT_RPC', 'BE_IO_ERR', 'SNS_ERR',
] as const;

export const STATE_NAMES = [
  'M0_NC_UNKNOWN', 'M0_NC_ONLINE', 'M0_NC_FAILED', 'M0_NC_TRANSIENT', 'M0_NC_REPAIR',
  'M0_NC_REPAIRED', 'M0_NC_REBALANCE', 'M0_NC_DTM_RECOVERING',
] as const;
