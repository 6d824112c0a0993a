// Entrypoint and the link decision (motr-ha-wire.md §4.5) over real sockets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadAddon, type ShimEvent } from '../../src/native/binding.ts';
import {
  LinkClient, OP_ENTRYPOINT_REP, OP_ENTRYPOINT_REQ, decodeEntrypointRep, type EntrypointRep,
} from '../../src/sim/link-client.ts';
import { CONFD, PROCESS_FID, RM_EP, RM_FID, RawPeer, eventMsg, fixtureBytes, startShim } from './_harness.ts';

// Narrow by type; members like 'link-connected' | 'link-reused' share one variant.
type Ev<T extends ShimEvent['type']> = ShimEvent & { type: T };

test('a first entrypoint request makes a new link; the reply has the same xid, inverted params and our cookie', async () => {
  const h = await startShim();
  try {
    const peer = await RawPeer.connect(h.address);
    const req = fixtureBytes('ep_req_first'); // generation 1, process 0x7200000000000001:0x2
    peer.send(OP_ENTRYPOINT_REQ, req, 7n);
    const [frame] = await peer.waitFrames(1);
    assert.is(frame!.opcode, OP_ENTRYPOINT_REP);
    assert.is(frame!.xid, 7n);
    const ep = await h.waitFor<Ev<'entrypoint'>>((e) => e.type === 'entrypoint');
    assert.is(Buffer.from(ep.fop).toString('hex'), req.toString('hex'));   // passed on undecoded: the core decodes it
    assert.match(ep.remote, /^tcp:127\.0\.0\.1:\d+$/);
    const lc = await h.waitFor<Ev<'link-connected'>>((e) => e.type === 'link-connected');
    assert.is(lc.reqId, ep.reqId);
    assert.equal(lc.processFid, PROCESS_FID);

    const rep = decodeEntrypointRep(frame!.body);
    assert.is(rep.control, 0);
    assert.not.ok(rep.doReconnect);
    assert.not.ok(rep.disconnectedPreviously);
    // HA ids: local n=1, remote n+1=2; the reply is the peer's (inverted) view.
    assert.equal(rep.linkParams.idLocal, { hi: 0n, lo: 2n });
    assert.equal(rep.linkParams.idRemote, { hi: 0n, lo: 1n });
    assert.equal(rep.linkParams.idConnection, { hi: 1n, lo: 1n });
    assert.equal(rep.linkParams.tagsLocal, { confirmed: 2, delivered: 2, next: 2, assign: 2 });
    assert.equal(rep.linkParams.tagsRemote, { confirmed: 1, delivered: 1, next: 1, assign: 1 });
    assert.is(rep.cookie.pid, BigInt(process.pid));
    assert.is(rep.cookie.uptime, 0xffffffffffffffffn);
    assert.ok(rep.cookie.uuid.hi !== 0n || rep.cookie.uuid.lo !== 0n);
    assert.is(rep.quorum, 1);
    assert.equal(rep.confds, [CONFD]);
    assert.is(rep.rmEndpoint, RM_EP);

    // Same inputs through the shim's pure encoder give the same bytes.
    const big = (t: { confirmed: number; delivered: number; next: number; assign: number }) =>
      ({ confirmed: BigInt(t.confirmed), delivered: BigInt(t.delivered), next: BigInt(t.next), assign: BigInt(t.assign) });
    const again = loadAddon().encodeEntrypointRep({
      quorum: 1, confds: [CONFD], rmFid: RM_FID, rmEndpoint: RM_EP, control: 0,
      linkParams: { ...rep.linkParams, tagsLocal: big(rep.linkParams.tagsLocal), tagsRemote: big(rep.linkParams.tagsRemote) },
      doReconnect: 0, disconnectedPreviously: 0, cookie: rep.cookie,
    });
    assert.is(Buffer.from(again).toString('hex'), frame!.body.toString('hex'));
    peer.close();
  } finally {
    await h.stop();
  }
});

test('a non-zero rc is answered with QUERY and still creates the link; the re-query reuses it with zero params', async () => {
  let rc = -11;
  const h = await startShim({ autoReply: null });
  try {
    const seen: ShimEvent[] = [];
    // Answer by hand: first with -11, then 0.
    const answer = async (from: number) => {
      const ep = await h.waitFor<Ev<'entrypoint'>>((e) => e.type === 'entrypoint', from);
      h.links.answer(h.shim, ep, rc);
      seen.push(ep);
    };
    const client = new LinkClient({ address: h.address, processFid: PROCESS_FID });
    const reps: EntrypointRep[] = [];
    client.on('entrypoint-reply', (r) => reps.push(r));
    const first = client.connect();
    await answer(0);
    await first;
    rc = 0;
    await answer(h.events.indexOf(seen[0]!) + 1);
    const reused = await h.waitFor<Ev<'link-reused'>>((e) => e.type === 'link-reused');
    const connected = await h.waitFor<Ev<'link-connected'>>((e) => e.type === 'link-connected');
    assert.is(reused.linkId, connected.linkId);
    await new Promise<void>((r) => (reps.length >= 2 ? r() : client.once('entrypoint-reply', () => r())));
    assert.is(reps[0]!.control, 2);
    assert.is(reps[1]!.control, 0);
    assert.is(reps[1]!.linkParams.idLocal.lo, 0n);
    assert.is(reps[1]!.linkParams.tagsLocal.assign, 0);
    client.close();
  } finally {
    await h.stop();
  }
});

test('after disconnect the peer gets -ENOLINK, asks again and is told disconnected_previously (link absent)', async () => {
  const h = await startShim();
  try {
    const client = new LinkClient({ address: h.address, processFid: PROCESS_FID, resendMs: 200 });
    await client.connect();
    const lc = await h.waitFor<Ev<'link-connected'>>((e) => e.type === 'link-connected');
    // A message the peer never confirms, so that stopping must report it.
    const tag = h.shim.send(lc.linkId, eventMsg());
    await new Promise<void>((r) => client.once('message', () => r()));
    const from = h.events.length;
    h.shim.disconnect(lc.linkId);
    await h.waitFor((e) => e.type === 'disconnected', from);
    const tail = h.events.slice(from).map((e) => e.type === 'not-delivered' ? `${e.type}:${e.tag}` : e.type);
    assert.equal(tail, ['disconnecting', `not-delivered:${tag}`, 'disconnected']);
    try { h.shim.send(lc.linkId, eventMsg()); assert.unreachable(); } catch (e) { assert.is((e as { code: string }).code, 'HAX_ERR_UNKNOWN_LINK'); }

    const gone = new Promise<void>((r) => client.once('disconnected-previously', () => r()));
    const rcs: number[] = [];
    client.on('reply-rc', (rc) => rcs.push(rc));
    client.send(eventMsg());
    await gone;
    assert.is(rcs[0], -67);
    await h.waitFor((e) => e.type === 'link-absent');
  } finally {
    await h.stop();
  }
});

test('after hax restarts, the peer reconnects with do_reconnect and re-sends what was not delivered', async () => {
  const a = await startShim({ autoDeliver: false });
  const port = a.address.slice(a.address.lastIndexOf(':') + 1);
  const client = new LinkClient({ address: a.address, processFid: PROCESS_FID, reconnectDelayMs: 20 });
  await client.connect();
  const oldCookie = client.lastCookie;
  const tag = client.send(eventMsg(1));
  const got = await a.waitFor<Ev<'received'>>((e) => e.type === 'received');
  assert.is(got.tag, tag);
  await a.stop(); // hax "dies" before delivered(): the peer must re-send tag 2

  const b = await startShim({ listen: [`tcp:127.0.0.1:${port}`] });
  try {
    const rep = await new Promise<EntrypointRep>((r) => client.once('entrypoint-reply', r));
    assert.ok(rep.doReconnect);
    assert.not.ok(rep.disconnectedPreviously);
    assert.ok(rep.cookie.uuid.hi !== oldCookie.uuid.hi || rep.cookie.uuid.lo !== oldCookie.uuid.lo);
    await b.waitFor<Ev<'entrypoint'>>((e) => e.type === 'entrypoint');
    const lc = await b.waitFor<Ev<'link-connected'>>((e) => e.type === 'link-connected');
    const again = await b.waitFor<Ev<'received'>>((e) => e.type === 'received');
    assert.is(again.tag, tag);
    assert.is(again.linkId, lc.linkId);
    const delivered = new Promise<number>((r) => client.once('delivered', r));
    assert.is(await delivered, tag);
    // The link goes on: hax's next tag continues from the peer's view.
    const t = b.shim.send(lc.linkId, eventMsg());
    assert.is(t % 2, 1);
    const [mtag] = await new Promise<[number]>((r) => client.once('message', (x) => r([x])));
    assert.is(mtag, t);
  } finally {
    client.close();
    await b.stop();
  }
});

test('entrypointReply for an unknown request throws HAX_ERR_UNKNOWN_REQUEST', async () => {
  const h = await startShim();
  try {
    const plan = { control: 'consume' as const, mode: 'new' as const, linkId: 0, generation: 1n, processFid: PROCESS_FID, params: Array<bigint>(14).fill(0n), note: '' };
    assert.throws(() => h.shim.entrypointReply(999, 0, [], 0, RM_FID, RM_EP, plan), (e: { code: string }) => e.code === 'HAX_ERR_UNKNOWN_REQUEST');
  } finally {
    await h.stop();
  }
});

test.run();
