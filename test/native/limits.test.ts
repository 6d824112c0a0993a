// The socket backend's bounds (native/src/link_limits.h, docs/operations.md
// "Limits"): a peer that does not confirm, one that went away, one that sends
// half a frame, too many links. Each is cut off with its reason, next to a
// peer that behaves and keeps its link.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Shim, type ShimEvent } from '../../src/native/binding.ts';
import { OP_ENTRYPOINT_REQ, OP_LINK_MSG, OP_LINK_MSG_REP, decodeEntrypointRep, decodeLinkMsg, encodeLinkMsgRep, type LinkParams } from '../../src/sim/link-client.ts';
import { RawPeer, eventMsg, fixtureBytes, startShim, type Harness } from './_harness.ts';

type Ev<T extends ShimEvent['type']> = ShimEvent & { type: T };

async function rawLink(h: Harness): Promise<{ peer: RawPeer; p: LinkParams; linkId: number }> {
  const from = h.events.length;
  const peer = await RawPeer.connect(h.address);
  peer.send(OP_ENTRYPOINT_REQ, fixtureBytes('ep_req_first'));
  const [f] = await peer.waitFrames(1);
  const c = await h.waitFor<Ev<'link-connected'>>((e) => e.type === 'link-connected', from);
  return { peer, p: decodeEntrypointRep(f!.body).linkParams, linkId: c.linkId };
}

/** Answers every LINK_MSG hax sends, confirming it (in_delivered = its tag + 2). */
function confirmAll(peer: RawPeer): void {
  let seen = 1;
  const tick = setInterval(() => {
    for (; seen < peer.frames.length; seen++) {
      const f = peer.frames[seen]!;
      if (f.opcode !== OP_LINK_MSG) continue;
      const m = decodeLinkMsg(f.body);
      peer.send(OP_LINK_MSG_REP, encodeLinkMsgRep({ rc: 0, outNext: 2, inDelivered: m.outNext }), f.xid);
    }
  }, 5);
  peer.sock.once('close', () => clearInterval(tick));
}

test('a peer that never confirms loses its link at maxUnconfirmed; one that confirms keeps it', async () => {
  const h = await startShim({ limits: { maxUnconfirmed: 8 } });
  try {
    const silent = await rawLink(h);
    const good = await rawLink(h);
    confirmAll(good.peer);
    for (let i = 0; i < 9; i++) {
      h.shim.send(silent.linkId, eventMsg());
      h.shim.send(good.linkId, eventMsg());
      await new Promise((r) => setTimeout(r, 20));   // let the good peer confirm as it goes
    }
    const d = await h.waitFor<Ev<'disconnecting'>>((e) => e.type === 'disconnecting' && e.linkId === silent.linkId);
    assert.is(d.code, 'HAX_ERR_LINK_BACKLOG');
    assert.match(d.message!, 'has not confirmed 9 message(s)');
    await h.waitFor((e) => e.type === 'disconnected' && e.linkId === silent.linkId);
    assert.is(h.events.filter((e) => e.type === 'not-delivered' && e.linkId === silent.linkId).length, 9, 'every unconfirmed message reported not delivered');
    assert.throws(() => h.shim.send(silent.linkId, eventMsg()), /HAX_ERR_UNKNOWN_LINK|no link|disconnecting/);
    // positive control: the confirming peer got all 9 through and is still linked
    await h.waitFor(() => h.events.filter((e) => e.type === 'delivered' && e.linkId === good.linkId).length === 9);
    assert.ok(!h.events.some((e) => e.type === 'disconnecting' && e.linkId === good.linkId));
    h.shim.send(good.linkId, eventMsg());
    await h.waitFor(() => h.events.filter((e) => e.type === 'delivered' && e.linkId === good.linkId).length === 10);
    silent.peer.close(); good.peer.close();
  } finally { await h.stop(); }
});

test('unconfirmed bytes over all links: the link holding most is dropped, the others stay', async () => {
  const h = await startShim({ limits: { maxUnconfirmedBytesTotal: 65536, maxUnconfirmed: 100000, maxUnconfirmedBytes: 1 << 30 } });
  try {
    const big = await rawLink(h);
    const small = await rawLink(h);
    const msg = eventMsg();
    h.shim.send(small.linkId, msg);
    for (let sent = 0; sent <= 65536; sent += msg.length) h.shim.send(big.linkId, msg);
    const d = await h.waitFor<Ev<'disconnecting'>>((e) => e.type === 'disconnecting' && e.code !== undefined);
    assert.is(d.linkId, big.linkId);
    assert.is(d.code, 'HAX_ERR_LINK_BACKLOG');
    assert.match(d.message!, 'the most of any link');
    h.shim.send(small.linkId, msg);   // still a link
    big.peer.close(); small.peer.close();
  } finally { await h.stop(); }
});

test('a link whose peer is gone is dropped after orphanGraceMs; a peer still connected keeps its link', async () => {
  const h = await startShim({ limits: { orphanGraceMs: 300 } });
  try {
    const gone = await rawLink(h);
    const here = await rawLink(h);
    gone.peer.close();
    const d = await h.waitFor<Ev<'disconnecting'>>((e) => e.type === 'disconnecting' && e.linkId === gone.linkId);
    assert.is(d.code, 'HAX_ERR_LINK_ORPHANED');
    await h.waitFor((e) => e.type === 'disconnected' && e.linkId === gone.linkId);
    // positive control, after the same time: the connected peer's link works
    confirmAll(here.peer);
    h.shim.send(here.linkId, eventMsg());
    await h.waitFor((e) => e.type === 'delivered' && e.linkId === here.linkId);
    assert.ok(!h.events.some((e) => e.type === 'disconnecting' && e.linkId === here.linkId));
    here.peer.close();
  } finally { await h.stop(); }
});

test('half a frame closes its connection after partialFrameMs; a whole frame on another connection is answered', async () => {
  const h = await startShim({ limits: { partialFrameMs: 300 } });
  try {
    const half = await RawPeer.connect(h.address);
    half.raw(Buffer.alloc(10));   // 10 of the 16 header bytes
    const e = await h.waitFor<Ev<'protocol-error'>>((x) => x.type === 'protocol-error');
    assert.is(e.code, 'HAX_ERR_FRAME_TIMEOUT');
    await half.closed;
    const whole = await rawLink(h);   // control: a complete request is served
    assert.ok(whole.linkId > 0);
    whole.peer.close();
  } finally { await h.stop(); }
});

test('beyond maxLinks an entrypoint is answered QUERY without a link', async () => {
  const h = await startShim({ limits: { maxLinks: 2 } });
  try {
    const a = await rawLink(h);
    const b = await rawLink(h);
    const third = await RawPeer.connect(h.address);
    third.send(OP_ENTRYPOINT_REQ, fixtureBytes('ep_req_first'));
    const [f] = await third.waitFrames(1);
    const rep = decodeEntrypointRep(f!.body);
    assert.is(rep.control, 2, 'QUERY');
    assert.equal(rep.linkParams.idLocal, { hi: 0n, lo: 0n });
    const w = await h.waitFor<Ev<'protocol-error'>>((x) => x.type === 'protocol-error');
    assert.is(w.code, 'HAX_ERR_LINK_LIMIT');
    assert.is(h.events.filter((e) => e.type === 'link-connected').length, 2);
    a.peer.close(); b.peer.close(); third.close();
  } finally { await h.stop(); }
});

test('options.limits with a bad value is refused with HAX_ERR_BAD_OPTIONS', () => {
  for (const [limits, field] of [[{ maxLinks: 0 }, 'maxLinks'], [{ orphanGraceMs: 1.5 }, 'orphanGraceMs'], [{ maxUnconfirmedBytes: -1 }, 'maxUnconfirmedBytes']] as const) {
    try {
      Shim.start({ listen: ['tcp:127.0.0.1:0'], limits }, () => {});
      assert.unreachable(`limits ${JSON.stringify(limits)} accepted`);
    } catch (error) {
      assert.is((error as { code?: string }).code, 'HAX_ERR_BAD_OPTIONS');
      assert.match((error as Error).message, `options.limits.${field}`);
    }
  }
});

test.run();
