// State translation tables (hax-reference.md §5.1–§5.3) and the "current
// health" of a process derived from the model instead of Consul reads.
//
// ObjHealth → note state (§5.1)        KV strings (§5.2c)
//   FAILED      M0_NC_FAILED             process: online failed offline unknown stopped dtm_recovering
//   OK          M0_NC_ONLINE             sdev:    online offline dtm_recovering failed repairing repaired rebalancing
//   OFFLINE     M0_NC_TRANSIENT          node/encl/ctrl: note-state names
//   STOPPED     M0_NC_TRANSIENT
//   RECOVERING  M0_NC_DTM_RECOVERING
//   REPAIR/REPAIRED/REBALANCE  same-named notes
//   UNKNOWN     M0_NC_TRANSIENT (never broadcast)
import { STATE_NAMES } from '../codec/ha-msg';
import { HEALTH_PASSING } from '../abi';
import {
  Model, Obj, O_PROCESS, K_CONFD, K_HAX, CHECK_NONE,
  E_STARTING, E_STARTED, E_STOPPING, E_STOPPED, E_DTM_RECOVERED, EV_NONE,
} from './model';

export const H_UNKNOWN: u8 = 0;
export const H_OK: u8 = 1;
export const H_FAILED: u8 = 2;
export const H_OFFLINE: u8 = 3;
export const H_STOPPED: u8 = 4;
export const H_RECOVERING: u8 = 5;
export const H_REPAIR: u8 = 6;
export const H_REPAIRED: u8 = 7;
export const H_REBALANCE: u8 = 8;
export const HEALTH_NAMES: Array<string> = ['UNKNOWN', 'OK', 'FAILED', 'OFFLINE', 'STOPPED', 'RECOVERING', 'REPAIR', 'REPAIRED', 'REBALANCE'];

export const NC_UNKNOWN: u32 = 0;
export const NC_ONLINE: u32 = 1;
export const NC_FAILED: u32 = 2;
export const NC_TRANSIENT: u32 = 3;
export const NC_REPAIR: u32 = 4;
export const NC_REPAIRED: u32 = 5;
export const NC_REBALANCE: u32 = 6;
export const NC_DTM_RECOVERING: u32 = 7;

const HEALTH_TO_NOTE: Array<u32> = [NC_TRANSIENT, NC_ONLINE, NC_FAILED, NC_TRANSIENT, NC_TRANSIENT, NC_DTM_RECOVERING, NC_REPAIR, NC_REPAIRED, NC_REBALANCE];
export function healthToNote(h: u8): u32 { return HEALTH_TO_NOTE[h]; }

/** Note state → ObjHealth (first match in §5.1's order). */
export function noteToHealth(s: u32): u8 {
  if (s == NC_FAILED) return H_FAILED;
  if (s == NC_ONLINE) return H_OK;
  if (s == NC_TRANSIENT) return H_OFFLINE;
  if (s == NC_DTM_RECOVERING) return H_RECOVERING;
  if (s == NC_REPAIR) return H_REPAIR;
  if (s == NC_REPAIRED) return H_REPAIRED;
  if (s == NC_REBALANCE) return H_REBALANCE;
  return H_UNKNOWN;
}

const PROCESS_KV: Array<string> = ['unknown', 'online', 'failed', 'offline', 'stopped', 'dtm_recovering', 'unknown', 'unknown', 'unknown'];
export function processKvString(h: u8): string { return PROCESS_KV[h]; }

const SDEV_KV: Array<string> = ['offline', 'online', 'failed', 'offline', 'offline', 'dtm_recovering', 'repairing', 'repaired', 'rebalancing'];
export function sdevKvString(h: u8): string { return SDEV_KV[h]; }

/** Node/enclosure/controller KV state: the note-state name. */
export function noteKvString(h: u8): string { return STATE_NAMES[healthToNote(h)]; }

/** A drive/sdev KV state → note (§5.3). Missing → ONLINE. */
export function deviceKvToNote(s: string): u32 {
  if (s == 'offline' || s == 'M0_NC_TRANSIENT') return NC_TRANSIENT;
  if (s == 'failed' || s == 'M0_NC_FAILED') return NC_FAILED;
  if (s == 'repairing' || s == 'M0_NC_REPAIR') return NC_REPAIR;
  if (s == 'repaired' || s == 'M0_NC_REPAIRED') return NC_REPAIRED;
  if (s == 'rebalancing' || s == 'M0_NC_REBALANCE') return NC_REBALANCE;
  return NC_ONLINE;   // unknown, M0_NC_UNKNOWN, dtm_recovering, online, missing
}

/** A node/enclosure/controller KV state → note (§5.3): the name parsed; M0_NC_UNKNOWN → TRANSIENT; missing → ONLINE. */
export function namedKvToNote(s: string): u32 {
  if (s.length == 0) return NC_ONLINE;
  for (let i = 1; i < STATE_NAMES.length; i++) if (STATE_NAMES[i] == s) return <u32>i;
  if (s == 'M0_NC_UNKNOWN') return NC_TRANSIENT;
  return deviceKvToNote(s);
}

/** True when a device's KV state is a repair-side state a process event must not overwrite. */
export function deviceKvSticky(s: string): bool {
  return s == 'failed' || s == 'repairing' || s == 'repaired' || s == 'rebalancing';
}

/** The Consul host of a node name ("srvnode-1:0a1b2c3d" → "srvnode-1"). */
export function hostOf(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.substring(0, i);
}

/**
 * Current health of a process (§5.2b) from the model: the node's serfHealth,
 * the process's service check, and its processes/<fid> event.
 */
export function currentHealth(m: Model, p: i32, localHost: string): u8 {
  const o = m.get(p);
  const host = m.hostOf(p);
  if (!m.nodeHealth.has(host)) return H_OFFLINE;
  if (m.nodeHealth.get(host) != HEALTH_PASSING) return H_OFFLINE;
  if (o.check == CHECK_NONE) return H_UNKNOWN;
  if (o.check != HEALTH_PASSING) return H_OFFLINE;
  const local = host == localHost;
  const e = o.event;
  // A hax with no processes/<fid> record (the socket backend has no embedded
  // Motr instance to report it) is judged by its check alone: hax passes it
  // while it runs (src/daemon/hax-check.ts), so passing means running.
  if (e == EV_NONE && o.kind == K_HAX) return H_OK;
  if (e == E_STARTED) return H_RECOVERING;
  if (e == E_DTM_RECOVERED) return H_OK;
  if (e == E_STOPPING) return local ? H_UNKNOWN : H_OFFLINE;
  return H_UNKNOWN;   // STARTING, STOPPED, none
}

/** The note an NVEC GET gets for a process (§5.3): RECOVERING of a confd or hax → ONLINE. */
export function processNote(m: Model, p: i32, localHost: string, isHax: bool): u32 {
  const o: Obj = m.get(p);
  if (isHax) return NC_ONLINE;   // hax answers for itself: it is running
  const h = currentHealth(m, p, localHost);
  if (h == H_RECOVERING && o.kind == K_CONFD) return NC_ONLINE;
  if (h == H_RECOVERING && o.kind == K_HAX) return NC_ONLINE;
  return healthToNote(h);
}

/** processes/<fid> event name ↔ health (§5.2c). */
export function healthToEvent(h: u8): u8 {
  if (h == H_RECOVERING) return E_STARTED;
  if (h == H_OK) return E_DTM_RECOVERED;
  return E_STOPPED;
}

/** BQ PROCESS-STATE-UPDATE state → health (§5.2c; STARTING → OK as the original did). */
export function bqEventToHealth(e: u8): u8 {
  if (e == E_STARTING) return H_OK;
  if (e == E_STARTED) return H_RECOVERING;
  if (e == E_DTM_RECOVERED) return H_OK;
  if (e == E_STOPPING || e == E_STOPPED) return H_OFFLINE;
  return H_UNKNOWN;
}

/** True for a process model index. */
export function isProcess(m: Model, i: i32): bool { return i >= 0 && m.get(i).type == O_PROCESS; }
