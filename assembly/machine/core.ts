// The core's transition table: one row per event, each naming its handler and
// the reason codes it can give. Special cases live in the handlers below and
// in messages.ts (one row per m0_ha_msg type) and health.ts.
//
// Reason codes (one per input, Patroni style):
//   VIEW_STORED               ViewUpdated: confds and RM remembered
//   ENTRYPOINT_ANSWERED       EntrypointRequested: rc 0, quorum floor(n/2)+1
//   ENTRYPOINT_NO_CONFD       EntrypointRequested: view has no confd → rc -11 (EAGAIN)
//   ENTRYPOINT_BAD_REQUEST    EntrypointRequested: fop undecodable → rc -22, 0 confds (asks again)
//   (messages.ts)             MessageReceived
//   EVENT_RECORDED            ConsulReplied ok: the write is durable → Acknowledge
//   EVENT_WRITE_FAILED        ConsulReplied not ok: no ack, Motr re-sends after reconnect
//   CONSUL_REPLY_UNKNOWN_OP   ConsulReplied for an opId not pending: nothing to do
//   (health.ts)               HealthReported
import { Reader } from '../codec/reader';
import { Fid } from '../codec/fid';
import { Value } from '../codec/value';
import { describe } from '../codec/errors';
import { Ctx, decodeFields } from '../codec/schema';
import { ENTRYPOINT_REQ } from '../codec/entrypoint';
import { Out } from '../actions';
import {
  EV_VIEW_UPDATED, EV_ENTRYPOINT_REQUESTED, EV_MESSAGE_RECEIVED, EV_CONSUL_REPLIED, EV_HEALTH_REPORTED,
} from '../abi';
import { ViewUpdated, EntrypointRequested, ConsulReplied } from '../events';
import { state } from './state';
import { onMessageReceived } from './messages';
import { onHealthReported } from './health';

const ZERO_FID = new Fid(0, 0);
export const EAGAIN: i32 = 11;
export const EINVAL: i32 = 22;

export type Handler = (r: Reader, out: Out) => void;

export class Transition {
  constructor(public event: u16, public name: string, public handler: Handler, public reasons: string) {}
}

export const TRANSITIONS: Array<Transition> = [
  new Transition(EV_VIEW_UPDATED, 'ViewUpdated', onViewUpdated, 'VIEW_STORED'),
  new Transition(EV_ENTRYPOINT_REQUESTED, 'EntrypointRequested', onEntrypointRequested,
    'ENTRYPOINT_ANSWERED ENTRYPOINT_NO_CONFD ENTRYPOINT_BAD_REQUEST'),
  new Transition(EV_MESSAGE_RECEIVED, 'MessageReceived', onMessageReceived,
    'EVENT_PROCESS_WRITING MESSAGE_ACKNOWLEDGED MESSAGE_UNDECODABLE EVENT_PROCESS_BUSY'),
  new Transition(EV_CONSUL_REPLIED, 'ConsulReplied', onConsulReplied,
    'EVENT_RECORDED EVENT_WRITE_FAILED CONSUL_REPLY_UNKNOWN_OP'),
  new Transition(EV_HEALTH_REPORTED, 'HealthReported', onHealthReported,
    'BROADCAST_SENT BROADCAST_UNCHANGED BROADCAST_PARTIAL'),
];

/** Runs the row for `tag`; an unknown tag is host misuse. */
export function dispatch(tag: u16, r: Reader, out: Out): void {
  for (let i = 0; i < TRANSITIONS.length; i++) {
    const t = TRANSITIONS[i];
    if (t.event == tag) { t.handler(r, out); return; }
  }
  abort('unknown event tag');
}

// ---- handlers ----------------------------------------------------------------------


function onViewUpdated(r: Reader, out: Out): void {
  const e = ViewUpdated.read(r);
  state.confds = e.confds;
  state.rm = e.rm;
  state.viewSeen = true;
  const rm = e.rm;
  out.reason('VIEW_STORED', e.confds.length.toString() + ' confd(s), RM ' +
    (rm === null ? 'none' : (rm.fid.toString() + ' at ' + rm.endpoint)));
}

function onEntrypointRequested(r: Reader, out: Out): void {
  const e = EntrypointRequested.read(r);
  const fr = new Reader().reset(e.fop.ptr, e.fop.len);
  const req = decodeFields(fr, ENTRYPOINT_REQ, new Ctx());
  fr.expectEnd('m0_ha_entrypoint_req_fop');
  if (fr.failed) {
    out.replyEntrypoint(e.reqId, -EINVAL, 0, [], ZERO_FID, '');
    out.reason('ENTRYPOINT_BAD_REQUEST', 'request ' + e.reqId.toString() + ' undecodable (' +
      describe(fr.err) + '); replied rc -22 with no confds so the requester asks again');
    return;
  }
  const who = (req.get('erf_process_fid') as Value).str;
  const first = (req.get('erf_first_request') as Value).num != 0;
  const n = state.confds.length;
  if (n == 0) {
    out.replyEntrypoint(e.reqId, -EAGAIN, 0, [], ZERO_FID, '');
    out.reason('ENTRYPOINT_NO_CONFD', 'process ' + who + (first ? ' (first request)' : '') +
      ': no confd known yet' + (state.viewSeen ? '' : ' (no view received)') + '; replied rc -11 (EAGAIN)');
    return;
  }
  const quorum = <u32>(n / 2 + 1);
  const rm = state.rm;
  const rmFid: Fid = rm === null ? ZERO_FID : rm.fid;
  const rmEp = rm === null ? '' : rm.endpoint;
  out.replyEntrypoint(e.reqId, 0, quorum, state.confds, rmFid, rmEp);
  out.reason('ENTRYPOINT_ANSWERED', 'process ' + who + (first ? ' (first request)' : '') + ': ' +
    n.toString() + ' confd(s), quorum ' + quorum.toString() + ', RM ' +
    (rm === null ? 'none' : rmFid.toString() + ' at ' + rmEp));
}

function onConsulReplied(r: Reader, out: Out): void {
  const e = ConsulReplied.read(r);
  if (!state.pending.has(e.opId)) {
    out.reason('CONSUL_REPLY_UNKNOWN_OP', 'Consul reply for op ' + e.opId.toString() + ' which is not pending; nothing to do');
    return;
  }
  const p = state.pending.get(e.opId);
  state.pending.delete(e.opId);
  if (e.ok) {
    out.acknowledge(p.linkId, p.tag);
    out.reason('EVENT_RECORDED', p.key + ' written (op ' + e.opId.toString() + '); acknowledging tag ' +
      p.tag.toString() + ' on link ' + p.linkId.toString());
  } else {
    out.reason('EVENT_WRITE_FAILED', p.key + ' not written (op ' + e.opId.toString() + '); tag ' +
      p.tag.toString() + ' on link ' + p.linkId.toString() + ' left unacknowledged, Motr re-sends it after reconnecting');
  }
}

