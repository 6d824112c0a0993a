// The NVEC SET broadcast of given notes (Codec/CoreHost.encodeNvecSet): the
// encoder the performer merges a lagging link's held notes with. It is the
// core's own encodeNvecSet, so it refuses what Motr would assert on, with a
// code, and its output decodes back to exactly the notes given, in order,
// duplicates kept (test/behaviour/coalesce.test.ts compares it byte for byte
// with broadcasts the core made).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Codec, CodecError } from '../../src/core/codec.ts';

/** Notes in their wire form: fid (u64 container, u64 key), u32 state. */
function wire(notes: [bigint, bigint, number][]): Uint8Array {
  const b = new Uint8Array(notes.length * 20);
  const v = new DataView(b.buffer);
  notes.forEach(([c, k, s], i) => { v.setBigUint64(i * 20, c, true); v.setBigUint64(i * 20 + 8, k, true); v.setUint32(i * 20 + 16, s, true); });
  return b;
}

function refusal(fn: () => unknown): CodecError {
  try { fn(); } catch (e) { assert.instance(e, CodecError); return e as CodecError; }
  return assert.unreachable('expected a CodecError') as never;
}

const DRIVE = 0x6b00000000000001n;
const PROCESS = 0x7200000000000001n;

test('encodes the notes in order, duplicates kept, as a broadcast: SET, id_of_get 0, ignore_same_state 1, tag 0, 20,592 bytes', async () => {
  const c = await Codec.load();
  const msg = c.encodeNvecSet(wire([[PROCESS, 3n, 1], [DRIVE, 1n, 5], [PROCESS, 3n, 2], [DRIVE, 1n, 1]]));
  assert.is(msg.length, 20592);
  const m = c.decodeMsg(msg);
  assert.is(m.type, 'NVEC');
  assert.is(m.body.hmnv_type, 'M0_HA_NVEC_SET');
  assert.is(m.body.hmnv_id_of_get, 0n);
  assert.is(m.body.hmnv_ignore_same_state, 1);
  assert.is(m.tag, 0n);
  assert.equal((m.body.hmnv_arr as { no_id: string; no_state: string }[]).map((n) => `${n.no_id} ${n.no_state}`), [
    '0x7200000000000001:0x3 M0_NC_ONLINE', '0x6b00000000000001:0x1 M0_NC_REPAIRED',
    '0x7200000000000001:0x3 M0_NC_FAILED', '0x6b00000000000001:0x1 M0_NC_ONLINE',
  ]);
});

test('takes 1024 notes, the most one message holds', async () => {
  const c = await Codec.load();
  const notes = Array.from({ length: 1024 }, (_, i): [bigint, bigint, number] => [DRIVE, BigInt(i + 1), 1 + (i % 2)]);
  assert.is((c.decodeMsg(c.encodeNvecSet(wire(notes))).body.hmnv_arr as unknown[]).length, 1024);
});

test('refuses, with a code, what Motr would assert on or what is not whole notes', async () => {
  const c = await Codec.load();
  assert.is(refusal(() => c.encodeNvecSet(new Uint8Array(0))).code, 'HAX_ERR_XCODE_COUNT_RANGE');
  assert.is(refusal(() => c.encodeNvecSet(wire(Array.from({ length: 1025 }, (_, i): [bigint, bigint, number] => [DRIVE, BigInt(i + 1), 1])))).code, 'HAX_ERR_XCODE_COUNT_RANGE');
  assert.is(refusal(() => c.encodeNvecSet(wire([[DRIVE, 1n, 0]]))).code, 'HAX_ERR_XCODE_REFUSE_UNKNOWN_STATE');
  assert.is(refusal(() => c.encodeNvecSet(wire([[PROCESS, 1n, 4]]))).code, 'HAX_ERR_XCODE_REFUSE_REPAIR_FID');
  assert.throws(() => c.encodeNvecSet(new Uint8Array(21)), /whole number/);
  // nothing was changed by the refusals: the codec still encodes
  assert.is(c.encodeNvecSet(wire([[DRIVE, 1n, 1]])).length, 20592);
});

test.run();
