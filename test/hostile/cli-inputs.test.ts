// Hostile command-line input: a table of invocations of `hax bootstrap`
// (bad cluster files of every kind: wrong types and ranges everywhere,
// duplicates, names that are paths, alias bombs, huge, binary, non-UTF-8,
// deep nesting, duplicate keys, files that never end; bad flags; a second
// bootstrap on a seeded Consul), `hax consul-config`, the other commands'
// value flags, and issue 13's command-line defects (values echoed raw, an
// unknown command without a code, codec input over 1 MiB, sim fids past
// 2^64 and an address where nothing listens, token files that never end,
// fetch's "bad port"). Each case asserts the exit status (2 for bad input, or the
// documented one), the documented error code on one stderr line, no stack
// trace, no --motr-conf file, and that two real Consul agents (one empty,
// one holding docs/examples/cluster.yaml) are exactly as they were: KV with
// its indexes and sessions, services, checks, sessions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startDevAgent, type DevAgent } from '../../src/consul/dev-agent.ts';
import { loadCluster } from '../../src/bootstrap/validate.ts';
import { HAX_BIN } from '../helpers/cli.ts';
import { agentSettled } from '../helpers/agent-settled.ts';

const EXAMPLE = new URL('../../docs/examples/cluster.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hax-hostile-cli-'));
const MOTR_OUT = join(dir, 'never-written.cg');
const NODE = 'hx-node';

// ---- the description every bad one is made from (valid, --motr-conf included: checked below) ----
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const base = (): Obj => ({
  nodes: [{
    name: NODE, processes: [
      { kind: 'hax', fidk: 1, port: 22001 }, { kind: 'confd', fidk: 2, port: 22002 },
      { kind: 'ios', fidk: 3, port: 21001, drives: ['/dev/sdb', '/dev/sdc'] },
    ],
  }],
  pools: [{ name: 'tier', drives: [`${NODE}:/dev/sdb`, `${NODE}:/dev/sdc`] }],
});
const edit = (f: (c: Obj) => void): Obj => { const c = base(); f(c); return c; };
const proc = (c: Obj, j: number): Obj => c.nodes[0].processes[j];

let fileNo = 0;
/** Writes a case's file; objects as YAML (or JSON with ext 'json'), text and bytes as they are. */
function caseFile(content: Obj | string | Buffer, ext = 'yaml'): string {
  const p = join(dir, `case-${++fileNo}.${ext}`);
  writeFileSync(p, Buffer.isBuffer(content) || typeof content === 'string' ? content : ext === 'json' ? JSON.stringify(content) : stringify(content));
  return p;
}

interface Ctx { empty: DevAgent; seeded: DevAgent }
interface Case {
  what: string;
  args: (ctx: Ctx) => string[];
  /** expected exit status */
  status: number;
  /** the documented code stderr must carry; null: stderr must be empty */
  code: string | null;
  /** what the line must also say (the field, the reason) */
  says?: string | RegExp;
  stdin?: string | Buffer;
}
const cases: Case[] = [];

/** `hax bootstrap` of a bad description into the empty agent, with --motr-conf: exit 2, HAX_ERR_BAD_CLUSTER. */
function badFile(what: string, content: Obj | string | Buffer | (() => string), says: string | RegExp, ext = 'yaml'): void {
  let path: string | undefined;
  cases.push({
    what: `bootstrap: ${what}`, status: 2, code: 'HAX_ERR_BAD_CLUSTER', says,
    args: (ctx) => ['bootstrap', '--consul', ctx.empty.url, '--cluster', path ??= typeof content === 'function' ? content() : caseFile(content, ext), '--motr-conf', MOTR_OUT],
  });
}

// -- issue 13's files --
badFile('a duplicate fidk', edit((c) => { proc(c, 1).fidk = 1; }), 'nodes[0].processes[1].fidk: 1 is also the fidk of nodes[0].processes[0]');
badFile('a negative fidk', edit((c) => { proc(c, 0).fidk = -4; }), 'nodes[0].processes[0].fidk: must be a whole number from 1 to 9007199254740991, got -4');
badFile('fidk 2^64', stringify(base()).replace('fidk: 1\n', 'fidk: 18446744073709551616\n'), 'nodes[0].processes[0].fidk: must be a whole number from 1 to 9007199254740991, got 18446744073709552000');
badFile('fidk 0', edit((c) => { proc(c, 0).fidk = 0; }), 'nodes[0].processes[0].fidk: must be a whole number from 1');
badFile('fidk 1.5', edit((c) => { proc(c, 0).fidk = 1.5; }), 'nodes[0].processes[0].fidk: must be a whole number from 1 to 9007199254740991, got 1.5');
badFile('fidk as a string', edit((c) => { proc(c, 0).fidk = '1'; }), 'nodes[0].processes[0].fidk: must be a whole number from 1 to 9007199254740991, got "1"', 'json');
badFile('fidk as a list', edit((c) => { proc(c, 0).fidk = [1]; }), 'nodes[0].processes[0].fidk: must be a whole number from 1 to 9007199254740991, got a list');
badFile('fidk null', stringify(base()).replace('fidk: 1\n', 'fidk: null\n'), 'nodes[0].processes[0].fidk: must be a whole number from 1 to 9007199254740991, got nothing');
badFile('port 70000', edit((c) => { proc(c, 0).port = 70000; }), 'nodes[0].processes[0].port: must be a whole number from 1 to 65535, got 70000');
badFile('port 0', edit((c) => { proc(c, 0).port = 0; }), 'nodes[0].processes[0].port: must be a whole number from 1 to 65535, got 0');
badFile('port as a string', edit((c) => { proc(c, 2).port = '21001'; }), 'nodes[0].processes[2].port: must be a whole number from 1 to 65535, got "21001"', 'json');
badFile('port .inf', stringify(base()).replace('port: 22001', 'port: .inf'), 'nodes[0].processes[0].port: must be a whole number from 1 to 65535, got Infinity');
badFile('a node named ../../evil', edit((c) => { c.nodes[0].name = '../../evil'; }), 'nodes[0].name: must be a host name');
badFile('a node name with NUL', edit((c) => { c.nodes[0].name = 'hx\u0000node'; }), 'nodes[0].name: must be a host name (dot-separated labels of letters, digits, \'-\' and \'_\', at most 253 characters), as Consul node names and KV paths allow, got "hx\\u0000node"', 'json');
badFile('a node name with a slash', edit((c) => { c.nodes[0].name = 'a/b'; }), 'nodes[0].name: must be a host name');
badFile('a node name with a colon', edit((c) => { c.nodes[0].name = 'hx-node:8500'; }), 'nodes[0].name: must be a host name');
badFile('a node name with a newline', edit((c) => { c.nodes[0].name = 'hx\nnode'; }), 'got "hx\\nnode"', 'json');
badFile('an empty node name', edit((c) => { c.nodes[0].name = ''; }), 'nodes[0].name: must be a host name');
badFile('the node name "."', edit((c) => { c.nodes[0].name = '.'; }), 'nodes[0].name: must be a host name');
badFile('a node name of 1 MiB (the message stays short)', edit((c) => { c.nodes[0].name = 'n'.repeat(1 << 20); }), /nodes\[0\]\.name: must be a host name .*, got "n{60}…"/);
badFile('a node name that is a number', edit((c) => { c.nodes[0].name = 42; }), 'nodes[0].name: must be a host name (dot-separated labels of letters, digits, \'-\' and \'_\', at most 253 characters), as Consul node names and KV paths allow, got 42');
badFile('two nodes whose names differ only in case', edit((c) => { c.nodes.push({ name: 'HX-NODE', address: 'inet:tcp:127.0.0.2', processes: [{ kind: 'hax', fidk: 9 }] }); }), 'nodes[1].name: "HX-NODE" is also the name of nodes[0]');
badFile('a pool drive on an unknown node', edit((c) => { c.pools[0].drives[1] = 'elsewhere:/dev/sdc'; }), 'pools[0].drives[1]: "elsewhere:/dev/sdc" names node "elsewhere", which the description does not have');
badFile('a pool drive with an unknown path', edit((c) => { c.pools[0].drives[0] = `${NODE}:/dev/sdz`; }), `pools[0].drives[0]: "${NODE}:/dev/sdz" names no drive of an ios process of node ${NODE}`);
badFile('a pool drive that is not node:path', edit((c) => { c.pools[0].drives[0] = 'sdb'; }), 'pools[0].drives[0]: must be a drive as node:path');
badFile('a pool drive listed twice', edit((c) => { c.pools[0].drives[1] = `${NODE}:/dev/sdb`; }), `pools[0].drives[1]: "${NODE}:/dev/sdb" is listed twice`);
badFile('a cluster without a confd', edit((c) => { c.nodes[0].processes.splice(1, 1); }), 'nodes: no process is of kind confd');
badFile('a node with two hax processes', edit((c) => { c.nodes[0].processes.push({ kind: 'hax', fidk: 4, port: 22009 }); }), `nodes[0].processes: node ${NODE} has 2 hax processes`);
badFile('a node with processes and no hax', edit((c) => { c.nodes.push({ name: 'hx-node-2', address: 'inet:tcp:127.0.0.2', processes: [{ kind: 'confd', fidk: 7 }] }); }), 'nodes[1].processes: node hx-node-2 has Motr processes but no hax process');
// -- unknown keys, named --
badFile('an unknown top-level key', edit((c) => { c.pool = []; }), 'pool: unknown key; expected one of nodes, pools, clientTypes');
badFile('an unknown process key', edit((c) => { proc(c, 2).disks = 2; }), 'nodes[0].processes[2].disks: unknown key; expected one of kind, fidk, address, port, services, drives');
badFile('an unknown node key', edit((c) => { c.nodes[0].host = 'x'; }), 'nodes[0].host: unknown key; expected one of name, address, processes, cpus, memsizeMB');
badFile('an unknown drive key', edit((c) => { proc(c, 2).drives[0] = { path: '/dev/sdb', sizee: 1 }; }), 'nodes[0].processes[2].drives[0].sizee: unknown key; expected one of path, size, blksize');
badFile('an unknown pool key', edit((c) => { c.pools[0].parity = 1; }), 'pools[0].parity: unknown key');
badFile('a key that is __proto__', '{"__proto__": {"nodes": []}, "nodes": []}', '__proto__: unknown key; expected one of nodes, pools, clientTypes', 'json');
badFile('a YAML merge key', `${stringify(base())}extra: &x {a: 1}\n`, 'extra: unknown key');
badFile('a YAML key that is a list', `? [a, b]\n: 1\n${stringify(base())}`, /"?\[ ?a, b ?\]"?: unknown key/);
// -- wrong types and ranges everywhere --
badFile('an unknown process kind', edit((c) => { proc(c, 2).kind = 'nfs'; }), 'nodes[0].processes[2].kind: must be one of hax, confd, ios, client, got "nfs"');
badFile('a process without a kind', edit((c) => { delete proc(c, 2).kind; }), 'nodes[0].processes[2].kind: must be one of hax, confd, ios, client, got nothing');
badFile('a process that is a string', edit((c) => { c.nodes[0].processes[2] = 'ios'; }), 'nodes[0].processes[2]: must be a mapping');
badFile('processes that are a mapping', edit((c) => { c.nodes[0].processes = { hax: 1 }; }), 'nodes[0].processes: must be a list, got a mapping');
badFile('a node without processes', edit((c) => { delete c.nodes[0].processes; }), 'nodes[0].processes: is missing');
badFile('a relative drive path', edit((c) => { proc(c, 2).drives[0] = 'dev/sdb'; c.pools[0].drives[0] = `${NODE}:/dev/sdc`; }), 'nodes[0].processes[2].drives[0]: must be an absolute path, got "dev/sdb"');
badFile('a drive path with ..', edit((c) => { proc(c, 2).drives[0] = '/dev/../etc/passwd'; }), 'nodes[0].processes[2].drives[0]: must hold no \'.\' or \'..\' segment');
badFile('a drive path with NUL', edit((c) => { proc(c, 2).drives[0] = '/dev/sd\u0000b'; }), 'nodes[0].processes[2].drives[0]: must hold no NUL, control character or quote, got "/dev/sd\\u0000b"', 'json');
badFile('a drive path with a quote', edit((c) => { proc(c, 2).drives[0] = '/dev/"sdb'; }), 'nodes[0].processes[2].drives[0]: must hold no NUL, control character or quote');
badFile('an empty drive path', edit((c) => { proc(c, 2).drives[0] = ''; }), 'nodes[0].processes[2].drives[0]: must be 1 to 4096 characters');
badFile('a drive that is a number', edit((c) => { proc(c, 2).drives[0] = 7; }), 'nodes[0].processes[2].drives[0]: must be a drive path (absolute, e.g. /dev/sdb), got 7');
badFile('a drive size of -1', edit((c) => { proc(c, 2).drives[0] = { path: '/dev/sdb', size: -1 }; }), 'nodes[0].processes[2].drives[0].size: must be a whole number from 0');
badFile('drives on a hax', edit((c) => { proc(c, 0).drives = ['/dev/sdx']; }), 'nodes[0].processes[0].drives: only an ios process has drives, this is a hax');
badFile('a drive twice on one node', edit((c) => { c.nodes[0].processes.push({ kind: 'ios', fidk: 4, port: 21002, drives: ['/dev/sdb'] }); }), 'nodes[0].processes[3].drives[0]: drive "/dev/sdb" appears twice on node hx-node');
badFile('two processes on one endpoint', edit((c) => { proc(c, 1).port = 22001; }), 'nodes[0].processes[1].port: endpoint inet:tcp:127.0.0.1@22001 is also that of nodes[0].processes[0]');
badFile('a default port taken by a given one', edit((c) => { delete proc(c, 1).port; proc(c, 0).port = 22002; }), 'nodes[0].processes[1].port: endpoint inet:tcp:127.0.0.1@22002 (the default port) is also that of nodes[0].processes[0]');
badFile('an address that is a URL', edit((c) => { c.nodes[0].address = 'tcp://10.0.0.1'; }), 'nodes[0].address: must be a Motr address without the port, like inet:tcp:192.168.1.10, got "tcp://10.0.0.1"');
badFile('an address with a port', edit((c) => { proc(c, 0).address = 'inet:tcp:10.0.0.1@22001'; }), 'nodes[0].processes[0].address: must be a Motr address without the port');
badFile('a service listed twice', edit((c) => { proc(c, 2).services = ['ios', 'rms', 'ios']; }), 'nodes[0].processes[2].services[2]: "ios" is listed twice');
badFile('a service key that is not a number', edit((c) => { proc(c, 0).services = { ha: 'one', rms: 2 }; }), 'nodes[0].processes[0].services.ha: must be a whole number from 1 to 9007199254740991, got "one"');
badFile('a service key used twice', edit((c) => { proc(c, 0).services = { ha: 5, rms: 6 }; proc(c, 1).services = { confd: 7, rms: 6 }; }), 'nodes[0].processes[1].services.rms: service key 6 is also that of nodes[0].processes[0].services.rms');
badFile('a service type that is a path', edit((c) => { proc(c, 2).services = ['ios', '../rms']; }), 'nodes[0].processes[2].services[1]: must be a service type');
badFile('services that are a number', edit((c) => { proc(c, 2).services = 3; }), 'nodes[0].processes[2].services: must be a list of service types or a mapping of service type to key, got 3');
badFile('client types that are a string', edit((c) => { c.clientTypes = 'm0_client_other'; }), 'clientTypes: must be a list, got "m0_client_other"');
badFile('an empty pool list', edit((c) => { c.pools = []; }), 'pools: must hold 1 to 1000 entries, got 0');
badFile('a pool without a name', edit((c) => { delete c.pools[0].name; }), 'pools[0].name: must be a name of 1 to 253 characters');
badFile('dataUnits 0', edit((c) => { c.pools[0].dataUnits = 0; }), 'pools[0].dataUnits: must be a whole number from 1 to 1024, got 0');
badFile('parityUnits as a string', edit((c) => { c.pools[0].parityUnits = '1'; }), 'pools[0].parityUnits: must be a whole number from 0 to 1024, got "1"');
badFile('two pools of one name', edit((c) => { c.pools[0].drives = [`${NODE}:/dev/sdb`]; c.pools.push({ name: 'tier', drives: [`${NODE}:/dev/sdc`] }); }), 'pools[1].name: "tier" is the name of another pool too');
badFile('cpus 0', edit((c) => { c.nodes[0].cpus = 0; }), 'nodes[0].cpus: must be a whole number from 1 to 65536, got 0');
badFile('memsizeMB 1.5', edit((c) => { c.nodes[0].memsizeMB = 1.5; }), 'nodes[0].memsizeMB: must be a whole number from 1');
badFile('an empty node list', edit((c) => { c.nodes = []; }), 'nodes: must hold 1 to 10000 entries, got 0');
badFile('no nodes key', { pools: [] }, 'nodes: is missing');
badFile('nodes that are a mapping', { nodes: { [NODE]: {} } }, 'nodes: must be a list, got a mapping');
badFile('a description that is a list', '[1, 2, 3]\n', 'must be a mapping (nodes, pools, clientTypes), got a list');
badFile('a description that is a string', 'hello\n', 'must be a mapping (nodes, pools, clientTypes), got "hello"');
badFile('an empty file', '', 'must be a mapping (nodes, pools, clientTypes), got nothing');
// -- the file itself --
badFile('a billion-laughs alias bomb', [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]', 'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]', 'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  'nodes: [*g]', ''].join('\n'), 'is not valid YAML: it expands aliases more than 100 times');
badFile('YAML nested 100000 deep', `nodes: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 'is not valid YAML: it is nested too deeply');
badFile('JSON nested 100000 deep', `{"nodes": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'nodes[0]: must be a mapping (name, address, processes, cpus, memsizeMB), got a list', 'json');
badFile('a 5 MiB file', () => caseFile(`${stringify(base())}# ${'x'.repeat(5 << 20)}\n`), /is \d+ bytes; a description is at most 4194304/);
badFile('binary data', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256)), /is not UTF-8 text|holds a control character/);
badFile('a NUL byte in the text', Buffer.concat([Buffer.from(stringify(base())), Buffer.from([0]), Buffer.from('\n')]), /holds a control character \(0x00\) at line \d+/);
badFile('Latin-1 text (not UTF-8)', Buffer.from(stringify(base()).replace('hx-node', 'hx-n\u00e9ud'), 'latin1'), 'is not UTF-8 text');
badFile('a duplicate YAML key', stringify(base()).replace('fidk: 1\n', 'fidk: 1\n        fidk: 5\n'), 'is not valid YAML: Map keys must be unique');
badFile('a duplicate JSON key', JSON.stringify(base()).replace('"fidk":1', '"fidk":1,"fidk":5'), 'is not a valid description: the key "fidk" appears twice in one object', 'json');
badFile('two YAML documents', `${stringify(base())}---\n${stringify(base())}`, 'is not valid YAML: it holds 2 documents; a description is one');
badFile('an unknown YAML tag', stringify(base()).replace('name: hx-node', 'name: !!js/function "function () {}"'), /is not valid YAML: .*tag/i);
badFile('a !!binary drive', stringify(base()).replace('- /dev/sdb\n', '- !!binary L2Rldi9zZGI=\n'), 'nodes[0].processes[2].drives[0]: must be a drive path (absolute, e.g. /dev/sdb), got binary data');
badFile('broken JSON', '{"nodes": [', 'is not valid JSON', 'json');
badFile('broken YAML', 'nodes: [ {name: a\n', 'is not valid YAML');
badFile('a directory', () => { mkdirSync(join(dir, 'a-dir.yaml')); return join(dir, 'a-dir.yaml'); }, 'is not a regular file');
badFile('/dev/zero (never ends)', () => '/dev/zero', 'cluster file "/dev/zero" is not a regular file');
badFile('a FIFO (would block)', () => { const p = join(dir, 'fifo.yaml'); assert.is(spawnSync('mkfifo', [p]).status, 0); return p; }, 'is not a regular file');
badFile('a file that does not exist', () => join(dir, 'nowhere.yaml'), 'cannot be read: ENOENT');
badFile('what m0d needs for --motr-conf (DIX)', edit((c) => { proc(c, 2).services = ['ios', 'rms', 'cas']; }), "the cluster description lacks what Motr's m0d needs for --motr-conf: service cas of process 0x7200000000000001:0x3 (ios on hx-node): DIX");

// -- a second bootstrap on a seeded Consul (docs/examples/cluster.yaml) --
cases.push({
  what: 'bootstrap: the same description again (idempotent: nothing written)', status: 0, code: null,
  args: (ctx) => ['bootstrap', '--consul', ctx.seeded.url, '--cluster', EXAMPLE],
});
const escapeRe = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ANOTHER: [string, string, string, string][] = [
  ['a port changed', 'port: 21002', 'port: 21003', '3 key(s) or service(s) differ (first: "m0conf/nodes/srvnode-1/processes/4/endpoint": Consul has "inet:tcp:127.0.0.1@21002", the description gives "inet:tcp:127.0.0.1@21003")'],
  ['a fidk changed', 'fidk: 4', 'fidk: 5', '9 key(s) are not in the description (first: "m0conf/nodes/0x6e00000000000001:0x1/processes/0x7200000000000001:0x4") and the description adds 9 key(s) (first: "m0conf/nodes/0x6e00000000000001:0x1/processes/0x7200000000000001:0x5")'],
  // Only adds keys: told from an interrupted run of the same description by the description's digest bootstrap recorded.
  ['a drive added', '[/dev/sdd, /dev/sde]', '[/dev/sdd, /dev/sde, /dev/sdf]', 'the description adds 2 key(s) (first: "m0conf/nodes/0x6e00000000000001:0x1/processes/0x7200000000000001:0x4/services/0x7300000000000001:0x7/sdevs/0x6400000000000001:0x5")'],
];
for (const [what, from, to, diff] of ANOTHER) {
  let path: string | undefined;
  cases.push({
    what: `bootstrap: another description on a seeded Consul (${what})`, status: 1, code: 'HAX_ERR_CLUSTER_EXISTS',
    says: new RegExp(`already holds another cluster: 1 node\\(s\\) \\(srvnode-1\\), 49 bootstrap key\\(s\\), epoch "1", leader "srvnode-1" held by node srvnode-1, description sha256:[0-9a-f]{12}…; ${escapeRe(diff)}\\. Nothing was written\\.`),
    args: (ctx) => ['bootstrap', '--consul', ctx.seeded.url, '--cluster', path ??= caseFile(readFileSync(EXAMPLE, 'utf8').replace(from, to)), '--motr-conf', MOTR_OUT],
  });
}
// -- bootstrap's flags --
/** A dangling symlink (existsSync follows it, so it is made once by name). */
let linked = false;
const link = () => { const p = join(dir, 'link.json'); if (!linked) { symlinkSync(join(dir, 'elsewhere.json'), p); linked = true; } return p; };
const flagCase = (what: string, args: (ctx: Ctx) => string[], status: number, code: string, says: string | RegExp) => cases.push({ what, args, status, code, says });
flagCase('bootstrap: --consul that is not a URL', () => ['bootstrap', '--consul', 'http://[::', '--cluster', EXAMPLE], 2, 'HAX_ERR_BAD_VALUE', '--consul "http://[::" is not a URL');
flagCase('bootstrap: --consul with a path', () => ['bootstrap', '--consul', 'http://127.0.0.1:8500/v1/kv', '--cluster', EXAMPLE], 2, 'HAX_ERR_BAD_VALUE', 'must be http(s)://HOST:PORT with no path');
flagCase('bootstrap: --leader that is a path', (c) => ['bootstrap', '--consul', c.seeded.url, '--cluster', EXAMPLE, '--leader', '../x'], 2, 'HAX_ERR_BAD_VALUE', '--leader "../x" is not a node name');
flagCase('bootstrap: --leader not in the description', (c) => ['bootstrap', '--consul', c.seeded.url, '--cluster', EXAMPLE, '--leader', 'srvnode-7'], 2, 'HAX_ERR_BAD_VALUE', '--leader "srvnode-7" is not a node of the description (srvnode-1)');
flagCase('bootstrap: --cluster twice', (c) => ['bootstrap', '--consul', c.empty.url, '--cluster', EXAMPLE, '--cluster', EXAMPLE], 2, 'HAX_ERR_USAGE', '--cluster is given more than once');
flagCase('bootstrap: no --cluster', (c) => ['bootstrap', '--consul', c.empty.url], 2, 'HAX_ERR_USAGE', /^hax bootstrap: --cluster FILE is required/);
flagCase('bootstrap: an unknown flag', (c) => ['bootstrap', '--consul', c.empty.url, '--cluster', EXAMPLE, '--force'], 2, 'HAX_ERR_USAGE', /^hax bootstrap: unknown option "--force"; see 'hax bootstrap --help'/);
flagCase('bootstrap: a stray argument', (c) => ['bootstrap', '--consul', c.empty.url, EXAMPLE], 2, 'HAX_ERR_USAGE', 'unexpected argument "/');
flagCase('bootstrap: --motr-conf that is a directory', (c) => ['bootstrap', '--consul', c.seeded.url, '--cluster', EXAMPLE, '--motr-conf', dir], 2, 'HAX_ERR_BAD_VALUE', 'is a directory');
flagCase('bootstrap: --motr-conf that is the cluster file', (c) => ['bootstrap', '--consul', c.seeded.url, '--cluster', EXAMPLE, '--motr-conf', EXAMPLE], 2, 'HAX_ERR_BAD_VALUE', 'is the cluster file itself');
flagCase('bootstrap: --motr-conf that is a symlink', (c) => ['bootstrap', '--consul', c.seeded.url, '--cluster', EXAMPLE, '--motr-conf', link()], 2, 'HAX_ERR_BAD_VALUE', 'is a symbolic link');
flagCase('bootstrap: --motr-conf in a missing directory', (c) => ['bootstrap', '--consul', c.seeded.url, '--cluster', EXAMPLE, '--motr-conf', join(dir, 'nope', 'x.cg')], 2, 'HAX_ERR_BAD_VALUE', 'cannot be written: ENOENT');
flagCase('bootstrap: a Consul that does not answer (documented exit 1)', () => ['bootstrap', '--consul', 'http://127.0.0.1:9', '--cluster', EXAMPLE], 1, 'HAX_ERR_CONSUL_UNREACHABLE', 'is the agent at http://127.0.0.1:9 running?');
// -- consul-config --
flagCase('consul-config: --out a symlink', () => ['consul-config', '--out', link()], 2, 'HAX_ERR_BAD_VALUE', 'is a symbolic link');
flagCase('consul-config: --out a directory', () => ['consul-config', '--out', dir], 2, 'HAX_ERR_BAD_VALUE', 'is a directory');
flagCase('consul-config: --out in a missing directory', () => ['consul-config', '--out', join(dir, 'nope', 'w.json')], 2, 'HAX_ERR_BAD_VALUE', 'cannot be written: ENOENT');
flagCase('consul-config: --out a device', () => ['consul-config', '--out', '/dev/full'], 2, 'HAX_ERR_BAD_VALUE', 'is not a regular file');
flagCase('consul-config: --token-file /dev/zero', () => ['consul-config', '--token-file', '/dev/zero'], 2, 'HAX_ERR_BAD_VALUE', 'is not a regular file');
flagCase('consul-config: a binary token file', () => ['consul-config', '--token-file', caseFile(Buffer.from([0, 1, 2, 255, 254, 0, 9, 9, 9, 9]), 'bin')], 2, 'HAX_ERR_BAD_VALUE', 'the HTTP token must be 8 to 4096 printable characters');
flagCase('consul-config: a service named twice', () => ['consul-config', '--services', 'ios,ios'], 2, 'HAX_ERR_BAD_VALUE', 'names ios twice');
flagCase('consul-config: a service name with a newline', () => ['consul-config', '--services', 'ios\nconfd'], 2, 'HAX_ERR_BAD_VALUE', '--services "ios\\nconfd" must be comma-separated Consul service names');
flagCase('consul-config: --http port 99999', () => ['consul-config', '--http', '127.0.0.1:99999'], 2, 'HAX_ERR_BAD_VALUE', 'is not HOST:PORT');
flagCase('consul-config: --out twice', () => ['consul-config', '--out', join(dir, 'a.json'), '--out', join(dir, 'b.json')], 2, 'HAX_ERR_USAGE', '--out is given more than once');
// -- the other commands' values --
flagCase('status: --http port 99999', () => ['status', '--http', '127.0.0.1:99999'], 2, 'HAX_ERR_BAD_VALUE', '--http "127.0.0.1:99999" is not HOST:PORT');
flagCase('status: --http without a port', () => ['status', '--http', 'localhost'], 2, 'HAX_ERR_BAD_VALUE', 'is not HOST:PORT');
flagCase('codec: an unknown --kind', () => ['codec', 'decode', '--kind', 'evil'], 2, 'HAX_ERR_BAD_VALUE', '--kind "evil" is not one of');
flagCase('codec: no --kind', () => ['codec', 'decode', '00'], 2, 'HAX_ERR_USAGE', '--kind is required');
flagCase('codec: an unknown action', () => ['codec', 'transmogrify'], 2, 'HAX_ERR_USAGE', 'unknown action "transmogrify"');
flagCase('codec: two inputs', () => ['codec', 'decode', '--kind', 'msg', 'aa', 'bb'], 2, 'HAX_ERR_USAGE', 'one input expected, got 2');
flagCase('codec: hex that is not hex (documented exit 1)', () => ['codec', 'decode', '--kind', 'msg', 'zz'], 1, 'HAX_ERR_CODEC_HEX', 'not hex: "z"');
flagCase('codec: an odd number of hex digits (documented exit 1)', () => ['codec', 'decode', '--kind', 'msg', 'abc'], 1, 'HAX_ERR_CODEC_HEX', 'odd number of hex digits (3)');
cases.push({ what: 'codec: JSON nested 200000 deep on stdin (documented exit 1)', args: () => ['codec', 'encode', '--kind', 'msg', '-'], stdin: '['.repeat(200_000), status: 1, code: 'HAX_ERR_XCODE_JSON_SYNTAX', says: 'nesting too deep' });
cases.push({ what: 'codec: binary garbage on stdin (documented exit 1)', args: () => ['codec', 'decode', '--kind', 'link-msg', '-'], stdin: Buffer.from([1, 2, 3]), status: 1, code: 'HAX_ERR_XCODE_TRUNCATED' });
flagCase('sim: --processes 0', () => ['sim', '--processes', '0'], 2, 'HAX_ERR_BAD_VALUE', '--processes "0" must be a whole number from 1 to 10000');
flagCase('sim: --processes 1e9', () => ['sim', '--processes', '1e9'], 2, 'HAX_ERR_BAD_VALUE', '--processes "1e9" must be a whole number');
flagCase('sim: --first-fid of a service', () => ['sim', '--first-fid', '0x7300000000000001:0x1'], 2, 'HAX_ERR_BAD_VALUE', 'is not a process fid');
flagCase('sim: --first-fid over 64 bits', () => ['sim', '--first-fid', '0x7200000000000001:0x10000000000000000'], 2, 'HAX_ERR_BAD_VALUE', 'is not a process fid');
flagCase('sim: --connect udp', () => ['sim', '--connect', 'udp:1.2.3.4:5'], 2, 'HAX_ERR_BAD_VALUE', 'is neither tcp:HOST:PORT nor unix:PATH');
flagCase('sim: --scenario unknown', () => ['sim', '--scenario', 'm0evil'], 2, 'HAX_ERR_BAD_VALUE', '--scenario "m0evil" must be one of m0d, m0mkfs');
flagCase('sim: --pool that is not a fid', () => ['sim', '--pool', 'the pool'], 2, 'HAX_ERR_BAD_VALUE', 'is not a pool fid');
flagCase('sim: --flush-timeout 99999', () => ['sim', '--flush-timeout', '99999'], 2, 'HAX_ERR_BAD_VALUE', 'must be a whole number from 1 to 3600');
flagCase('demo: --for 0', () => ['demo', '--for', '0'], 2, 'HAX_ERR_BAD_VALUE', '--for "0" must be a whole number from 1 to 86400');
flagCase('demo: --for 10^20', () => ['demo', '--for', '100000000000000000000'], 2, 'HAX_ERR_BAD_VALUE', 'must be a whole number from 1 to 86400');
flagCase('run: --token-file of a directory', () => ['run', '--token-file', dir], 2, 'HAX_ERR_BAD_VALUE', 'is not a regular file (a directory)');
// -- issue 13: the command line's own defects, and their siblings --
const LONG = 'x'.repeat(100_000);   // under Linux's 128 KiB limit of one argument
// (1) codec input over the core's 1 MiB input region: refused, with the limit, without reading stdin to its end
cases.push({ what: 'codec: 1 MiB + 1 byte to decode on stdin (documented exit 1)', args: () => ['codec', 'decode', '--kind', 'msg', '-'], stdin: Buffer.alloc((1 << 20) + 1), status: 1, code: 'HAX_ERR_CODEC_TOO_LARGE', says: /^hax codec decode: HAX_ERR_CODEC_TOO_LARGE at input byte 1048576: the input is more than 1048576 bytes, the most the codec takes \(its input region, 1 MiB\)/ });
cases.push({ what: 'codec: 8 MiB of JSON text to encode on stdin (documented exit 1)', args: () => ['codec', 'encode', '--kind', 'msg'], stdin: Buffer.alloc(8 << 20, 0x20), status: 1, code: 'HAX_ERR_CODEC_TOO_LARGE', says: 'more than 1048576 bytes of JSON text' });
cases.push({ what: 'codec: 600 KB that are not UTF-8 to encode (1.8 MB as the core takes it; documented exit 1)', args: () => ['codec', 'encode', '--kind', 'link-msg', '-'], stdin: Buffer.alloc(600_000, 0xff), status: 1, code: 'HAX_ERR_CODEC_TOO_LARGE', says: 'more than 1048576 bytes of JSON text (as UTF-8)' });
flagCase('codec: a --kind that is an Object property', () => ['codec', 'decode', '--kind', 'toString', '00'], 2, 'HAX_ERR_BAD_VALUE', '--kind "toString" is not one of');
flagCase('codec: a --kind of __proto__', () => ['codec', 'encode', '--kind', '__proto__', '{}'], 2, 'HAX_ERR_BAD_VALUE', '--kind "__proto__" is not one of');
flagCase('codec: an escape character in the hex (documented exit 1)', () => ['codec', 'decode', '--kind', 'msg', '0\u001b[2J0'], 1, 'HAX_ERR_CODEC_HEX', 'not hex: "\\u001b" at hex digit 1');
flagCase('codec: no action', () => ['codec'], 2, 'HAX_ERR_USAGE', /^hax codec: no action given, expected decode or encode/);
flagCase('codec: an action with a newline', () => ['codec', 'de\ncode'], 2, 'HAX_ERR_USAGE', /^hax codec: unknown action "de\\ncode"/);
flagCase('codec: an unknown flag (the command named once)', () => ['codec', 'decode', '--bogus'], 2, 'HAX_ERR_USAGE', /^hax codec: unknown option "--bogus"; see 'hax codec --help' \[HAX_ERR_USAGE\]$/);
flagCase('codec: no --kind (the command named once)', () => ['codec', 'encode', '{}'], 2, 'HAX_ERR_USAGE', /^hax codec encode: --kind is required/);
// (2) values quoted and escaped, one line, at most 200 characters of a value; no doubled command name; -1 after a flag
flagCase('status: --http with a newline', () => ['status', '--http', 'a\nb:1'], 2, 'HAX_ERR_BAD_VALUE', /^hax status: --http "a\\nb:1" is not HOST:PORT \(e\.g\. 127\.0\.0\.1:8008\) \[HAX_ERR_BAD_VALUE\]$/);
flagCase('status: --http of 100000 characters', () => ['status', '--http', LONG], 2, 'HAX_ERR_BAD_VALUE', /^hax status: --http "x{200}…" is not HOST:PORT/);
flagCase('status: --http with terminal controls', () => ['status', '--http', '\u001b]0;owned\u0007\u009b2J\u202eevil:1'], 2, 'HAX_ERR_BAD_VALUE', '--http "\\u001b]0;owned\\u0007\\u009b2J\\u202eevil:1" is not HOST:PORT');
flagCase('status: an unknown flag with a newline', () => ['status', '--every\nthing'], 2, 'HAX_ERR_USAGE', /^hax status: unknown option "--every\\nthing"; see 'hax status --help'/);
flagCase('status: a value given to --json', () => ['status', '--json=yes'], 2, 'HAX_ERR_USAGE', /^hax status: --json takes no value/);
flagCase('run: --listen with a newline', () => ['run', '--listen', 'tcp:a\nb:1'], 2, 'HAX_ERR_BAD_VALUE', '--listen "a\\nb:1" is not HOST:PORT');
flagCase('run: --consul with a newline', () => ['run', '--consul', 'http://a\nb:1/x'], 2, 'HAX_ERR_BAD_VALUE', /--consul "http:\/\/a\\nb:1\/x" (is not a URL|must be)/);
flagCase('run: --log-level with a newline (run.ts: made one line by main)', () => ['run', '--log-level', 'lo\nud'], 2, 'HAX_ERR_BAD_VALUE', '--log-level "lo\\nud" must be one of');
flagCase('run: --log-level of 100000 characters (a short line)', () => ['run', '--log-level', LONG], 2, 'HAX_ERR_BAD_VALUE', /^hax run: --log-level "x+…/);
flagCase('run: a stray argument with a newline', () => ['run', 'ex\ntra'], 2, 'HAX_ERR_USAGE', /^hax run: unexpected argument "ex\\ntra"/);
flagCase('run: --http without its value', () => ['run', '--http'], 2, 'HAX_ERR_USAGE', /^hax run: --http needs a value; see 'hax run --help'/);
flagCase('demo: --for -1 (parseArgs takes -1 for a flag)', () => ['demo', '--for', '-1'], 2, 'HAX_ERR_USAGE', /^hax demo: --for needs a value, and the next argument, "-1", begins with '-' and is taken for a flag; if it is the value, write "--for=-1"; see 'hax demo --help' \[HAX_ERR_USAGE\]$/);
flagCase('demo: --for=-1', () => ['demo', '--for=-1'], 2, 'HAX_ERR_BAD_VALUE', /^hax demo: --for "-1" must be a whole number from 1 to 86400 \[HAX_ERR_BAD_VALUE\]$/);
flagCase('demo: --for --help (a flag where the value goes)', () => ['demo', '--for', '--help'], 2, 'HAX_ERR_USAGE', 'the next argument, "--help", begins with \'-\'');
flagCase('sim: --processes -3', () => ['sim', '--processes', '-3'], 2, 'HAX_ERR_USAGE', 'if it is the value, write "--processes=-3"');
flagCase('sim: --scenario with a newline', () => ['sim', '--scenario', 'm0d\nx'], 2, 'HAX_ERR_BAD_VALUE', '--scenario "m0d\\nx" must be one of m0d, m0mkfs');
flagCase('sim: --pool of 100000 characters', () => ['sim', '--pool', LONG], 2, 'HAX_ERR_BAD_VALUE', /^hax sim: --pool "x{200}…" is not a pool fid/);
// (3) an unknown command: one coded line, exit 2
flagCase('main: an unknown command', () => ['frobnicate'], 2, 'HAX_ERR_USAGE', /^hax: unknown command "frobnicate"; expected one of run, demo, consul-config, status, sim, codec, bootstrap, config; see 'hax help' \[HAX_ERR_USAGE\]$/);
flagCase('main: a command that is an Object property (__proto__)', () => ['__proto__'], 2, 'HAX_ERR_USAGE', 'unknown command "__proto__"');
flagCase('main: a command that is an Object property (toString)', () => ['toString', '--x'], 2, 'HAX_ERR_USAGE', 'unknown command "toString"');
flagCase('main: an unknown command with a newline', () => ['run\nrm -rf'], 2, 'HAX_ERR_USAGE', 'unknown command "run\\nrm -rf"');
flagCase('main: no command', () => [], 2, 'HAX_ERR_USAGE', /^hax: no command given; expected one of/);
// (4) sim: keys past 2^64; an address where nothing listens (bounded: 10 s, then exit 1)
flagCase('sim: --first-fid at 2^64-1 with --processes 2', () => ['sim', '--first-fid', '0x7200000000000001:0xffffffffffffffff', '--processes', '2'], 2, 'HAX_ERR_BAD_VALUE', "with --processes 2: the last process's key would be 0x10000000000000000, past 0xffffffffffffffff");
flagCase('sim: --first-fid near 2^64 with --processes 10000', () => ['sim', '--first-fid', '0x7200000000000001:0xfffffffffffff000', '--processes', '10000'], 2, 'HAX_ERR_BAD_VALUE', 'past 0xffffffffffffffff');
flagCase('sim: --connect where nothing listens (documented exit 1)', () => ['sim', '--connect', 'tcp:127.0.0.1:1'], 1, 'HAX_ERR_HAX_UNREACHABLE', /^hax sim: cannot connect to hax at "tcp:127\.0\.0\.1:1": ECONNREFUSED for 10 s; is 'hax run' up and listening there \(--listen\)\?/);
flagCase('sim: --connect to a unix socket that is not there (documented exit 1)', () => ['sim', '--connect', `unix:${join(dir, 'no.sock')}`, '--processes', '50'], 1, 'HAX_ERR_HAX_UNREACHABLE', 'ENOENT for 10 s');
flagCase('sim: --connect to a host that does not exist (documented exit 1)', () => ['sim', '--connect', 'tcp:no-such-host.invalid:22001'], 1, 'HAX_ERR_HAX_UNREACHABLE', /ENOTFOUND|EAI_AGAIN/);
// (5) token files: regular and small, never read otherwise
flagCase('run: --token-file /dev/zero (never ends)', () => ['run', '--token-file', '/dev/zero'], 2, 'HAX_ERR_BAD_VALUE', '--token-file "/dev/zero" is not a regular file (a character device)');
flagCase('run: --token-file /dev/null', () => ['run', '--token-file', '/dev/null'], 2, 'HAX_ERR_BAD_VALUE', 'is not a regular file (a character device)');
flagCase('run: --token-file a FIFO (would block)', () => { const p = join(dir, 'token.fifo'); if (!existsSync(p)) assert.is(spawnSync('mkfifo', [p]).status, 0); return ['run', '--token-file', p]; }, 2, 'HAX_ERR_BAD_VALUE', 'is not a regular file (a FIFO)');
flagCase('run: --token-file of 1 MiB', () => ['run', '--token-file', caseFile(`${'t'.repeat(16)}\n${' '.repeat(1 << 20)}`, 'token')], 2, 'HAX_ERR_BAD_VALUE', /is 1048593 bytes; a token file is at most 65536 bytes/);
flagCase('run: --token-file that is not there', () => ['run', '--token-file', join(dir, 'no-token')], 2, 'HAX_ERR_BAD_VALUE', 'cannot be read: ENOENT');
flagCase('consul-config: --token-file of 1 MiB', () => ['consul-config', '--token-file', caseFile(`${'t'.repeat(16)}\n${' '.repeat(1 << 20)}`, 'token')], 2, 'HAX_ERR_BAD_VALUE', 'bytes; a token');
// (6) status: ports fetch calls "bad"; answers that are not hax's
flagCase('status: --http 127.0.0.1:1 (a fetch "bad port"; documented exit 1)', () => ['status', '--http', '127.0.0.1:1'], 1, 'HAX_ERR_HAX_UNREACHABLE', /^hax status: cannot reach hax at http:\/\/127\.0\.0\.1:1\/v1\/cluster\/status: connect ECONNREFUSED 127\.0\.0\.1:1; is 'hax run' up/);
flagCase('status: --http 127.0.0.1:6665 (a fetch "bad port"; documented exit 1)', () => ['status', '--http', '127.0.0.1:6665'], 1, 'HAX_ERR_HAX_UNREACHABLE', /cannot reach hax at http:\/\/127\.0\.0\.1:6665\/v1\/cluster\/status: connect ECONNREFUSED/);
flagCase('status: --http at a Consul agent, not hax (documented exit 1)', (c) => ['status', '--http', new URL(c.seeded.url).host], 1, 'HAX_ERR_HAX_UNREACHABLE', /^hax status: (hax answered \d+ to|http:\S+ answered \d+ with something that is not hax's cluster status)/);

// ---- running them ----
interface Outcome { status: number | null; signal: string | null; stdout: string; stderr: string; ms: number; consulAfter: string; motrConfWritten: boolean }

function run(args: string[], stdin?: string | Buffer): Promise<Omit<Outcome, 'consulAfter' | 'motrConfWritten'>> {
  return new Promise((resolve) => {
    const started = Date.now();
    const c = spawn(process.execPath, [HAX_BIN, ...args], { timeout: 60_000, killSignal: 'SIGKILL' });
    let stdout = '', stderr = '';
    c.stdout.on('data', (d) => { stdout += d; });
    c.stderr.on('data', (d) => { stderr += d; });
    c.stdin.on('error', () => { /* a command that does not read stdin closes it */ });
    c.stdin.end(stdin ?? '');
    c.on('close', (status, signal) => resolve({ status, signal, stdout, stderr, ms: Date.now() - started }));
  });
}


/** Everything a command could have changed in an agent: KV (with indexes and sessions), services, checks, sessions. */
async function consulState(agent: DevAgent): Promise<string> {
  const get = async (path: string) => {
    const res = await fetch(`${agent.url}${path}`);
    return res.status === 404 ? null : res.json() as Promise<unknown>;
  };
  const kv = ((await get('/v1/kv/?recurse')) ?? []) as { Key: string; Value: string | null; ModifyIndex: number; Session?: string }[];
  const checks = (await get('/v1/health/state/any')) as { Node: string; CheckID: string; Status: string; ModifyIndex: number }[];
  const sessions = (await get('/v1/session/list')) as { ID: string }[];
  return JSON.stringify({
    kv: kv.map((e) => [e.Key, e.Value, e.ModifyIndex, e.Session ?? null]),
    services: await get('/v1/catalog/services'), nodes: ((await get('/v1/catalog/nodes')) as { Node: string }[]).map((n) => n.Node).sort(),
    checks: checks.map((c) => [c.Node, c.CheckID, c.Status, c.ModifyIndex]).sort(), sessions: sessions.map((s) => s.ID).sort(),
  });
}

let world: Promise<{ ctx: Ctx; before: { empty: string; seeded: string }; outcomes: Outcome[] }> | undefined;
/** Starts both agents, seeds one, runs every case (three at a time) and records what each left behind. */
function everything() {
  return world ??= (async () => {
    const [empty, seeded] = await Promise.all([startDevAgent({ nodeName: NODE }), startDevAgent({ nodeName: 'srvnode-1' })]);
    const ctx = { empty, seeded };
    await Promise.all([agentSettled(empty), agentSettled(seeded)]);
    const seed = await run(['bootstrap', '--consul', seeded.url, '--cluster', EXAMPLE]);
    assert.is(seed.status, 0, seed.stderr);
    const before = { empty: await consulState(empty), seeded: await consulState(seeded) };
    assert.ok(before.empty.includes('"kv":[]'), 'the empty agent has no KV');
    const outcomes: Outcome[] = new Array(cases.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = cases[i]!;
        const r = await run(c.args(ctx), c.stdin);
        const consulAfter = JSON.stringify({ empty: await consulState(empty) === before.empty, seeded: await consulState(seeded) === before.seeded });
        outcomes[i] = { ...r, consulAfter, motrConfWritten: existsSync(MOTR_OUT) };
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    return { ctx, before, outcomes };
  })();
}

const counts = { cases: cases.length, passed: 0, byStatus: new Map<number, number>(), byCode: new Map<string, number>(), byCommand: new Map<string, number>() };

test('the description the cases are made from is valid, --motr-conf included', () => {
  const p = caseFile(base());
  const { cluster } = loadCluster(p, { motrConf: true });
  assert.is(cluster.nodes[0]!.processes.length, 3);
  assert.ok(cases.length >= 60, `at least 60 hostile cases, got ${cases.length}`);
});

cases.forEach((c, i) => {
  test(c.what, async () => {
    const { outcomes } = await everything();
    const o = outcomes[i]!;
    const line = o.stderr.replace(/\n$/, '');
    assert.is(o.signal, null, `${c.what}: ended by ${o.signal} after ${o.ms} ms (a hang?)`);
    assert.is(o.status, c.status, `${c.what}: exit status ${o.status}, stderr: ${o.stderr.slice(0, 600)}`);
    assert.not.match(o.stderr, /\n\s+at \S|node:internal|^\s*\^|^\w*Error\b|Uncaught/m, `${c.what}: a stack trace: ${o.stderr.slice(0, 600)}`);
    if (c.code === null) assert.is(o.stderr, '', `${c.what}: nothing on stderr`);
    else {
      assert.ok(!line.includes('\n') && line.length > 0, `${c.what}: one line on stderr: ${JSON.stringify(o.stderr.slice(0, 600))}`);
      assert.ok(line.length < 2000, `${c.what}: a short line (${line.length} characters)`);
      assert.match(line, c.code, `${c.what}: the code ${c.code}`);
      assert.is(o.stdout, '', `${c.what}: nothing on stdout`);
    }
    if (c.says !== undefined) assert.match(line || o.stdout, c.says, `${c.what}: says ${c.says}: ${line.slice(0, 600)}`);
    assert.is(o.consulAfter, JSON.stringify({ empty: true, seeded: true }), `${c.what}: both Consul agents are as they were`);
    assert.not.ok(o.motrConfWritten, `${c.what}: no --motr-conf file`);
    counts.passed++;
    counts.byStatus.set(c.status, (counts.byStatus.get(c.status) ?? 0) + 1);
    if (c.code) counts.byCode.set(c.code, (counts.byCode.get(c.code) ?? 0) + 1);
    const command = c.what.split(':')[0]!;
    counts.byCommand.set(command, (counts.byCommand.get(command) ?? 0) + 1);
  });
});

test('afterwards both agents are still exactly as they were', async () => {
  const { ctx, before } = await everything();
  assert.is(await consulState(ctx.empty), before.empty);
  assert.is(await consulState(ctx.seeded), before.seeded);
});

test.after(async () => {
  if (world) { const { ctx } = await world.catch(() => ({ ctx: undefined })); await ctx?.empty.stop(); await ctx?.seeded.stop(); }
  rmSync(dir, { recursive: true, force: true });
  const list = (m: Map<string | number, number>) => [...m].map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`\ncli-inputs: ${counts.cases} hostile invocations, ${counts.passed} as documented, ${counts.cases - counts.passed} not`);
  console.log(`  by command: ${list(counts.byCommand)}`);
  console.log(`  by exit status: ${list(counts.byStatus)}`);
  console.log(`  by code: ${list(counts.byCode)}`);
});

test.run();
