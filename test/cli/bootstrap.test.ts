// `hax bootstrap` with the documented example file, against a real agent:
// what it writes, its refusals of bad descriptions (exit status 2, one line
// naming the field, nothing written), and a second run on a seeded Consul
// (the same description: nothing rewritten, an interrupted run completed;
// another description: refused, nothing written).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHax } from '../helpers/cli.ts';
import { startDevAgent, type DevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { readClusterFile } from '../../src/bootstrap/cluster.ts';
import { BOOTSTRAP_KEY, seedCluster } from '../../src/bootstrap/seed.ts';
import { agentSettled } from '../helpers/agent-settled.ts';

const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
const EXAMPLE = new URL('../../docs/examples/cluster.yaml', import.meta.url).pathname;
const hax = runHax;
const dir = mkdtempSync(join(tmpdir(), 'hax-bootstrap-'));
const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };


/** Everything bootstrap could change: every KV entry (with its index and session), every service and every check. */
async function snapshot(agent: DevAgent): Promise<string> {
  await agentSettled(agent);
  const get = async (path: string) => {
    const res = await fetch(`${agent.url}${path}`);
    if (res.status === 404) return null;
    assert.ok(res.ok, `${path}: ${res.status}`);
    return res.json() as Promise<unknown>;
  };
  const kv = ((await get('/v1/kv/?recurse')) ?? []) as { Key: string; Value: string | null; ModifyIndex: number; Session?: string }[];
  const services = (await get('/v1/catalog/services')) as Record<string, string[]>;
  const nodes = (await get('/v1/catalog/nodes')) as { Node: string }[];
  const checks = ((await get('/v1/health/state/any')) as { Node: string; CheckID: string; Status: string; ModifyIndex: number }[]);
  return JSON.stringify({
    kv: kv.map((e) => [e.Key, e.Value, e.ModifyIndex, e.Session ?? null]),
    services, nodes: nodes.map((n) => n.Node).sort(),
    checks: checks.map((c) => [c.Node, c.CheckID, c.Status, c.ModifyIndex]).sort(),
  });
}

test('writes docs/examples/cluster.yaml into Consul: m0conf, catalog services and the leader', async () => {
  const agent = await startDevAgent({ nodeName: 'srvnode-1' });
  try {
    const r = await hax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE);
    assert.is(r.status, 0, r.stderr);
    const consul = new ConsulClient(agent.url);
    assert.is((await consul.kv.get('m0conf/nodes/srvnode-1/processes/2/services/confd'))?.value, '3');
    assert.is((await consul.kv.get('m0conf/nodes/srvnode-1/processes/3/endpoint'))?.value, 'inet:tcp:127.0.0.1@21001');
    const leader = await consul.kv.get('leader');
    assert.ok(leader?.entry.Session, 'the leader key is held by a session');
    const confds = await consul.catalog.service('confd');
    assert.equal(confds.services.map((s) => s.ServiceID), ['2']);
  } finally {
    await agent.stop();
  }
});

test('refuses a missing cluster file and a file that is not a cluster, with exit status 2', async () => {
  const none = await hax('bootstrap', '--cluster', '/nonexistent.yaml', '--consul', 'http://127.0.0.1:1');
  assert.is(none.status, 2, none.stderr);
  assert.is(none.stderr, 'hax bootstrap: cluster file "/nonexistent.yaml" cannot be read: ENOENT [HAX_ERR_BAD_CLUSTER]\n');
  const notCluster = await hax('bootstrap', '--cluster', BIN, '--consul', 'http://127.0.0.1:1');
  assert.is(notCluster.status, 2, notCluster.stderr);
  assert.match(notCluster.stderr, /HAX_ERR_BAD_CLUSTER/);
});

// The descriptions of issue 13: each was written into Consul before.
const node = (procs: string, extra = '') => `nodes:\n  - name: bs-node\n    processes:\n${procs}${extra}`;
const OK_PROCS = '      - {kind: hax, fidk: 1}\n      - {kind: confd, fidk: 2}\n      - {kind: ios, fidk: 3, drives: [/dev/sdb]}\n';
const ISSUE_CASES: [string, string, string][] = [
  ['a duplicate fidk', node('      - {kind: hax, fidk: 1}\n      - {kind: confd, fidk: 1}\n      - {kind: ios, fidk: 3, drives: [/d1]}\n'),
    'nodes[0].processes[1].fidk: 1 is also the fidk of nodes[0].processes[0]; process fids must be unique'],
  ['a negative fidk', node('      - {kind: hax, fidk: -4}\n      - {kind: confd, fidk: 2}\n'), 'nodes[0].processes[0].fidk: must be a whole number from 1 to 9007199254740991, got -4'],
  ['a fidk of 2^64', node('      - {kind: hax, fidk: 18446744073709551616}\n      - {kind: confd}\n'), 'nodes[0].processes[0].fidk: must be a whole number from 1 to 9007199254740991, got 18446744073709552000 (beyond 2^53'],
  ['port 70000', node('      - {kind: hax, port: 70000}\n      - {kind: confd}\n'), 'nodes[0].processes[0].port: must be a whole number from 1 to 65535, got 70000'],
  ['a node named ../../evil', `nodes:\n  - name: ../../evil\n    processes:\n${OK_PROCS}`, 'nodes[0].name: must be a host name'],
  ['a node name with NUL', `nodes:\n  - name: "bs\\0node"\n    processes:\n${OK_PROCS}`, 'nodes[0].name: must be a host name (dot-separated labels of letters, digits, \'-\' and \'_\', at most 253 characters), as Consul node names and KV paths allow, got "bs\\u0000node"'],
  ['a pool drive on an unknown node', node(OK_PROCS, 'pools:\n  - {name: p, drives: ["elsewhere:/dev/sdb"]}\n'), 'pools[0].drives[0]: "elsewhere:/dev/sdb" names node "elsewhere", which the description does not have'],
  ['a cluster without a confd', node('      - {kind: hax}\n      - {kind: ios, drives: [/d1]}\n'), 'nodes: no process is of kind confd'],
  ['an unknown key', node(OK_PROCS.replace('fidk: 3,', 'fidk: 3, disks: 2,')), 'nodes[0].processes[2].disks: unknown key; expected one of kind, fidk, address, port, services, drives'],
];

test('refuses each bad description of issue 13 with exit status 2, one line naming the field, and writes nothing', async () => {
  const agent = await startDevAgent({ nodeName: 'bs-node' });
  try {
    const before = await snapshot(agent);
    for (const [what, text, message] of ISSUE_CASES) {
      const motrConf = join(dir, 'never.cg');
      const r = await hax('bootstrap', '--consul', agent.url, '--cluster', file('bad.yaml', text), '--motr-conf', motrConf);
      assert.is(r.status, 2, `${what}: ${r.stderr}`);
      assert.is(r.stdout, '', what);
      assert.is(r.stderr.split('\n').length, 2, `${what}: one line: ${r.stderr}`);
      assert.match(r.stderr, `hax bootstrap: cluster file "${join(dir, 'bad.yaml')}": ${message}`, what);
      assert.ok(r.stderr.endsWith(' [HAX_ERR_BAD_CLUSTER]\n'), `${what}: ${r.stderr}`);
      assert.is(await snapshot(agent), before, `${what}: Consul is unchanged`);
      assert.throws(() => readFileSync(motrConf), `${what}: no --motr-conf file`);
    }
  } finally {
    await agent.stop();
  }
});

test('names every problem it found, up to three, on the one line', async () => {
  const r = await hax('bootstrap', '--consul', 'http://127.0.0.1:1', '--cluster', file('many.json', JSON.stringify({
    nodes: [{ name: 'a/b', processes: [{ kind: 'hax', fidk: 0, port: 'x' }, { kind: 'nfs' }] }], pool: [],
  })));
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, 'pool: unknown key; expected one of nodes, pools, clientTypes; nodes[0].name: must be a host name');
  assert.match(r.stderr, /nodes\[0\]\.processes\[0\]\.fidk: must be a whole number from 1 to 9007199254740991, got 0 \(and 2 more\) \[HAX_ERR_BAD_CLUSTER\]\n$/);
});

test('the same description again: nothing is rewritten, the epoch, a failed check and the leader session stay', async () => {
  const agent = await startDevAgent({ nodeName: 'srvnode-1' });
  try {
    const consul = new ConsulClient(agent.url);
    const first = await hax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE);
    assert.is(first.status, 0, first.stderr);
    const session = (await consul.kv.get('leader'))!.entry.Session;
    // What a running cluster changes afterwards: hax advances the epoch, a check fails.
    await consul.kv.put('epoch', '17');
    await consul.agent.setCheck('service:3', 'fail', 'ios 3 is down');
    const before = await snapshot(agent);
    const again = await hax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE);
    assert.is(again.status, 0, again.stderr);
    assert.is(again.stderr, '');
    assert.match(again.stdout, `bootstrap: Consul already holds this description (1 node(s), 4 process(es), 49 KV pairs); nothing written, leader srvnode-1 (session ${session}, kept)`);
    assert.is(await snapshot(agent), before, 'Consul is exactly as it was: KV indexes, services, checks');
    assert.is((await consul.kv.get('epoch'))?.value, '17');
    const checks = await (await fetch(`${agent.url}/v1/agent/checks`)).json() as Record<string, { Status: string }>;
    assert.is(checks['service:3']?.Status, 'critical', 'a failed check is not turned back to passing');
  } finally {
    await agent.stop();
  }
});

test('the same description after an interrupted run: only the missing keys, services and leader are written', async () => {
  const agent = await startDevAgent({ nodeName: 'srvnode-1' });
  try {
    const consul = new ConsulClient(agent.url);
    assert.is((await hax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE)).status, 0);
    const complete = (await consul.kv.list('')).entries.filter((e) => e.key !== 'leader').map((e) => [e.key, e.value]);
    const kept = await consul.kv.get('m0conf/nodes/srvnode-1/processes/3/endpoint');
    // As if Consul had gone away part way: half of m0conf/sites and the leader missing.
    await consul.kv.delete('m0conf/sites/0x5300000000000001:0x1/racks/0x6100000000000001:0x1/encls', { recurse: true });
    await consul.kv.delete('leader');
    const r = await hax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^bootstrap: Consul already held this description in part; wrote the 6 missing KV pair\(s\) of 49, registered 0 missing service\(s\), leader srvnode-1 \(session [0-9a-f-]{36}\); nothing else was changed\n$/);
    assert.equal((await consul.kv.list('')).entries.filter((e) => e.key !== 'leader').map((e) => [e.key, e.value]), complete, 'the same KV as one whole run');
    assert.is((await consul.kv.get('m0conf/nodes/srvnode-1/processes/3/endpoint'))?.entry.ModifyIndex, kept?.entry.ModifyIndex, 'a key that was there is not rewritten');
    const leader = await consul.kv.get('leader');
    assert.is(leader?.value, 'srvnode-1');
    assert.ok(leader?.entry.Session, 'the leader key is held again');
  } finally {
    await agent.stop();
  }
});

test('another description on a seeded Consul is refused, naming what is there, and nothing is written', async () => {
  const agent = await startDevAgent({ nodeName: 'srvnode-1' });
  try {
    assert.is((await hax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE)).status, 0);
    const before = await snapshot(agent);
    const cases: [string, string, RegExp][] = [
      ['a port changed', readFileSync(EXAMPLE, 'utf8').replace('port: 21002', 'port: 21003'),
        /1 node\(s\) \(srvnode-1\), 49 bootstrap key\(s\), epoch "1", leader "srvnode-1" held by node srvnode-1, description sha256:[0-9a-f]{12}…; 3 key\(s\) or service\(s\) differ \(first: "m0conf\/nodes\/srvnode-1\/processes\/4\/endpoint": Consul has "inet:tcp:127.0.0.1@21002", the description gives "inet:tcp:127.0.0.1@21003"\)/],
      ['a drive fewer', readFileSync(EXAMPLE, 'utf8').replace('drives: [/dev/sdd, /dev/sde]', 'drives: [/dev/sdd]').replace(', srvnode-1:/dev/sde]', ']'),
        /key\(s\) are not in the description/],
      // Only adds keys: told from the same description with keys missing by the digest bootstrap recorded.
      ['a drive more', readFileSync(EXAMPLE, 'utf8').replace('drives: [/dev/sdd, /dev/sde]', 'drives: [/dev/sdd, /dev/sde, /dev/sdf]'),
        /the description adds 2 key\(s\) \(first: "m0conf\/nodes\/0x6e00000000000001:0x1\/processes\/0x7200000000000001:0x4\/services\/0x7300000000000001:0x7\/sdevs\/0x6400000000000001:0x5"\)/],
      ['another node name', readFileSync(EXAMPLE, 'utf8').replaceAll('srvnode-1', 'srvnode-9'), /Consul has "\{\\"name\\": \\"srvnode-1\\".*and 18 key\(s\) are not in the description \(first: "m0conf\/nodes\/srvnode-1\/processes\/1\/endpoint"\)/],
    ];
    for (const [what, text, message] of cases) {
      const r = await hax('bootstrap', '--consul', agent.url, '--cluster', file('other.yaml', text), '--motr-conf', join(dir, 'other.cg'));
      assert.is(r.status, 1, `${what}: ${r.stderr}`);
      assert.is(r.stdout, '');
      assert.is(r.stderr.split('\n').length, 2, `${what}: one line`);
      assert.match(r.stderr, `hax bootstrap: Consul at ${agent.url} already holds another cluster: `);
      assert.match(r.stderr, message, what);
      assert.match(r.stderr, /Nothing was written\. .* \[HAX_ERR_CLUSTER_EXISTS\]\n$/);
      assert.is(await snapshot(agent), before, `${what}: Consul is unchanged`);
      assert.throws(() => readFileSync(join(dir, 'other.cg')), `${what}: no --motr-conf file`);
    }
  } finally {
    await agent.stop();
  }
});

test('a Consul seeded before bootstrap recorded its description: the same one is recognised and recorded, another refused', async () => {
  const agent = await startDevAgent({ nodeName: 'srvnode-1' });
  try {
    const consul = new ConsulClient(agent.url);
    await seedCluster(consul, readClusterFile(EXAMPLE), 'srvnode-1');
    assert.is(await consul.kv.get(BOOTSTRAP_KEY), undefined);
    const before = (await consul.kv.list('')).entries.map((e) => [e.key, e.value, e.entry.ModifyIndex]);
    const other = await hax('bootstrap', '--consul', agent.url, '--cluster', file('other.yaml', readFileSync(EXAMPLE, 'utf8').replace('port: 21002', 'port: 21003')));
    assert.is(other.status, 1, other.stderr);
    assert.match(other.stderr, /3 key\(s\) or service\(s\) differ.*\[HAX_ERR_CLUSTER_EXISTS\]/);
    const same = await hax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE);
    assert.is(same.status, 0, same.stderr);
    assert.match(same.stdout, 'wrote the 0 missing KV pair(s) of 49, registered 0 missing service(s), leader srvnode-1');
    const after = (await consul.kv.list('')).entries;
    assert.equal(after.filter((e) => e.key !== BOOTSTRAP_KEY).map((e) => [e.key, e.value, e.entry.ModifyIndex]), before, 'nothing but the record was written');
    assert.match(after.find((e) => e.key === BOOTSTRAP_KEY)!.value, /^\{"description":"sha256:[0-9a-f]{64}","kvPairs":49,"services":4\}$/);
  } finally {
    await agent.stop();
  }
});

test('--leader must be the agent\'s node of the description; flags are given once', async () => {
  const agent = await startDevAgent({ nodeName: 'srvnode-1' });
  try {
    const before = await snapshot(agent);
    const other = await hax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE, '--leader', 'srvnode-2');
    assert.is(other.status, 2, other.stderr);
    assert.is(other.stderr, 'hax bootstrap: --leader "srvnode-2" is not a node of the description (srvnode-1) [HAX_ERR_BAD_VALUE]\n');
    const bad = await hax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE, '--leader', 'a/b');
    assert.is(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, '--leader "a/b" is not a node name [HAX_ERR_BAD_VALUE]');
    const twice = await hax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE, '--cluster', '/etc/hostname');
    assert.is(twice.status, 2, twice.stderr);
    assert.is(twice.stderr, "hax bootstrap: --cluster is given more than once; see 'hax bootstrap --help' [HAX_ERR_USAGE]\n");
    assert.is(await snapshot(agent), before, 'Consul is unchanged');
    const ok = await hax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE, '--leader', 'srvnode-1');
    assert.is(ok.status, 0, ok.stderr);
  } finally {
    await agent.stop();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
