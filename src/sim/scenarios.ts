// What a real Motr process says to its HA, message for message, as recorded
// in /work/shared/fixtures/m0d-traces/ (README there):
//
//   m0mkfs  trace a (a-m0mkfs.jsonl): tags 2…20, events only.
//   m0d     trace b (b-m0d-start-idle-sigterm.jsonl): tags 2…38 at start-up
//           (with a FAILURE_VEC_REQ and an NVEC GET whose replies m0d waits
//           for), tags 40…62 at shutdown (STOPPING, service STOPPING, no
//           service STOPPED, then STOPPED).
//   Both then exit only once the HA confirmed delivery of their last
//   message (m0_ha_flush); SimProcess.shutdown() does the same.
//
// A scenario is data: the steps of its start-up part and of its shutdown
// part. SimProcess.runSteps() plays them; test/sim/ replays them against a
// Shim-based HA and compares what the HA got with the trace files.
//
// Fids: the traces ran process r:1:2, which owns confd s:1:3 and RMS s:1:4.
// For another process r:C:k the simulator follows the same layout (process
// k owns services 2k−1 (confd) and 2k (RMS), as r:1:1 owns s:1:1, s:1:2 and
// r:1:3 owns s:1:5, s:1:6 in the traces' conf).
import { SERVICE_CONTAINER, ZERO_FID, type Fid } from '../fid.ts';
import type { ProcessType } from './sim-process.ts';

export type ScenarioName = 'm0d' | 'm0mkfs';
export const SCENARIO_NAMES: readonly ScenarioName[] = ['m0d', 'm0mkfs'];

export type ServiceEvent = 'M0_CONF_HA_SERVICE_STARTING' | 'M0_CONF_HA_SERVICE_STARTED' | 'M0_CONF_HA_SERVICE_STOPPING' | 'M0_CONF_HA_SERVICE_STOPPED' | 'M0_CONF_HA_SERVICE_FAILED';
export type ServiceType = 'M0_CST__UNUSED' | 'M0_CST_CONFD' | 'M0_CST_RMS' | 'M0_CST_SSS' | 'M0_CST_FDMI' | 'M0_CST_IOS' | 'M0_CST_HA';
export type ProcessEventName = 'M0_CONF_HA_PROCESS_STARTING' | 'M0_CONF_HA_PROCESS_STARTED' | 'M0_CONF_HA_PROCESS_STOPPING' | 'M0_CONF_HA_PROCESS_STOPPED';

/** One message a process sends; `wait` steps block until hax's reply came. */
export type Step =
  | { kind: 'process'; event: ProcessEventName }
  /** service: a conf service (hm_fid and hm_source_service = its fid) or an internal one (fid 0). */
  | { kind: 'service'; event: ServiceEvent; type: ServiceType; service: Fid }
  /** FAILURE_VEC_REQ for the pool; waits for FAILURE_VEC_REP (m0d is stuck without it). */
  | { kind: 'failure-vec'; pool: Fid }
  /** NVEC GET of conf objects; waits for the NVEC SET with the same id and fids, in order. */
  | { kind: 'nvec-get'; fids: Fid[] }
  /** EVENT_RPC: an RPC session to `fid` failed `attempts` times. */
  | { kind: 'rpc'; fid: Fid; attempts: number; state: 'M0_NC_TRANSIENT' | 'M0_NC_ONLINE' };

export interface Scenario {
  name: ScenarioName;
  processType: ProcessType;
  startup: Step[];
  shutdown: Step[];
}

const f = (container: bigint, key: bigint): Fid => ({ container, key });

/** The md pool of the traces' conf: mfq_pool of FAILURE_VEC_REQ. */
export const TRACE_POOL = f(0x6f00000000000001n, 0n);
/** The service m0d reports an RPC failure about (the IOS of never-started r:1:3). */
export const TRACE_RPC_TARGET = f(SERVICE_CONTAINER, 5n);

/** hmnv_arr of m0d's NVEC GET (trace b, tag 34): every conf object, in this order. */
export const TRACE_CONF_FIDS: readonly Fid[] = [
  ...[4n, 3n, 2n, 1n, 0n].map((k) => f(0x6a00000000000001n, k)),   // objv j:1:4…0
  ...[6n, 5n, 4n, 3n, 2n, 1n].map((k) => f(SERVICE_CONTAINER, k)), // services s:1:6…1
  ...[3n, 2n, 1n].map((k) => f(0x7200000000000001n, k)),           // processes r:1:3…1
  f(0x6400000000000001n, 0n), // sdev
  f(0x6b00000000000001n, 0n), // drive
  f(0x6300000000000001n, 0n), // controller
  f(0x6500000000000001n, 0n), // enclosure
  f(0x7600000000000001n, 0n), // pver
  f(0x6100000000000001n, 0n), // rack
  f(0x7000000000000001n, 0n), // profile
  f(0x6f00000000000001n, 0n), // pool
  f(0x5300000000000001n, 0n), // site
  f(0x6e00000000000001n, 0n), // node
  f(0x7400000000000001n, 0n), // root
];

/** The conf services a process owns in the traces' layout: confd 2k−1, RMS 2k. */
export function ownServices(processFid: Fid): { confd: Fid; rms: Fid } {
  const container = SERVICE_CONTAINER & ~0xffffffffffffffn | (processFid.container & 0xffffffffffffffn);
  return { confd: f(container, 2n * processFid.key - 1n), rms: f(container, 2n * processFid.key) };
}

const svc = (event: ServiceEvent, type: ServiceType = 'M0_CST__UNUSED', service: Fid = ZERO_FID): Step =>
  ({ kind: 'service', event, type, service });
const proc = (event: ProcessEventName): Step => ({ kind: 'process', event });
const S = {
  starting: 'M0_CONF_HA_SERVICE_STARTING', started: 'M0_CONF_HA_SERVICE_STARTED',
  stopping: 'M0_CONF_HA_SERVICE_STOPPING', stopped: 'M0_CONF_HA_SERVICE_STOPPED',
} as const;

/** Trace a: m0mkfs. Tags in the comments are the trace's. */
function m0mkfs(): Scenario {
  return {
    name: 'm0mkfs',
    processType: 'M0_CONF_HA_PROCESS_M0MKFS',
    startup: [
      proc('M0_CONF_HA_PROCESS_STARTING'),   // 2
      svc(S.starting), svc(S.started),       // 4, 6: internal services (fid 0, type 0)
      svc(S.starting), svc(S.started),       // 8, 10
      proc('M0_CONF_HA_PROCESS_STARTED'),    // 12
    ],
    shutdown: [
      proc('M0_CONF_HA_PROCESS_STOPPING'),   // 14
      svc(S.stopping), svc(S.stopped),       // 16, 18
      proc('M0_CONF_HA_PROCESS_STOPPED'),    // 20
    ],
  };
}

/**
 * Trace b: m0d start-up, then (after SIGTERM) shutdown. `pool` is the pool of
 * the FAILURE_VEC_REQ (m0d asks for its md pool, the root's mdpool; the
 * traces' is o:1:0).
 */
function m0d(processFid: Fid, pool: Fid = TRACE_POOL): Scenario {
  const { confd, rms } = ownServices(processFid);
  const confFids = [...TRACE_CONF_FIDS];
  for (const own of [processFid, confd, rms])
    if (!confFids.some((x) => x.container === own.container && x.key === own.key)) confFids.push(own);
  return {
    name: 'm0d',
    processType: 'M0_CONF_HA_PROCESS_M0D',
    startup: [
      proc('M0_CONF_HA_PROCESS_STARTING'),                               // 2
      svc(S.starting), svc(S.started), svc(S.starting), svc(S.started),  // 4–10: internal
      { kind: 'failure-vec', pool },                                     // 12 (HA replies with its tag 1)
      svc(S.starting, 'M0_CST_SSS'), svc(S.started, 'M0_CST_SSS'),       // 14, 16
      svc(S.starting), svc(S.started),                                   // 18, 20: internal
      svc(S.starting, 'M0_CST_FDMI'), svc(S.started, 'M0_CST_FDMI'),     // 22, 24
      svc(S.starting, 'M0_CST_CONFD', confd), svc(S.started, 'M0_CST_CONFD', confd), // 26, 28
      svc(S.starting, 'M0_CST_RMS', rms), svc(S.started, 'M0_CST_RMS', rms),         // 30, 32
      { kind: 'nvec-get', fids: confFids },                              // 34 (HA replies with its tag 3)
      proc('M0_CONF_HA_PROCESS_STARTED'),                                // 36: m0d prints "Started"
      { kind: 'rpc', fid: TRACE_RPC_TARGET, attempts: 1, state: 'M0_NC_TRANSIENT' }, // 38
    ],
    shutdown: [
      proc('M0_CONF_HA_PROCESS_STOPPING'),                               // 40
      svc(S.stopping, 'M0_CST_RMS', rms),                                // 42
      svc(S.stopping, 'M0_CST_CONFD', confd),                            // 44
      svc(S.stopping, 'M0_CST_FDMI'),                                    // 46
      svc(S.stopping),                                                   // 48
      svc(S.stopping, 'M0_CST_SSS'),                                     // 50
      svc(S.stopping), svc(S.stopping), svc(S.stopping), svc(S.stopping), svc(S.stopping), // 52–60
      // no service STOPPED: m0d never sends one
      proc('M0_CONF_HA_PROCESS_STOPPED'),                                // 62
    ],
  };
}

/**
 * The steps of one scenario. The shutdown part ends with process STOPPED: a
 * caller that leaves cleanly (SimProcess.shutdown) then waits, as
 * m0_ha_flush does, until hax confirmed delivery of it.
 */
export function scenario(name: ScenarioName, processFid: Fid, options: { pool?: Fid } = {}): Scenario {
  return name === 'm0d' ? m0d(processFid, options.pool) : m0mkfs();
}
