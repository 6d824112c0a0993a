// What hax holds back for one HA link that is behind, and merges when it
// catches up. A link carries one message per round trip and every NVEC SET
// is 20,592 bytes whatever its note count, so a burst of broadcasts (a
// cluster start: thousands of STARTED and DTM_RECOVERED events, each
// broadcast to every link) would otherwise queue hundreds of nearly empty
// messages on a healthy link until its backlog limit dropped it. Instead the
// performer sends on a link directly only while fewer than SEND_AHEAD of its
// messages are unconfirmed; beyond that the broadcast's notes wait here, and
// each confirmation sends what waits as few NVEC SETs as the notes fit in
// (NOTES_PER_MESSAGE each), in the order they came. Motr applies a message's
// notes one by one in order (motr-ha-wire.md §1.7, §2.7: nothing forbids a
// fid twice in one NVEC), so every transition is still seen. A message the
// core addressed to the link alone (an NVEC GET's answer, a failure vector)
// waits in the same line, never overtaking notes held before it.
//
// Bounds (docs/operations.md, "Limits"): MAX_HELD_NOTES per link; and the
// performer counts what it handed the link since its last confirmation
// (`handed`, `quietSinceMs`), which is how a peer that stopped confirming is
// told from one that is merely behind.
import { NOTE_WIRE_BYTES, NVEC_NOTES_MAX } from '../core/abi.ts';

/** Messages hax lets be unconfirmed on a link before it holds broadcasts back. */
export const SEND_AHEAD = 4;
/** Notes one NVEC SET carries at most (Motr's M0_HA_STATE_UPDATE_LIMIT; the core chunks its broadcasts alike). */
export const NOTES_PER_MESSAGE = NVEC_NOTES_MAX;
/** Notes held for one link beyond which it is dropped: as many as 1024 full NVEC SETs carry. */
export const MAX_HELD_NOTES = 1024 * NOTES_PER_MESSAGE;

/** The notes of an NVEC SET message (hmnv_nr at byte 96, the array at 104), as their wire bytes. */
export function notesOfNvecSet(msg: Uint8Array): Uint8Array {
  const n = msg.length >= 104 ? new DataView(msg.buffer, msg.byteOffset, msg.byteLength).getUint32(96, true) : 0;
  return msg.slice(104, 104 + n * NOTE_WIRE_BYTES);
}

type Held =
  | { kind: 'notes'; notes: Uint8Array; id: number | undefined }
  | { kind: 'message'; msg: Uint8Array };

/** One message's worth of what was held: a held message alone, or notes in order. */
export type Release =
  | { kind: 'message'; msg: Uint8Array }
  | {
    kind: 'notes';
    /** Wire bytes of 1..NOTES_PER_MESSAGE notes. */
    notes: Uint8Array;
    /** Broadcast ids with notes in this message. */
    ids: number[];
    /** Broadcast ids whose last held note on this link is in this message. */
    finished: number[];
  };

export class LinkOutbox {
  /** Held items, oldest first, from #head on. Note arrays are shared by every link a broadcast went to. */
  #items: Held[] = [];
  #head = 0;
  /** Notes of the head item already released. */
  #taken = 0;
  /** Held note items per broadcast id. */
  readonly #itemsOf = new Map<number, number>();
  /** Notes held. */
  notes = 0;
  /** Messages handed to the link (sent or held) since it last confirmed one. */
  handed = 0;
  /** When the link last confirmed a message (or this outbox was made). */
  quietSinceMs: number;
  /** Set while a check of a link that stopped confirming is due. */
  stallTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(nowMs: number) { this.quietSinceMs = nowMs; }

  get empty(): boolean { return this.#head === this.#items.length; }

  /** Holds a broadcast's notes (wire bytes, shared: never written to). */
  holdNotes(notes: Uint8Array, id: number | undefined): void {
    if (notes.length === 0) return;
    this.#items.push({ kind: 'notes', notes, id });
    this.notes += notes.length / NOTE_WIRE_BYTES;
    if (id !== undefined) this.#itemsOf.set(id, (this.#itemsOf.get(id) ?? 0) + 1);
  }

  /** Holds a message addressed to this link alone, behind what is held already. */
  holdMessage(msg: Uint8Array): void { this.#items.push({ kind: 'message', msg }); }

  /** The broadcast ids some of whose notes are held here. */
  heldIds(): number[] { return [...this.#itemsOf.keys()]; }

  /** Takes the next message's worth from the front; undefined when nothing is held. */
  next(): Release | undefined {
    if (this.empty) return undefined;
    const first = this.#items[this.#head]!;
    if (first.kind === 'message') { this.#advance(); return { kind: 'message', msg: first.msg }; }
    const parts: Uint8Array[] = [];
    const ids = new Set<number>();
    const finished: number[] = [];
    let room = NOTES_PER_MESSAGE;
    while (room > 0 && !this.empty) {
      const item = this.#items[this.#head]!;
      if (item.kind !== 'notes') break;   // a held message goes in its own turn, after these notes
      const left = item.notes.length / NOTE_WIRE_BYTES - this.#taken;
      const take = Math.min(left, room);
      parts.push(item.notes.subarray(this.#taken * NOTE_WIRE_BYTES, (this.#taken + take) * NOTE_WIRE_BYTES));
      room -= take;
      this.notes -= take;
      if (item.id !== undefined) ids.add(item.id);
      if (take < left) { this.#taken += take; break; }
      if (item.id !== undefined) {
        const n = this.#itemsOf.get(item.id)! - 1;
        if (n === 0) { this.#itemsOf.delete(item.id); finished.push(item.id); } else this.#itemsOf.set(item.id, n);
      }
      this.#advance();
    }
    const notes = new Uint8Array((NOTES_PER_MESSAGE - room) * NOTE_WIRE_BYTES);
    let at = 0;
    for (const p of parts) { notes.set(p, at); at += p.length; }
    return { kind: 'notes', notes, ids: [...ids], finished };
  }

  /** Forgets everything held (the link went away); returns the broadcast ids that had notes here. */
  clear(): number[] {
    const ids = this.heldIds();
    this.#items = [];
    this.#head = 0;
    this.#taken = 0;
    this.#itemsOf.clear();
    this.notes = 0;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    return ids;
  }

  #advance(): void {
    this.#head++;
    this.#taken = 0;
    // drop released items now and then, so a long-behind link does not keep them all
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
