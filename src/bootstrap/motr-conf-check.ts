// A reader and a structural check for Motr conf text in m0confgen's
// "confgen" format (what `hax bootstrap --motr-conf` writes). The reader
// follows utils/m0confgen's lexer and grammar (Lexer, Parser_cg) and its
// object schema (conf_obj_types); the check applies what Motr itself
// refuses or asserts on when it loads such a conf, so a conf that passes
// here is one m0confgen converts and a confd m0d accepts:
// - conf/confd.c confd_cache_preload: every object but the root hangs in the
//   tree (exactly one `*` relation names it); every reference is defined;
// - conf/objs/*.c decode: root-0 with a pool as mdpool; 5-element
//   tolerance; objv children only above the drive level;
// - conf/validation.c (m0_conf_rules): a confd service, IO services with
//   sdevs and no sdevs elsewhere, pool versions whose objv tree reaches
//   every level, tolerance not above the width of a level and zero only with
//   N = 1, P ≥ N+K+S and S ≤ K (layout/pdclust.c), P not above the number of
//   IO devices, dev_idx unique in [0, IO devices), filenames unique per node,
//   mdredundancy not above the number of IO services, mdpool among the
//   root's pools;
// - at run time (CheckOptions.runtime): motr/conf.c, one service per type
//   per process, each carrying its process's endpoint; pool/pool.c, P equal
//   to the pool version's drive count and every profile listing the
//   metadata pool; sns/cm, drives listing their pool versions;
//   conf/objs/drive.c, one drive per sdev.

export type Val =
  | { k: 'num'; v: bigint } | { k: 'enum'; v: string } | { k: 'str'; v: string }
  | { k: 'objid'; v: Objid } | { k: 'fid'; container: bigint; key: bigint } | { k: 'list'; items: Val[] };

export interface Objid { type: string; container: bigint; key: bigint; text: string }

export interface ConfObj { id: Objid; attrs: Map<string, Val>; pos: number }

export class ConfgenSyntaxError extends Error {}

/** Attribute kinds and relations, as utils/m0confgen's conf_obj_types (`*` parent of, `!` refers to). */
const SCHEMA: Record<string, string> = {
  root: 'verno=NUMBER rootfid=fid mdpool=objid imeta_pver=fid mdredundancy=NUMBER params=[STRING] *nodes=[objid] *sites=[objid] *pools=[objid] *profiles=[objid] *fdmi_flt_grps=[objid]',
  fdmi_flt_grp: 'rec_type=NUMBER *filters=[objid]',
  fdmi_filter: 'type=NUMBER id=fid root=STRING node=objid dix_pver=fid substrings=[STRING] endpoints=[STRING]',
  node: 'memsize=NUMBER nr_cpu=NUMBER last_state=NUMBER flags=NUMBER *processes=[objid]',
  process: 'cores=[NUMBER] mem_limit_as=NUMBER mem_limit_rss=NUMBER mem_limit_stack=NUMBER mem_limit_memlock=NUMBER endpoint=STRING *services=[objid]',
  service: 'type=NUMBER endpoints=[STRING] params=[STRING] *sdevs=[objid]',
  sdev: 'dev_idx=NUMBER iface=NUMBER media=NUMBER bsize=NUMBER size=NUMBER last_state=NUMBER flags=NUMBER filename=STRING',
  site: '*racks=[objid] pvers=[objid]',
  rack: '*encls=[objid] pvers=[objid]',
  enclosure: '!node=objid *ctrls=[objid] pvers=[objid]',
  controller: '*drives=[objid] pvers=[objid]',
  drive: '!dev=objid pvers=[objid]',
  pool: 'pver_policy=NUMBER *pvers=[objid]',
  pver: 'N=NUMBER K=NUMBER S=NUMBER P=NUMBER tolerance=[NUMBER] *sitevs=[objid]',
  pver_f: 'id=NUMBER !base=objid allowance=[NUMBER]',
  objv: '!real=objid *children=[objid]',
  profile: '!pools=[objid]',
};
interface AttrType { name: string; relation: '' | '*' | '!'; kind: string; list: boolean }
export const CONF_SCHEMA: Record<string, AttrType[]> = Object.fromEntries(Object.entries(SCHEMA).map(([t, d]) => [t, d.split(' ').map((a) => {
  const [n, kind] = a.split('=') as [string, string];
  const relation = (n[0] === '*' || n[0] === '!' ? n[0] : '') as AttrType['relation'];
  return { name: relation ? n.slice(1) : n, relation, kind: kind.replace(/[[\]]/g, ''), list: kind.startsWith('[') };
})]));

/** conf/schema.h M0_CONF_SERVICE_TYPES, from 1. */
export const SERVICE_TYPE_NAMES = ['MDS', 'IOS', 'CONFD', 'RMS', 'STATS', 'HA', 'SSS', 'SNS_REP', 'SNS_REB', 'ADDB2', 'CAS', 'DIX_REP',
  'DIX_REB', 'DS1', 'DS2', 'FIS', 'FDMI', 'BE', 'M0T1FS', 'CLIENT', 'ISCS', 'DTM0'].map((s) => `M0_CST_${s}`);

/** Which object types each objid attribute may name. */
const TARGETS: Record<string, string[]> = {
  'root.mdpool': ['pool'], 'root.nodes': ['node'], 'root.sites': ['site'], 'root.pools': ['pool'], 'root.profiles': ['profile'],
  'root.fdmi_flt_grps': ['fdmi_flt_grp'], 'fdmi_flt_grp.filters': ['fdmi_filter'], 'fdmi_filter.node': ['node'],
  'node.processes': ['process'], 'process.services': ['service'], 'service.sdevs': ['sdev'],
  'site.racks': ['rack'], 'rack.encls': ['enclosure'], 'enclosure.node': ['node'], 'enclosure.ctrls': ['controller'],
  'controller.drives': ['drive'], 'drive.dev': ['sdev'], 'pool.pvers': ['pver', 'pver_f'], 'pver.sitevs': ['objv'],
  'pver_f.base': ['pver'], 'objv.real': ['site', 'rack', 'enclosure', 'controller', 'drive'], 'objv.children': ['objv'],
  'profile.pools': ['pool'],
  'site.pvers': ['pver'], 'rack.pvers': ['pver'], 'enclosure.pvers': ['pver'], 'controller.pvers': ['pver'], 'drive.pvers': ['pver'],
};
/** pver subtree levels (conf/pvers.h M0_CONF_PVER_LVL_*). */
const LEVELS = ['site', 'rack', 'enclosure', 'controller', 'drive'];

type Tok = { t: 'num'; v: bigint; pos: number } | { t: 'str' | 'id' | 'enum' | 'lit'; v: string; pos: number };

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  const re = /[ \t\r\v\n]+|#[^\n]*|(0[xX][0-9a-fA-F]+)\b|(0[0-7]+)\b|(\d+)\b|"([^"]*)"|([a-zA-Z]\w*)\b|(@[a-zA-Z]\w*)|([()[\]\-=,:])/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length) {
    const pos = re.lastIndex;
    m = re.exec(text);
    if (!m) throw new ConfgenSyntaxError(`Illegal character '${text[pos]}' at byte ${pos + 1}`);
    if (m[1]) toks.push({ t: 'num', v: BigInt(m[1]), pos });
    else if (m[2]) toks.push({ t: 'num', v: BigInt('0o' + m[2].slice(1)), pos });
    else if (m[3]) toks.push({ t: 'num', v: BigInt(m[3]), pos });
    else if (m[4] !== undefined) toks.push({ t: 'str', v: m[4], pos });
    else if (m[5]) toks.push({ t: 'id', v: m[5], pos });
    else if (m[6]) toks.push({ t: 'enum', v: m[6].slice(1), pos });
    else if (m[7]) toks.push({ t: 'lit', v: m[7], pos });
  }
  return toks;
}

/** Reads confgen text into objects; throws ConfgenSyntaxError as m0confgen would refuse it. */
export function parseConfgen(text: string): ConfObj[] {
  const toks = tokenize(text);
  let i = 0;
  const peek = () => toks[i];
  const fail = (what: string): never => {
    const t = toks[i];
    throw new ConfgenSyntaxError(t ? `Syntax error at byte ${t.pos + 1} (${what})` : `Unexpected EOF (${what})`);
  };
  const lit = (c: string) => { const t = peek(); if (t?.t === 'lit' && t.v === c) { i++; return true; } return false; };
  const expect = (c: string) => { if (!lit(c)) fail(`expected '${c}'`); };
  const num = (): bigint => { const t = peek(); if (t?.t !== 'num') return fail('expected a number'); i++; return t.v; };
  const objid = (): Objid => {
    const t = peek();
    if (t?.t !== 'id') return fail('expected an object id');
    if (!CONF_SCHEMA[t.v]) throw new ConfgenSyntaxError(`Unknown conf object type '${t.v}' at byte ${t.pos + 1}`);
    i++;
    expect('-');
    let container = 1n, key = num();
    if (lit(':')) { container = key; key = num(); }
    return { type: t.v, container, key, text: container === 1n ? `${t.v}-${key}` : `${t.v}-${container}:${key}` };
  };
  const value = (): Val => {
    const t = peek();
    if (!t) return fail('expected a value');
    if (t.t === 'num') { i++; return { k: 'num', v: t.v }; }
    if (t.t === 'enum') { i++; return { k: 'enum', v: t.v }; }
    if (t.t === 'str') { i++; return { k: 'str', v: t.v }; }
    if (t.t === 'id') return { k: 'objid', v: objid() };
    if (lit('(')) { const container = num(); expect(','); const key = num(); expect(')'); return { k: 'fid', container, key }; }
    if (lit('[')) {
      const items: Val[] = [];
      if (!lit(']')) {
        do items.push(value()); while (lit(','));
        expect(']');
        const kinds = new Set(items.map((x) => x.k));
        if (kinds.size > 1 || !['num', 'str', 'objid'].includes(items[0]!.k)) fail('a list holds numbers, strings or object ids, one kind');
      }
      return { k: 'list', items };
    }
    return fail('expected a value');
  };
  const objs: ConfObj[] = [];
  while (i < toks.length) {
    const pos = toks[i]!.pos;
    expect('(');
    const id = objid();
    const attrs = new Map<string, Val>();
    do {
      const t = peek();
      if (t?.t !== 'id') return fail('expected an attribute');
      i++;
      expect('=');
      if (attrs.has(t.v)) throw new ConfgenSyntaxError(`Attribute reassignment at byte ${t.pos + 1}`);
      attrs.set(t.v, value());
    } while (peek()?.t === 'id');
    expect(')');
    objs.push({ id, attrs, pos });
  }
  return objs;
}

const nums = (v: Val | undefined): bigint[] => v?.k === 'list' ? v.items.map((x) => (x.k === 'num' ? x.v : -1n)) : [];
const ids = (v: Val | undefined): Objid[] => v?.k === 'list' ? v.items.flatMap((x) => (x.k === 'objid' ? [x.v] : [])) : v?.k === 'objid' ? [v.v] : [];
const strs = (v: Val | undefined): string[] => v?.k === 'list' ? v.items.flatMap((x) => (x.k === 'str' ? [x.v] : [])) : [];
const num = (v: Val | undefined): bigint => (v?.k === 'num' ? v.v : -1n);

export interface CheckOptions {
  /**
   * Apply only what m0confgen, confd's load and conf/validation.c refuse
   * (false), or also what a running m0d or client asserts on (true, the
   * default): services carrying their process's endpoint and one per type,
   * P equal to the pool version's drive count, drives listing their pool
   * versions, one drive per sdev, profiles listing the metadata pool.
   */
  runtime?: boolean;
}

/** Problems Motr would have with these conf objects, one sentence each; empty when none. */
export function checkMotrConf(objs: ConfObj[], options: CheckOptions = {}): string[] {
  const runtime = options.runtime ?? true;
  const problems: string[] = [];
  const byId = new Map<string, ConfObj>();
  const of = (o: Objid) => byId.get(o.text);

  // Schema: attributes and their kinds (m0confgen ConfObj, Encoder_xc).
  for (const o of objs) {
    if (byId.has(o.id.text)) problems.push(`${o.id.text} is defined twice`);
    byId.set(o.id.text, o);
    const schema = CONF_SCHEMA[o.id.type]!;
    const missing = schema.filter((a) => !o.attrs.has(a.name)).map((a) => a.name);
    const unknown = [...o.attrs.keys()].filter((n) => !schema.some((a) => a.name === n));
    if (missing.length || unknown.length) problems.push(`${o.id.text}: invalid attributes${missing.length ? `; missing: ${missing.join(', ')}` : ''}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
    for (const a of schema) {
      const v = o.attrs.get(a.name);
      if (!v) continue;
      const one = (x: Val) => (a.kind === 'NUMBER' ? x.k === 'num' || x.k === 'enum' : a.kind === 'STRING' ? x.k === 'str' : a.kind === 'objid' ? x.k === 'objid' : x.k === 'fid' || x.k === 'objid');
      const ok = a.list ? v.k === 'list' && v.items.every(one) : v.k !== 'list' && one(v);
      if (!ok) problems.push(`${o.id.text}: ${a.name} must be ${a.list ? 'a list of ' : ''}${a.kind}`);
    }
  }
  const all = (type: string) => objs.filter((o) => o.id.type === type);

  // The root (conf/obj.h M0_CONF_ROOT_FID = t|1:0) and the tree (conf/confd.c).
  const roots = all('root');
  if (roots.length !== 1 || roots[0]!.id.text !== 'root-0') problems.push(`there must be exactly one root, root-0; found ${roots.map((r) => r.id.text).join(', ') || 'none'}`);
  const parents = new Map<string, string[]>();
  for (const o of objs) {
    for (const a of CONF_SCHEMA[o.id.type]!) {
      const targets = TARGETS[`${o.id.type}.${a.name}`];
      // `fid` attributes (rootfid, imeta_pver, ...) are values, not references: Motr does not look them up on load.
      const refs = a.kind === 'objid' ? ids(o.attrs.get(a.name)) : [];
      for (const r of refs) {
        const t = of(r);
        if (!t) problems.push(`${o.id.text}: ${a.name} names ${r.text}, which is not defined`);
        else if (targets && !targets.includes(r.type)) problems.push(`${o.id.text}: ${a.name} names ${r.text}, not a ${targets.join(' or ')}`);
        if (a.relation === '*') parents.set(r.text, [...(parents.get(r.text) ?? []), `${o.id.text}.${a.name}`]);
      }
    }
  }
  for (const o of objs) {
    if (o.id.type === 'root') continue;
    const p = parents.get(o.id.text) ?? [];
    if (p.length === 0) problems.push(`${o.id.text} is not part of the configuration tree (no object lists it as a child)`);
    if (p.length > 1) problems.push(`${o.id.text} has more than one parent: ${p.join(', ')}`);
  }

  // A drive's sdev points back at one drive (conf/objs/drive.c drive_decode sets sd_drive).
  if (runtime) {
    const driveOf = new Map<string, string>();
    for (const d of all('drive')) for (const sd of ids(d.attrs.get('dev'))) {
      if (driveOf.has(sd.text)) problems.push(`${sd.text} is the dev of both ${driveOf.get(sd.text)} and ${d.id.text}`);
      driveOf.set(sd.text, d.id.text);
    }
  }

  // Services (conf/validation.c conf_service_type_error, conf_service_sdevs_error; motr/conf.c).
  const typeOf = (s: ConfObj) => { const v = s.attrs.get('type'); return v?.k === 'enum' ? v.v : v?.k === 'num' ? SERVICE_TYPE_NAMES[Number(v.v) - 1] : undefined; };
  let nrIos = 0, confd = false;
  const iodevs: ConfObj[] = [];
  const nodeOfSdev = new Map<string, string>();
  for (const n of all('node')) for (const pr of ids(n.attrs.get('processes'))) {
    const proc = of(pr);
    if (!proc) continue;
    const ep = proc.attrs.get('endpoint');
    if (ep?.k === 'str' && !endpointIsValid(ep.v)) problems.push(`${proc.id.text}: Invalid endpoint: ${ep.v}`);
    const seen = new Set<string>();
    for (const sid of ids(proc.attrs.get('services'))) {
      const s = of(sid);
      if (!s) continue;
      const t = typeOf(s);
      if (!t || !SERVICE_TYPE_NAMES.includes(t)) { problems.push(`${s.id.text}: invalid service type ${t ?? ''}`); continue; }
      if (runtime && seen.has(t)) problems.push(`${proc.id.text} has two ${t} services (motr/conf.c registers one per type)`);
      seen.add(t);
      const eps = strs(s.attrs.get('endpoints'));
      for (const e of eps) if (!endpointIsValid(e)) problems.push(`${s.id.text}: Invalid endpoint: ${e}`);
      if (runtime && ep?.k === 'str' && eps[0] !== ep.v) problems.push(`${s.id.text}: its first endpoint must be its process's endpoint ${ep.v} (motr/conf.c is_local_service)`);
      if (t === 'M0_CST_CONFD') confd = true;
      const sdevs = ids(s.attrs.get('sdevs'));
      const wants = t === 'M0_CST_IOS' || t === 'M0_CST_CAS';
      if (wants && !sdevs.length) problems.push(`${s.id.text}: sdevs of ${t === 'M0_CST_IOS' ? 'an IO' : 'a CAS'} service must not be empty`);
      if (!wants && sdevs.length) problems.push(`${s.id.text}: sdevs must be empty (neither IOS nor CAS)`);
      if (t === 'M0_CST_IOS') {
        nrIos++;
        for (const d of sdevs) { const sd = of(d); if (sd) { iodevs.push(sd); nodeOfSdev.set(sd.id.text, n.id.text); } }
      }
    }
  }
  if (!confd) problems.push('No confd service defined');
  if (!nrIos) problems.push('No IO services');
  if (!iodevs.length) problems.push('No IO devices');

  // The root's metadata pool and redundancy (conf/objs/root.c, conf/validation.c conf_root_error).
  const root = roots[0];
  if (root) {
    const md = ids(root.attrs.get('mdpool'))[0];
    const rootPools = ids(root.attrs.get('pools')).map((p) => p.text);
    const red = num(root.attrs.get('mdredundancy'));
    if (red > 0n) {
      if (red > BigInt(nrIos)) problems.push(`root: metadata redundancy (${red}) exceeds the number of IO services (${nrIos})`);
      if (!md || !rootPools.includes(md.text)) problems.push(`root: mdpool ${md?.text ?? ''} is not one of the root's pools`);
    }
    if (runtime) for (const p of all('profile')) if (md && !ids(p.attrs.get('pools')).some((x) => x.text === md.text)) problems.push(`${p.id.text} does not list the metadata pool ${md.text} (pool/pool.c m0_pools_setup)`);
  }

  // Pool versions (conf/validation.c conf_pvers_error, conf/objs/pver.c, layout/pdclust.c).
  const devIdx = new Map<bigint, ConfObj>();
  const widths = new Map<string, number[]>();
  for (const v of all('pver')) {
    const [N, K, S, P] = (['N', 'K', 'S', 'P'] as const).map((a) => num(v.attrs.get(a)));
    const tol = nums(v.attrs.get('tolerance'));
    const name = v.id.text;
    if (tol.length !== 5) { problems.push(`${name}: tolerance must have 5 numbers (site, rack, enclosure, controller, drive)`); continue; }
    const width = [0, 0, 0, 0, 0];
    const leaves: ConfObj[] = [];
    const walk = (objvId: Objid, level: number) => {
      const objv = of(objvId);
      if (!objv || objv.id.type !== 'objv') return;
      const real = ids(objv.attrs.get('real'))[0];
      const realObj = real && of(real);
      if (!real || LEVELS[level] !== real.type) { problems.push(`${name}: ${objv.id.text} at level ${level} must stand for a ${LEVELS[level]}, not ${real?.text ?? 'nothing'}`); return; }
      width[level]!++;
      if (runtime && realObj && !ids(realObj.attrs.get('pvers')).some((x) => x.text === name)) problems.push(`${real.text}: pvers does not list ${name}, whose tree has it (SNS repair reads a drive's pvers: sns/cm/cm_utils.c)`);
      const children = ids(objv.attrs.get('children'));
      if (level === 4) {
        if (children.length) problems.push(`${objv.id.text}: Unexpected children`);
        const sdev = realObj && ids(realObj.attrs.get('dev'))[0];
        const sd = sdev && of(sdev);
        if (sd) leaves.push(sd);
        return;
      }
      if (!children.length) problems.push(`${objv.id.text}: Missing children`);
      for (const c of children) walk(c, level + 1);
    };
    const sitevs = ids(v.attrs.get('sitevs'));
    if (!sitevs.length) problems.push(`${name}: Missing children`);
    for (const s of sitevs) walk(s, 0);
    widths.set(name, width);
    if (tol.every((t) => t === 0n) && N !== 1n) problems.push(`${name}: Zeroed tolerance is supported only with N = 1`);
    tol.forEach((t, l) => { if (t > BigInt(width[l]!)) problems.push(`${name}: Tolerating more failures (${t}) than there are objects (${width[l]}) at level ${l} of pver subtree`); });
    if (!(S >= 0n && S <= K && P >= N + K + S && N >= 1n)) problems.push(`${name}: bad parity declustering N=${N} K=${K} S=${S} P=${P} (needs N ≥ 1, S ≤ K, P ≥ N+K+S)`);
    if (P > BigInt(iodevs.length)) problems.push(`${name}: Pool width (${P}) exceeds total number of IO devices (${iodevs.length})`);
    if (runtime && P !== BigInt(leaves.length)) problems.push(`${name}: P (${P}) differs from the number of drives in its tree (${leaves.length}) (pool/pool.c m0_pool_version_device_map_init)`);
    for (const sd of leaves) {
      if (!iodevs.includes(sd)) { problems.push(`${sd.id.text}: a drive of ${name} whose sdev is not an IO service's`); continue; }
      const idx = num(sd.attrs.get('dev_idx'));
      if (idx < 0n || idx >= BigInt(iodevs.length)) { problems.push(`${sd.id.text}: dev_idx (${idx}) does not belong [0, P) range; P=${iodevs.length}`); continue; }
      const other = devIdx.get(idx);
      if (other && other !== sd) problems.push(`${sd.id.text}: dev_idx is not unique, duplicates that of ${other.id.text}`);
      const file = sd.attrs.get('filename');
      const twin = [...devIdx.values()].find((x) => x !== sd && nodeOfSdev.get(x.id.text) === nodeOfSdev.get(sd.id.text) && file?.k === 'str' && x.attrs.get('filename')?.k === 'str' && (x.attrs.get('filename') as { v: string }).v === file.v);
      if (!other && twin) problems.push(`${sd.id.text}: filename is not unique, duplicates that of ${twin.id.text}`);
      devIdx.set(idx, sd);
    }
  }
  // Formulaic pool versions (conf/validation.c conf_pver_formulaic_error).
  const mdPool = root && ids(root.attrs.get('mdpool'))[0];
  for (const f of all('pver_f')) {
    const name = f.id.text;
    const pool = objs.find((o) => o.id.type === 'pool' && ids(o.attrs.get('pvers')).some((x) => x.text === name));
    if (pool && mdPool && pool.id.text === mdPool.text) problems.push(`${pool.id.text}: MD pool may not have formulaic pvers`);
    const allow = nums(f.attrs.get('allowance'));
    const base = ids(f.attrs.get('base'))[0];
    const width = base && widths.get(base.text);
    const baseObj = base && of(base);
    if (allow.length !== 5) { problems.push(`${name}: allowance must have 5 numbers`); continue; }
    if (allow.every((a) => a === 0n)) problems.push(`${name}: Zeroed allowance`);
    if (width) allow.forEach((a, l) => { if (a > BigInt(width[l]!)) problems.push(`${name}: Allowing more failures (${a}) than there are objects (${width[l]}) at level ${l} of base pver subtree`); });
    if (baseObj?.id.type === 'pver') {
      const [N, K, S, P] = (['N', 'K', 'S', 'P'] as const).map((a) => num(baseObj.attrs.get(a)));
      if (allow[4]! > P - N - K - S) problems.push(`${name}: Number of allowed disk failures (${allow[4]}) > P - N - K - S of base pver`);
    }
  }
  return problems;
}

/**
 * libfab's inet:tcp:HOST@PORT (net/ip.c m0_net_ip_inet_parse), or an LNet
 * address as net/net.c m0_net_endpoint_is_valid() accepts it.
 */
export function endpointIsValid(ep: string): boolean {
  if (/^inet6?:(?:tcp|stream|dgram|verbs|o2ib):[^\s@"]+@\d{1,5}$/.test(ep)) return true;
  const m = /^([0-9.]{1,15})@(lo|tcp|o2ib)(\d?):12345:\d+:\d+$/.exec(ep);
  if (!m) return false;
  if (m[2] === 'lo') return m[1] === '0' && !m[3];
  const octets = m[1]!.split('.');
  return octets.length === 4 && octets.every((o) => /^\d+$/.test(o) && Number(o) <= 255);
}
