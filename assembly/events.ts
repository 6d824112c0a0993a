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
    const b = new Blob();
    b.len = <usize>r.u32(what + ' length');
    if (b.len > r.remaining) abort('event record malformed: ' + what + ' length');
    b.ptr = r.pos;
    r.pos += b.len;
    return b;
  }
}

export class EntrypointRequested {
  reqId: u32 = 0;
  fop: Blob = new Blob();
  static read(r: Reader): EntrypointRequested {
    const e = new EntrypointRequested();
    e.reqId = r.u32('reqId');
    e.fop = Blob.read(r, 'fop');
    must(r);
    return e;
  }
}

export class MessageReceived {
  linkId: u32 = 0;
  tag: u64 = 0;
  msg: Blob = new Blob();
  static read(r: Reader): MessageReceived {
    const e = new MessageReceived();
    e.linkId = r.u32('linkId');
    e.tag = r.u64('tag');
    e.msg = Blob.read(r, 'msg');
    must(r);
    return e;
  }
}

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

export class HealthCheck {
  constructor(public serviceId: string, public status: u8) {}
}

export class HealthReported {
  entries: Array<Array<HealthCheck>> = [];
  static read(r: Reader): HealthReported {
    const e = new HealthReported();
    const n = r.u32('entry count');
    if (<u64>n * 4 > <u64>r.remaining) abort('event record malformed: entry count');
    for (let i: u32 = 0; i < n && !r.failed; i++) {
      const m = r.u32('check count');
      if (<u64>m * 5 > <u64>r.remaining) abort('event record malformed: check count');
      const checks = new Array<HealthCheck>();
      for (let j: u32 = 0; j < m && !r.failed; j++) {
        const id = readStr(r, 'serviceId');
        const st = r.u8('status');
        if (st > 3) abort('event record malformed: health status');
        checks.push(new HealthCheck(id, st));
      }
      e.entries.push(checks);
    }
    must(r);
    return e;
  }
}
