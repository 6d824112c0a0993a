// Decoder fuzz target: mutated, truncated and extended inputs (from the
// golden vectors and from random valid structures) go through the WASM
// decoder. test/core/fuzz.test.ts runs 30,000 of them (seconds, with the
// rules' tests); test/soak/codec-fuzz.test.ts runs 1,000,000 on one instance. No input may trap, memory must not grow, and on every input the
// WASM verdict (accepted, or error code + byte offset) must equal the
// independent TypeScript decoder's (bench/codec/ts-decoder.ts). Every 16th
// input also goes through the JSON path, which must not trap either.
// No hang: each decode is bounded by its input; the runner's file timeout would catch one.
import * as assert from 'uvu/assert';
import { Codec, CodecError, CODEC_KINDS, type CodecKindName } from '../../src/core/codec.ts';
import { oracleDecode, OracleError, type OracleKind } from '../../bench/codec/ts-decoder.ts';
import { Gen, Prng } from '../../bench/codec/gen.ts';
import { loadVectors } from './helpers.ts';

const JSON_EVERY = 16;
const KINDS = Object.keys(CODEC_KINDS) as CodecKindName[];
const XC_KIND: Record<string, OracleKind> = {
  m0_ha_msg_xc: 'msg', m0_ha_entrypoint_req_fop_xc: 'entrypoint-req', m0_ha_entrypoint_rep_fop_xc: 'entrypoint-rep',
  m0_ha_link_msg_fop_xc: 'link-msg', m0_ha_link_msg_rep_fop_xc: 'link-rep',
};
const BOUNDARY = [0, 1, 2, 7, 8, 11, 12, 22, 23, 1023, 1024, 1025, 0x7fffffff, 0x80000000, 0xffffffff];

type Mutation = 'flip' | 'boundary' | 'truncate' | 'extend' | 'splice' | 'random' | 'other-kind';
const MUTATIONS: Mutation[] = ['flip', 'flip', 'flip', 'boundary', 'boundary', 'truncate', 'truncate', 'extend', 'splice', 'random', 'other-kind'];

function mutate(g: Prng, src: Uint8Array, how: Mutation): Uint8Array {
  const len = src.length;
  if (how === 'random') {
    const b = new Uint8Array(g.int(0, 300));
    for (let i = 0; i < b.length; i++) b[i] = g.int(0, 255);
    return b;
  }
  if (how === 'truncate') return src.slice(0, g.int(0, len - 1));
  if (how === 'extend' || how === 'splice') {
    const keep = how === 'extend' ? len : g.int(0, len);
    const b = new Uint8Array(keep + g.int(1, 16));
    b.set(src.subarray(0, keep));
    for (let i = keep; i < b.length; i++) b[i] = g.int(0, 255);
    return b;
  }
  const b = src.slice();
  if (how === 'other-kind' || len === 0) return b;
  if (how === 'flip') {
    // Mostly in the first 200 bytes, where the discriminators, counts and lengths are.
    for (let n = g.int(1, 4); n > 0; n--) b[g.int(0, Math.min(len, g.int(0, 3) ? 200 : len) - 1)] ^= 1 << g.int(0, 7);
    return b;
  }
  const at = g.int(0, Math.max(0, len - 4));
  const v = new DataView(b.buffer);
  if (at + 4 <= len) v.setUint32(at - (at % 4), g.pick(BOUNDARY), true);
  return b;
}

function verdict(f: () => unknown): string {
  try { f(); return 'ok'; } catch (e) {
    if (e instanceof OracleError) return `${e.code}@${e.offset}`;
    throw e;
  }
}

/** Feeds `inputs` inputs from `seed`; throws (uvu assertions) on a trap, a disagreement or memory growth. */
export async function fuzzDecoders(inputs: number, seed: number): Promise<void> {
  const codec = await Codec.load();
  const g = new Prng(seed);
  const gen = new Gen(seed + 1);
  const vectors = loadVectors().map((v) => ({ kind: XC_KIND[v.xc_type]!, bytes: v.bytes }));
  const memoryBefore = codec.memoryBytes;
  // asconfig.json initialMemory (256 pages) reserves all the core uses at instantiation.
  assert.is(memoryBefore, 16 << 20, 'wasm memory at instantiation');
  const byMutation: Record<string, number> = {};
  const byCode: Record<string, number> = {};
  let traps = 0;
  let jsonRuns = 0;
  let accepted = 0;
  const disagreements: string[] = [];
  for (let n = 0; n < inputs; n++) {
    let kind: OracleKind;
    let src: Uint8Array;
    if (g.int(0, 9) === 0) ({ kind, bytes: src } = g.pick(vectors));
    else { kind = gen.kind(); src = gen.make(kind); }
    const how = g.pick(MUTATIONS);
    const input = mutate(g, src, how);
    if (how === 'other-kind') kind = g.pick(KINDS);
    byMutation[how] = (byMutation[how] ?? 0) + 1;

    let wasm: string;
    try {
      const r = codec.tryDecodeFlat(CODEC_KINDS[kind], input);
      wasm = r instanceof CodecError ? `${r.code}@${r.offset}` : 'ok';
    } catch (e) {
      traps++;
      wasm = `trap ${(e as Error).message}`;
    }
    const oracle = verdict(() => oracleDecode(kind, input));
    if (wasm !== oracle && disagreements.length < 10) {
      disagreements.push(`input ${n} (${kind}, ${how}, ${input.length} bytes): wasm ${wasm}, oracle ${oracle}`);
    }
    if (wasm === 'ok') accepted++;
    else { const code = wasm.split('@')[0]!; byCode[code] = (byCode[code] ?? 0) + 1; }
    if (n % JSON_EVERY === 0) {
      jsonRuns++;
      try {
        if (kind === 'msg') codec.decodeMsg(input);
        else if (kind === 'entrypoint-req') codec.decodeEntrypointReq(input);
        else if (kind === 'entrypoint-rep') codec.decodeEntrypointRep(input);
        else if (kind === 'link-msg') codec.decodeLinkMsg(input);
        else codec.decodeLinkMsgRep(input);
      } catch (e) {
        if (!(e instanceof CodecError)) traps++;
      }
    }
  }
  const memoryAfter = codec.memoryBytes;
  console.log(`  fuzz: ${inputs} inputs ${JSON.stringify(byMutation)}; ${accepted} accepted, rejected ${JSON.stringify(byCode)}; ` +
    `${jsonRuns} also through JSON; traps ${traps}; wasm memory ${memoryBefore} → ${memoryAfter} bytes; ` +
    `verdict disagreements ${disagreements.length}`);
  assert.is(traps, 0, 'traps');
  assert.equal(disagreements, [], 'wasm and oracle verdicts');
  assert.is(memoryAfter, memoryBefore, 'wasm memory grew');
}
