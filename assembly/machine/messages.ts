// MessageReceived: one row per m0_ha_msg type (hax-reference.md §4), special
// cases in the row functions. Every message is acknowledged: at once when it
// has no Consul effect, after its txn when it has one.
//
//   type             rule
//   STOB_IOQ         the sdev's drive → FAILED (sdev KV `failed`), EQ-less: BQ STOB_IOQ_ERROR, broadcast; ack after txn
//   NVEC GET / SET   nvec.ts
//   FAILURE_VEC_REQ  nvec.ts (the pool's devices)
//   EVENT_PROCESS    process-event.ts
//   EVENT_SERVICE    recorded on the service (last event), zero-fid events counted; ack
//   EVENT_RPC        counted per state, recorded; ack
//   FAILURE_VEC_REP, KEEPALIVE_REQ/REP, BE_IO_ERR, SNS_ERR, INVALID   logged, counted; ack (never a crash)
//
// Reason codes:
//   MESSAGE_UNDECODABLE      bad bytes: acknowledged so Motr does not resend garbage forever
//   MESSAGE_COUNTED          a notification hax only records (service, RPC, keepalive, BE/SNS errors)
//   STOB_IOQ_DRIVE_FAILED    drive FAILED, recorded and published
//   STOB_IOQ_UNKNOWN_SDEV    the sdev is 0:0 or not in the conf tree: counted, acknowledged
//
// Before the conf tree is loaded the model is empty and the same rows apply:
// every fid is "not in the conf tree" (there is no second rule set).
import { Reader } from '../codec/reader';
import { Value } from '../codec/value';
import { describe } from '../codec/errors';
import { parseFidText, Fid } from '../codec/fid';
import { MSG_TYPE_NAMES } from '../codec/ha-msg';
import { MsgView } from '../codec/msg-view';
import { Out } from '../actions';
import { MessageReceived } from '../events';
import { O_SDEV, O_DRIVE } from './model';
import { H_FAILED } from './derive';
import { Plan, expand, emitBroadcast } from './expand';
import { Commit, commit, saturated } from './commit';
import { onEventProcess } from './process-event';
import { onNvecGet, onNvecSet, onFailureVecReq } from './nvec';
import { state } from './state';

/** A rule reads the message's typed slots; the rare ones that print names ask for its value tree (v.tree()). */
export type MessageRule = (e: MessageReceived, v: MsgView, out: Out) => void;

/** The one decode of every message: the flat fast path (codec/msg-view.ts). */
const view = new MsgView();

/** Indexed by hed_type. */
export const MESSAGE_RULES: Array<MessageRule> = [
  countOnly, /* 0 INVALID */
  stobIoq, /* 1 STOB_IOQ */
  nvec, /* 2 NVEC */
  failureVecReq, /* 3 FAILURE_VEC_REQ */
  countOnly, /* 4 FAILURE_VEC_REP */
  countOnly, /* 5 KEEPALIVE_REQ */
  countOnly, /* 6 KEEPALIVE_REP */
  processEvent, /* 7 EVENT_PROCESS */
  serviceEvent, /* 8 EVENT_SERVICE */
  rpcEvent, /* 9 EVENT_RPC */
  countOnly, /* 10 BE_IO_ERR */
  countOnly, /* 11 SNS_ERR */
];

export function onMessageReceived(r: Reader, out: Out): void {
  const e = MessageReceived.read(r);
  if (!view.decode(e.msg.ptr, e.msg.len)) {
    state.count('undecodable');
    out.acknowledge(e.linkId, e.tag);
    out.reason('MESSAGE_UNDECODABLE', 'link ' + e.linkId.toString() + ' tag ' + e.tag.toString() + ': ' +
      describe(view.err) + '; acknowledged so Motr does not resend it forever');
    return;
  }
  const t = <i32>view.type;   // 0..11: the decode checked it
  out.about(MSG_TYPE_NAMES[t]);
  out.subject(view.fidC, view.fidK);
  MESSAGE_RULES[t](e, view, out);
}

function describeMsg(e: MessageReceived, m: Value): string {
  return 'M0_HA_MSG_' + (m.get('type') as Value).str + ' from ' + (m.get('fid') as Value).str + ' on link ' +
    e.linkId.toString() + ' tag ' + e.tag.toString();
}

function countOnly(e: MessageReceived, v: MsgView, out: Out): void {
  const m = v.tree();
  const t = (m.get('type') as Value).str;
  state.count(t);
  out.acknowledge(e.linkId, e.tag);
  out.reason('MESSAGE_COUNTED', describeMsg(e, m) + ': recorded and counted (' + state.counters.get(t).toString() + ' so far); acknowledged');
}

function serviceEvent(e: MessageReceived, v: MsgView, out: Out): void {
  const m = v.tree();
  const body = m.get('body') as Value;
  const ev = (body.get('chs_event') as Value).str;
  const f = new Fid();
  parseFidText((m.get('fid') as Value).str, f);
  state.count('EVENT_SERVICE');
  let where = '';
  if ((f.c | f.k) == 0) { state.count('EVENT_SERVICE zero fid'); where = 'an internal service (fid 0:0)'; }
  else {
    const i = state.model.find(f.c, f.k);
    if (i >= 0) { state.model.get(i).lastServiceEvent = ev; where = 'service ' + f.toString(); }
    else { state.count('EVENT_SERVICE unknown fid'); where = f.toString() + ' (not in the conf tree)'; }
  }
  state.count(ev);
  out.acknowledge(e.linkId, e.tag);
  out.reason('MESSAGE_COUNTED', describeMsg(e, m) + ': ' + ev + ' of ' + where + ' (' +
    (body.get('chs_type') as Value).str + ') recorded; no broadcast (m0d sends STOPPING without STOPPED); acknowledged');
}

function rpcEvent(e: MessageReceived, v: MsgView, out: Out): void {
  const m = v.tree();
  const body = m.get('body') as Value;
  const st = (body.get('hmr_state') as Value).str;
  state.count('EVENT_RPC');
  state.count('EVENT_RPC ' + st);
  out.acknowledge(e.linkId, e.tag);
  out.reason('MESSAGE_COUNTED', describeMsg(e, m) + ': RPC to ' + (m.get('fid') as Value).str + ' ' + st + ' after ' +
    (body.get('hmr_attempts') as Value).num.toString() + ' attempt(s) recorded; acknowledged');
}

function nvec(e: MessageReceived, v: MsgView, out: Out): void {
  if (v.body(0) == 1) onNvecGet(e, out);   // hmnv_type: 0 M0_HA_NVEC_SET, 1 M0_HA_NVEC_GET
  else onNvecSet(e, out);
}

function failureVecReq(e: MessageReceived, v: MsgView, out: Out): void { onFailureVecReq(e, out); }

function processEvent(e: MessageReceived, v: MsgView, out: Out): void { onEventProcess(e, v, out); }

function stobIoq(e: MessageReceived, v: MsgView, out: Out): void {
  const m = v.tree();
  const body = m.get('body') as Value;
  const sdevText = (body.get('sie_conf_sdev') as Value).str;
  const f = new Fid();
  parseFidText(sdevText, f);
  state.count('STOB_IOQ');
  const md = state.model;
  const i = (f.c | f.k) == 0 ? -1 : md.find(f.c, f.k);
  if (i < 0 || saturated()) {
    out.acknowledge(e.linkId, e.tag);
    out.reason('STOB_IOQ_UNKNOWN_SDEV', describeMsg(e, m) + ': sdev ' + sdevText + (i < 0 ? ' is 0:0 or not in the conf tree' : ' (writes at the limit)') + '; counted, acknowledged');
    return;
  }
  const o = md.get(i);
  const drive = o.type == O_SDEV ? o.ref : (o.type == O_DRIVE ? i : -1);
  const plan = new Plan();
  if (drive >= 0) expand(plan, drive, H_FAILED, true, true, false);
  const sd = o.type == O_SDEV ? o : null;
  if (sd !== null) plan.note(sd.c, sd.k, 2);
  const stob = body.get('sie_stob_id') as Value;
  const payload = '{"fid": "' + (m.get('fid') as Value).str + '", "conf_sdev": "' + sdevText + '", "stob_id": {"domain_fid": "' +
    (stob.get('si_domain_fid') as Value).str + '", "fid": "' + (stob.get('si_fid') as Value).str + '"}, "fd": ' + num(body, 'sie_fd') +
    ', "opcode": "' + (body.get('sie_opcode') as Value).str + '", "rc": ' + num(body, 'sie_rc') + ', "offset": ' + num(body, 'sie_offset') +
    ', "size": ' + num(body, 'sie_size') + ', "bshift": ' + num(body, 'sie_bshift') + '}';
  plan.ops.publish('STOB_IOQ_ERROR', payload);
  emitBroadcast(out, plan, 0, [], [], false);
  const c = new Commit();
  c.linkId = e.linkId; c.tag = e.tag; c.what = 'STOB_IOQ ' + sdevText;
  commit(out, plan, c);
  out.reason('STOB_IOQ_DRIVE_FAILED', describeMsg(e, m) + ': I/O error on sdev ' + sdevText + ' (rc ' + num(body, 'sie_rc') + '): ' +
    plan.summary() + ' broadcast; sdev KV failed and BQ STOB_IOQ_ERROR in one txn, acknowledged once durable');
}

function num(body: Value, key: string): string {
  const v = body.get(key) as Value;
  return (v.neg ? '-' : '') + v.num.toString();
}
