// `hax bootstrap --motr-conf FILE`: the Motr conf text for m0confgen, written
// from the same description as the Consul layout. Against a real agent: every
// node, process, service, sdev, drive, enclosure, controller, site, rack,
// pool and profile fid of the text is the one bootstrap wrote into Consul;
// the text passes the structural check (and, with MOTR_ROOT set to a Motr
// source tree, converts with Motr's own utils/m0confgen); a description that
// lacks what m0d needs and an unwritable FILE are refused before Consul is
// touched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHax } from '../helpers/cli.ts';
import { startDevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { readClusterFile } from '../../src/bootstrap/cluster.ts';
import { motrConf } from '../../src/bootstrap/motr-conf.ts';
import { testUnless } from '../helpers/skip.ts';
import { checkMotrConf, parseConfgen, type ConfObj, type Objid, type Val } from '../../src/bootstrap/motr-conf-check.ts';

const EXAMPLE = new URL('../../docs/examples/cluster.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hax-motr-conf-'));

// Two nodes; ios processes with the services m0d runs for hare (ios, rms, sns
// repair and rebalance, addb2, dtm0), a client whose m0_client_other is a
// Consul-only name, two pools with their own parity declustering.
const TWO_NODES = join(dir, 'two-nodes.yaml');
writeFileSync(TWO_NODES, `
nodes:
  - name: mc-node-1
    address: inet:tcp:127.0.0.1
    cpus: 4
    memsizeMB: 8192
    processes:
      - { kind: hax, fidk: 1, port: 22001 }
      - { kind: confd, fidk: 2, port: 22002 }
      - kind: ios
        fidk: 3
        port: 21001
        services: [ios, rms, sns_rep, sns_reb, addb2, dtm0]
        drives: [/var/motr/disks/d1, { path: /var/motr/disks/d2, size: 1073741824, blksize: 4096 }]
      - kind: ios
        fidk: 4
        port: 21002
        services: [ios, rms, sns_rep, sns_reb, addb2]
        drives: [/var/motr/disks/d3, /var/motr/disks/d4]
      - { kind: client, fidk: 5, port: 23001, services: [rms, dtm0, m0_client_other] }
  - name: mc-node-2
    address: inet:tcp:127.0.0.2
    processes:
      - { kind: hax, fidk: 6, port: 22001 }
      - { kind: confd, fidk: 7, port: 22002 }
      - kind: ios
        fidk: 8
        port: 21001
        services: [ios, rms, sns_rep, sns_reb, addb2]
        drives: [/var/motr/disks/d1, /var/motr/disks/d2, /var/motr/disks/d3, /var/motr/disks/d4]
pools:
  - name: tier1
    dataUnits: 2
    parityUnits: 1
    spareUnits: 1
    drives: [mc-node-1:/var/motr/disks/d1, mc-node-1:/var/motr/disks/d2, mc-node-1:/var/motr/disks/d3, mc-node-1:/var/motr/disks/d4]
  - name: tier2
    dataUnits: 1
    parityUnits: 1
    drives: [mc-node-2:/var/motr/disks/d4, mc-node-2:/var/motr/disks/d3, mc-node-2:/var/motr/disks/d2, mc-node-2:/var/motr/disks/d1]
`);

// m0confgen's `--types`, written out here rather than taken from the code under test.
const LETTER: Record<string, string> = {
  root: 't', node: 'n', process: 'r', service: 's', sdev: 'd', site: 'S', rack: 'a', enclosure: 'e', controller: 'c',
  drive: 'k', pool: 'o', pver: 'v', objv: 'j', profile: 'p',
};
/** An m0confgen object id as hare and Consul write the fid: 0x<container>:0x<key>. */
const fidOf = (o: Objid) => `0x${((BigInt(LETTER[o.type]!.charCodeAt(0)) << 56n) | o.container).toString(16)}:0x${o.key.toString(16)}`;
const ids = (v: Val | undefined): Objid[] => (v?.k === 'list' ? v.items.flatMap((x) => (x.k === 'objid' ? [x.v] : [])) : v?.k === 'objid' ? [v.v] : []);
const str = (v: Val | undefined) => (v?.k === 'str' ? v.v : v?.k === 'enum' ? v.v : undefined);
const sorted = <T>(xs: Iterable<T>) => [...xs].map(String).sort();

interface Side {
  nodes: Set<string>; encls: Map<string, string>; ctrls: Set<string>; sites: Set<string>; racks: Set<string>;
  /** process fid → endpoint */ processes: Map<string, string>;
  /** service fid → [type, process fid] */ services: Map<string, [string, string]>;
  /** sdev fid → [path, service fid] */ sdevs: Map<string, [string, string]>;
  /** drive fid → sdev fid */ drives: Map<string, string>;
  /** pool fid → drive fids */ pools: Map<string, string[]>;
  profiles: Set<string>;
}

async function consulSide(consul: ConsulClient): Promise<Side & { clientTypes: string[] }> {
  const { entries } = await consul.kv.list('m0conf/');
  const kv = new Map(entries.map((e) => [e.key, e.value]));
  const s: Side = { nodes: new Set(), encls: new Map(), ctrls: new Set(), sites: new Set(), racks: new Set(), processes: new Map(), services: new Map(), sdevs: new Map(), drives: new Map(), pools: new Map(), profiles: new Set() };
  const endpointOf = new Map<string, string>();
  for (const [k, v] of kv) {
    let m: RegExpExecArray | null;
    if ((m = /^m0conf\/nodes\/([^/]+)\/processes\/(\d+)\/endpoint$/.exec(k))) endpointOf.set(m[2]!, v);
  }
  for (const [k, v] of kv) {
    let m: RegExpExecArray | null;
    if ((m = /^m0conf\/nodes\/(0x6e[^/]+)$/.exec(k))) s.nodes.add(m[1]!);
    else if ((m = /^m0conf\/nodes\/0x6e[^/]+\/processes\/([^/]+)$/.exec(k))) s.processes.set(m[1]!, endpointOf.get(String(BigInt(m[1]!.split(':')[1]!)))!);
    else if ((m = /^m0conf\/nodes\/0x6e[^/]+\/processes\/([^/]+)\/services\/([^/]+)$/.exec(k))) s.services.set(m[2]!, [JSON.parse(v).name, m[1]!]);
    else if ((m = /^m0conf\/nodes\/0x6e[^/]+\/processes\/[^/]+\/services\/([^/]+)\/sdevs\/([^/]+)$/.exec(k))) s.sdevs.set(m[2]!, [JSON.parse(v).path, m[1]!]);
    else if ((m = /^m0conf\/sites\/([^/]+)$/.exec(k))) s.sites.add(m[1]!);
    else if ((m = /^m0conf\/sites\/[^/]+\/racks\/([^/]+)$/.exec(k))) s.racks.add(m[1]!);
    else if ((m = /\/encls\/([^/]+)$/.exec(k))) s.encls.set(m[1]!, JSON.parse(v).node);
    else if ((m = /\/ctrls\/([^/]+)$/.exec(k))) s.ctrls.add(m[1]!);
    else if ((m = /\/drives\/([^/]+)$/.exec(k))) s.drives.set(m[1]!, JSON.parse(v).sdev);
    else if ((m = /^m0conf\/pools\/([^/]+)$/.exec(k))) s.pools.set(m[1]!, JSON.parse(kv.get(`m0conf/pool-devices/${m[1]}`)!));
    else if ((m = /^m0conf\/profiles\/([^/]+)$/.exec(k))) s.profiles.add(m[1]!);
  }
  const clientTypes = JSON.parse((await consul.kv.get('m0_client_types'))!.value) as string[];
  return { ...s, clientTypes };
}

function confSide(objs: ConfObj[]): Side & { mdpool: string; mdredundancy: bigint } {
  const byId = new Map(objs.map((o) => [o.id.text, o]));
  const of = (t: string) => objs.filter((o) => o.id.type === t);
  const s: Side = { nodes: new Set(), encls: new Map(), ctrls: new Set(), sites: new Set(), racks: new Set(), processes: new Map(), services: new Map(), sdevs: new Map(), drives: new Map(), pools: new Map(), profiles: new Set() };
  for (const n of of('node')) s.nodes.add(fidOf(n.id));
  for (const p of of('process')) {
    s.processes.set(fidOf(p.id), str(p.attrs.get('endpoint'))!);
    for (const sv of ids(p.attrs.get('services'))) {
      const svc = byId.get(sv.text)!;
      s.services.set(fidOf(sv), [str(svc.attrs.get('type'))!, fidOf(p.id)]);
      for (const sd of ids(svc.attrs.get('sdevs'))) s.sdevs.set(fidOf(sd), [str(byId.get(sd.text)!.attrs.get('filename'))!, fidOf(sv)]);
    }
  }
  for (const e of of('enclosure')) s.encls.set(fidOf(e.id), fidOf(ids(e.attrs.get('node'))[0]!));
  for (const c of of('controller')) s.ctrls.add(fidOf(c.id));
  for (const x of of('site')) s.sites.add(fidOf(x.id));
  for (const x of of('rack')) s.racks.add(fidOf(x.id));
  for (const d of of('drive')) s.drives.set(fidOf(d.id), fidOf(ids(d.attrs.get('dev'))[0]!));
  for (const p of of('profile')) s.profiles.add(fidOf(p.id));
  const root = byId.get('root-0')!;
  const mdpool = ids(root.attrs.get('mdpool'))[0]!;
  const leaves = (objv: Objid): string[] => {
    const o = byId.get(objv.text)!;
    const children = ids(o.attrs.get('children'));
    return children.length ? children.flatMap(leaves) : [fidOf(ids(o.attrs.get('real'))[0]!)];
  };
  for (const pool of ids(root.attrs.get('pools'))) {
    if (pool.text === mdpool.text) continue;
    const pver = byId.get(ids(byId.get(pool.text)!.attrs.get('pvers'))[0]!.text)!;
    s.pools.set(fidOf(pool), ids(pver.attrs.get('sitevs')).flatMap(leaves));
  }
  const red = root.attrs.get('mdredundancy');
  return { ...s, mdpool: fidOf(mdpool), mdredundancy: red?.k === 'num' ? red.v : -1n };
}

/** Bootstraps FILE into a fresh agent with --motr-conf and compares both sides. */
async function bootstrapAndCompare(file: string, nodeName: string, expect: { processes: number; pools: number; clientOnly: number; mdredundancy: bigint }) {
  const agent = await startDevAgent({ nodeName });
  const out = join(dir, `${nodeName}.cg`);
  try {
    const r = await runHax('bootstrap', '--consul', agent.url, '--cluster', file, '--motr-conf', out);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, `Motr conf for m0confgen in ${out}`);
    const text = readFileSync(out, 'utf8');
    assert.is(text, motrConf(readClusterFile(file)).text, 'the file is the (deterministic) text of the description');
    const objs = parseConfgen(text);
    assert.equal(checkMotrConf(objs), [], 'the structural check finds nothing');
    const consul = await consulSide(new ConsulClient(agent.url));
    const conf = confSide(objs);
    assert.is(conf.processes.size, expect.processes);
    assert.is(consul.pools.size, expect.pools);
    assert.equal(sorted(conf.nodes), sorted(consul.nodes), 'nodes');
    assert.equal(sorted(conf.processes), sorted(consul.processes), 'processes and their endpoints');
    // Client types (m0_client_other, ...) are names only Consul has.
    const motrServices = [...consul.services].filter(([, [type]]) => !consul.clientTypes.includes(type));
    assert.is(consul.services.size - motrServices.length, expect.clientOnly, 'services only Consul has');
    assert.equal(sorted(conf.services.keys()), sorted(motrServices.map(([f]) => f)), 'service fids');
    for (const [f, [type, proc]] of motrServices) assert.equal(conf.services.get(f), [`M0_CST_${type.toUpperCase()}`, proc], `service ${f}`);
    assert.equal(sorted(conf.sdevs), sorted(consul.sdevs), 'sdevs: path and service');
    assert.equal(sorted(conf.drives), sorted(consul.drives), 'drives and their sdevs');
    assert.equal(sorted(conf.encls), sorted(consul.encls), 'enclosures and their nodes');
    assert.equal(sorted(conf.ctrls), sorted(consul.ctrls), 'controllers');
    assert.equal(sorted(conf.sites), sorted(consul.sites), 'site');
    assert.equal(sorted(conf.racks), sorted(consul.racks), 'rack');
    assert.equal(sorted(conf.profiles), sorted(consul.profiles), 'profile');
    assert.equal(sorted(conf.pools.keys()), sorted(consul.pools.keys()), 'pools (the metadata pool is the conf\'s own)');
    for (const [f, drives] of consul.pools) assert.equal(sorted(conf.pools.get(f)!), sorted(drives), `drives of pool ${f}`);
    assert.not.ok(consul.pools.has(conf.mdpool));
    assert.is(conf.mdredundancy, expect.mdredundancy);
  } finally {
    await agent.stop();
  }
}

test('two nodes: every fid of the Motr conf is the one bootstrap wrote into Consul', async () => {
  await bootstrapAndCompare(TWO_NODES, 'mc-node-1', { processes: 8, pools: 2, clientOnly: 1, mdredundancy: 2n });
});

test('docs/examples/cluster.yaml: the same, with the default pool and services', async () => {
  await bootstrapAndCompare(EXAMPLE, 'srvnode-1', { processes: 4, pools: 1, clientOnly: 0, mdredundancy: 1n });
});

test('refuses a description that lacks what m0d needs, and an unwritable FILE, before touching Consul (exit status 2)', async () => {
  const agent = await startDevAgent({ nodeName: 'mc-refuse' });
  try {
    const consul = new ConsulClient(agent.url);
    // Valid for Consul (a hax and a confd per node, unique fids and endpoints, pool drives that exist), not for m0d.
    const lacking = join(dir, 'lacking.json');
    writeFileSync(lacking, JSON.stringify({ nodes: [{ name: 'mc-refuse', processes: [
      { kind: 'hax', services: ['rms'] }, { kind: 'confd', services: ['rms'] }, { kind: 'ios', services: ['ios', 'rms', 'cas'], drives: ['/d1'] },
    ] }], pools: [{ name: 'p', dataUnits: 2, drives: ['mc-refuse:/d1'] }] }));
    const r = await runHax('bootstrap', '--consul', agent.url, '--cluster', lacking, '--motr-conf', join(dir, 'never.cg'));
    assert.is(r.status, 2, r.stderr);
    assert.is(r.stderr.trimEnd().split('\n').length, 1, 'one line');
    assert.match(r.stderr, /HAX_ERR_BAD_CLUSTER/);
    assert.match(r.stderr, `cluster file "${lacking}": the cluster description lacks what Motr's m0d needs for --motr-conf`);
    for (const why of ['has no ha service', 'has no confd service', 'DIX (cas, dix_rep, dix_reb)', 'no process has a confd service']) assert.match(r.stderr, why);
    assert.not.ok(existsSync(join(dir, 'never.cg')));

    // What every description must be is checked first, in the same place, with the same code and status.
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify({ nodes: [{ name: 'mc-refuse', processes: [{ kind: 'hax' }, { kind: 'ios', drives: ['/d1'] }] }],
      pools: [{ name: 'p', drives: ['mc-refuse:/d1', 'mc-refuse:/d9'] }] }));
    const b = await runHax('bootstrap', '--consul', agent.url, '--cluster', broken, '--motr-conf', join(dir, 'never.cg'));
    assert.is(b.status, 2, b.stderr);
    assert.match(b.stderr, 'nodes: no process is of kind confd');
    assert.match(b.stderr, 'pools[0].drives[1]: "mc-refuse:/d9" names no drive of an ios process of node mc-refuse');
    assert.not.ok(existsSync(join(dir, 'never.cg')));

    const unwritable = join(dir, 'no-such-dir', 'conf.cg');
    const w = await runHax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE, '--motr-conf', unwritable);
    assert.is(w.status, 2, w.stderr);
    assert.match(w.stderr, `--motr-conf "${unwritable}" cannot be written: ENOENT [HAX_ERR_BAD_VALUE]`);
    const itself = await runHax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE, '--motr-conf', EXAMPLE);
    assert.is(itself.status, 2, itself.stderr);
    assert.match(itself.stderr, 'is the cluster file itself [HAX_ERR_BAD_VALUE]');
    const aDir = await runHax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE, '--motr-conf', dir);
    assert.is(aDir.status, 2, aDir.stderr);
    assert.match(aDir.stderr, 'is a directory [HAX_ERR_BAD_VALUE]');
    assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary file is left behind');

    assert.is(await consul.kv.get('epoch'), undefined, 'Consul was not touched');
    assert.equal((await consul.kv.list('m0conf/')).entries, []);
  } finally {
    await agent.stop();
  }
});

test('a Consul that holds another cluster is refused before the --motr-conf file is written', async () => {
  const agent = await startDevAgent({ nodeName: 'mc-node-1' });
  const out = join(dir, 'not-over-another.cg');
  try {
    const first = await runHax('bootstrap', '--consul', agent.url, '--cluster', TWO_NODES);
    assert.is(first.status, 0, first.stderr);
    const other = join(dir, 'other.yaml');
    writeFileSync(other, readFileSync(TWO_NODES, 'utf8').replace('fidk: 8', 'fidk: 9'));
    const r = await runHax('bootstrap', '--consul', agent.url, '--cluster', other, '--motr-conf', out);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /already holds another cluster.*\[HAX_ERR_CLUSTER_EXISTS\]/);
    assert.not.ok(existsSync(out), 'the Motr conf of a cluster Consul does not hold is not written');
    const again = await runHax('bootstrap', '--consul', agent.url, '--cluster', TWO_NODES, '--motr-conf', out);
    assert.is(again.status, 0, again.stderr);
    assert.is(readFileSync(out, 'utf8'), motrConf(readClusterFile(TWO_NODES)).text, 'the same description: its conf is written');
  } finally {
    await agent.stop();
  }
});

test('--help describes --motr-conf and how to make conf.xc', async () => {
  const r = await runHax('bootstrap', '--help');
  assert.is(r.status, 0);
  assert.match(r.stdout, '--motr-conf FILE');
  assert.match(r.stdout, 'm0confgen FILE > conf.xc');
});

/** How to run $MOTR_ROOT/utils/m0confgen here (its shebang's python3 may lack ply), or why it does not run. */
function m0confgen(): { run: (args: string[]) => ReturnType<typeof spawnSync> } | { skip: string } {
  const root = process.env.MOTR_ROOT;
  if (!root) return { skip: 'MOTR_ROOT is not set (a Motr source tree whose utils/m0confgen converts the text)' };
  const script = join(root, 'utils', 'm0confgen');
  if (!existsSync(script)) return { skip: `${script} does not exist` };
  let why = '';
  for (const argv0 of [[script], ['python3', script], ['/usr/bin/python3', script]]) {
    const probe = spawnSync(argv0[0]!, [...argv0.slice(1), '--version'], { encoding: 'utf8' });
    if (probe.status === 0) return { run: (args) => spawnSync(argv0[0]!, [...argv0.slice(1), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 }) };
    why = (probe.stderr || String(probe.error ?? '')).trim().split('\n').pop() ?? '';
  }
  return { skip: `${script} does not run: ${why}` };
}

const tool = m0confgen();
testUnless('skip' in tool ? tool.skip : undefined, 'm0confgen')('Motr\'s m0confgen converts the text to conf.xc (with MOTR_ROOT), and the structural check agrees with Motr\'s validation cases', () => {
  const { run } = tool as Exclude<typeof tool, { skip: string }>;   // registered only when m0confgen runs
  for (const file of [TWO_NODES, EXAMPLE]) {
    const conf = motrConf(readClusterFile(file));
    const cg = join(dir, 'm0confgen-input.cg');
    writeFileSync(cg, conf.text);
    const xc = run([cg]);
    assert.is(xc.status, 0, String(xc.stderr));
    assert.ok(String(xc.stdout).startsWith(`[${conf.objects}:\n`), `an xcode list of ${conf.objects} objects`);
    // m0confgen reads the same objects as our reader (it prints keys ≥ 100 in hex).
    const json = run(['-t', 'json', cg]);
    assert.is(json.status, 0, String(json.stderr));
    const norm = (id: string) => id.replace(/-(?:(\w+):)?(\w+)$/, (_, c, k) => `-${c ? `${BigInt(c)}:` : ''}${BigInt(k)}`);
    assert.equal((JSON.parse(String(json.stdout)) as { objid: string }[]).map((o) => norm(o.objid)), parseConfgen(conf.text).map((o) => o.id.text));
  }
  // Motr's conf/ut/t_*.cg: each is refused by conf/validation.c exactly when its .xc twin starts with "#= <the error>".
  const ut = join(process.env.MOTR_ROOT!, 'conf', 'ut');
  const cases = existsSync(ut) ? readdirSync(ut).filter((f) => /^t_.*\.cg$/.test(f)) : [];
  for (const f of cases) {
    const first = readFileSync(join(ut, f.replace(/\.cg$/, '.xc')), 'utf8').split('\n')[0]!;
    const refused = /^#+=/.test(first);
    const problems = checkMotrConf(parseConfgen(readFileSync(join(ut, f), 'utf8')), { runtime: false });
    assert.is(problems.length > 0, refused, `${f}: Motr says ${refused ? first : 'valid'}; the check says ${problems.join('; ') || 'valid'}`);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
