// Event records (host → core): past-tense facts. Layouts are in abi.ts. A
// malformed event record is host misuse, not a peer error: it aborts (the host
// then marks the core poisoned and rebuilds it). Peer bytes inside an event
// (fops, messages) are NOT checked here; the codec checks them.
import { Reader } from './codec/reader';
import { Fid } from './codec/fid';

function must(r: Reader): void {
  if (r.failed) abort('event record malformed: ' + r.err.detail);
}

export function readStr(r: Reader, what: string): string {
  const n = r.u32(what);
  return r.utf8(<u64>n, what);
}

export function readFid(r: Reader, what: string): Fid {
  const c = r.u64(what);
  const k = r.u64(what);
  return new Fid(c, k);
}

export class Endpoint {
  constructor(public fid: Fid, public endpoint: string) {}
}

export class ViewUpdated {
  confds: Array<Endpoint> = [];
  rm: Endpoint | null = null;

  static read(r: Reader): ViewUpdated {
    const e = new ViewUpdated();
    const n = r.u32('confd count');
    if (<u64>n * 20 > <u64>r.remaining) abort('event record malformed: confd count');
    for (let i: u32 = 0; i < n; i++) {
      const f = readFid(r, 'confd fid');
      e.confds.push(new Endpoint(f, readStr(r, 'confd endpoint')));
    }
    if (r.u8('hasRm') != 0) {
      const f = readFid(r, 'rm fid');
      e.rm = new Endpoint(f, readStr(r, 'rm endpoint'));
    }
    must(r);
    return e;
  }
}

/** A blob (u32 length + bytes) left in place in the input region. */
export class Blob {
  ptr: usize = 0;
  len: usize = 0;
  static read(r: Reader, what: string): Blob {
    return new Blob().fill(r, what);
  }
  /** Reads into this blob. `what` names the length in a failure's detail: no string is built per record. */
  fill(r: Reader, what: string): Blob {
    this.len = <usize>r.u32(what);
    if (this.len > r.remaining) abort('event record malformed: ' + what + ' length');
    this.ptr = r.pos;
    r.pos += this.len;
    return this;
  }
}

export class EntrypointRequested {
  reqId: u32 = 0;
  fop: Blob = new Blob();
  /** Refills one instance, as MessageReceived.read (no rule keeps the event). */
  static read(r: Reader): EntrypointRequested {
    const e = theRequest;
    e.reqId = r.u32('reqId');
    e.fop.fill(r, 'fop');
    must(r);
    return e;
  }
}
const theRequest = new EntrypointRequested();

export class MessageReceived {
  linkId: u32 = 0;
  tag: u64 = 0;
  msg: Blob = new Blob();
  /**
   * Refills one instance: this runs for every message Motr sends, and an
   * allocation per record cost more than decoding the message; no rule keeps
   * the event past its handle() call (they copy linkId and tag).
   */
  static read(r: Reader): MessageReceived {
    const e = theMessage;
    e.linkId = r.u32('linkId');
    e.tag = r.u64('tag');
    e.msg.fill(r, 'msg');
    must(r);
    return e;
  }
}
const theMessage = new MessageReceived();

export class ConsulReplied {
  opId: u32 = 0;
  ok: bool = false;
  static read(r: Reader): ConsulReplied {
    const e = new ConsulReplied();
    e.opId = r.u32('opId');
    e.ok = r.u8('ok') != 0;
    must(r);
    return e;
  }
}

/** What a check's ServiceID is (see HealthReported). */
export const ID_NONE: u8 = 0;      // no ServiceID: a node-level check (serfHealth)
export const ID_DECIMAL: u8 = 1;   // a decimal process fid key, in `key`
export const ID_TEXT: u8 = 2;      // anything else, in `text`

/**
 * Consul's service-watch payload, flat: check i of the payload has
 * kind[i], key[i], text[i] and status[i]; entry e owns the checks from
 * entryEnd[e-1] (0 for the first) to entryEnd[e]. Payloads carry thousands
 * of checks whose ServiceIDs are nearly all decimal process fid keys (hare
 * registers services so): those are parsed straight from the record, with no
 * string and no object made per check.
 */
export class HealthReported {
  entryEnd: Array<i32> = [];
  kind: Array<u8> = [];
  key: Array<u64> = [];
  text: Array<string> = [];
  status: Array<u8> = [];

  get entries(): i32 { return this.entryEnd.length; }
  first(e: i32): i32 { return e == 0 ? 0 : this.entryEnd[e - 1]; }

  static read(r: Reader): HealthReported {
    const e = new HealthReported();
    const n = r.u32('entry count');
    if (<u64>n * 4 > <u64>r.remaining) abort('event record malformed: entry count');
    for (let i: u32 = 0; i < n && !r.failed; i++) {
      const m = r.u32('check count');
      if (<u64>m * 5 > <u64>r.remaining) abort('event record malformed: check count');
      for (let j: u32 = 0; j < m && !r.failed; j++) {
        e.readServiceId(r);
        const st = r.u8('status');
        if (st > 3) abort('event record malformed: health status');
        e.status.push(st);
      }
      e.entryEnd.push(e.status.length);
    }
    must(r);
    return e;
  }

  /** `str serviceId`: a decimal of ≤ 20 digits that fits a u64 becomes a key, an empty one a node check, anything else text. */
  private readServiceId(r: Reader): void {
    const n = r.u32('serviceId');
    if (n <= 20 && <usize>n <= r.remaining) {
      let v: u64 = 0;
      let ok = true;
      for (let i: u32 = 0; i < n; i++) {
        const d = <u64>load<u8>(r.pos + <usize>i) - 0x30;
        if (d > 9 || v > (<u64>-1 - d) / 10) { ok = false; break; }
        v = v * 10 + d;
      }
      if (ok) {
        r.skip(<u64>n, 'serviceId');
        this.kind.push(n == 0 ? ID_NONE : ID_DECIMAL); this.key.push(v); this.text.push('');
        return;
      }
    }
    this.kind.push(ID_TEXT); this.key.push(0); this.text.push(r.utf8(<u64>n, 'serviceId'));
  }
}
