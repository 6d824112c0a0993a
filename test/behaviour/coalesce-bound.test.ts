// The bound on what hax holds for a link that is behind (performer.ts,
// MAX_HELD_NOTES: 1,048,576 notes, as many as 1,024 full NVEC SETs): a peer
// that confirms nothing while more than that is broadcast loses its link
// (HAX_ERR_LINK_BACKLOG), and what was held for it is freed; a peer that
// confirms keeps its link and gets every note. The stall rule (no
// confirmation for linkStallMs) is set out of reach here, so only the note
// bound can drop the link.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startWorld, until, type World } from './_world.ts';
import { MAX_HELD_NOTES, NOTES_PER_MESSAGE } from '../../src/daemon/link-outbox.ts';
import { RawPeer } from '../native/_harness.ts';

let w: World | undefined;

test('a peer that confirms nothing is dropped once more than MAX_HELD_NOTES notes are held for it; the fast peer gets them all', async () => {
  w = await startWorld({ hax: { linkStallMs: 3_600_000 } });
  const { hax, logs } = w;
  const sender = await w.peer(4);
  const silent = await RawPeer.entrypoint(hax.haLinkAddresses[0]!, 3000, 'silent', false);
  try {
    const silentId = await until('the silent link', () => hax.links.all().find((l) => l.processFid.key === 3000n)?.linkId);
    // full NVEC SETs of distinct drive fids no conf tree knows: each is re-broadcast as given, 1,024 notes
    const messages = Math.ceil(MAX_HELD_NOTES / NOTES_PER_MESSAGE) + 8;
    let sentNotes = 0;
    for (let m = 0; m < messages; m += 32) {
      await Promise.all(Array.from({ length: Math.min(32, messages - m) }, (_, j) => sender.send('NVEC', {
        hmnv_type: 'M0_HA_NVEC_SET', hmnv_id_of_get: 0n, hmnv_ignore_same_state: 1,
        hmnv_arr: Array.from({ length: NOTES_PER_MESSAGE }, (_, i) => ({ no_id: `0x6b00000000000002:0x${((m + j) * NOTES_PER_MESSAGE + i + 1).toString(16)}`, no_state: 'M0_NC_ONLINE' })),
      }, undefined, 120_000)));
      sentNotes += Math.min(32, messages - m) * NOTES_PER_MESSAGE;
      if (hax.links.all().every((l) => l.linkId !== silentId || !l.active)) break;
    }
    await until('the silent link dropped', () => hax.links.all().every((l) => l.linkId !== silentId || !l.active) || undefined, 60_000);
    const drop = logs.find((l) => l.includes('link dropped by a limit') && l.includes(`"linkId":${silentId}`));
    assert.ok(drop && drop.includes('HAX_ERR_LINK_BACKLOG') && drop.includes('notes held'), `dropped for the notes held: ${drop}`);
    assert.is(hax.heldNotes(silentId), 0, 'what was held for it is freed');
    // the fast peer got every note, in order (keys 1, 2, … as sent)
    const keys = () => sender.notes().filter((n) => n.fid.startsWith('0x6b00000000000002:')).map((n) => Number.parseInt(n.fid.split(':0x')[1]!, 16));
    await until('the fast peer has every note', () => keys().length >= sentNotes || undefined, 120_000);
    assert.ok(keys().every((k, i) => k === i + 1) && keys().length === sentNotes, 'every note, in order, once');
    assert.ok(hax.links.active().some((l) => l.processFid.key === 4n), 'the fast peer keeps its link');
    console.log(`silent peer dropped past ${MAX_HELD_NOTES} held notes; all ${sentNotes.toLocaleString()} notes reached the fast peer in order`);
  } finally {
    silent.close();
  }
});

test.after(async () => { await w?.stop(); });
test.run();
