// The core's inputs as the host names them: one tagged value per event of
// the core's transition table (assembly/machine/core.ts). The daemon's loop
// is "a CoreEvent in, core.handle, the decision's actions performed".
import type { Fid } from '../fid.ts';
import type { ConfRow, ProcessRow, HealthRow } from './records.ts';
import type { LINK_CHANGES } from './abi.ts';
import type { LinkIds } from './core-host.ts';

export interface CoreView { confds: { fid: Fid; endpoint: string }[]; rm: { fid: Fid; endpoint: string } | null; isRc?: boolean }

export type CoreEvent =
  | { type: 'message-received'; linkId: number; tag: number; msg: Uint8Array }
  | { type: 'entrypoint-requested'; reqId: number; fop: Uint8Array; nowMs: number }
  | { type: 'consul-replied'; opId: number; ok: boolean; index?: number }
  | { type: 'timer-fired'; nowMs: number }
  | { type: 'identity-set'; node: string; process: Fid; stopping: boolean }
  | { type: 'view-updated'; view: CoreView }
  | { type: 'conf-loaded'; index: number; rows: ConfRow[] }
  | { type: 'processes-loaded'; index: number; rows: ProcessRow[]; restarts: { fid: Fid; count: number }[] }
  | { type: 'health-viewed'; index: number; service: string; rows: HealthRow[] }
  | { type: 'status-queried' }
  | { type: 'links-opened'; cookie: Uint8Array }
  | { type: 'link-changed'; linkId: number; change: (typeof LINK_CHANGES)[number]; process: Fid; ids?: LinkIds }
  | { type: 'leader-observed'; value: string; session: string; nowMs: number; random: number }
  | { type: 'election-tick'; nowMs: number; random: number }
  | { type: 'election-result'; op: ElectionOp; ok: boolean; session: string; nowMs: number; random: number };

/** What an ACT_ELECTION asks the host to do (assembly/machine/election.ts OP_*). */
export type ElectionOp = 'none' | 'create-session' | 'acquire' | 'destroy-session';
export const ELECTION_OPS: readonly ElectionOp[] = ['none', 'create-session', 'acquire', 'destroy-session'];
