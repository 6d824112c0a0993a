// Wraps the sans-IO core (build/as/*.wasm): turns host calls into event
// records, runs the core, and turns its output records into a Decision (one
// reason + the actions to perform, in order). The core never does I/O; the
// daemon performs the actions and feeds results back (consulReplied).
//
// Traps: if the core traps (abort, unreachable, out of memory), the call
// returns a Decision with reason CORE_TRAPPED and no actions, the trap is
// counted (trapCount), and a fresh instance is built and re-fed the last view.
// What the rebuilt core forgets: pending Consul writes (their replies then get
// CONSUL_REPLY_UNKNOWN_OP and no ack, so Motr re-sends after reconnecting) and
// the last broadcast states (the next health payload is broadcast in full).
import type { Fid } from '../fid.ts';
import {
  EV_VIEW_UPDATED, EV_ENTRYPOINT_REQUESTED, EV_MESSAGE_RECEIVED, EV_CONSUL_REPLIED, EV_HEALTH_REPORTED,
  HEALTH_STATUS_CODES, OUT_REASON, ACT_REPLY_ENTRYPOINT, ACT_CONSUL_PUT, ACT_ACKNOWLEDGE, ACT_BROADCAST,
  STATE_NAMES,
} from './abi.ts';
import { RecordReader, RecordWriter } from './records.ts';
import { compileCore, instantiateCore, writeInput, readOutput, type CoreExports } from './wasm.ts';
import { formatFid } from './codec.ts';

export type HealthStatus = 'passing' | 'warning' | 'critical' | 'maintenance';
export interface Reason { code: string; text: string }
export type CoreAction =
  | { kind: 'reply-entrypoint'; reqId: number; rc: number; quorum: number; confds: { fid: Fid; endpoint: string }[]; rmFid: Fid; rmEndpoint: string }
  | { kind: 'consul-put'; opId: number; key: string; value: string }
  | { kind: 'acknowledge'; linkId: number; tag: number }
  | { kind: 'broadcast'; msg: Uint8Array; notes: { fid: string; state: string }[] };
export interface Decision { reason: Reason; actions: CoreAction[] }
export interface CoreView { confds: { fid: Fid; endpoint: string }[]; rm: { fid: Fid; endpoint: string } | null }

export class CoreHost {
  #module: WebAssembly.Module;
  #ex: CoreExports;
  #lastView: Uint8Array | null = null;
  #traps = 0;

  private constructor(module: WebAssembly.Module) {
    this.#module = module;
    this.#ex = instantiateCore(module);
  }

  static async load(options: { debug?: boolean } = {}): Promise<CoreHost> {
    return new CoreHost(await compileCore(options.debug ?? false));
  }

  /** Traps caught since load (each rebuilt the instance). */
  get trapCount(): number { return this.#traps; }

  viewUpdated(view: CoreView): Decision {
    const rec = RecordWriter.record(EV_VIEW_UPDATED, (w) => {
      w.u32(view.confds.length);
      for (const c of view.confds) w.fid(c.fid).str(c.endpoint);
      if (view.rm) w.u8(1).fid(view.rm.fid).str(view.rm.endpoint);
      else w.u8(0);
    });
    const d = this.#run(rec);
    if (d.reason.code !== 'CORE_TRAPPED') this.#lastView = rec;
    return d;
  }

  entrypointRequested(reqId: number, fop: Uint8Array): Decision {
    return this.#run(RecordWriter.record(EV_ENTRYPOINT_REQUESTED, (w) => w.u32(reqId).blob(fop)));
  }

  messageReceived(linkId: number, tag: number, msg: Uint8Array): Decision {
    return this.#run(RecordWriter.record(EV_MESSAGE_RECEIVED, (w) => w.u32(linkId).u64(BigInt(tag)).blob(msg)));
  }

  consulReplied(opId: number, ok: boolean): Decision {
    return this.#run(RecordWriter.record(EV_CONSUL_REPLIED, (w) => w.u32(opId).u8(ok ? 1 : 0)));
  }

  healthReported(entries: { checks: { serviceId: string; status: HealthStatus }[] }[]): Decision {
    return this.#run(RecordWriter.record(EV_HEALTH_REPORTED, (w) => {
      w.u32(entries.length);
      for (const e of entries) {
        w.u32(e.checks.length);
        for (const c of e.checks) {
          const code = HEALTH_STATUS_CODES[c.status];
          if (code === undefined) throw new TypeError(`unknown health status ${String(c.status)}`);
          w.str(c.serviceId).u8(code);
        }
      }
    }));
  }

  /**
   * Feeds one raw event record (tag u16, length u32, payload; assembly/abi.ts).
   * For tests and diagnostics: a malformed record is host misuse and traps.
   */
  handleRecord(record: Uint8Array): Decision {
    return this.#run(record);
  }

  #run(record: Uint8Array): Decision {
    writeInput(this.#ex, record);   // throws RangeError (host misuse) before touching the core
    let n: number;
    try {
      n = this.#ex.handle(record.length);
    } catch (e) {
      return this.#recover(e);
    }
    return parseDecision(readOutput(this.#ex, n));
  }

  #recover(e: unknown): Decision {
    this.#traps++;
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    this.#ex = instantiateCore(this.#module);
    let refed = 'no view to re-feed';
    if (this.#lastView) {
      writeInput(this.#ex, this.#lastView);
      const d = parseDecision(readOutput(this.#ex, this.#ex.handle(this.#lastView.length)));
      refed = `last view re-fed (${d.reason.code})`;
    }
    return {
      reason: { code: 'CORE_TRAPPED', text: `core trapped (${what}); instance rebuilt, ${refed}; trap #${this.#traps}` },
      actions: [],
    };
  }
}

export function parseDecision(out: Uint8Array): Decision {
  let reason: Reason | null = null;
  const actions: CoreAction[] = [];
  for (const { tag, body: r } of RecordReader.records(out)) {
    switch (tag) {
      case OUT_REASON:
        reason = { code: r.str(), text: r.str() };
        break;
      case ACT_REPLY_ENTRYPOINT: {
        const reqId = r.u32();
        const rc = r.i32();
        const quorum = r.u32();
        const n = r.u32();
        const confds: { fid: Fid; endpoint: string }[] = [];
        for (let i = 0; i < n; i++) confds.push({ fid: r.fid(), endpoint: r.str() });
        actions.push({ kind: 'reply-entrypoint', reqId, rc, quorum, confds, rmFid: r.fid(), rmEndpoint: r.str() });
        break;
      }
      case ACT_CONSUL_PUT:
        actions.push({ kind: 'consul-put', opId: r.u32(), key: r.str(), value: r.str() });
        break;
      case ACT_ACKNOWLEDGE:
        actions.push({ kind: 'acknowledge', linkId: r.u32(), tag: Number(r.u64()) });
        break;
      case ACT_BROADCAST: {
        const msg = r.blob();
        const n = r.u32();
        const notes: { fid: string; state: string }[] = [];
        for (let i = 0; i < n; i++) {
          const fid = formatFid(r.fid());
          const st = r.u32();
          notes.push({ fid, state: STATE_NAMES[st] ?? String(st) });
        }
        actions.push({ kind: 'broadcast', msg, notes });
        break;
      }
      default:
        throw new Error(`core output: unknown record tag 0x${tag.toString(16)}`);
    }
  }
  if (!reason) throw new Error('core output: no reason record');
  return { reason, actions };
}
