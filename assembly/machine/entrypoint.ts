// Entrypoint requests (hax-reference.md §4.1). Table first:
//
//   condition                               reply
//   fop undecodable                         rc -22, no confds, connection closed     ENTRYPOINT_BAD_REQUEST
//   hax stopping                            rc 0, no confds, quorum 0, RM 0:0        ENTRYPOINT_STOPPING
//   no confd or no RM known                 rc -11 (QUERY) after 1 s                 ENTRYPOINT_DEFERRED → ENTRYPOINT_QUERY_SENT
//   (no conf tree loaded yet counts as an empty cluster: no confd known, the same row)
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
//
// Every reply carries the link plan of links.ts (CONSUME/QUERY, new, reuse,
// reconnect, absent), decided here at the moment the reply goes out.
import { Reader } from '../codec/reader';
import { Fid, formatFid } from '../codec/fid';
import { describe } from '../codec/errors';
import { EntrypointReq, readEntrypointReq } from '../codec/entrypoint';
import { Out, timerAt, dropLinks } from '../actions';
import { EntrypointRequested, Endpoint } from '../events';
import { K_HAX, K_CLIENT, E_STOPPED, EVENT_NAMES, TYPE_NAMES } from './model';
import { H_FAILED } from './derive';
import { Plan, expand, emitBroadcast } from './expand';
import { Commit, commit, processValue, processUpdatePayload } from './commit';
import { state, DelayedReply } from './state';
import { LinkPlan, planLink, rejectPlan } from './links';

const ZERO_FID = new Fid(0, 0);
export const EAGAIN: i32 = 11;
export const EINVAL: i32 = 22;
export const QUERY_DELAY_MS: u64 = 1000;

/** Emits the reply and its link plan. */
function reply(out: Out, reqId: u32, rc: i32, quorum: u32, confds: Array<Endpoint>, rm: Fid, rmEp: string, p: LinkPlan): void {
  out.replyEntrypoint(reqId, rc, quorum, confds, rm, rmEp, p.control, p.mode, p.linkId, p.req, p.note);
}

export function onEntrypointRequested(r: Reader, out: Out): void {
  const e = EntrypointRequested.read(r);
  let nowMs: u64 = 0;
  let timed = false;
  if (r.remaining >= 8) { nowMs = r.u64('nowMs'); timed = true; }
  const fr = new Reader().reset(e.fop.ptr, e.fop.len);
  const q = new EntrypointReq();
  readEntrypointReq(fr, q);
  if (fr.failed) {
    const why = 'entrypoint request: ' + describe(fr.err);
    reply(out, e.reqId, -EINVAL, 0, [], ZERO_FID, '', rejectPlan(why));
    out.reason('ENTRYPOINT_BAD_REQUEST', 'request ' + e.reqId.toString() + ' undecodable (' +
      describe(fr.err) + '); the socket backend closes the connection (HAX_ERR_BAD_FOP), the motr backend replies rc -22 with no confds');
    return;
  }
  const who = formatFid(q.pc, q.pk);
  out.subject(q.pc, q.pk);
  const label = 'process ' + who + (q.first ? ' (first request)' : '');
  if (state.stopping) {
    const p = planLink(q, 0);
    reply(out, e.reqId, 0, 0, [], ZERO_FID, '', p);
    out.reason('ENTRYPOINT_STOPPING', label + ': hax is stopping; replied rc 0 with no confds, quorum 0, RM 0:0 so Motr is not blocked (' + p.describe() + ')');
    return;
  }
  const restart = q.first ? restartCheck(q.pc, q.pk, who, out) : new Restart(false, '');
  // Until the conf tree is loaded the cluster is empty to the core: no confd
  // is known, whatever the view says (restart detection needs the tree).
  const n = state.model.loaded ? state.confds.length : 0;
  const rm = state.rm;
  if (n == 0 || (rm === null && timed)) {
    const why = n == 0 ? 'no confd known' + (!state.model.loaded ? ' (no conf tree loaded yet)' : state.viewSeen ? '' : ' (no view received)') :
      'no principal RM (no leader session or no confd on its node)';
    if (!timed) {
      const p = planLink(q, -EAGAIN);
      reply(out, e.reqId, -EAGAIN, 0, [], ZERO_FID, '', p);
      out.reason('ENTRYPOINT_NO_CONFD', label + ': ' + why + '; replied rc -11 (EAGAIN) (' + p.describe() + ')' + restart.note);
      return;
    }
    const due = nowMs + QUERY_DELAY_MS;
    state.delayed.push(new DelayedReply(e.reqId, due, label, why, q));
    timerAt(out, due);
    out.reason('ENTRYPOINT_DEFERRED', label + ': ' + why + '; rc -11 (QUERY) goes out in 1 s so Motr does not flood hax' + restart.note);
    return;
  }
  const quorum = <u32>(n / 2 + 1);
  const rmFid = rm === null ? ZERO_FID : rm.fid;
  const rmEp = rm === null ? '' : rm.endpoint;
  const p = planLink(q, 0);
  reply(out, e.reqId, 0, quorum, state.confds, rmFid, rmEp, p);
  out.reason(restart.detected ? 'ENTRYPOINT_RESTART_DETECTED' : 'ENTRYPOINT_ANSWERED', label + ': ' + n.toString() + ' confd(s), quorum ' +
    quorum.toString() + ', RM ' + (rm === null ? 'none' : rmFid.toString() + ' at ' + rmEp) + ' (' + p.describe() + ')' + restart.note);
}

/** What restart detection found: a restart (FAILED broadcast, held reply) or not, and a reason suffix. */
class Restart {
  constructor(public detected: bool, public note: string) {}
}

function restartCheck(c: u64, k: u64, who: string, out: Out): Restart {
  const m = state.model;
  const p = m.find(c, k);
  if (p < 0 || state.isHax(c, k)) return new Restart(false, '');
  const o = m.get(p);
  if (o.kind == K_HAX || o.kind == K_CLIENT) return new Restart(false, '');
  const count = o.restarts;
  o.restarts = count + 1;
  const plan = new Plan();
  plan.ops.set(state.node + '/process_restarts/' + who, (count + 1).toString());
  const cm = new Commit();
  cm.ack = false; cm.what = 'restart counter of ' + who;
  if (count <= 1) {
    commit(out, plan, cm);
    return new Restart(false, '; restart counter ' + (count + 1).toString());
  }
  const type = TYPE_NAMES[3];
  plan.ops.set('processes/' + who, processValue(EVENT_NAMES[E_STOPPED], type));
  plan.ops.publish('PROCESS-STATE-UPDATE', processUpdatePayload(who, EVENT_NAMES[E_STOPPED], type));
  o.event = E_STOPPED; o.ptype = 3;
  cm.procC.push(c); cm.procK.push(k);
  expand(plan, p, H_FAILED, true, true, false);
  dropLinks(out, c, k, true);   // the old incarnation's links; the new link is made by this reply
  const skipC: Array<u64> = [c], skipK: Array<u64> = [k];
  emitBroadcast(out, plan, 0, skipC, skipK, true);
  commit(out, plan, cm);
  return new Restart(true, '; restart #' + count.toString() + ' detected: FAILED broadcast for ' + plan.summary() +
    ' (its own link skipped), reply held until delivered (30 s at most)');
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
      reply(out, d.reqId, -EAGAIN, 0, [], ZERO_FID, '', planLink(d.req, -EAGAIN));
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
