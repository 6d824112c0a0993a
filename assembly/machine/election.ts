// RC election (hax-reference.md §6.3, the original's elect-rc-leader, now in
// hax): the node that holds the `leader` key with a live session is the RC
// and its confd's RM is the principal RM. Every hax on a node that hosts a
// confd stands when the key is free: after a randomised back-off it creates
// a session tied to the node's serfHealth, its confd's check and its hax's
// check, with a lock delay, and acquires `leader` with its node name. When
// the session dies (the node, its confd or its hax failed) Consul releases
// the key and the survivors stand again; the lock delay keeps a flapping
// node from taking it straight back.
//
// The core decides; the host performs (ACT_ELECTION: create a session,
// acquire, destroy a session, and call back at tickAtMs) and reports what
// came of it (ElectionResult) and what the `leader` key holds (LeaderObserved).
// Randomness comes in with the events, so the rules stay deterministic.
//
// Reason codes:
//   ELECTION_STANDING          the key is free and this node may hold it: an attempt after a random back-off
//   ELECTION_NOT_ELIGIBLE      the key is free but this node hosts no confd (or hax does not know itself yet)
//   ELECTION_HELD_BY_OTHER     another node's live session holds the key: nothing to do
//   ELECTION_HELD_BY_US        our session holds the key: this node is the RC
//   ELECTION_SESSION_REQUESTED a session is asked for
//   ELECTION_ACQUIRE_REQUESTED the key is asked for with our session
//   ELECTION_WON               the acquire succeeded
//   ELECTION_RETRY             an attempt failed (lock delay still running, another won the race, Consul failed): our session is given up, another attempt after the lock delay and a back-off
//   ELECTION_IDLE              a tick or a result that needs nothing (the key was taken meanwhile, or a session was destroyed)
import { Reader } from '../codec/reader';
import { Out } from '../actions';
import { ACT_ELECTION } from '../abi';
import { readStr } from '../events';
import { state } from './state';
import { O_PROCESS, K_CONFD } from './model';

/** Consul's lock delay on the leader session: after a session dies, nobody may take the key for this long. */
export const LOCK_DELAY_S: u32 = 2;
/** Largest random wait before standing (spreads the survivors' attempts). */
export const BACKOFF_MAX_MS: u64 = 2000;

export const OP_NONE: u8 = 0;
export const OP_CREATE_SESSION: u8 = 1;
export const OP_ACQUIRE: u8 = 2;
export const OP_DESTROY_SESSION: u8 = 3;

export class Election {
  leaderValue: string = '';
  leaderSession: string = '';
  /** Our session ('' none). */
  session: string = '';
  /** An op is in flight (its result not yet reported). */
  inFlight: u8 = OP_NONE;
  /** An attempt is scheduled, due at tickAtMs. */
  scheduled: bool = false;
  tickAtMs: u64 = 0;
}

function emit(out: Out, op: u8, session: string, value: string, checks: Array<string>, tickAtMs: u64): void {
  const w = out.w;
  const at = w.beginRecord(ACT_ELECTION);
  w.u8(op);
  w.str(session);
  w.str(value);
  w.u32(LOCK_DELAY_S);
  w.u32(<u32>checks.length);
  for (let i = 0; i < checks.length; i++) w.str(checks[i]);
  w.u64(tickAtMs);
  w.endRecord(at);
  out.actions++;
}

/** The key is free: no live session holds it. */
function free(): bool { return state.election.leaderSession.length == 0; }

/**
 * The session's checks when this node may stand: serfHealth, and the
 * `service:<id>` checks of this node's confd and hax; empty when it may not.
 */
export function sessionChecks(): Array<string> {
  const checks = new Array<string>();
  if (state.node.length == 0 || (state.haxC | state.haxK) == 0) return checks;
  const m = state.model;
  let confd = '';
  for (let i = 0; i < m.objs.length; i++) {
    const o = m.objs[i];
    if (o.type != O_PROCESS || o.kind != K_CONFD || o.parent < 0) continue;
    if (m.objs[o.parent].host != state.host) continue;
    confd = o.k.toString();
    break;
  }
  if (confd.length == 0) return checks;
  checks.push('serfHealth');
  checks.push('service:' + confd);
  checks.push('service:' + state.haxK.toString());
  return checks;
}

function schedule(out: Out, nowMs: u64, random: u32, extraMs: u64): u64 {
  const e = state.election;
  e.tickAtMs = nowMs + extraMs + (<u64>random % (BACKOFF_MAX_MS + 1));
  e.scheduled = true;
  emit(out, OP_NONE, '', '', [], e.tickAtMs);
  return e.tickAtMs - nowMs;
}

/** Gives our session up (an attempt failed with it, or another holds the key): destroyed, forgotten. */
function dropSession(out: Out): void {
  const e = state.election;
  if (e.session.length == 0) return;
  emit(out, OP_DESTROY_SESSION, e.session, '', [], 0);
  e.session = '';
}

/** What the `leader` key holds now (the host's blocking watch). */
export function onLeaderObserved(r: Reader, out: Out): void {
  const value = readStr(r, 'leader value');
  const session = readStr(r, 'leader session');
  const nowMs = r.u64('nowMs');
  const random = r.u32('random');
  if (r.failed) abort('event record malformed: ' + r.err.detail);
  const e = state.election;
  e.leaderValue = value;
  e.leaderSession = session;
  if (!free()) {
    e.scheduled = false;
    if (session == e.session) {
      out.reason('ELECTION_HELD_BY_US', 'the leader key is held by our session ' + session + ': this node (' + state.node + ') is the RC');
      return;
    }
    dropSession(out);
    out.reason('ELECTION_HELD_BY_OTHER', 'the leader key (' + value + ') is held by session ' + session + '; this node does not stand');
    return;
  }
  standIfEligible(out, nowMs, random, 0);
}

function standIfEligible(out: Out, nowMs: u64, random: u32, extraMs: u64): void {
  const e = state.election;
  if (sessionChecks().length == 0) {
    if (!state.model.loaded || state.node.length == 0 || (state.haxC | state.haxK) == 0) {
      // not knowing yet is not knowing no: look again once the conf tree and identity are in
      schedule(out, nowMs, 0, 1000);
      out.reason('ELECTION_NOT_ELIGIBLE', 'the leader key is free; hax does not know its node, its process fid or the conf tree yet; it looks again in 1 s');
      return;
    }
    out.reason('ELECTION_NOT_ELIGIBLE', 'the leader key is free; this node (' + state.node + ') hosts no confd in the conf tree, so it does not stand');
    return;
  }
  if (e.inFlight != OP_NONE || (e.scheduled && e.tickAtMs > nowMs)) {
    out.reason('ELECTION_IDLE', 'the leader key is free; an attempt is already under way');
    return;
  }
  const wait = schedule(out, nowMs, random, extraMs);
  out.reason('ELECTION_STANDING', 'the leader key is free (was ' + (e.leaderValue.length ? e.leaderValue : 'empty') +
    '); this node stands in ' + wait.toString() + ' ms');
}

/** The host's call-back at tickAtMs. */
export function onElectionTick(r: Reader, out: Out): void {
  const nowMs = r.u64('nowMs');
  const random = r.u32('random');
  if (r.failed) abort('event record malformed: ' + r.err.detail);
  const e = state.election;
  if (e.scheduled && nowMs < e.tickAtMs && free() && e.inFlight == OP_NONE) {
    // a host timer can fire a little early against the wall clock: ask again for the same time
    emit(out, OP_NONE, '', '', [], e.tickAtMs);
    out.reason('ELECTION_IDLE', 'election tick at ' + nowMs.toString() + ' before the attempt is due (' + e.tickAtMs.toString() + '): asked again');
    return;
  }
  if (!e.scheduled || !free() || e.inFlight != OP_NONE) {
    out.reason('ELECTION_IDLE', 'election tick at ' + nowMs.toString() + ': nothing to do (key ' + (free() ? 'free' : 'held') + ')');
    return;
  }
  e.scheduled = false;
  if (sessionChecks().length == 0) { standIfEligible(out, nowMs, random, 0); return; }
  attempt(out);
}

function attempt(out: Out): void {
  const e = state.election;
  const checks = sessionChecks();
  if (checks.length == 0) {
    out.reason('ELECTION_NOT_ELIGIBLE', 'this node (' + state.node + ') no longer hosts a confd; it does not stand');
    return;
  }
  if (e.session.length == 0) {
    e.inFlight = OP_CREATE_SESSION;
    emit(out, OP_CREATE_SESSION, '', state.node, checks, 0);
    out.reason('ELECTION_SESSION_REQUESTED', 'a session on ' + checks.join(', ') + ' with a ' + LOCK_DELAY_S.toString() + ' s lock delay');
    return;
  }
  e.inFlight = OP_ACQUIRE;
  emit(out, OP_ACQUIRE, e.session, state.node, [], 0);
  out.reason('ELECTION_ACQUIRE_REQUESTED', 'acquire leader = ' + state.node + ' with session ' + e.session);
}

/** What came of an op: u8 op, u8 ok, str session (created), u64 nowMs, u32 random. */
export function onElectionResult(r: Reader, out: Out): void {
  const op = r.u8('op');
  const ok = r.u8('ok') != 0;
  const session = readStr(r, 'session');
  const nowMs = r.u64('nowMs');
  const random = r.u32('random');
  if (r.failed) abort('event record malformed: ' + r.err.detail);
  const e = state.election;
  if (op == OP_DESTROY_SESSION) {
    out.reason('ELECTION_IDLE', 'session ' + session + (ok ? ' destroyed' : ' not destroyed (it dies with its checks)'));
    return;
  }
  if (op != e.inFlight) {
    out.reason('ELECTION_IDLE', 'a result for an op not in flight (' + op.toString() + '); nothing to do');
    return;
  }
  e.inFlight = OP_NONE;
  if (op == OP_CREATE_SESSION) {
    if (!ok || session.length == 0) { retry(out, nowMs, random, 'no session'); return; }
    e.session = session;
    if (!free()) {
      dropSession(out);
      out.reason('ELECTION_IDLE', 'the leader key was taken while our session was made; this node does not stand');
      return;
    }
    attempt(out);
    return;
  }
  // OP_ACQUIRE
  if (ok) {
    out.reason('ELECTION_WON', 'leader = ' + state.node + ' acquired with session ' + e.session + ': this node becomes the RC');
    return;
  }
  retry(out, nowMs, random, 'the acquire was refused (lock delay running, another node won, or the session is gone)');
}

function retry(out: Out, nowMs: u64, random: u32, why: string): void {
  dropSession(out);
  if (!free()) {
    out.reason('ELECTION_RETRY', why + '; the key is held now, this node does not stand');
    return;
  }
  const wait = schedule(out, nowMs, random, <u64>LOCK_DELAY_S * 1000);
  out.reason('ELECTION_RETRY', why + '; another attempt in ' + wait.toString() + ' ms');
}
