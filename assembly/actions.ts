// Action records (core → host): imperatives. Layouts are in abi.ts. The
// output region holds the actions of one input followed by exactly one REASON
// record; REASON_RESERVE bytes are kept free for it, so an input that produces
// too many actions still explains itself. The REASON record is the core's
// typed decision: reason code and text, the decision's kind (the event's name
// from the transition table, or what a rule narrowed it to, e.g. the message
// type) and the fids it is about — the host shows these and never guesses them.
import { Writer } from './codec/writer';
import { Fid } from './codec/fid';
import {
  OUT_REASON, ACT_REPLY_ENTRYPOINT, ACT_ACKNOWLEDGE, ACT_PASS_CHECK, ACT_BROADCAST, RECORD_HEADER,
  ACT_CONSUL_TXN, ACT_BROADCAST_TO, ACT_SEND, ACT_DROP_LINKS, ACT_AWAIT_DELIVERY, ACT_NOTES, ACT_TIMER,
} from './abi';
import { Endpoint } from './events';
import { EntrypointReq, LINK_PARAM_WORDS } from './codec/entrypoint';

export const REASON_RESERVE: usize = 8192;
/** Most subject fids one decision names (a broadcast's notes carry the rest). */
export const SUBJECTS_MAX: i32 = 16;

export class Out {
  w: Writer = new Writer();
  base: usize = 0;
  cap: usize = 0;
  reasonCode: string = '';
  reasonText: string = '';
  kind: string = '';
  subjectC: Array<u64> = [];
  subjectK: Array<u64> = [];
  actions: i32 = 0;

  reset(ptr: usize, cap: usize): void {
    this.base = ptr;
    this.cap = cap;
    this.w.reset(ptr, cap - REASON_RESERVE);
    this.reasonCode = '';
    this.reasonText = '';
    this.kind = '';
    this.subjectC.length = 0;
    this.subjectK.length = 0;
    this.actions = 0;
  }

  /** Narrows the decision's kind (the transition table sets the event's name first). */
  about(kind: string): void { this.kind = kind; }

  /** Names a fid the decision is about (once; at most SUBJECTS_MAX). */
  subject(c: u64, k: u64): void {
    if ((c | k) == 0 || this.subjectC.length >= SUBJECTS_MAX) return;
    for (let i = 0; i < this.subjectC.length; i++) if (this.subjectC[i] == c && this.subjectK[i] == k) return;
    this.subjectC.push(c);
    this.subjectK.push(k);
  }

  reason(code: string, text: string): void {
    this.reasonCode = code;
    this.reasonText = text;
  }

  /** Room left for actions, in bytes. */
  get room(): usize { return this.w.room; }

  /** Appends the REASON record; returns the total output length. */
  finish(): i32 {
    if (this.w.failed) abort('action output overflow (a handler must check room first)');
    if (this.reasonCode.length == 0) abort('handler gave no reason');
    const used = this.w.pos - this.base;
    this.w.reset(this.w.pos, this.cap - used);
    let text = this.reasonText;
    if (<usize>String.UTF8.byteLength(text, false) > REASON_RESERVE - 256) text = text.substring(0, 1500) + '…';
    const at = this.w.beginRecord(OUT_REASON);
    this.w.str(this.reasonCode);
    this.w.str(text);
    this.w.str(this.kind);
    this.w.u32(<u32>this.subjectC.length);
    for (let i = 0; i < this.subjectC.length; i++) this.w.fid(this.subjectC[i], this.subjectK[i]);
    this.w.endRecord(at);
    if (this.w.failed) abort('reason record overflow');
    return <i32>(this.w.pos - this.base);
  }

  /**
   * The reply and the link plan (machine/links.ts): control, mode, the link
   * to reuse, and the request's words the shim needs (zeros without a request).
   */
  replyEntrypoint(reqId: u32, rc: i32, quorum: u32, confds: Array<Endpoint>, rm: Fid, rmEp: string,
    control: u8, mode: u8, linkId: u32, req: EntrypointReq | null, note: string): void {
    const w = this.w;
    const at = w.beginRecord(ACT_REPLY_ENTRYPOINT);
    w.u32(reqId);
    w.u32(<u32>rc);
    w.u32(quorum);
    w.u32(<u32>confds.length);
    for (let i = 0; i < confds.length; i++) {
      w.fid(confds[i].fid.c, confds[i].fid.k);
      w.str(confds[i].endpoint);
    }
    w.fid(rm.c, rm.k);
    w.str(rmEp);
    w.u8(control);
    w.u8(mode);
    w.u32(linkId);
    if (req === null) {
      w.u64(0); w.fid(0, 0);
      for (let i = 0; i < LINK_PARAM_WORDS; i++) w.u64(0);
    } else {
      w.u64(req.generation); w.fid(req.pc, req.pk);
      for (let i = 0; i < LINK_PARAM_WORDS; i++) w.u64(req.params[i]);
    }
    w.str(note);
    w.endRecord(at);
    this.actions++;
  }

  /** Pass the local agent's TTL check `checkId` (a process of this node says it runs). */
  passCheck(checkId: string, note: string): void {
    const w = this.w;
    const at = w.beginRecord(ACT_PASS_CHECK);
    w.str(checkId);
    w.str(note);
    w.endRecord(at);
    this.actions++;
  }

  acknowledge(linkId: u32, tag: u64): void {
    const w = this.w;
    const at = w.beginRecord(ACT_ACKNOWLEDGE);
    w.u32(linkId);
    w.u64(tag);
    w.endRecord(at);
    this.actions++;
  }

  /** Bytes a broadcast of one message with n notes takes. */
  static broadcastSize(msgLen: usize, n: i32): usize {
    return <usize>RECORD_HEADER + 4 + msgLen + 4 + <usize>n * 20;
  }

  /** Starts a Broadcast: the caller writes the message with the returned writer, then calls endBroadcast. */
  beginBroadcast(): usize {
    const at = this.w.beginRecord(ACT_BROADCAST);
    this.w.u32(0);
    return at;
  }

  endBroadcast(at: usize, cs: Array<u64>, ks: Array<u64>, states: Array<u32>, from: i32, n: i32): void {
    const w = this.w;
    if (!w.failed) store<u32>(at + RECORD_HEADER, <u32>(w.pos - at - RECORD_HEADER - 4));
    w.u32(<u32>n);
    for (let i = from; i < from + n; i++) {
      w.fid(cs[i], ks[i]);
      w.u32(states[i]);
    }
    w.endRecord(at);
    this.actions++;
  }
}

/** Consul operations of one transaction (≤ 64; BQ publish counts as two: CAS epoch + set). */
export class TxnOps {
  verbs: Array<u8> = [];
  keys: Array<string> = [];
  values: Array<string> = [];
  set(key: string, value: string): TxnOps { this.verbs.push(0); this.keys.push(key); this.values.push(value); return this; }
  del(key: string): TxnOps { this.verbs.push(1); this.keys.push(key); this.values.push(''); return this; }
  publish(messageType: string, payload: string): TxnOps { this.verbs.push(2); this.keys.push(messageType); this.values.push(payload); return this; }
  get length(): i32 { return this.verbs.length; }
  /** Consul ops this becomes (a publish is a CAS on epoch plus a set of bq/<n>). */
  get consulOps(): i32 {
    let n = 0;
    for (let i = 0; i < this.verbs.length; i++) n += this.verbs[i] == 2 ? 2 : 1;
    return n;
  }
}

export function consulTxn(out: Out, opId: u32, ops: TxnOps): void {
  const w = out.w;
  const at = w.beginRecord(ACT_CONSUL_TXN);
  w.u32(opId);
  w.u32(<u32>ops.length);
  for (let i = 0; i < ops.length; i++) {
    w.u8(ops.verbs[i]);
    w.str(ops.keys[i]);
    w.str(ops.values[i]);
  }
  w.endRecord(at);
  out.actions++;
}

/** Starts a targeted broadcast; the caller writes the message, then calls endBroadcastTo. */
export function beginBroadcastTo(out: Out, id: u32, scope: u8, skipC: Array<u64>, skipK: Array<u64>): usize {
  const w = out.w;
  const at = w.beginRecord(ACT_BROADCAST_TO);
  w.u32(id);
  w.u8(scope);
  w.u32(<u32>skipC.length);
  for (let i = 0; i < skipC.length; i++) w.fid(skipC[i], skipK[i]);
  w.u32(0);   // message length, patched
  return at;
}

export function endBroadcastTo(out: Out, at: usize, lenAt: usize, cs: Array<u64>, ks: Array<u64>, states: Array<u32>, from: i32, n: i32): void {
  const w = out.w;
  if (!w.failed) store<u32>(lenAt, <u32>(w.pos - lenAt - 4));
  w.u32(<u32>n);
  for (let i = from; i < from + n; i++) { w.fid(cs[i], ks[i]); w.u32(states[i]); }
  w.endRecord(at);
  out.actions++;
}

export function beginSend(out: Out, linkId: u32): usize {
  const at = out.w.beginRecord(ACT_SEND);
  out.w.u32(linkId);
  out.w.u32(0);
  return at;
}

export function endSend(out: Out, at: usize): void {
  const w = out.w;
  const lenAt = at + RECORD_HEADER + 4;
  if (!w.failed) store<u32>(lenAt, <u32>(w.pos - lenAt - 4));
  w.endRecord(at);
  out.actions++;
}

export function dropLinks(out: Out, c: u64, k: u64, disconnect: bool): void {
  out.subject(c, k);
  const at = out.w.beginRecord(ACT_DROP_LINKS);
  out.w.fid(c, k);
  out.w.u8(disconnect ? 1 : 0);
  out.w.endRecord(at);
  out.actions++;
}

export function awaitDelivery(out: Out, id: u32, timeoutMs: u32): void {
  const at = out.w.beginRecord(ACT_AWAIT_DELIVERY);
  out.w.u32(id);
  out.w.u32(timeoutMs);
  out.w.endRecord(at);
  out.actions++;
}

export function notesRecord(out: Out, cs: Array<u64>, ks: Array<u64>, states: Array<u32>): void {
  const w = out.w;
  const at = w.beginRecord(ACT_NOTES);
  w.u32(<u32>cs.length);
  for (let i = 0; i < cs.length; i++) { w.fid(cs[i], ks[i]); w.u32(states[i]); }
  w.endRecord(at);
  out.actions++;
}

export function timerAt(out: Out, dueMs: u64): void {
  const at = out.w.beginRecord(ACT_TIMER);
  out.w.u64(dueMs);
  out.w.endRecord(at);
  out.actions++;
}
