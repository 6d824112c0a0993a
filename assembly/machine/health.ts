// HealthReported: the Consul service-watch rule of hax-reference.md §5.2(a).
// Per entry the running status starts OK; checks are walked in order; a
// non-passing check turns it OFFLINE for the rest of the entry; every check
// with a non-empty ServiceID yields HAState(fid, running status), where fid is
// 0x7200000000000001:<decimal ServiceID> (or the ServiceID itself if it is a
// fid text). OK → M0_NC_ONLINE, OFFLINE → M0_NC_TRANSIENT.
//
// Idempotency: the last broadcast state per fid is kept; only notes whose
// state changed are broadcast, as NVEC SET (id_of_get 0, ignore_same_state 1)
// in chunks of ≤ 1024 notes, one Broadcast action per chunk.
//
// Reason codes:
//   BROADCAST_SENT       n changed notes in m messages
//   BROADCAST_UNCHANGED  nothing changed (a replayed or coalesced payload): no action
//   BROADCAST_PARTIAL    the output region filled up; the rest is not remembered,
//                        so the next delivery of the payload broadcasts it
import { Reader } from '../codec/reader';
import { Fid, formatFid, parseFidText, PROCESS_CONTAINER } from '../codec/fid';
import { CodecError, describe } from '../codec/errors';
import { encodeNvecSet, NVEC_MSG_WIRE, STATE_NAMES, M0_NC_ONLINE, M0_NC_TRANSIENT } from '../codec/ha-msg';
import { Out } from '../actions';
import { HealthReported } from '../events';
import { HEALTH_PASSING } from '../abi';
import { state } from './state';

export const NOTES_PER_MESSAGE: i32 = 1024;

/** Decimal ServiceID → process fid; else a fid text; else null. */
export function serviceFid(id: string): Fid | null {
  let v: u64 = 0;
  let digits = id.length > 0 && id.length <= 20;
  for (let i = 0; i < id.length && digits; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x30 || c > 0x39) { digits = false; break; }
    const d = <u64>(c - 0x30);
    if (v > (<u64>-1 - d) / 10) { digits = false; break; }
    v = v * 10 + d;
  }
  if (digits) return new Fid(PROCESS_CONTAINER, v);
  const f = new Fid();
  return parseFidText(id, f) ? f : null;
}

export function onHealthReported(r: Reader, out: Out): void {
  const e = HealthReported.read(r);
  // Changed notes, in payload order. `seen` overlays lastState for this payload.
  const cs = new Array<u64>();
  const ks = new Array<u64>();
  const sts = new Array<u32>();
  const keys = new Array<string>();
  const seen = new Map<string, u32>();
  let states = 0;
  let skipped = '';
  for (let i = 0; i < e.entries.length; i++) {
    const checks = e.entries[i];
    let ok = true;
    for (let j = 0; j < checks.length; j++) {
      const c = checks[j];
      if (c.status != HEALTH_PASSING) ok = false;
      if (c.serviceId.length == 0) continue;
      const f = serviceFid(c.serviceId);
      if (f === null) {
        if (skipped.length < 200) skipped += (skipped.length ? ', ' : '') + '"' + c.serviceId + '"';
        continue;
      }
      states++;
      const st = ok ? M0_NC_ONLINE : M0_NC_TRANSIENT;
      const key = formatFid(f.c, f.k);
      const before: u32 = seen.has(key) ? seen.get(key) : (state.lastState.has(key) ? state.lastState.get(key) : 0);
      if (before == st) continue;
      seen.set(key, st);
      cs.push(f.c); ks.push(f.k); sts.push(st); keys.push(key);
    }
  }
  const skipNote = skipped.length ? '; skipped ServiceIDs that are neither a number nor a fid: ' + skipped : '';
  const n = cs.length;
  if (n == 0) {
    out.reason('BROADCAST_UNCHANGED', e.entries.length.toString() + ' entr(ies), ' + states.toString() +
      ' state(s), none changed since the last broadcast; nothing sent' + skipNote);
    return;
  }
  let sent = 0;
  let messages = 0;
  const err = new CodecError();
  while (sent < n) {
    const chunk = min(NOTES_PER_MESSAGE, n - sent);
    if (out.room < Out.broadcastSize(NVEC_MSG_WIRE, chunk)) break;
    const at = out.beginBroadcast();
    encodeNvecSet(out.w, cs, ks, sts, sent, chunk, 0, err);
    if (err.failed) abort('health rule produced a note Motr refuses: ' + describe(err));
    out.endBroadcast(at, cs, ks, sts, sent, chunk);
    for (let i = sent; i < sent + chunk; i++) state.lastState.set(keys[i], sts[i]);
    sent += chunk;
    messages++;
  }
  let summary = '';
  for (let i = 0; i < min(n, 8); i++) {
    summary += (i ? ', ' : '') + keys[i] + ' ' + STATE_NAMES[sts[i]];
  }
  if (n > 8) summary += ', …';
  if (sent < n) {
    out.reason('BROADCAST_PARTIAL', sent.toString() + ' of ' + n.toString() + ' changed note(s) broadcast in ' +
      messages.toString() + ' message(s); output region full, the rest goes out on the next delivery (' + summary + ')' + skipNote);
    return;
  }
  out.reason('BROADCAST_SENT', n.toString() + ' changed note(s) of ' + states.toString() + ' broadcast in ' +
    messages.toString() + ' NVEC SET message(s): ' + summary + skipNote);
}
