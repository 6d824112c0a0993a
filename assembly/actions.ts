// Action records (core → host): imperatives. Layouts are in abi.ts. The
// output region holds the actions of one input followed by exactly one REASON
// record; REASON_RESERVE bytes are kept free for it, so an input that produces
// too many actions still explains itself.
import { Writer } from './codec/writer';
import { Fid } from './codec/fid';
import {
  OUT_REASON, ACT_REPLY_ENTRYPOINT, ACT_CONSUL_PUT, ACT_ACKNOWLEDGE, ACT_BROADCAST, RECORD_HEADER,
} from './abi';
import { Endpoint } from './events';

export const REASON_RESERVE: usize = 8192;

export class Out {
  w: Writer = new Writer();
  base: usize = 0;
  cap: usize = 0;
  reasonCode: string = '';
  reasonText: string = '';
  actions: i32 = 0;

  reset(ptr: usize, cap: usize): void {
    this.base = ptr;
    this.cap = cap;
    this.w.reset(ptr, cap - REASON_RESERVE);
    this.reasonCode = '';
    this.reasonText = '';
    this.actions = 0;
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
    this.w.endRecord(at);
    if (this.w.failed) abort('reason record overflow');
    return <i32>(this.w.pos - this.base);
  }

  replyEntrypoint(reqId: u32, rc: i32, quorum: u32, confds: Array<Endpoint>, rm: Fid, rmEp: string): void {
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
    w.endRecord(at);
    this.actions++;
  }

  consulPut(opId: u32, key: string, value: string): void {
    const w = this.w;
    const at = w.beginRecord(ACT_CONSUL_PUT);
    w.u32(opId);
    w.str(key);
    w.str(value);
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
