// The WASM decoder against an independent TypeScript decoder
// (bench/codec/ts-decoder.ts, written from the spec): random valid structures
// of every kind and every m0_ha_msg type, from a seeded generator, must decode
// to the same values (test/core/differential.test.ts: 50,000 of them;
// test/soak/codec-differential.test.ts: 1,000,000). Every message is compared in full through the
// flat (hot) path; every 50th also goes through the JSON path and must
// re-encode to the same bytes.
import * as assert from 'uvu/assert';
import { Codec, CodecError, CODEC_KINDS } from '../../src/core/codec.ts';
import type { FlatView } from '../../src/core/flat.ts';
import { oracleDecode, type OracleKind } from '../../bench/codec/ts-decoder.ts';
import { Gen, MSG_TYPES } from '../../bench/codec/gen.ts';

const JSON_EVERY = 50;
const NOTE_ARRAYS = new Set(['hmnv_arr', 'mfp_vec']);
const utf8 = new TextDecoder();

// (A top-level function: a closure made per call costs more than the walk under tsx.)
function bad(key: string, i: number, want: unknown, got: unknown): never {
  throw new Error(`field ${key} at slot ${i}: oracle ${String(want)}, wasm ${String(got)}`);
}

/**
 * Walks the oracle's value in wire order against the slots; returns the next
 * slot. A mismatch throws with the slot index (paths are built only then).
 */
function walk(v: unknown, f: FlatView, bytes: Uint8Array, i: number, key: string): number {
  if (typeof v === 'bigint') {
    const got = f.u64(i);
    if (got !== BigInt.asUintN(64, v)) bad(key, i, v, got);
    return i + 1;
  }
  if (typeof v === 'number') {
    const got = v < 0 ? f.signed(i) : f.num(i);
    if (got !== v) bad(key, i, v, got);
    return i + 1;
  }
  if (typeof v === 'string') {
    const got = utf8.decode(bytes.subarray(f.num(i), f.num(i) + f.num(i + 1)));
    if (got !== v) bad(key, i, v, got);
    return i + 2;
  }
  if (Array.isArray(v)) {
    if (!NOTE_ARRAYS.has(key)) { if (f.num(i) !== v.length) bad(key, i, v.length, f.num(i)); i++; }
    for (let k = 0; k < v.length; k++) i = walk(v[k], f, bytes, i, key);
    return i;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) i = walk(o[k], f, bytes, i, k);
  return i;
}

const JSON_OPS: Record<OracleKind, [(c: Codec, b: Uint8Array) => unknown, (c: Codec, o: unknown) => Uint8Array]> = {
  msg: [(c, b) => c.decodeMsg(b), (c, o) => c.encodeMsg(o as never)],
  'entrypoint-req': [(c, b) => c.decodeEntrypointReq(b), (c, o) => c.encodeEntrypointReq(o as never)],
  'entrypoint-rep': [(c, b) => c.decodeEntrypointRep(b), (c, o) => c.encodeEntrypointRep(o as never)],
  'link-msg': [(c, b) => c.decodeLinkMsg(b), (c, o) => c.encodeLinkMsg(o as never)],
  'link-rep': [(c, b) => c.decodeLinkMsgRep(b), (c, o) => c.encodeLinkMsgRep(o as never)],
};

/** Compares `messages` generated messages from `seed`; throws (uvu assertions) on the first difference. */
export async function compareDecoders(messages: number, seed: number): Promise<void> {
  const codec = await Codec.load();
  const gen = new Gen(seed);
  const perKind: Record<string, number> = {};
  const perType = new Array<number>(MSG_TYPES).fill(0);
  let bytesTotal = 0;
  let notes = 0;
  let jsonChecked = 0;
  for (let n = 0; n < messages; n++) {
    const kind = gen.kind();
    const bytes = gen.make(kind);
    const want = oracleDecode(kind, bytes);
    const got = codec.tryDecodeFlat(CODEC_KINDS[kind], bytes);
    if (got instanceof CodecError) assert.unreachable(`message ${n} (${kind}) refused by wasm: ${got.message}`);
    const f = got as FlatView;
    let used = -1;
    try { used = walk(want, f, bytes, 0, kind); } catch (e) { assert.unreachable(`message ${n} (${kind}): ${(e as Error).message}`); }
    assert.is(used, f.count, `message ${n} (${kind}): slot count`);
    perKind[kind] = (perKind[kind] ?? 0) + 1;
    const msg = kind === 'msg' ? want : kind === 'link-msg' ? want.lmf_msg : null;
    if (msg) { perType[msg.hed_type]++; notes += msg.body.hmnv_nr ?? msg.body.mfp_nr ?? 0; }
    bytesTotal += bytes.length;
    if (n % JSON_EVERY === 0) {
      const [dec, enc] = JSON_OPS[kind];
      const again = enc(codec, dec(codec, bytes));
      assert.ok(Buffer.compare(again, bytes) === 0, `message ${n} (${kind}) re-encoded from JSON differs`);
      jsonChecked++;
    }
  }
  for (let t = 0; t < MSG_TYPES; t++) assert.ok(perType[t]! > 0, `hed_type ${t} generated`);
  console.log(`  differential: ${messages} messages compared (${JSON.stringify(perKind)}), hed_type counts ${perType.join('/')}, ` +
    `${notes} valid notes, ${(bytesTotal / 1e6).toFixed(0)} MB; ${jsonChecked} also through JSON and re-encoded byte for byte`);
}
