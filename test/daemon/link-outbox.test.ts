// A lagging link's outbox (src/daemon/link-outbox.ts): what it holds comes
// out in the order it went in, as messages of at most 1,024 notes, a message
// for the link alone in its own turn and never ahead of notes held before
// it; each broadcast id is reported with every message that carries its
// notes, and as finished with the one that carries its last.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LinkOutbox, NOTES_PER_MESSAGE, notesOfNvecSet, type Release } from '../../src/daemon/link-outbox.ts';

/** `n` notes in wire form whose keys count from `first` (state 1). */
function notes(first: number, n: number): Uint8Array {
  const b = new Uint8Array(n * 20);
  const v = new DataView(b.buffer);
  for (let i = 0; i < n; i++) { v.setBigUint64(i * 20, 0x6b00000000000001n, true); v.setBigUint64(i * 20 + 8, BigInt(first + i), true); v.setUint32(i * 20 + 16, 1, true); }
  return b;
}
const keys = (b: Uint8Array) => Array.from({ length: b.length / 20 }, (_, i) => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(i * 20 + 8, true)));
const drain = (box: LinkOutbox) => { const out: Release[] = []; for (let r = box.next(); r; r = box.next()) out.push(r); return out; };

test('notes come out in order, merged up to 1,024 per message, ids with every message that carries them', () => {
  const box = new LinkOutbox(0);
  box.holdNotes(notes(0, 1000), 1);
  box.holdNotes(notes(1000, 100), 2);
  box.holdNotes(notes(1100, 3), undefined);
  assert.is(box.notes, 1103);
  const out = drain(box);
  assert.equal(out.map((r) => r.kind), ['notes', 'notes']);
  const [a, b] = out as Extract<Release, { kind: 'notes' }>[];
  assert.is(a!.notes.length / 20, NOTES_PER_MESSAGE);
  assert.equal([...keys(a!.notes), ...keys(b!.notes)], Array.from({ length: 1103 }, (_, i) => i));
  assert.equal(a!.ids, [1, 2]);
  assert.equal(a!.finished, [1]);          // broadcast 2 goes on into the second message
  assert.equal(b!.ids, [2]);
  assert.equal(b!.finished, [2]);
  assert.is(box.notes, 0);
  assert.ok(box.empty);
});

test('a message for the link alone waits behind earlier notes and goes in its own turn', () => {
  const box = new LinkOutbox(0);
  const own = new Uint8Array([1, 2, 3]);
  box.holdNotes(notes(0, 2), 7);
  box.holdMessage(own);
  box.holdNotes(notes(2, 2), 8);
  const out = drain(box);
  assert.equal(out.map((r) => r.kind), ['notes', 'message', 'notes']);
  assert.equal(keys((out[0] as Extract<Release, { kind: 'notes' }>).notes), [0, 1]);
  assert.is((out[1] as Extract<Release, { kind: 'message' }>).msg, own);
  assert.equal(keys((out[2] as Extract<Release, { kind: 'notes' }>).notes), [2, 3]);
});

test('a broadcast id in several chunks is finished only with its last; clear() names the ids still held', () => {
  const box = new LinkOutbox(0);
  box.holdNotes(notes(0, 1024), 5);
  box.holdNotes(notes(1024, 10), 5);
  box.holdNotes(notes(2000, 1), 6);
  const first = box.next() as Extract<Release, { kind: 'notes' }>;
  assert.equal(first.finished, []);
  assert.equal(box.heldIds().sort(), [5, 6]);
  assert.equal(box.clear().sort(), [5, 6]);
  assert.ok(box.empty);
  assert.is(box.notes, 0);
  assert.is(box.next(), undefined);
});

test('notesOfNvecSet reads hmnv_nr and the notes of a message', () => {
  const msg = new Uint8Array(20592);
  new DataView(msg.buffer).setUint32(96, 2, true);
  msg.set(notes(40, 2), 104);
  assert.equal(keys(notesOfNvecSet(msg)), [40, 41]);
});

test.run();
