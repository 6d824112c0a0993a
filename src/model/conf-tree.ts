// Turns the m0conf/ KV tree (hare's layout, hax-reference.md §6.1) into the
// core's conf records. The host keeps no model of its own: the status route
// and the monitor ask the core (assembly/machine/status.ts). Both trees are read: the fid-keyed one (objects and their states)
// and the name-keyed one (process kinds from their service types, endpoints),
// plus the sites tree (enclosures, controllers, drives) and pools.
import { parseFid, fidFromKey, formatFid, PROCESS_CONTAINER, type Fid } from '../fid.ts';
import { CONF, KIND, type ConfRow } from '../core/records.ts';

export interface KvItem { key: string; value: string; modifyIndex: number }

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

export function parseConfTree(items: KvItem[], clientTypesText = ''): ConfRow[] {
  const memo = new FidMemo();
  let clientTypes: string[] = [];
  try { const v = JSON.parse(clientTypesText); if (Array.isArray(v)) clientTypes = v.map(String); } catch { /* none */ }
  const rows: ConfRow[] = [];
  const svcTypes = new Map<string, string[]>();        // process fid text → service types
  const svcTypeOf = new Map<string, string>();         // service fid text → type (name-keyed)
  const endpoints = new Map<string, string>();         // process fid text → endpoint
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
        push({ type: CONF.node, fid: nf, name: s(v.name), state: s(v.state), modifyIndex, key });
      } else if (p.length === 5 && p[3] === 'processes') {
        const pf = f(p, 4);
        if (!pf) continue;
        const t = memo.text(pf);
        const kind = kindOf(svcTypes.get(t) ?? [], clientTypes);
        push({ type: CONF.process, fid: pf, parent: nf, kind, name: s(v.name), endpoint: endpoints.get(t) ?? '', state: s(v.state), modifyIndex, key });
      } else if (p.length === 7 && p[5] === 'services' && f(p, 6)) {
        // the name-keyed tree's service type is the authority; the value's name is the fallback
        const sf = f(p, 6)!;
        push({ type: CONF.service, fid: sf, parent: f(p, 4), name: svcTypeOf.get(memo.text(sf)) ?? s(v.name), state: s(v.state), modifyIndex, key });
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
  return rows;
}
