// The host's side of the core's ABI: the constants (record tags, codec kinds
// and error names, message types, note states, wire limits, reason codes) are
// generated from protocol/constants.yaml into src/generated/protocol.ts, the
// same source the core (assembly/abi.ts) and the shim are generated from.
import { CODEC_ERROR_NAMES, HEALTH_PASSING, HEALTH_WARNING, HEALTH_CRITICAL, HEALTH_MAINTENANCE } from '../generated/protocol.ts';

export * from '../generated/protocol.ts';

/** Consul check status → the number the core's health records carry. */
export const HEALTH_STATUS_CODES = {
  passing: HEALTH_PASSING, warning: HEALTH_WARNING, critical: HEALTH_CRITICAL, maintenance: HEALTH_MAINTENANCE,
} as const;

export function codecErrorCode(n: number): string {
  return 'HAX_ERR_XCODE_' + (CODEC_ERROR_NAMES[n] ?? 'UNKNOWN');
}

/** LinkChanged's change field, by value (assembly/machine/links.ts CHANGE_*). */
export const LINK_CHANGES = ['held', 'draining', 'gone'] as const;
/** An entrypoint reply's link mode, by value (assembly/machine/links.ts LINK_*). */
export const LINK_MODES = ['none', 'new', 'reconnect', 'reuse', 'absent', 'reject'] as const;
