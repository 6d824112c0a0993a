// The link decision of an entrypoint reply (assembly/machine/links.ts), made
// by the WASM core alone: the shim reports its cookie and the links it holds,
// the core answers each request with CONSUME/QUERY and new / reuse /
// reconnect / absent / reject. No shim, no Consul.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoreHost, type CoreAction, type Decision } from '../../src/core/core-host.ts';
import { Codec, type EntrypointReq } from '../../src/core/codec.ts';
import { vector, proc, svc } from './helpers.ts';

type Reply = Extract<CoreAction, { kind: 'reply-entrypoint' }>;
const VIEW = { confds: [{ fid: proc(9), endpoint: 'inet:tcp:10.0.0.1@3001' }], rm: { fid: svc(2), endpoint: 'inet:tcp:10.0.0.1@3001' } };
// ep_req_not_first quotes this cookie and these ids (peer id_local 160:4, id_remote 176:3).
const THEIR_COOKIE = [4242n, 0x17b2c3d400000000n, 0xffffffffffffffffn, 0x123456789abcdefn, 0xfedcba9876543210n];
const HAX_SIDE = { local: { hi: 176n, lo: 3n }, remote: { hi: 160n, lo: 4n } };

function cookie(words: bigint[]): Uint8Array {
  const b = new Uint8Array(40);
  const v = new DataView(b.buffer);
  words.forEach((w, i) => v.setBigUint64(i * 8, w, true));
  return b;
}

async function core(): Promise<CoreHost> {
  const h = await CoreHost.load();
  h.confLoaded(1, []);
  h.viewUpdated(VIEW);
  return h;
}

function reply(d: Decision): Reply {
  const r = d.actions.find((a): a is Reply => a.kind === 'reply-entrypoint');
  assert.ok(r, `a reply in ${d.reason.code}: ${JSON.stringify(d.actions.map((a) => a.kind))}`);
  return r;
}

test('LinksOpened keeps the shim\'s cookie; LinkChanged tracks held, draining and gone links with a reason each', async () => {
  const h = await core();
  assert.is(h.linksOpened(cookie([1n, 2n, 3n, 4n, 5n])).reason.code, 'LINKS_OPENED');
  const held = h.linkChanged(7, 'held', proc(2), HAX_SIDE);
  assert.is(held.reason.code, 'LINK_HELD');
  assert.match(held.reason.text, '1 link(s) held');
  assert.is(h.linkChanged(7, 'draining', proc(2)).reason.code, 'LINK_DRAINING');
  const gone = h.linkChanged(7, 'gone', proc(2));
  assert.is(gone.reason.code, 'LINK_GONE');
  assert.match(gone.reason.text, '0 link(s) held');
  assert.throws(() => h.linksOpened(new Uint8Array(39)), /40 bytes/);
});

test('a first request gets a new link, with the request\'s generation and process fid for the shim', async () => {
  const h = await core();
  const d = h.entrypointRequested(1, vector('ep_req_first').bytes, 1000);
  assert.is(d.reason.code, 'ENTRYPOINT_ANSWERED');
  assert.match(d.reason.text, 'CONSUME, link new');
  const r = reply(d);
  assert.is(r.link.control, 'consume');
  assert.is(r.link.mode, 'new');
  assert.equal(r.link.processFid, proc(2));
  assert.is(r.link.generation, 1n);
  assert.is(r.link.params.length, 14);
});

test('a not-first request whose ids a held link has reuses that link; a draining one is not reused', async () => {
  const h = await core();
  h.linksOpened(cookie([1n, 2n, 3n, 4n, 5n]));
  h.linkChanged(3, 'held', proc(2), { local: { hi: 1n, lo: 1n }, remote: { hi: 2n, lo: 2n } });   // another link: no match
  h.linkChanged(9, 'held', proc(2), HAX_SIDE);
  const r = reply(h.entrypointRequested(2, vector('ep_req_not_first').bytes, 1000));
  assert.is(r.link.mode, 'reuse');
  assert.is(r.link.linkId, 9);
  h.linkChanged(9, 'draining', proc(2));
  assert.is(reply(h.entrypointRequested(3, vector('ep_req_not_first').bytes, 1000)).link.mode, 'reconnect');
});

test('no held link: the peer quoting this hax\'s cookie was declared dead (absent); another cookie means hax restarted (reconnect)', async () => {
  const ours = await core();
  ours.linksOpened(cookie(THEIR_COOKIE));
  ours.linkChanged(9, 'held', proc(2), HAX_SIDE);
  ours.linkChanged(9, 'gone', proc(2));
  const absent = reply(ours.entrypointRequested(4, vector('ep_req_not_first').bytes, 1000));
  assert.is(absent.link.mode, 'absent');
  const other = await core();
  other.linksOpened(cookie([1n, 2n, 3n, 4n, 5n]));
  const r = reply(other.entrypointRequested(5, vector('ep_req_not_first').bytes, 1000));
  assert.is(r.link.mode, 'reconnect');
  // the peer's own link params go to the shim as they came (it continues from the peer's tags)
  assert.equal(r.link.params.slice(0, 6), [160n, 4n, 176n, 3n, 1n, 3n]);
  assert.equal(r.link.params.slice(6), [2n, 4n, 6n, 8n, 1n, 3n, 5n, 7n]);
  assert.is(r.link.generation, 5n);
});

test('a deferred QUERY carries its link plan with control QUERY, decided when it goes out', async () => {
  const h = await CoreHost.load();   // no conf tree: QUERY
  h.linksOpened(cookie([1n, 2n, 3n, 4n, 5n]));
  assert.is(h.entrypointRequested(6, vector('ep_req_not_first').bytes, 1000).reason.code, 'ENTRYPOINT_DEFERRED');
  h.linkChanged(9, 'held', proc(2), HAX_SIDE);   // a link appears before the timer
  const q = h.timerFired(2000);
  assert.is(q.reason.code, 'ENTRYPOINT_QUERY_SENT');
  const r = reply(q);
  assert.is(r.rc, -11);
  assert.is(r.link.control, 'query');
  assert.is(r.link.mode, 'reuse');
  assert.is(r.link.linkId, 9);
});

test('bytes that are no entrypoint request are rejected: the connection is closed with the decoder\'s reason', async () => {
  const h = await core();
  const codec = await Codec.load();
  const req = codec.decodeEntrypointReq(vector('ep_req_first').bytes) as EntrypointReq;
  const cases: [string, Uint8Array, RegExp][] = [
    ['cut short', vector('ep_req_first').bytes.subarray(0, 98), /HAX_ERR_XCODE_TRUNCATED at byte 92/],
    ['first_request 2', codec.encodeEntrypointReq({ ...req, erf_first_request: 2 }), /erf_first_request = 2, must be 0 or 1/],
    ['git rev of 1025 bytes', codec.encodeEntrypointReq({ ...req, erf_git_rev_id: 'x'.repeat(1025) }), /erf_git_rev_id length 1025 exceeds 1024/],
    ['a trailing byte', new Uint8Array([...vector('ep_req_first').bytes, 0]), /HAX_ERR_XCODE_TRAILING_BYTES/],
  ];
  for (const [name, bytes, why] of cases) {
    const d = h.entrypointRequested(7, bytes, 1000);
    assert.is(d.reason.code, 'ENTRYPOINT_BAD_REQUEST', name);
    const r = reply(d);
    assert.is(r.link.mode, 'reject', name);
    assert.is(r.rc, -22, name);
    assert.match(r.link.note, why, name);
  }
  // positive control: the same encoder's unchanged request is answered
  assert.is(h.entrypointRequested(8, codec.encodeEntrypointReq(req), 1000).reason.code, 'ENTRYPOINT_ANSWERED');
});

test('a link table survives a core trap (re-fed after the cookie)', async () => {
  const h = await core();
  h.linksOpened(cookie([1n, 2n, 3n, 4n, 5n]));
  h.linkChanged(9, 'held', proc(2), HAX_SIDE);
  assert.is(h.handleRecord(new Uint8Array([0x99, 0, 0, 0, 0, 0])).reason.code, 'CORE_TRAPPED');
  assert.is(reply(h.entrypointRequested(9, vector('ep_req_not_first').bytes, 1000)).link.mode, 'reuse');
});

test('a first request of a process that restarted more than once is a restart: decided from the model, not from reason text', async () => {
  const { CONF, KIND } = await import('../../src/core/records.ts');
  const h = await CoreHost.load();
  h.identitySet('n1', proc(1), false);
  const node = { container: 0x6e00000000000001n, key: 1n };
  h.confLoaded(1, [
    { type: CONF.node, fid: node, name: 'n1', key: 'm0conf/nodes/n1', state: 'M0_NC_UNKNOWN' },
    { type: CONF.process, fid: proc(2), parent: node, kind: KIND.ios, name: 'm0_server', key: 'm0conf/nodes/n1/processes/2' },
  ]);
  h.viewUpdated(VIEW);
  // restart counter 1 (mkfs and m0d share the fid): counted, answered
  h.processesLoaded(2, [], [{ fid: proc(2), count: 1 }]);
  const once = h.entrypointRequested(1, vector('ep_req_first').bytes, 1000);
  assert.is(once.reason.code, 'ENTRYPOINT_ANSWERED');
  assert.match(once.reason.text, 'restart counter 2');
  // now the counter is 2: the next first request is a restart
  const d = h.entrypointRequested(2, vector('ep_req_first').bytes, 2000);
  assert.is(d.reason.code, 'ENTRYPOINT_RESTART_DETECTED');
  assert.equal(d.actions.map((a) => a.kind), ['drop-links', 'broadcast', 'await-delivery', 'consul-txn', 'reply-entrypoint']);
  assert.is(reply(d).link.mode, 'new');
});

test.run();
