// MessageReceived: one row per m0_ha_msg type. Only EVENT_PROCESS has a rule
// so far (record processes/<fid> in Consul, acknowledge once durable); every
// other type is acknowledged at once with a reason naming it. Deeper rules
// (NVEC GET answers, FVEC stub reply, STOB_IOQ → EQ) replace rows here.
//
// Reason codes:
//   EVENT_PROCESS_WRITING   ConsulPut processes/<fid>; the ack waits for the write
//   EVENT_PROCESS_BUSY      too many writes pending; no action, Motr re-sends after reconnect
//   MESSAGE_ACKNOWLEDGED    a type without a rule yet: acknowledged at once
//   MESSAGE_UNDECODABLE     bad bytes: acknowledged so Motr does not resend garbage forever
import { Reader } from '../codec/reader';
import { Value } from '../codec/value';
import { describe } from '../codec/errors';
import { decodeHaMsg, MSG_TYPE_NAMES } from '../codec/ha-msg';
import { Out } from '../actions';
import { MessageReceived } from '../events';
import { state, PendingAck, PENDING_MAX } from './state';

export type MessageRule = (e: MessageReceived, m: Value, out: Out) => void;

/** Indexed by hed_type. */
export const MESSAGE_RULES: Array<MessageRule> = [
  ackNow, /* 0 INVALID */
  ackNow, /* 1 STOB_IOQ */
  ackNow, /* 2 NVEC */
  ackNow, /* 3 FAILURE_VEC_REQ */
  ackNow, /* 4 FAILURE_VEC_REP */
  ackNow, /* 5 KEEPALIVE_REQ */
  ackNow, /* 6 KEEPALIVE_REP */
  recordProcessEvent, /* 7 EVENT_PROCESS */
  ackNow, /* 8 EVENT_SERVICE */
  ackNow, /* 9 EVENT_RPC */
  ackNow, /* 10 BE_IO_ERR */
  ackNow, /* 11 SNS_ERR */
];

export function onMessageReceived(r: Reader, out: Out): void {
  const e = MessageReceived.read(r);
  const mr = new Reader().reset(e.msg.ptr, e.msg.len);
  const m = decodeHaMsg(mr);
  if (mr.failed) {
    out.acknowledge(e.linkId, e.tag);
    out.reason('MESSAGE_UNDECODABLE', 'link ' + e.linkId.toString() + ' tag ' + e.tag.toString() + ': ' +
      describe(mr.err) + '; acknowledged so Motr does not resend it forever');
    return;
  }
  const typeName = (m.get('type') as Value).str;
  for (let t = 0; t < MSG_TYPE_NAMES.length; t++) {
    if (MSG_TYPE_NAMES[t] == typeName) { MESSAGE_RULES[t](e, m, out); return; }
  }
  abort('decoded message has no type row');
}

function ackNow(e: MessageReceived, m: Value, out: Out): void {
  out.acknowledge(e.linkId, e.tag);
  out.reason('MESSAGE_ACKNOWLEDGED', 'M0_HA_MSG_' + (m.get('type') as Value).str + ' from ' +
    (m.get('fid') as Value).str + ' on link ' + e.linkId.toString() + ' tag ' + e.tag.toString() +
    ': no rule for this type yet; acknowledged');
}

function recordProcessEvent(e: MessageReceived, m: Value, out: Out): void {
  const body = m.get('body') as Value;
  const fid = (m.get('fid') as Value).str;
  const event = (body.get('chp_event') as Value).str;
  const type = (body.get('chp_type') as Value).str;
  if (state.pending.size >= PENDING_MAX) {
    out.reason('EVENT_PROCESS_BUSY', fid + ' ' + event + ': ' + PENDING_MAX.toString() +
      ' writes pending; not recorded, not acknowledged (Motr re-sends after reconnect)');
    return;
  }
  const opId = state.takeOpId();
  const key = 'processes/' + fid;
  // Python json.dumps spacing, as hare's hax wrote it.
  const value = '{"state": "' + event + '", "type": "' + type + '"}';
  state.pending.set(opId, new PendingAck(e.linkId, e.tag, key));
  out.consulPut(opId, key, value);
  out.reason('EVENT_PROCESS_WRITING', fid + ' ' + event + ' (' + type + ', pid ' +
    (body.get('chp_pid') as Value).num.toString() + '): writing ' + key + ' as op ' + opId.toString() +
    '; tag ' + e.tag.toString() + ' on link ' + e.linkId.toString() + ' is acknowledged once the write is durable');
}
