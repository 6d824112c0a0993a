// The live model of the cluster the core owns: the conf tree (nodes,
// processes, services, sdevs, drives, controllers, enclosures, pools and
// others), current HA states, process event states, Consul health and
// restart counters. The host feeds it from Consul blocking queries
// (ConfLoaded, ProcessesLoaded, HealthViewed); the rules read it instead of
// Consul. Objects are kept in one array, found by fid through a map.
import { formatFid } from '../codec/fid';
import { PROCESS_EVENT_NAMES, PROCESS_TYPE_NAMES } from '../generated/protocol';

// Object types (the host's conf records use the same numbers).
export const O_OTHER: u8 = 0;
export const O_NODE: u8 = 1;
export const O_PROCESS: u8 = 2;
export const O_SERVICE: u8 = 3;
export const O_SDEV: u8 = 4;
export const O_DRIVE: u8 = 5;
export const O_CTRL: u8 = 6;
export const O_ENCL: u8 = 7;
export const O_POOL: u8 = 8;

// Process kinds.
export const K_OTHER: u8 = 0;
export const K_HAX: u8 = 1;
export const K_CONFD: u8 = 2;
export const K_IOS: u8 = 3;
export const K_CLIENT: u8 = 4;
export const KIND_NAMES: Array<string> = ['other', 'hax', 'confd', 'ios', 'client'];

// Process events (chp_event) and types (chp_type), plus "none".
export const EV_NONE: u8 = 255;
export const PT_HA: u8 = 4;   // M0_CONF_HA_PROCESS_HA: hax-internal label for its own fid
// The names come from the one source (protocol/constants.yaml); PT_HA is hax's own label, not Motr's.
export const EVENT_NAMES: Array<string> = PROCESS_EVENT_NAMES;
export const TYPE_NAMES: Array<string> = PROCESS_TYPE_NAMES.concat(['M0_CONF_HA_PROCESS_HA']);
export const E_STARTING: u8 = 0;
export const E_STARTED: u8 = 1;
export const E_STOPPING: u8 = 2;
export const E_STOPPED: u8 = 3;
export const E_DTM_RECOVERED: u8 = 4;
export const T_M0MKFS: u8 = 2;

// Consul check statuses (abi.ts HEALTH_*), plus "no check seen".
export const CHECK_NONE: u8 = 255;

export function nameIndex(names: Array<string>, s: string): u8 {
  for (let i = 0; i < names.length; i++) if (names[i] == s) return <u8>i;
  return EV_NONE;
}

export class Obj {
  type: u8 = O_OTHER;
  c: u64 = 0;
  k: u64 = 0;
  parent: i32 = -1;           // node of a process, process of a service, service of an sdev, ...
  ref: i32 = -1;              // drive ↔ sdev; enclosure → node
  kind: u8 = K_OTHER;         // processes
  state: u32 = 0;             // current HA state (note state), 0 = none yet
  kvState: string = '';       // the state string as stored in m0conf (fid-keyed tree / sites tree)
  kvIndex: u64 = 0;           // ModifyIndex of that value (or of our own last write)
  kvPending: i32 = 0;         // our writes of it not yet durable
  // A view read while our write was in flight, kept until it settles: when
  // its index is above our write's, someone overwrote us and it wins
  // (views only bring changes, so it would not come again). 0: none.
  kvLateIndex: u64 = 0;
  kvLate: string = '';
  name: string = '';          // node name, process name, sdev path
  host: string = '';          // nodes: the name before any ':' (hare's Consul node names carry a machine id)
  key: string = '';             // KV key of its state value (m0conf fid-keyed or sites tree)
  endpoint: string = '';      // processes
  children: Array<i32> = [];
  // processes only
  event: u8 = EV_NONE;        // processes/<fid> state
  ptype: u8 = EV_NONE;        // processes/<fid> type
  eventIndex: u64 = 0;        // ModifyIndex of processes/<fid> (or of our own last write)
  eventPending: i32 = 0;      // our writes of processes/<fid> not yet durable
  eventLateIndex: u64 = 0;    // as kvLateIndex, for processes/<fid>
  eventLate: u8 = EV_NONE;
  ptypeLate: u8 = EV_NONE;
  keyIndex: u64 = 0;          // last processes/<fid> ModifyIndex acted on by POST /watcher/processes
  check: u8 = CHECK_NONE;     // Consul service check
  // A non-RC hax told its links this process is down (its node died) before
  // the RC's record of it arrives: told once, until it is seen healthy again.
  toldDown: bool = false;
  restarts: u32 = 0;          // <node>/process_restarts/<fid>
  // services: last event (EVENT_SERVICE), counted
  lastServiceEvent: string = '';
  get fid(): string { return formatFid(this.c, this.k); }
}

/** Map key of a fid: the type byte and the key (hare's containers are all <type>..01). */
export function fidKey(c: u64, k: u64): u64 { return (c & 0xff00000000000000) ^ (k & 0x00ffffffffffffff) ^ ((c & 0xff) << 48); }

export class Model {
  objs: Array<Obj> = [];
  byFid: Map<u64, i32> = new Map();
  nodeByName: Map<string, i32> = new Map();
  /** Consul serfHealth of each node by host name (before any ':'). */
  nodeHealth: Map<string, u8> = new Map();
  /** Consul service check per ServiceID, with the node it runs on. */
  loaded: bool = false;
  confIndex: u64 = 0;
  healthIndex: u64 = 0;
  /** The highest ModifyIndex any conf or processes/ row brought (commit.ts consulKnownIndex; kept, not scanned, per POST). */
  rowIndex: u64 = 0;

  /** Notes a ModifyIndex Consul gave in a row; returns it. */
  seen(index: u64): u64 { if (index > this.rowIndex) this.rowIndex = index; return index; }

  find(c: u64, k: u64): i32 {
    const key = fidKey(c, k);
    if (!this.byFid.has(key)) return -1;
    const i = this.byFid.get(key);
    const o = this.objs[i];
    return o.c == c && o.k == k ? i : -1;
  }

  add(o: Obj): i32 {
    const i = this.objs.length;
    this.objs.push(o);
    this.byFid.set(fidKey(o.c, o.k), i);
    if (o.type == O_NODE) {
      this.nodeByName.set(o.name, i);
      const colon = o.name.indexOf(':');
      o.host = colon < 0 ? o.name : o.name.substring(0, colon);
    }
    return i;
  }

  get(i: i32): Obj { return this.objs[i]; }

  /**
   * The object itself or the nearest object above it of type `t`, or -1.
   * Parent chains are short (sdev → service → process → node); the depth
   * bound keeps a malformed tree with a cycle from looping.
   */
  ancestorOfType(i: i32, t: u8): i32 {
    let j = i;
    for (let depth = 0; j >= 0 && depth < 8; depth++) {
      const o = this.objs[j];
      if (o.type == t) return j;
      j = o.parent;
    }
    return -1;
  }

  /** The node an object hangs under (process, service, sdev), or -1. */
  nodeOf(i: i32): i32 { return this.ancestorOfType(i, O_NODE); }

  /** Host of the node an object hangs under; '' when it has none. */
  hostOf(i: i32): string {
    const n = this.nodeOf(i);
    return n >= 0 ? this.objs[n].host : '';
  }

  processOf(i: i32): i32 { return this.ancestorOfType(i, O_PROCESS); }

  childrenOfType(i: i32, t: u8): Array<i32> {
    const out = new Array<i32>();
    const ch = this.objs[i].children;
    for (let x = 0; x < ch.length; x++) if (this.objs[ch[x]].type == t) out.push(ch[x]);
    return out;
  }

  /** Every sdev under a process (through its services). */
  sdevsOfProcess(p: i32): Array<i32> {
    const out = new Array<i32>();
    const svcs = this.childrenOfType(p, O_SERVICE);
    for (let s = 0; s < svcs.length; s++) {
      const sd = this.childrenOfType(svcs[s], O_SDEV);
      for (let d = 0; d < sd.length; d++) out.push(sd[d]);
    }
    return out;
  }

  /** The controller a drive hangs under (drive.parent), or -1. */
  ctrlOfDrive(d: i32): i32 {
    const p = this.objs[d].parent;
    return p >= 0 && this.objs[p].type == O_CTRL ? p : -1;
  }

  /** The enclosure whose node is `n`, or -1. */
  enclOfNode(n: i32): i32 {
    for (let i = 0; i < this.objs.length; i++) {
      const o = this.objs[i];
      if (o.type == O_ENCL && o.ref == n) return i;
    }
    return -1;
  }

  /** Drives of a pool (its children), or every drive when the pool has no device list. */
  drivesOfPool(p: i32): Array<i32> {
    const out = new Array<i32>();
    if (p >= 0) {
      const ch = this.objs[p].children;
      for (let x = 0; x < ch.length; x++) {
        const o = this.objs[ch[x]];
        if (o.type == O_DRIVE) out.push(ch[x]);
        else if (o.type == O_SDEV && o.ref >= 0) out.push(o.ref);
      }
      if (out.length > 0) return out;
    }
    for (let i = 0; i < this.objs.length; i++) if (this.objs[i].type == O_DRIVE) out.push(i);
    return out;
  }
}
