// M0_HA_MSG_EVENT_PROCESS (hax-reference.md §4.2). Table first:
//
//   type \ event | STARTED     | DTM_RECOVERED | STOPPED
//   M0MKFS       | OK          | (no mapping)  | FAILED
//   M0D          | RECOVERING  | OK            | FAILED
//   OTHER/KERNEL | RECOVERING  | OK            | FAILED
//   STARTING, STOPPING: no broadcast (KV + BQ only)
//
// Special cases after the table:
//   * a confd (kind confd in the conf tree) reporting M0D STARTED, and any of
//     STARTED/DTM_RECOVERED from hax's own fid → OK, event rewritten to
//     DTM_RECOVERED (confd never sends DTM_RECOVERED). hax's own STOPPED stays
//     FAILED (the original's operator-precedence quirk made it OK).
//   * M0MKFS or hax's own fid → broadcast to hax's own link only, no expansion.
//   * STOPPED → stop sending on the process's links at once and disconnect
//     them: the process is shutting down itself. The shim keeps each link
//     until the process has heard that its last message (this STOPPED) was
//     delivered — real m0d and m0mkfs wait for that in m0_ha_flush() — so the
//     link is never torn down under its last acknowledgement.
//   * a process of this node reporting STARTED/DTM_RECOVERED (not mkfs) has
//     its TTL check passed on the local agent (ACT_PASS_CHECK; passCheck).
//   * processes/<fid> = {"state": <event>, "type": <type>} (type
//     M0_CONF_HA_PROCESS_HA for hax's own fid), BQ PROCESS-STATE-UPDATE
//     unless M0MKFS, the expansion's KV states — one txn; ack after it.
//
// Reason codes:
//   EVENT_PROCESS_BROADCAST   state broadcast and recorded (ack after the txn)
//   EVENT_PROCESS_RECORDED    STARTING/STOPPING (or unmapped): recorded, nothing broadcast
//   EVENT_PROCESS_BUSY        too many writes pending: not acknowledged (Motr re-sends)
import { formatFid } from '../codec/fid';
import { MsgView } from '../codec/msg-view';
import { Out, dropLinks } from '../actions';
import { MessageReceived } from '../events';
import {
  EVENT_NAMES, TYPE_NAMES, E_STARTED, E_DTM_RECOVERED, E_STOPPED, T_M0MKFS, PT_HA, K_CONFD, EV_NONE,
} from './model';
import { H_UNKNOWN, H_OK, H_FAILED, H_RECOVERING, HEALTH_NAMES, healthToNote } from './derive';
import { Plan, expand, emitBroadcast } from './expand';
import { Commit, commit, saturated, processValue, processUpdatePayload } from './commit';
import { state } from './state';

/** The table: health for (type, event), H_UNKNOWN when there is none. */
export function processEventHealth(type: u8, event: u8): u8 {
  if (event == E_STOPPED) return H_FAILED;
  if (type == T_M0MKFS) return event == E_STARTED ? H_OK : H_UNKNOWN;
  if (event == E_STARTED) return H_RECOVERING;
  if (event == E_DTM_RECOVERED) return H_OK;
  return H_UNKNOWN;
}

function isConfd(c: u64, k: u64, p: i32): bool {
  if (p >= 0 && state.model.get(p).kind == K_CONFD) return true;
  for (let i = 0; i < state.confds.length; i++) if (state.confds[i].fid.c == c && state.confds[i].fid.k == k) return true;
  return false;
}

/**
 * A process of this node that says it runs (M0D STARTED or DTM_RECOVERED,
 * confd and hax included) gets its TTL check passed on the local agent.
 * Bootstrap registers each process with a TTL check, and Consul brings a
 * restarted agent's TTL checks back critical: without this nobody would pass
 * them again, and the next RC would declare the node's running processes
 * dead. A check someone failed stays failed until the process starts again.
 */
function passCheck(out: Out, p: i32, type: u8, event: u8, k: u64): string {
  if (p < 0 || type == T_M0MKFS || (event != E_STARTED && event != E_DTM_RECOVERED)) return '';
  const m = state.model;
  const n = m.nodeOf(p);
  if (n < 0 || m.get(n).host != state.host) return '';
  const id = 'service:' + k.toString();
  out.passCheck(id, 'hax: the process reported ' + EVENT_NAMES[event]);
  return '; check ' + id + ' passed on the local agent';
}

export function onEventProcess(e: MessageReceived, msg: MsgView, out: Out): void {
  // typed slots (codec/msg-view.ts): the enums index EVENT_NAMES / TYPE_NAMES as on the wire
  const fc = msg.fidC, fk = msg.fidK;
  const fidText = formatFid(fc, fk);
  let event = <u8>msg.body(0);   // chp_event
  const type = <u8>msg.body(1);  // chp_type
  const pid = msg.body(2);       // chp_pid
  if (saturated()) {
    out.reason('EVENT_PROCESS_BUSY', fidText + ' ' + EVENT_NAMES[event] + ': writes pending at the limit; not recorded, not acknowledged (Motr re-sends after reconnect)');
    return;
  }
  const m = state.model;
  const p = m.find(fc, fk);
  const hax = state.isHax(fc, fk);
  let h = processEventHealth(type, event);
  if ((hax && (event == E_STARTED || event == E_DTM_RECOVERED)) || (isConfd(fc, fk, p) && type == 3 && event == E_STARTED)) {
    h = H_OK;
    event = E_DTM_RECOVERED;
  }
  const haxOnly = type == T_M0MKFS || hax;
  const typeName = hax ? TYPE_NAMES[PT_HA] : TYPE_NAMES[type];
  const plan = new Plan();
  plan.ops.set('processes/' + fidText, processValue(EVENT_NAMES[event], typeName));
  if (type != T_M0MKFS) plan.ops.publish('PROCESS-STATE-UPDATE', processUpdatePayload(fidText, EVENT_NAMES[event], typeName));
  if (p >= 0) {
    const o = m.get(p);
    o.event = event;
    o.ptype = hax ? PT_HA : type;
  }
  const c = new Commit();
  c.linkId = e.linkId; c.tag = e.tag; c.what = 'processes/' + fidText;
  c.procC.push(fc); c.procK.push(fk);
  if (event == E_STOPPED && !hax) dropLinks(out, fc, fk, true);    // a stopping process: no more sends; link drained, then gone
  let sent = '';
  if (h != H_UNKNOWN) {
    if (p >= 0) expand(plan, p, h, true, true, haxOnly);
    else plan.note(fc, fk, healthToNote(h));
    emitBroadcast(out, plan, haxOnly ? 1 : 0, [], [], false);
    sent = HEALTH_NAMES[h] + ' broadcast to ' + (haxOnly ? 'hax\'s own link' : 'every active link') + ': ' + plan.summary();
  }
  const txns = commit(out, plan, c);
  const check = passCheck(out, p, type, event, fk);
  const head = fidText + ' ' + EVENT_NAMES[event] + ' (' + TYPE_NAMES[type] + ', pid ' + pid.toString() + (p < 0 ? ', not in the conf tree' : '') + '): ';
  const tail = '; ' + plan.ops.length.toString() + ' Consul op(s) in ' + txns.toString() + ' txn, tag ' + e.tag.toString() +
    ' on link ' + e.linkId.toString() + ' acknowledged once durable';
  if (h == H_UNKNOWN) out.reason('EVENT_PROCESS_RECORDED', head + 'no broadcast for this event' + tail + check);
  else out.reason('EVENT_PROCESS_BROADCAST', head + sent + tail + check);
  if (event == EV_NONE) abort('unreachable');
}
