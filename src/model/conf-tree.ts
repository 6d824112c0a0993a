// Turns the m0conf/ KV tree (hare's layout, hax-reference.md §6.1) into the
// core's conf records, and keeps a host-side index of it for the status
// route. Both trees are read: the fid-keyed one (objects and their states)
// and the name-keyed one (process kinds from their service types, endpoints),
// plus the sites tree (enclosures, controllers, drives) and pools.
import { parseFid, fidFromKey, formatFid, PROCESS_CONTAINER, type Fid } from '../fid.ts';
import { CONF, KIND, type ConfRow } from '../core/records.ts';

export interface KvItem { key: string; value: string; modifyIndex: number }

export interface ConfProcess { fid: string; node: string; kind: string; endpoint: string; services: { fid: string; type: string }[]; sdevs: { fid: string; path: string; drive: string | null }[] }
export interface ConfIndex { nodes: { name: string; fid: string | null; processes: ConfProcess[] }[]; byProcess: Map<string, ConfProcess> }

const KIND_NAMES = ['other', 'hax', 'confd', 'ios', 'client'];

function json(value: string): Record<string, unknown> {
  try { const v = JSON.parse(value); return v && typeof v === 'object' ? v as Record<string, unknown> : {}; } catch { return {}; }
}
const s = (v: unknown) => (typeof v === 'string' ? v : '');

/** Process kind from its service types (name-keyed tree) and m0_client_types. */
function kindOf(types: string[], clientTypes: string[]): number {
  if (types.includes('ha')) return KIND.hax;
  if (types.includes('confd')) return KIND.confd;
  if (types.includes('ios')) return KIND.ios;
  if (types.some((t) => clientTypes.includes(t))) return KIND.client;
  return KIND.other;
}

/**
 * Fid texts parsed once and printed once per tree: the same node, process
 * and service fids recur in thousands of keys (4,500 at 100 nodes), and
 * BigInt parsing and printing per segment made a re-read cost 30–70 ms.
 */
class FidMemo {
  readonly #parsed = new Map<string, Fid | null>();   // null: not a fid
  readonly #text = new Map<Fid, string>();
  parse(text: string): Fid | undefined {
    const known = this.#parsed.get(text);
    if (known !== undefined) return known ?? undefined;
    const f = parseFid(text);
    this.#parsed.set(text, f ?? null);
    return f;
  }
  text(f: Fid): string {
    let t = this.#text.get(f);
    if (t === undefined) { t = formatFid(f); this.#text.set(f, t); }
    return t;
  }
}

export function parseConfTree(items: KvItem[], clientTypesText = ''): { rows: ConfRow[]; index: ConfIndex } {
  const memo = new FidMemo();
  let clientTypes: string[] = [];
  try { const v = JSON.parse(clientTypesText); if (Array.isArray(v)) clientTypes = v.map(String); } catch { /* none */ }
  const rows: ConfRow[] = [];
  const svcTypes = new Map<string, string[]>();        // process fid text → service types
  const svcTypeOf = new Map<string, string>();         // service fid text → type (name-keyed)
  const endpoints = new Map<string, string>();         // process fid text → endpoint
  const processNode = new Map<string, string>();       // process fid text → host (name-keyed)
  const hostByNodeFid = new Map<string, string>();
  const index: ConfIndex = { nodes: [], byProcess: new Map() };
  // Keys split once; no closure or spread per item (tsx wraps every inner
  // function in a naming helper, and this loop runs over every key).
  const parts = items.map((it) => it.key.split('/'));
  // name-keyed tree first: kinds and endpoints
  for (let n = 0; n < items.length; n++) {
    const it = items[n]!, p = parts[n]!;
    if (p[0] !== 'm0conf' || p[1] !== 'nodes' || p.length < 5 || p[3] !== 'processes' || memo.parse(p[2]!)) continue;
    const pf = fidFromKey(PROCESS_CONTAINER, p[4]!);
    if (!pf) continue;
    const pfText = memo.text(pf);
    processNode.set(pfText, p[2]!);
    if (p[5] === 'services' && p[6]) {
      const list = svcTypes.get(pfText) ?? [];
      list.push(p[6]);
      svcTypes.set(pfText, list);
      const sk = it.value.trim();
      if (/^\d+$/.test(sk)) svcTypeOf.set(`0x7300000000000001:0x${BigInt(sk).toString(16)}`, p[6]);
    } else if (p[5] === 'endpoint') endpoints.set(pfText, it.value);
  }
  const push = (r: ConfRow) => rows.push(r);
  const f = (p: string[], i: number) => (p[i] ? memo.parse(p[i]!) : undefined);
  for (let n = 0; n < items.length; n++) {
    const it = items[n]!, p = parts[n]!;
    if (p[0] !== 'm0conf') continue;
    const modifyIndex = it.modifyIndex, key = it.key;
    const nf = p[1] === 'nodes' ? f(p, 2) : undefined;
    if (nf) {
      const v = json(it.value);   // fid-keyed values are JSON; the name-keyed tree never gets here
      if (p.length === 3) {
        const name = s(v.name);
        hostByNodeFid.set(memo.text(nf), name);
        push({ type: CONF.node, fid: nf, name, state: s(v.state), modifyIndex, key });
        index.nodes.push({ name, fid: memo.text(nf), processes: [] });
      } else if (p.length === 5 && p[3] === 'processes') {
        const pf = f(p, 4);
        if (!pf) continue;
        const t = memo.text(pf);
        const kind = kindOf(svcTypes.get(t) ?? [], clientTypes);
        push({ type: CONF.process, fid: pf, parent: nf, kind, name: s(v.name), endpoint: endpoints.get(t) ?? '', state: s(v.state), modifyIndex, key });
      } else if (p.length === 7 && p[5] === 'services' && f(p, 6)) {
        push({ type: CONF.service, fid: f(p, 6)!, parent: f(p, 4), name: s(v.name), state: s(v.state), modifyIndex, key });
      } else if (p.length === 9 && p[7] === 'sdevs' && f(p, 8)) {
        push({ type: CONF.sdev, fid: f(p, 8)!, parent: f(p, 6), name: s(v.path), state: s(v.state), modifyIndex, key });
      }
    } else if (p[1] === 'sites' && f(p, 2)) {
      const last = p.length - 1;
      const me = f(p, last);
      if (!me) continue;
      const v = json(it.value);
      const parent = last >= 4 ? f(p, last - 2) : undefined;
      const kindSeg = p[last - 1];
      if (last === 2 || kindSeg === 'racks') push({ type: CONF.other, fid: me, parent, state: s(v.state), modifyIndex, key });
      else if (kindSeg === 'encls') push({ type: CONF.encl, fid: me, parent, ref: memo.parse(s(v.node)), name: s(v.node), state: s(v.state), modifyIndex, key });
      else if (kindSeg === 'ctrls') push({ type: CONF.ctrl, fid: me, parent, state: s(v.state), modifyIndex, key });
      else if (kindSeg === 'drives') push({ type: CONF.drive, fid: me, parent, ref: memo.parse(s(v.sdev)), name: s(v.sdev), state: s(v.state), modifyIndex, key });
    } else if (p[1] === 'pools' && f(p, 2) && p.length === 3) {
      push({ type: CONF.pool, fid: f(p, 2)!, name: it.value, modifyIndex, key: '' });
    } else if (p[1] === 'pool-devices' && f(p, 2) && p.length === 3) {
      let list: unknown = [];
      try { list = JSON.parse(it.value); } catch { /* none */ }
      if (Array.isArray(list)) for (const d of list) { const df = parseFid(String(d)); if (df) push({ type: CONF.poolMember, fid: df, parent: f(p, 2)! }); }
    } else if (p[1] === 'profiles' && f(p, 2) && p.length === 3) {
      push({ type: CONF.other, fid: f(p, 2)!, name: s(json(it.value).name), modifyIndex, key: '' });
    }
  }
  // host-side index for the status route
  const drivesBySdev = new Map<string, string>();
  for (const r of rows) if (r.type === CONF.drive && r.ref) drivesBySdev.set(memo.text(r.ref), memo.text(r.fid));
  const nodeByFid = new Map(index.nodes.map((n) => [n.fid, n] as const));
  const procs = new Map<string, ConfProcess>();
  const svcProc = new Map<string, ConfProcess>();
  for (const r of rows) {
    const t = memo.text(r.fid);
    if (r.type === CONF.process) {
      const cp: ConfProcess = { fid: t, node: hostByNodeFid.get(memo.text(r.parent!)) ?? processNode.get(t) ?? '', kind: KIND_NAMES[r.kind ?? 0]!, endpoint: r.endpoint ?? '', services: [], sdevs: [] };
      procs.set(t, cp);
      index.byProcess.set(t, cp);
      nodeByFid.get(memo.text(r.parent!))?.processes.push(cp);
    } else if (r.type === CONF.service) {
      const cp = procs.get(memo.text(r.parent!));
      if (cp) { cp.services.push({ fid: t, type: svcTypeOf.get(t) ?? r.name ?? '' }); svcProc.set(t, cp); }
    } else if (r.type === CONF.sdev) {
      svcProc.get(memo.text(r.parent!))?.sdevs.push({ fid: t, path: r.name ?? '', drive: drivesBySdev.get(t) ?? null });
    }
  }
  return { rows, index };
}

export const fidText = (f: Fid) => formatFid(f);
