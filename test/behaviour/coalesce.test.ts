// A burst of broadcasts must not drop a healthy link that is merely behind
// (performer.ts, link-outbox.ts): hax holds the notes of a link with
// SEND_AHEAD unconfirmed messages and sends them merged, in order, as it
// confirms. With a real agent, the real shim and peers on real sockets:
//   1. a peer that confirms slowly gets a burst of 2,000 broadcasts, keeps its
//      link, and sees every note in the order broadcast, in merged messages
//      that are byte for byte what the core encodes for those notes;
//   2. a peer that never confirms is still dropped (HAX_ERR_LINK_BACKLOG);
//   3. an entrypoint reply that waits on a broadcast's delivery goes out only
//      once the merged message carrying its notes is delivered.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startWorld, until, sleep, pfid, F, type World, type Peer } from './_world.ts';
import { Peer as WorldPeer } from './_world.ts';
import { LinkClient, CONTROL_CONSUME, type EntrypointRep } from '../../src/sim/link-client.ts';
import { formatFid, type Fid } from '../../src/fid.ts';
import { RawPeer } from '../native/_harness.ts';

/** One note as compared here: "container:key state" (fid text and state number). */
type Note = string;

/** The notes of an NVEC SET broadcast (hmnv_type SET, id_of_get 0), read from its bytes; [] for any other message. */
function notesOf(msg: Uint8Array): Note[] {
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  if (msg.length < 104 || v.getUint32(64, true) !== 2 || v.getBigUint64(72, true) !== 0n || v.getBigUint64(80, true) !== 0n) return [];
  const n = Number(v.getBigUint64(96, true));
  const notes: Note[] = [];
  for (let i = 0; i < n; i++) {
    const at = 104 + i * 20;
    notes.push(`${formatFid({ container: v.getBigUint64(at, true), key: v.getBigUint64(at + 8, true) })} ${v.getUint32(at + 16, true)}`);
  }
  return notes;
}

/** Where two byte strings first differ (-1: equal), so that a failure says where rather than listing 20 KB. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** The message with its hm_tag (the last 8 bytes, set by the shim on sending) zeroed, as the core hands it over. */
const untagged = (msg: Uint8Array) => { const m = msg.slice(); m.fill(0, m.length - 8); return m; };

/**
 * A Motr process's side of one link that confirms what it receives only as
 * the test says: automatically one message every `everyMs` (a peer that is
 * behind), or by hand (confirmUpTo).
 */
class SlowPeer {
  readonly link: LinkClient;
  readonly messages: { tag: number; msg: Uint8Array }[] = [];
  #confirmed = 0;   // messages confirmed, oldest first
  #auto: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly fid: Fid;

  constructor(address: string, fid: Fid, everyMs?: number) {
    this.fid = fid;
    this.#auto = everyMs;
    this.link = new LinkClient({ address, processFid: fid });
    this.link.on('message', (tag, msg) => { this.messages.push({ tag, msg: msg.slice() }); this.#tick(); });
    this.link.on('error', () => {});
  }

  connect(): Promise<EntrypointRep> {
    return new Promise((resolve, reject) => {
      const on = (rep: EntrypointRep) => { if (rep.control !== CONTROL_CONSUME) return; this.link.off('entrypoint-reply', on); resolve(rep); };
      this.link.on('entrypoint-reply', on);
      this.link.connect().catch(reject);
    });
  }

  notes(): Note[] { return this.messages.flatMap((m) => notesOf(m.msg)); }
  get confirmed(): number { return this.#confirmed; }

  /** Stops confirming (by hand from now on). */
  hold(): void { this.#auto = undefined; clearTimeout(this.#timer); this.#timer = undefined; }

  /** Confirms every message received up to index `n` (exclusive), in order. */
  confirmUpTo(n: number): void {
    while (this.#confirmed < Math.min(n, this.messages.length)) this.link.delivered(this.messages[this.#confirmed++]!.tag);
  }

  #tick(): void {
    if (this.#auto === undefined || this.#timer || this.#confirmed >= this.messages.length) return;
    this.#timer = setTimeout(() => { this.#timer = undefined; this.confirmUpTo(this.#confirmed + 1); this.#tick(); }, this.#auto);
  }

  close(): void { this.hold(); this.link.close(); }
}


let w: World | undefined;
let sender: Peer;
let slow: SlowPeer;
const BURST = 2000;
/** Drive fids no conf tree knows: re-broadcast as given, with no KV write (nvec.ts), and used by nothing else. */
const burstFid = (i: number) => `0x6b00000000000001:0x${(0x100 + (i % 37)).toString(16)}`;
const burstState = (i: number) => (i % 2 ? 'M0_NC_ONLINE' : 'M0_NC_REPAIRED');
const STATE_NUMBER: Record<string, number> = { M0_NC_ONLINE: 1, M0_NC_FAILED: 2, M0_NC_REPAIRED: 5 };
const isBurst = (n: Note) => /^0x6b00000000000001:0x1[0-9a-f]{2} /.test(n);

const world = async () => {
  if (!w) {
    // the delivery timeout is long, so a held reply goes out on delivery, never on time;
    // a link that confirms nothing for 2 s while handed more than 1024 messages is dropped
    w = await startWorld({ hax: { deliveryTimeoutMs: 120_000, linkStallMs: 2_000 } });
    sender = await w.peer(4);
    slow = new SlowPeer(w.hax.haLinkAddresses[0]!, pfid(2), 20);
    await slow.connect();
    await until('the slow link in hax', () => w!.hax.links.active().some((l) => l.processFid.key === 2n) || undefined);
  }
  return w;
};
const linkOf = (k: number) => w!.hax.links.all().find((l) => l.processFid.key === BigInt(k) && l.active)?.linkId;

test('a core-made broadcast is byte for byte what the core encodes for its notes (the encoder held notes are merged with)', async () => {
  await world();
  const from = slow.messages.length;
  await sender.processEvent('STARTED');   // its broadcast: the process and what it expands to, several notes in one message
  const made = await until('the STARTED broadcast at the slow peer', () => slow.messages.slice(from).find((m) => notesOf(m.msg).length > 1));
  const n = notesOf(made.msg).length;
  const wire = made.msg.slice(104, 104 + n * 20);
  const encoded = w!.codec.encodeNvecSet(wire);
  assert.is(firstDifference(encoded, untagged(made.msg)), -1, `encoded ${encoded.length} bytes, the core made ${made.msg.length}`);
  console.log(`the core's STARTED broadcast (${n} notes, ${made.msg.length} bytes) equals encodeNvecSet of its notes`);
});

test('a slowly confirming peer gets a burst of 2,000 broadcasts without being dropped, every note in order; a silent peer is dropped', async () => {
  const { hax, logs } = await world();
  const silent = await RawPeer.entrypoint(hax.haLinkAddresses[0]!, 2000, 'silent');   // a link whose peer never answers LINK_MSG
  try { await burstAndSilent(hax, logs, silent); } finally { silent.close(); }
});

async function burstAndSilent(hax: World['hax'], logs: string[], silent: RawPeer): Promise<void> {
  const silentId = await until('the silent link', () => linkOf(2000));
  const slowId = linkOf(2)!;
  const fromSlow = slow.messages.length;
  const expected: Note[] = [];
  const acks: Promise<void>[] = [];
  for (let i = 0; i < BURST; i++) {
    expected.push(`${burstFid(i)} ${STATE_NUMBER[burstState(i)]}`);
    acks.push(sender.send('NVEC', { hmnv_type: 'M0_HA_NVEC_SET', hmnv_id_of_get: 0n, hmnv_ignore_same_state: 1, hmnv_arr: [{ no_id: burstFid(i), no_state: burstState(i) }] }, undefined, 120_000));
  }
  await Promise.all(acks);
  // every note reaches the slow peer, in the order broadcast
  await until('every burst note at the slow peer', () => slow.notes().filter(isBurst).length >= BURST || undefined, 120_000);
  const got = slow.messages.slice(fromSlow);
  assert.equal(slow.notes().filter(isBurst), expected, 'the slow peer saw every note, in order');
  assert.equal(sender.notes().map((n) => `${n.fid} ${STATE_NUMBER[n.state]}`).filter(isBurst), expected, 'and so did the fast one');
  assert.ok(hax.links.active().some((l) => l.linkId === slowId), 'the slow peer keeps its link');
  assert.ok(got.length < BURST, `merged: ${got.length} messages carried the ${BURST} broadcasts`);
  // a merged message is what the core's encoder makes of its notes (hm_tag apart)
  const merged = got.filter((m) => notesOf(m.msg).length > 1);
  assert.ok(merged.length > 0, 'some messages carried several broadcasts');
  for (const m of merged) assert.is(firstDifference(untagged(m.msg), w!.codec.encodeNvecSet(m.msg.slice(104, 104 + notesOf(m.msg).length * 20))), -1);
  assert.not.ok(logs.some((l) => l.includes('link dropped by a limit') && l.includes(`"linkId":${slowId}`)), 'no limit dropped the slow link');
  // the silent peer confirmed none of 2,000 broadcasts for 2 s: dropped, as before
  await until('the silent link dropped', () => hax.links.all().every((l) => l.linkId !== silentId) || undefined, 60_000);
  const drop = logs.find((l) => l.includes('link dropped by a limit') && l.includes(`"linkId":${silentId}`));
  assert.ok(drop && drop.includes('HAX_ERR_LINK_BACKLOG'), `the silent link was dropped for its backlog: ${drop}`);
  assert.is(hax.heldNotes(silentId), 0, 'nothing held for it any more');
  console.log(`burst: ${BURST} broadcasts reached the slow peer (one confirmation per 20 ms) in ${got.length} messages (largest ${Math.max(...got.map((m) => notesOf(m.msg).length))} notes); silent peer dropped`);
}

test('an entrypoint reply waiting on a broadcast goes out only once the merged message carrying its notes is delivered', async () => {
  const { hax, reasons } = await world();
  const slowId = linkOf(2)!;
  await until('the slow peer confirmed everything', () => slow.confirmed === slow.messages.length || undefined, 60_000);
  slow.hold();
  // put the slow link behind: SEND_AHEAD messages unconfirmed, the rest held
  const base = slow.messages.length;
  await Promise.all(Array.from({ length: 20 }, (_, i) =>
    sender.send('NVEC', { hmnv_type: 'M0_HA_NVEC_SET', hmnv_id_of_get: 0n, hmnv_ignore_same_state: 1, hmnv_arr: [{ no_id: `0x6b00000000000001:0x${(0x200 + i).toString(16)}`, no_state: 'M0_NC_ONLINE' }] })));
  const heldBefore = await until('notes held for the slow link', () => hax.heldNotes(slowId) || undefined);
  // what hax sent before holding has all arrived (nothing is confirmed, so the link's unconfirmed count stays)
  await until('the messages sent before holding', () => slow.messages.length - slow.confirmed === hax.links.get(slowId)!.pending.size || undefined);
  const direct = slow.messages.length - base;
  // process 3's third first request: restart detected, FAILED broadcast to every link but its own, reply held until delivered
  for (let i = 0; i < 2; i++) (await w!.peer(3)).close();
  const detected = reasons('ENTRYPOINT_RESTART_DETECTED');
  const restarted = new WorldPeer(hax.haLinkAddresses[0]!, w!.codec, pfid(3), 'M0_CONF_HA_PROCESS_M0D');
  const events: string[] = [];
  const replied = restarted.connect(120_000).then(() => { events.push('reply'); });
  try {
    await until('restart detected', () => reasons('ENTRYPOINT_RESTART_DETECTED') > detected || undefined);
    await until('the FAILED note at the fast peer', () => sender.noteOf(F.ios3, 'M0_NC_FAILED') || undefined);
    assert.ok(hax.heldNotes(slowId) > heldBefore, 'the FAILED notes are held for the slow link');
    // an operator sees them per link
    const shown = (await (await fetch(`http://127.0.0.1:${w!.httpPort}/api/v1/links`)).json()) as { linkId: number; heldNotes: number }[];
    assert.is(shown.find((l) => l.linkId === slowId)?.heldNotes, hax.heldNotes(slowId), 'GET /api/v1/links shows the held notes');
    // confirm the messages sent before holding began: the held notes go out merged, the FAILED ones among them
    const failed = `${F.ios3} ${STATE_NUMBER.M0_NC_FAILED}`;
    slow.confirmUpTo(base + direct);
    const carrier = await until('the merged message with the FAILED note', () => {
      const i = slow.messages.findIndex((m, k) => k >= base + direct && notesOf(m.msg).includes(failed));
      return i >= 0 ? i : undefined;
    });
    assert.ok(notesOf(slow.messages[carrier]!.msg).length > 1, 'merged with the notes held before it');
    await sleep(300);   // room for a reply that wrongly did not wait
    assert.equal(events, [], 'no reply while the message carrying the FAILED notes is unconfirmed');
    slow.confirmUpTo(carrier);
    await sleep(300);
    assert.equal(events, [], 'nor once only the messages before it are confirmed');
    events.push('delivered');
    slow.confirmUpTo(carrier + 1);
    await replied;
    assert.equal(events, ['delivered', 'reply']);
  } finally {
    restarted.close();
  }
});

test.after(async () => { slow?.close(); await w?.stop(); });
test.run();
