// Hostile bytes on the HA-link port of a running hax (real agent, real
// sockets): malformed frames and fops, wrong directions, unknown links,
// half frames, garbage. Each input gets its documented answer — the
// connection closed with a protocol-error code (docs/errors.md), or a
// LINK_MSG_REP with Motr's rc — and after the whole table hax still serves a
// well-behaved peer and Consul's KV is exactly as before.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  OP_ENTRYPOINT_REQ, OP_ENTRYPOINT_REP, OP_LINK_MSG, OP_LINK_MSG_REP, decodeEntrypointRep, decodeLinkMsgRep, encodeFrame,
  encodeLinkMsg, type LinkParams,
} from '../../src/sim/link-client.ts';
import { startWorld, until, F, type World } from '../behaviour/_world.ts';
import { RawPeer, eventMsg, fixtureBytes } from '../native/_harness.ts';

interface Case { name: string; bytes: (p: LinkParams) => Buffer; expect: { close: string } | { rc: number } | { ignored: true } }

const header = (len: number, opcode: number, xid = 1n) => {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(len >>> 0, 0); b.writeUInt32LE(opcode >>> 0, 4); b.writeBigUInt64LE(xid, 8);
  return b;
};
const epReq = fixtureBytes('ep_req_first');
const linkMsgFor = (p: LinkParams, over: Partial<{ idRemote: LinkParams['idRemote']; idConnection: LinkParams['idConnection']; msg: Uint8Array; msgNr: number }> = {}) =>
  encodeLinkMsg({
    msgNr: over.msgNr ?? 1, msg: over.msg ?? eventMsg(), idLocal: p.idLocal, idRemote: over.idRemote ?? p.idRemote,
    idConnection: over.idConnection ?? p.idConnection, outNext: 4, inDelivered: 1, seq: 1n,
  });
/** A LINK_MSG of the peer's link whose m0_ha_msg has hed_type `t` (u64 at byte 64). */
const withType = (t: number) => { const m = Buffer.from(eventMsg()); m.writeBigUInt64LE(BigInt(t), 64); return m; };

const CASES: Case[] = [
  { name: 'length 131073', bytes: () => header(131073, OP_ENTRYPOINT_REQ), expect: { close: 'HAX_ERR_FRAME_TOO_LONG' } },
  { name: 'length 0xffffffff', bytes: () => header(0xffffffff, OP_LINK_MSG), expect: { close: 'HAX_ERR_FRAME_TOO_LONG' } },
  { name: 'length 2^31', bytes: () => header(2 ** 31, OP_LINK_MSG), expect: { close: 'HAX_ERR_FRAME_TOO_LONG' } },
  ...[0, 1, 116, 119, 206, 209, 300, 0xffffffff].map((op): Case => ({ name: `opcode ${op}`, bytes: () => Buffer.concat([header(4, op), Buffer.alloc(4)]), expect: { close: 'HAX_ERR_UNKNOWN_OPCODE' } })),
  { name: 'ENTRYPOINT_REP sent to hax', bytes: () => encodeFrame(OP_ENTRYPOINT_REP, 1n, fixtureBytes('ep_rep_2confd_rm')), expect: { close: 'HAX_ERR_UNEXPECTED_OPCODE' } },
  { name: 'ENTRYPOINT_REQ, empty body', bytes: () => encodeFrame(OP_ENTRYPOINT_REQ, 1n, Buffer.alloc(0)), expect: { close: 'HAX_ERR_BAD_FOP' } },
  ...[1, 4, 12, 20, 40, 60, 100, 120].map((cut): Case => ({ name: `ENTRYPOINT_REQ cut at ${cut} bytes`, bytes: () => encodeFrame(OP_ENTRYPOINT_REQ, 1n, epReq.subarray(0, cut)), expect: { close: 'HAX_ERR_BAD_FOP' } })),
  { name: 'ENTRYPOINT_REQ cut one byte short', bytes: () => encodeFrame(OP_ENTRYPOINT_REQ, 1n, epReq.subarray(0, epReq.length - 1)), expect: { close: 'HAX_ERR_BAD_FOP' } },
  { name: 'ENTRYPOINT_REQ with a trailing byte', bytes: () => encodeFrame(OP_ENTRYPOINT_REQ, 1n, Buffer.concat([epReq, Buffer.alloc(1)])), expect: { close: 'HAX_ERR_BAD_FOP' } },
  { name: 'ENTRYPOINT_REQ of 131072 zero bytes', bytes: () => encodeFrame(OP_ENTRYPOINT_REQ, 1n, Buffer.alloc(131072)), expect: { close: 'HAX_ERR_BAD_FOP' } },
  { name: 'LINK_MSG, empty body', bytes: () => encodeFrame(OP_LINK_MSG, 1n, Buffer.alloc(0)), expect: { close: 'HAX_ERR_BAD_FOP' } },
  ...[8, 50, 100, 150, 183].map((cut): Case => ({ name: `LINK_MSG cut at ${cut} bytes`, bytes: (p) => encodeFrame(OP_LINK_MSG, 1n, linkMsgFor(p).subarray(0, cut)), expect: { close: 'HAX_ERR_BAD_FOP' } })),
  { name: 'LINK_MSG with a trailing byte', bytes: (p) => encodeFrame(OP_LINK_MSG, 1n, Buffer.concat([linkMsgFor(p), Buffer.alloc(1)])), expect: { close: 'HAX_ERR_BAD_FOP' } },
  { name: 'LINK_MSG msg_nr 2', bytes: (p) => { const b = Buffer.from(linkMsgFor(p)); b.writeBigUInt64LE(2n, 0); return encodeFrame(OP_LINK_MSG, 1n, b); }, expect: { close: 'HAX_ERR_BAD_FOP' } },
  { name: 'LINK_MSG msg_nr 2^64-1', bytes: (p) => { const b = Buffer.from(linkMsgFor(p)); b.writeBigUInt64LE(2n ** 64n - 1n, 0); return encodeFrame(OP_LINK_MSG, 1n, b); }, expect: { close: 'HAX_ERR_BAD_FOP' } },
  ...[12, 99, 2 ** 32, 2 ** 40].map((t): Case => ({ name: `LINK_MSG with hed_type ${t}`, bytes: (p) => encodeFrame(OP_LINK_MSG, 1n, linkMsgFor(p, { msg: withType(t) })), expect: { close: 'HAX_ERR_UNKNOWN_MSG_TYPE' } })),
  { name: 'LINK_MSG for a link nobody has', bytes: (p) => encodeFrame(OP_LINK_MSG, 1n, linkMsgFor(p, { idRemote: { hi: 9n, lo: 9n } })), expect: { rc: -67 } },
  { name: 'LINK_MSG with another connection id', bytes: (p) => encodeFrame(OP_LINK_MSG, 1n, linkMsgFor(p, { idConnection: { hi: 7n, lo: 7n } })), expect: { rc: -57 } },
  { name: 'LINK_MSG_REP nobody asked for', bytes: () => encodeFrame(OP_LINK_MSG_REP, 99n, Buffer.alloc(20)), expect: { ignored: true } },
  { name: 'LINK_MSG_REP, short body', bytes: () => encodeFrame(OP_LINK_MSG_REP, 1n, Buffer.alloc(3)), expect: { close: 'HAX_ERR_BAD_FOP' } },
  ...[1, 2, 3, 4, 5, 6].map((seed): Case => ({
    name: `64 KiB of garbage (seed ${seed})`,
    bytes: () => { let x = seed * 2654435761; const b = Buffer.alloc(65536); for (let i = 0; i < b.length; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; } b.writeUInt32LE(0xf0000000 + seed, 0); return b; },
    expect: { close: 'HAX_ERR_FRAME_TOO_LONG' },
  })),
  { name: 'half a header, then nothing', bytes: () => Buffer.alloc(9), expect: { close: 'HAX_ERR_FRAME_TIMEOUT' } },
  { name: 'a header announcing 100 bytes, 10 sent', bytes: () => Buffer.concat([header(100, OP_LINK_MSG), Buffer.alloc(10)]), expect: { close: 'HAX_ERR_FRAME_TIMEOUT' } },
];

let w: World | undefined;

test(`${CASES.length} hostile HA-link inputs get their documented answers; Consul is unchanged; a good peer is still served`, async () => {
  w = await startWorld({ hax: { haLimits: { partialFrameMs: 500 } } });
  const address = w.hax.haLinkAddresses[0]!;
  const kv = async () => new Map((await w!.consul.kv.list('')).entries.map((e) => [e.key, e.value]));
  const kvBefore = await kv();
  // a link of our own, for the cases that need real link ids
  const own = await RawPeer.connect(address);
  own.send(OP_ENTRYPOINT_REQ, epReq);
  const params = decodeEntrypointRep((await own.waitFrames(1))[0]!.body).linkParams;
  let answered = 0;
  for (const c of CASES) {
    const peer = await RawPeer.connect(address);
    const logMark = w.logs.length;
    peer.raw(c.bytes(params));
    if ('close' in c.expect) {
      const code = c.expect.close;
      let closed = false;
      void peer.closed.then(() => { closed = true; });
      await until(`${c.name}: connection closed`, () => closed || undefined, 20_000);
      const line = await until(`${c.name}: protocol error ${code} logged`, () => w!.logs.slice(logMark).find((l) => l.includes('HA link protocol error')));
      assert.is(JSON.parse(line).code, code, c.name);
    } else if ('rc' in c.expect) {
      const [f] = await peer.waitFrames(1);
      assert.is(f!.opcode, OP_LINK_MSG_REP, c.name);
      assert.is(decodeLinkMsgRep(f!.body).rc, c.expect.rc, c.name);
      peer.close();
    } else {
      // ignored: the same connection still gets an entrypoint answered
      peer.send(OP_ENTRYPOINT_REQ, epReq, 5n);
      const [f] = await peer.waitFrames(1);
      assert.is(f!.opcode, OP_ENTRYPOINT_REP, c.name);
      peer.close();
    }
    answered++;
    if (process.env.HAX_TEST_VERBOSE) console.log(`ok ${c.name}`);
  }
  own.close();
  // positive control after the table: a well-behaved peer is served, and broadcasts still flow
  const good = await w.peer(4);   // not 2: the raw link above was process 2, and a new first request of it is a restart
  await good.send('NVEC', { hmnv_type: 'M0_HA_NVEC_GET', hmnv_id_of_get: 7n, hmnv_ignore_same_state: 0, hmnv_arr: [{ no_id: F.drive1, no_state: 'M0_NC_UNKNOWN' }] });
  await until('NVEC GET answered', () => good.received.find((m) => m.type === 'NVEC') || undefined);
  const kvAfter = await kv();
  const changed = [...new Set([...kvBefore.keys(), ...kvAfter.keys()])].filter((k) => kvBefore.get(k) !== kvAfter.get(k));
  // only the restart counters of the two well-behaved links (hax counts every first entrypoint), and
  // the write mark hax's own txns carry (exactly-once writes, docs/behaviour.md)
  assert.equal(changed.sort(), ['bt-node-1/process_restarts/0x7200000000000001:0x2', 'bt-node-1/process_restarts/0x7200000000000001:0x4', 'hax-writes/bt-node-1'], 'Consul KV otherwise unchanged');
  console.log(`hostile HA-link inputs: ${CASES.length} sent, ${answered} answered as documented`);
});

test.after(async () => { await w?.stop(); });
test.run();
