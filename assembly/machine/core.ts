// The core's transition table: one row per event, each naming its handler and
// the reason codes it can give. Special cases live in the handlers (one file
// per family: entrypoint.ts + links.ts, messages.ts → process-event.ts / nvec.ts,
// health.ts, queue.ts + bq-read.ts, load.ts, query.ts, status.ts, election.ts).
//
// Reason codes of the rows kept here:
//   VIEW_STORED               ViewUpdated: confds, RM and "this node is RC" remembered
//   RC_DUTIES_TAKEN           ViewUpdated made this node the RC: processes of nodes that died meanwhile announced (health.ts actOnHealth)
//   EVENT_RECORDED            ConsulReplied ok: the write is durable → Acknowledge (and drop a dead process's links)
//   WRITE_DURABLE             ConsulReplied ok for a write no Motr message waits on
//   EVENT_WRITE_FAILED        ConsulReplied not ok: no ack, Motr re-sends after reconnect
//   CONSUL_REPLY_UNKNOWN_OP   ConsulReplied for an opId not pending: nothing to do
import { Reader } from '../codec/reader';
import { Out, dropLinks } from '../actions';
import {
  EV_VIEW_UPDATED, EV_ENTRYPOINT_REQUESTED, EV_MESSAGE_RECEIVED, EV_CONSUL_REPLIED, EV_HEALTH_REPORTED,
  EV_IDENTITY_SET, EV_CONF_LOADED, EV_PROCESSES_LOADED, EV_HEALTH_VIEWED, EV_TIMER_FIRED, EV_BQ_READ,
  EV_STATES_QUERIED, EV_DUMP_REQUESTED, EV_PROCESS_KEY, EV_LINK_CHANGED, EV_LINKS_OPENED, EV_STATUS_QUERIED,
  EV_LEADER_OBSERVED, EV_ELECTION_TICK, EV_ELECTION_RESULT,
} from '../abi';
import { ViewUpdated, ConsulReplied } from '../events';
import { state } from './state';
import { settle } from './commit';
import { onMessageReceived } from './messages';
import { onHealthReported, actOnHealth } from './health';
import { O_PROCESS } from './model';
import { onEntrypointRequested, onTimerFired } from './entrypoint';
import { onIdentitySet, onConfLoaded, onProcessesLoaded, onHealthViewed } from './load';
import { onProcessKey } from './queue';
import { onBqRead } from './bq-read';
import { onStatesQueried, onDumpRequested } from './query';
import { onStatusQueried } from './status';
import { onLeaderObserved, onElectionTick, onElectionResult } from './election';
import { onLinkChanged, onLinksOpened } from './links';

export type Handler = (r: Reader, out: Out) => void;

export class Transition {
  constructor(public event: u16, public name: string, public handler: Handler, public reasons: string) {}
}

export const TRANSITIONS: Array<Transition> = [
  new Transition(EV_VIEW_UPDATED, 'ViewUpdated', onViewUpdated, 'VIEW_STORED RC_DUTIES_TAKEN'),
  new Transition(EV_ENTRYPOINT_REQUESTED, 'EntrypointRequested', onEntrypointRequested,
    'ENTRYPOINT_ANSWERED ENTRYPOINT_RESTART_DETECTED ENTRYPOINT_DEFERRED ENTRYPOINT_NO_CONFD ENTRYPOINT_STOPPING ENTRYPOINT_BAD_REQUEST'),
  new Transition(EV_MESSAGE_RECEIVED, 'MessageReceived', onMessageReceived,
    'EVENT_PROCESS_BROADCAST EVENT_PROCESS_RECORDED EVENT_PROCESS_BUSY NVEC_GET_ANSWERED NVEC_SET_REBROADCAST NVEC_SET_IGNORED ' +
    'FAILURE_VEC_ANSWERED FAILURE_VEC_UNKNOWN_POOL STOB_IOQ_DRIVE_FAILED STOB_IOQ_UNKNOWN_SDEV MESSAGE_COUNTED MESSAGE_UNDECODABLE'),
  new Transition(EV_CONSUL_REPLIED, 'ConsulReplied', onConsulReplied,
    'EVENT_RECORDED WRITE_DURABLE EVENT_WRITE_FAILED CONSUL_REPLY_UNKNOWN_OP'),
  new Transition(EV_HEALTH_REPORTED, 'HealthReported', onHealthReported,
    'HEALTH_ACTED HEALTH_TOLD_LOCALLY HEALTH_NO_CHANGE'),
  new Transition(EV_IDENTITY_SET, 'IdentitySet', onIdentitySet, 'IDENTITY_SET'),
  new Transition(EV_CONF_LOADED, 'ConfLoaded', onConfLoaded, 'CONF_LOADED CONF_UPDATED CONF_PART_ORPHANED'),
  new Transition(EV_PROCESSES_LOADED, 'ProcessesLoaded', onProcessesLoaded, 'PROCESSES_LOADED'),
  new Transition(EV_HEALTH_VIEWED, 'HealthViewed', onHealthViewed, 'HEALTH_VIEWED HEALTH_ACTED HEALTH_TOLD_LOCALLY'),
  new Transition(EV_TIMER_FIRED, 'TimerFired', onTimerFired, 'ENTRYPOINT_QUERY_SENT TIMER_IDLE'),
  new Transition(EV_BQ_READ, 'BqRead', onBqRead,
    'BQ_OFFSET_LOADED BQ_OFFSET_REPAIRED BQ_CONSUMED BQ_NOTHING_NEW; per message (ACT_BQ_RESULT): ' +
    'BQ_BROADCAST BQ_LOCAL_SKIPPED BQ_UNKNOWN_OBJECT BQ_BAD_PAYLOAD BQ_UNSUPPORTED BQ_UNKNOWN_TYPE'),
  new Transition(EV_STATES_QUERIED, 'StatesQueried', onStatesQueried, 'STATES_ANSWERED'),
  new Transition(EV_DUMP_REQUESTED, 'DumpRequested', onDumpRequested, 'DUMP_WRITTEN'),
  new Transition(EV_PROCESS_KEY, 'ProcessKeyPosted', onProcessKey, 'PROCESS_KEY_BROADCAST PROCESS_KEY_SKIPPED'),
  new Transition(EV_STATUS_QUERIED, 'StatusQueried', onStatusQueried, 'STATUS_ANSWERED'),
  new Transition(EV_LEADER_OBSERVED, 'LeaderObserved', onLeaderObserved,
    'ELECTION_STANDING ELECTION_NOT_ELIGIBLE ELECTION_HELD_BY_OTHER ELECTION_HELD_BY_US ELECTION_IDLE'),
  new Transition(EV_ELECTION_TICK, 'ElectionTick', onElectionTick,
    'ELECTION_SESSION_REQUESTED ELECTION_ACQUIRE_REQUESTED ELECTION_STANDING ELECTION_NOT_ELIGIBLE ELECTION_IDLE'),
  new Transition(EV_ELECTION_RESULT, 'ElectionResult', onElectionResult,
    'ELECTION_ACQUIRE_REQUESTED ELECTION_SESSION_REQUESTED ELECTION_WON ELECTION_RETRY ELECTION_IDLE ELECTION_NOT_ELIGIBLE'),
  new Transition(EV_LINK_CHANGED, 'LinkChanged', onLinkChanged, 'LINK_HELD LINK_DRAINING LINK_GONE'),
  new Transition(EV_LINKS_OPENED, 'LinksOpened', onLinksOpened, 'LINKS_OPENED'),
];

/** Runs the row for `tag`; an unknown tag is host misuse. */
export function dispatch(tag: u16, r: Reader, out: Out): void {
  for (let i = 0; i < TRANSITIONS.length; i++) {
    const t = TRANSITIONS[i];
    if (t.event == tag) { out.about(t.name); t.handler(r, out); return; }
  }
  abort('unknown event tag');
}

// ---- handlers ----------------------------------------------------------------------

function onViewUpdated(r: Reader, out: Out): void {
  const e = ViewUpdated.read(r);
  state.confds = e.confds;
  state.rm = e.rm;
  state.viewSeen = true;
  const wasRc = state.isRc;
  if (r.remaining >= 1) state.isRc = r.u8('isRc') != 0;
  const rm = e.rm;
  const stored = e.confds.length.toString() + ' confd(s), RM ' +
    (rm === null ? 'none' : (rm.fid.toString() + ' at ' + rm.endpoint)) + (state.isRc ? '; this node is the RC' : '');
  if (!wasRc && state.isRc && state.model.loaded) {
    // The RC's duty moves with the role: nodes that died while another node
    // was RC (the old RC itself, say) are announced now, from the model's health.
    const procs = new Array<i32>();
    for (let i = 0; i < state.model.objs.length; i++) if (state.model.objs[i].type == O_PROCESS) procs.push(i);
    const acted = actOnHealth(procs, out, true).recorded;
    if (acted.length > 0) { out.reason('RC_DUTIES_TAKEN', stored + '; this node became the RC: ' + acted); return; }
  }
  out.reason('VIEW_STORED', stored);
}

function onConsulReplied(r: Reader, out: Out): void {
  const e = ConsulReplied.read(r);
  let index: u64 = 0;
  if (r.remaining >= 8) index = r.u64('index');
  if (!state.pending.has(e.opId)) {
    out.reason('CONSUL_REPLY_UNKNOWN_OP', 'Consul reply for op ' + e.opId.toString() + ' which is not pending; nothing to do');
    return;
  }
  const p = state.pending.get(e.opId);
  state.pending.delete(e.opId);
  settle(p, e.ok ? index : 0);
  if (!e.ok) {
    out.reason('EVENT_WRITE_FAILED', p.key + ' not written (op ' + e.opId.toString() + '); ' + (p.noAck ? 'no message waits on it' :
      'tag ' + p.tag.toString() + ' on link ' + p.linkId.toString() + ' left unacknowledged, Motr re-sends it after reconnecting'));
    return;
  }
  if (p.noAck) {
    if ((p.dropC | p.dropK) != 0) dropLinks(out, p.dropC, p.dropK, true);
    out.reason('WRITE_DURABLE', p.key + ' written (op ' + e.opId.toString() + ')');
    return;
  }
  out.acknowledge(p.linkId, p.tag);
  if ((p.dropC | p.dropK) != 0) dropLinks(out, p.dropC, p.dropK, true);
  out.reason('EVENT_RECORDED', p.key + ' written (op ' + e.opId.toString() + '); acknowledging tag ' +
    p.tag.toString() + ' on link ' + p.linkId.toString());
}
