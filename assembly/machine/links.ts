// Which link an entrypoint reply makes (motr-ha-wire.md §4.5,
// ha-link-socket.md §3). The shim reports the links it holds (LinkChanged)
// and its cookie (LinksOpened); the core keeps what it needs of them here and
// decides; the shim performs the plan (assigns ids and tags, binds sockets).
// Table first:
//
//   request                                          plan
//   undecodable                                      REJECT: no reply, the connection is closed (HAX_ERR_BAD_FOP)
//   first request                                    NEW: a fresh link (a first request carries no link ids)
//   not first, a held link has its ids, not draining REUSE that link (the reply's link params stay zero)
//   not first, no such link, cookie_expected ours    ABSENT: disconnected_previously = 1 (hax declared it dead)
//   not first, no such link, another cookie          RECONNECT: a new link continuing from the peer's tags
//
// The control is CONSUME when the reply's rc is 0, QUERY otherwise (never
// QUIT). With the motr backend libmotr makes the link itself: only rc,
// confds and RM are used there.
//
// Reason codes (LinkChanged, LinksOpened): LINK_HELD, LINK_DRAINING,
// LINK_GONE, LINKS_OPENED.
import { Reader } from '../codec/reader';
import { Fid } from '../codec/fid';
import { Out } from '../actions';
import { readFid } from '../events';
import { EntrypointReq, COOKIE_WORDS } from '../codec/entrypoint';
import { state, HeldLink } from './state';

export const LINK_NONE: u8 = 0;
export const LINK_NEW: u8 = 1;
export const LINK_RECONNECT: u8 = 2;
export const LINK_REUSE: u8 = 3;
export const LINK_ABSENT: u8 = 4;
export const LINK_REJECT: u8 = 5;
export const LINK_MODE_NAMES: Array<string> = ['none', 'new', 'reconnect', 'reuse', 'absent', 'reject'];

export const CONTROL_CONSUME: u8 = 0;
export const CONTROL_QUERY: u8 = 2;

/** LinkChanged's change field. */
export const CHANGE_HELD: u8 = 0;      // connected or reused: the shim holds it
export const CHANGE_DRAINING: u8 = 1;  // disconnecting: no longer reused
export const CHANGE_GONE: u8 = 2;      // disconnected

export class LinkPlan {
  control: u8 = CONTROL_QUERY;
  mode: u8 = LINK_NONE;
  linkId: u32 = 0;
  /** The words of the request the shim needs to perform the plan (zero for REJECT). */
  req: EntrypointReq | null = null;
  /** REJECT: why (the shim's protocol error message). */
  note: string = '';
  describe(): string {
    const c = this.control == CONTROL_CONSUME ? 'CONSUME' : 'QUERY';
    return c + ', link ' + LINK_MODE_NAMES[this.mode] + (this.mode == LINK_REUSE ? ' ' + this.linkId.toString() : '');
  }
}

function cookieIsOurs(q: EntrypointReq): bool {
  if (!state.cookieKnown) return false;
  for (let i = 0; i < COOKIE_WORDS; i++) if (q.cookie[i] != state.cookie[i]) return false;
  return true;
}

/** The plan for a decoded request answered with rc. */
export function planLink(q: EntrypointReq, rc: i32): LinkPlan {
  const p = new LinkPlan();
  p.control = rc == 0 ? CONTROL_CONSUME : CONTROL_QUERY;
  p.req = q;
  if (q.first) { p.mode = LINK_NEW; return p; }
  // The peer's id_local is hax's id_remote and the other way round.
  const pl = q.params;
  for (let i = 0; i < state.links.length; i++) {
    const l = state.links[i];
    if (!l.draining && l.lh == pl[2] && l.ll == pl[3] && l.rh == pl[0] && l.rl == pl[1]) {
      p.mode = LINK_REUSE; p.linkId = l.id; return p;
    }
  }
  p.mode = cookieIsOurs(q) ? LINK_ABSENT : LINK_RECONNECT;
  return p;
}

/** The plan for bytes that are no entrypoint request: close that connection. */
export function rejectPlan(why: string): LinkPlan {
  const p = new LinkPlan();
  p.mode = LINK_REJECT;
  p.note = why;
  return p;
}

export function onLinkChanged(r: Reader, out: Out): void {
  const id = r.u32('linkId');
  const change = r.u8('change');
  const f = readFid(r, 'process');
  const lh = r.u64('id_local'), ll = r.u64('id_local'), rh = r.u64('id_remote'), rl = r.u64('id_remote');
  if (r.failed) abort('event record malformed: ' + r.err.detail);
  if (change > CHANGE_GONE) abort('event record malformed: link change');
  let at = -1;
  for (let i = 0; i < state.links.length; i++) if (state.links[i].id == id) { at = i; break; }
  if (change == CHANGE_GONE) {
    if (at >= 0) state.links.splice(at, 1);
    out.reason('LINK_GONE', 'link ' + id.toString() + ' gone; ' + state.links.length.toString() + ' link(s) held');
    return;
  }
  if (change == CHANGE_DRAINING) {
    if (at >= 0) state.links[at].draining = true;
    out.reason('LINK_DRAINING', 'link ' + id.toString() + ' draining: a later entrypoint with its ids is not given it back');
    return;
  }
  const l = at >= 0 ? state.links[at] : new HeldLink();
  if (at < 0) {
    l.id = id; l.process = f; l.lh = lh; l.ll = ll; l.rh = rh; l.rl = rl;
    state.links.push(l);
  }
  out.reason('LINK_HELD', 'link ' + id.toString() + ' of ' + l.process.toString() + ' held; ' + state.links.length.toString() + ' link(s) held');
}

export function onLinksOpened(r: Reader, out: Out): void {
  for (let i = 0; i < COOKIE_WORDS; i++) state.cookie[i] = r.u64('cookie');
  if (r.failed) abort('event record malformed: ' + r.err.detail);
  state.cookieKnown = true;
  state.links = [];
  out.reason('LINKS_OPENED', 'the shim opened its links with cookie pid ' + state.cookie[0].toString() +
    ': a peer expecting it and holding no link was declared dead by this hax');
}
