// Queue full: with queueLimit 4 and a JS callback that is slow for a while,
// the I/O thread blocks instead of dropping or growing: 1,000 messages from a
// peer all arrive, in order, exactly once. Counts and order only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OP_ENTRYPOINT_REQ, OP_LINK_MSG, OP_LINK_MSG_REP, decodeEntrypointRep, decodeLinkMsgRep, encodeFrame, encodeLinkMsg, withTag } from '../../src/sim/link-client.ts';
import { Shim, type ShimEvent } from '../../src/native/binding.ts';
import { RawPeer, eventMsg, fixtureBytes, CONFD, RM_FID, RM_EP } from './_harness.ts';
import { CoreLinks } from '../helpers/core-links.ts';

const LIMIT = 4;
const N = 1000;

const spin = (ms: number): void => { const end = Date.now() + ms; while (Date.now() < end) { /* a slow handler */ } };

test('with a full queue the I/O thread blocks and 1,000 messages arrive in order exactly once', async () => {
  const tags: number[] = [];
  let batches = 0, maxBatch = 0, maxQueued = 0, sawFull = 0;
  let listening!: (a: string) => void;
  const addr = new Promise<string>((r) => { listening = r; });
  let done!: () => void;
  const all = new Promise<void>((r) => { done = r; });
  const links = await CoreLinks.load([CONFD], { fid: RM_FID, endpoint: RM_EP });
  const shim: Shim = Shim.start({ listen: ['tcp:127.0.0.1:0'], queueLimit: LIMIT }, (batch: ShimEvent[]) => {
    batches++;
    maxBatch = Math.max(maxBatch, batch.length);
    const q = shim.stats().queuedEvents;
    maxQueued = Math.max(maxQueued, q);
    if (q === LIMIT) sawFull++;
    for (const e of batch) {
      links.see(e);
      if (e.type === 'listening') listening(e.address);
      if (e.type === 'entrypoint') links.answer(shim, e);
      if (e.type === 'received') { tags.push(e.tag); shim.delivered(e.linkId, e.tag); if (tags.length === N) done(); }
    }
    if (batches <= 100) spin(5); // slow for a while: the I/O thread must wait
  });
  try {
    const peer = await RawPeer.connect(await addr);
    peer.send(OP_ENTRYPOINT_REQ, fixtureBytes('ep_req_first'));
    const [f] = await peer.waitFrames(1);
    const p = decodeEntrypointRep(f!.body).linkParams;
    // 1,000 LINK_MSGs written at once, without waiting for replies.
    const frames: Buffer[] = [];
    for (let i = 0; i < N; i++) {
      const tag = 2 + 2 * i;
      frames.push(encodeFrame(OP_LINK_MSG, BigInt(i + 2), encodeLinkMsg({
        msgNr: 1, msg: withTag(eventMsg(i), tag), idLocal: p.idLocal, idRemote: p.idRemote, idConnection: p.idConnection,
        outNext: tag + 2, inDelivered: 1, seq: BigInt(i + 1),
      })));
    }
    peer.raw(Buffer.concat(frames));
    await all;
    // Replies, among hax's own pure-ack LINK_MSGs (delivered() travels in them).
    const replies = (): typeof peer.frames => peer.frames.filter((x) => x.opcode === OP_LINK_MSG_REP);
    while (replies().length < N) await peer.waitFrames(peer.frames.length + 1);
    console.log(`batches ${batches}, largest batch ${maxBatch}, deepest queue ${maxQueued}, callbacks that found the queue full ${sawFull}`);
    assert.equal(tags, Array.from({ length: N }, (_, i) => 2 + 2 * i), 'every tag once, in order');
    assert.ok(maxBatch <= LIMIT, `a batch of ${maxBatch}`);
    assert.ok(maxQueued <= LIMIT, `queue depth ${maxQueued}`);
    assert.ok(sawFull > 0, 'the queue was full at least once (the I/O thread had to wait)');
    assert.ok(replies().every((r) => decodeLinkMsgRep(r.body).rc === 0));
    assert.equal(replies().map((r) => Number(r.xid)), Array.from({ length: N }, (_, i) => i + 2), 'every request answered once, in order');
    assert.is(shim.stats().protocolErrors, 0);
    peer.close();
  } finally {
    await shim.stop();
  }
});

test.run();
