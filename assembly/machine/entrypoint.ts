// Entrypoint requests (hax-reference.md §4.1). Table first:
//
//   condition                               reply
//   fop undecodable                         rc -22, no confds (asks again)           ENTRYPOINT_BAD_REQUEST
//   hax stopping                            rc 0, no confds, quorum 0, RM 0:0        ENTRYPOINT_STOPPING
//   no confd or no RM known                 rc -11 (QUERY) after 1 s                 ENTRYPOINT_DEFERRED → ENTRYPOINT_QUERY_SENT
//   otherwise                               confds, quorum floor(n/2)+1, RM          ENTRYPOINT_ANSWERED
//
// Special case first: restart detection on a first request. The restart
// counter <node>/process_restarts/<fid> is read from the model; if the process
// is not hax nor a client and the counter is > 1 (mkfs and m0d share the fid,
// so two first requests are normal) → processes/<fid> STOPPED + BQ
// PROCESS-STATE-UPDATE, FAILED broadcast for it (and its expansion) to every
// link but its own, its old links disconnected, and the reply waits for the
// broadcast's delivery (30 s at most) — Motr must learn that the old
// incarnation failed before the new one gets its reply. Reason
// ENTRYPOINT_RESTART_DETECTED. The counter is stored +1 either way.
import { Reader } from '../codec/reader';
import { Fid, parseFidText, formatFid } from '../codec/fid';
import { EntrypointReqView } from '../codec/entrypoint-view';
import { describe } from '../codec/errors';
import { Out, timerAt, dropLinks } from '../actions';
import { EntrypointRequested } from '../events';
import { K_HAX, K_CLIENT, E_STOPPED, EVENT_NAMES, TYPE_NAMES } from './model';
import { H_FAILED } from './derive';
import { Plan, expand, emitBroadcast } from './expand';
import { Commit, commit, processValue, processUpdatePayload } from './commit';
import { state, DelayedReply } from './state';

const ZERO_FID = new Fid(0, 0);
export const EAGAIN: i32 = 11;
export const EINVAL: i32 = 22;
export const QUERY_DELAY_MS: u64 = 1000;

const request = new EntrypointReqView();

export function onEntrypointRequested(r: Reader, out: Out): void {
  const e = EntrypointRequested.read(r);
  let nowMs: u64 = 0;
  let timed = false;
  if (r.remaining >= 8) { nowMs = r.u64('nowMs'); timed = true; }
  if (!request.decode(e.fop.ptr, e.fop.len)) {   // the flat fast path: codec/entrypoint-view.ts
    out.replyEntrypoint(e.reqId, -EINVAL, 0, [], ZERO_FID, '');
    out.reason('ENTRYPOINT_BAD_REQUEST', 'request ' + e.reqId.toString() + ' undecodable (' +
      describe(request.err) + '); replied rc -22 with no confds so the requester asks again');
    return;
  }
  const who = formatFid(request.processC, request.processK);
  out.subject(request.processC, request.processK);
  const first = request.firstRequest;
  const label = 'process ' + who + (first ? ' (first request)' : '');
  if (state.stopping) {
    out.replyEntrypoint(e.reqId, 0, 0, [], ZERO_FID, '');
    out.reason('ENTRYPOINT_STOPPING', label + ': hax is stopping; replied rc 0 with no confds, quorum 0, RM 0:0 so Motr is not blocked');
    return;
  }
  const restart = first ? restartCheck(who, out) : '';
  const n = state.confds.length;
  const rm = state.rm;
  if (n == 0 || (rm === null && timed)) {
    const why = n == 0 ? 'no confd known' + (state.viewSeen ? '' : ' (no view received)') : 'no principal RM (no leader session or no confd on its node)';
    if (!timed) {
      out.replyEntrypoint(e.reqId, -EAGAIN, 0, [], ZERO_FID, '');
      out.reason('ENTRYPOINT_NO_CONFD', label + ': ' + why + '; replied rc -11 (EAGAIN)' + restart);
      return;
    }
    const due = nowMs + QUERY_DELAY_MS;
    state.delayed.push(new DelayedReply(e.reqId, due, label, why));
    timerAt(out, due);
    out.reason('ENTRYPOINT_DEFERRED', label + ': ' + why + '; rc -11 (QUERY) goes out in 1 s so Motr does not flood hax' + restart);
    return;
  }
  const quorum = <u32>(n / 2 + 1);
  const rmFid = rm === null ? ZERO_FID : rm.fid;
  const rmEp = rm === null ? '' : rm.endpoint;
  out.replyEntrypoint(e.reqId, 0, quorum, state.confds, rmFid, rmEp);
  out.reason(restart.indexOf('detected') >= 0 ? 'ENTRYPOINT_RESTART_DETECTED' : 'ENTRYPOINT_ANSWERED', label + ': ' + n.toString() + ' confd(s), quorum ' +
    quorum.toString() + ', RM ' + (rm === null ? 'none' : rmFid.toString() + ' at ' + rmEp) + restart);
}

/** Restart detection; returns a reason suffix ('' when nothing was detected or counted). */
function restartCheck(who: string, out: Out): string {
  const f = new Fid();
  if (!parseFidText(who, f)) return '';
  const m = state.model;
  const p = m.find(f.c, f.k);
  if (p < 0 || state.isHax(f.c, f.k)) return '';
  const o = m.get(p);
  if (o.kind == K_HAX || o.kind == K_CLIENT) return '';
  const count = o.restarts;
  o.restarts = count + 1;
  const plan = new Plan();
  plan.ops.set(state.node + '/process_restarts/' + who, (count + 1).toString());
  const c = new Commit();
  c.ack = false; c.what = 'restart counter of ' + who;
  if (count <= 1) {
    commit(out, plan, c);
    return '; restart counter ' + (count + 1).toString();
  }
  const type = TYPE_NAMES[3];
  plan.ops.set('processes/' + who, processValue(EVENT_NAMES[E_STOPPED], type));
  plan.ops.publish('PROCESS-STATE-UPDATE', processUpdatePayload(who, EVENT_NAMES[E_STOPPED], type));
  o.event = E_STOPPED; o.ptype = 3;
  c.procC.push(f.c); c.procK.push(f.k);
  expand(plan, p, H_FAILED, true, true, false);
  dropLinks(out, f.c, f.k, true);   // the old incarnation's links; the new link is made by this reply
  const skipC: Array<u64> = [f.c], skipK: Array<u64> = [f.k];
  emitBroadcast(out, plan, 0, skipC, skipK, true);
  commit(out, plan, c);
  return '; restart #' + count.toString() + ' detected: FAILED broadcast for ' + plan.summary() +
    ' (its own link skipped), reply held until delivered (30 s at most)';
}

/** Sends the deferred QUERY replies that are due; arms the next timer. */
export function onTimerFired(r: Reader, out: Out): void {
  const nowMs = r.u64('nowMs');
  if (r.failed) abort('event record malformed: nowMs');
  const keep = new Array<DelayedReply>();
  let sent = '';
  let next: u64 = 0;
  for (let i = 0; i < state.delayed.length; i++) {
    const d = state.delayed[i];
    if (d.dueMs <= nowMs) {
      out.replyEntrypoint(d.reqId, -EAGAIN, 0, [], ZERO_FID, '');
      sent += (sent.length ? ', ' : '') + d.who;
    } else {
      keep.push(d);
      if (next == 0 || d.dueMs < next) next = d.dueMs;
    }
  }
  state.delayed = keep;
  if (next != 0) timerAt(out, next);
  if (sent.length == 0) { out.reason('TIMER_IDLE', 'timer at ' + nowMs.toString() + ': nothing due'); return; }
  out.reason('ENTRYPOINT_QUERY_SENT', 'rc -11 (QUERY) sent after 1 s to ' + sent + '; Motr asks again');
}

export function nextDeadline(): u64 {
  let next: u64 = 0;
  for (let i = 0; i < state.delayed.length; i++) if (next == 0 || state.delayed[i].dueMs < next) next = state.delayed[i].dueMs;
  return next;
}
