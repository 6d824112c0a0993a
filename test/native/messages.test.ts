// Link messages: tags, stop-and-wait, duplicates, delivery, batches.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ShimEvent } from '../../src/native/binding.ts';
import {
  LinkClient, OP_ENTRYPOINT_REQ, OP_LINK_MSG, OP_LINK_MSG_REP, decodeEntrypointRep, decodeLinkMsg,
  decodeLinkMsgRep, encodeLinkMsg, encodeLinkMsgRep, msgTag, withTag, type LinkParams,
} from '../../src/sim/link-client.ts';
import { PROCESS_FID, RawPeer, eventMsg, fixtureBytes, startShim } from './_harness.ts';

// Narrow by type; members like 'link-connected' | 'link-reused' share one variant.
type Ev<T extends ShimEvent['type']> = ShimEvent & { type: T };

async function rawLink(address: string): Promise<{ peer: RawPeer; p: LinkParams }> {
  const peer = await RawPeer.connect(address);
  peer.send(OP_ENTRYPOINT_REQ, fixtureBytes('ep_req_first'));
  const [f] = await peer.waitFrames(1);
  return { peer, p: decodeEntrypointRep(f!.body).linkParams };
}

function linkMsg(p: LinkParams, tag: number | null, inDelivered: number, seq: bigint, over: Partial<LinkParams> = {}): Buffer {
  const q = { ...p, ...over };
  return encodeLinkMsg({
    msgNr: tag === null ? 0 : 1, msg: tag === null ? new Uint8Array(80) : withTag(eventMsg(), tag),
    idLocal: q.idLocal, idRemote: q.idRemote, idConnection: q.idConnection,
    outNext: tag === null ? 2 : tag + 2, inDelivered, seq,
  });
}

test('a peer message is accepted only with the expected tag; a duplicate is dropped but still answered', async () => {
  const h = await startShim({ autoDeliver: false });
  try {
    const { peer, p } = await rawLink(h.address);
    const x1 = peer.send(OP_LINK_MSG, linkMsg(p, 2, 1, 1n));
    const x2 = peer.send(OP_LINK_MSG, linkMsg(p, 2, 1, 2n)); // duplicate re-send
    const x3 = peer.send(OP_LINK_MSG, linkMsg(p, 8, 1, 3n)); // out of order
    const x4 = peer.send(OP_LINK_MSG, linkMsg(p, 4, 1, 4n));
    const frames = await peer.waitFrames(5);
    const reps = frames.slice(1);
    assert.equal(reps.map((f) => f.opcode), [OP_LINK_MSG_REP, OP_LINK_MSG_REP, OP_LINK_MSG_REP, OP_LINK_MSG_REP]);
    assert.equal(reps.map((f) => f.xid), [x1, x2, x3, x4]);
    for (const f of reps) {
      const r = decodeLinkMsgRep(f.body);
      assert.is(r.rc, 0);
      assert.is(r.outNext, 1);
      assert.is(r.inDelivered, 2); // nothing delivered by JS yet
    }
    await h.waitFor((e) => e.type === 'received' && e.tag === 4);
    const got = h.events.filter((e): e is Ev<'received'> => e.type === 'received');
    assert.equal(got.map((e) => e.tag), [2, 4]);
    assert.is(msgTag(got[0]!.msg), 2);
    assert.is(got[0]!.msg.length, 104);
    peer.close();
  } finally {
    await h.stop();
  }
});

test('an unknown link id is answered -67 and a wrong connection id -57', async () => {
  const h = await startShim();
  try {
    const { peer, p } = await rawLink(h.address);
    peer.send(OP_LINK_MSG, linkMsg(p, 2, 1, 1n, { idRemote: { hi: 9n, lo: 9n } }));
    peer.send(OP_LINK_MSG, linkMsg(p, 2, 1, 2n, { idConnection: { hi: 9n, lo: 9n } }));
    const frames = await peer.waitFrames(3);
    assert.is(decodeLinkMsgRep(frames[1]!.body).rc, -67);
    assert.is(decodeLinkMsgRep(frames[2]!.body).rc, -57);
    assert.not.ok(h.events.some((e) => e.type === 'received'));
    peer.close();
  } finally {
    await h.stop();
  }
});

test('hax sends odd tags one at a time and reports delivered in send order', async () => {
  const h = await startShim();
  try {
    const client = new LinkClient({ address: h.address, processFid: PROCESS_FID });
    const got: number[] = [];
    client.on('message', (tag, msg) => { got.push(tag); assert.is(msgTag(msg), tag); client.delivered(tag); });
    await client.connect();
    const lc = await h.waitFor<Ev<'link-connected'>>((e) => e.type === 'link-connected');
    const tags = [0, 1, 2, 3, 4].map((i) => h.shim.send(lc.linkId, eventMsg(i)));
    assert.equal(tags, [1, 3, 5, 7, 9]);
    await h.waitFor((e) => e.type === 'delivered' && e.tag === 9);
    assert.equal(got, tags);
    const delivered = h.events.filter((e): e is Ev<'delivered'> => e.type === 'delivered').map((e) => e.tag);
    assert.equal(delivered, tags);
    client.close();
  } finally {
    await h.stop();
  }
});

test('hax keeps at most one unanswered LINK_MSG per link and re-sends it with a new xid and seq', async () => {
  const h = await startShim();
  try {
    const { peer, p } = await rawLink(h.address);
    const lc = await h.waitFor<Ev<'link-connected'>>((e) => e.type === 'link-connected');
    h.shim.send(lc.linkId, eventMsg(1));
    h.shim.send(lc.linkId, eventMsg(2));
    // Do not answer: the next frame must be the re-send of tag 1, not tag 3.
    const frames = await peer.waitFrames(3);
    const a = decodeLinkMsg(frames[1]!.body);
    const b = decodeLinkMsg(frames[2]!.body);
    assert.equal([frames[1]!.opcode, frames[2]!.opcode], [OP_LINK_MSG, OP_LINK_MSG]);
    assert.is(msgTag(a.msg), 1);
    assert.is(msgTag(b.msg), 1);
    assert.ok(frames[2]!.xid > frames[1]!.xid);
    assert.is(b.seq, a.seq + 1n);
    assert.equal(a.idLocal, p.idRemote);
    // Answer the re-send, acknowledging tag 1: tag 3 follows.
    peer.send(OP_LINK_MSG_REP, encodeLinkMsgRep({ rc: 0, outNext: 2, inDelivered: 3 }), frames[2]!.xid);
    const more = await peer.waitFrames(4);
    assert.is(msgTag(decodeLinkMsg(more[3]!.body).msg), 3);
    await h.waitFor((e) => e.type === 'delivered' && e.tag === 1);
    peer.close();
  } finally {
    await h.stop();
  }
});

test('delivered() out of order is acknowledged in order through a pure-ack LINK_MSG', async () => {
  const h = await startShim({ autoDeliver: false });
  try {
    const client = new LinkClient({ address: h.address, processFid: PROCESS_FID });
    await client.connect();
    const order: number[] = [];
    client.on('delivered', (t) => order.push(t));
    client.send(eventMsg(1));
    client.send(eventMsg(2));
    const r4 = await h.waitFor<Ev<'received'>>((e) => e.type === 'received' && e.tag === 4);
    h.shim.delivered(r4.linkId, 4);
    h.shim.delivered(r4.linkId, 2);
    await new Promise<void>((r) => { const f = () => (order.length >= 2 ? r() : client.once('delivered', f)); f(); });
    assert.equal(order, [2, 4]);
    client.close();
  } finally {
    await h.stop();
  }
});

test('frames reach JS in arrival order, batched, and no batch exceeds queueLimit', async () => {
  const h = await startShim({ autoReply: null, queueLimit: 3 });
  try {
    const peer = await RawPeer.connect(h.address);
    const req = fixtureBytes('ep_req_first');
    const frames: Buffer[] = [];
    for (let i = 1; i <= 10; i++) {
      const f = Buffer.alloc(16 + req.length);
      f.writeUInt32LE(req.length, 0);
      f.writeUInt32LE(OP_ENTRYPOINT_REQ, 4);
      f.writeBigUInt64LE(BigInt(i), 8);
      req.copy(f, 16);
      frames.push(f);
    }
    peer.raw(Buffer.concat(frames)); // one write: arrives in one or few reads
    await h.waitFor((e) => e.type === 'entrypoint' && e.reqId === 10);
    const eps = h.events.filter((e): e is Ev<'entrypoint'> => e.type === 'entrypoint');
    assert.equal(eps.map((e) => e.reqId), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(h.batches.every((b) => b.length <= 3));
    assert.ok(h.batches.some((b) => b.length > 1), 'several events share one callback');
    assert.is(h.shim.stats().queuedEvents, 0);
    peer.close();
  } finally {
    await h.stop();
  }
});

test.run();
