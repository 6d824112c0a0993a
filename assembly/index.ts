// The whole wasm ABI of the hax core: exports only. Layouts are in abi.ts.
//
// Usage (host): write one event record (tag u16, length u32, payload) at
// inputPtr(), call handle(totalLength), read handle's return value bytes of
// output records at outputPtr(): action records, then one REASON record.
// Codec entry points: write bytes (decode) or JSON text (encode) at inputPtr(),
// call codecDecode/codecEncode(kind, length); the output holds one
// OUT_CODEC_RESULT or OUT_CODEC_ERROR record. codecDecodeFlat gives the host
// u64 slots (codec/flat.ts) instead of JSON text; the same flat fast path is
// what handle() decodes every m0_ha_msg with (codec/msg-view.ts).
// codecEncodeNvecReply builds the SET answering an NVEC GET from the GET's own
// bytes (codec/nvec-reply.ts); codecEncodeNvecSet the SET broadcast of given
// notes, as the core's own broadcasts (the host merges held notes with it). probeDecode runs handle()'s decode of one event
// record alone, for bench/codec (machine/decode-probe.ts).
//
// The core imports nothing but env.abort. It never reads a clock or a random
// source. A bad peer input yields a reason or error record, never a trap; host
// misuse (a malformed event record) aborts.
import { INPUT_CAPACITY, OUTPUT_CAPACITY } from './abi';
import { Reader } from './codec/reader';
import { Writer } from './codec/writer';
import {
  codecDecode as decodeImpl, codecEncode as encodeImpl, codecDecodeFlat as decodeFlatImpl,
  codecEncodeNvecReply as nvecReplyImpl, codecEncodeNvecSet as nvecSetImpl,
} from './codec/api';
import { Out } from './actions';
import { dispatch } from './machine/core';

const INPUT: usize = heap.alloc(INPUT_CAPACITY);
const OUTPUT: usize = heap.alloc(OUTPUT_CAPACITY);
// The regions above take 5 MiB of the initial 16 (asconfig.json
// initialMemory: 256 pages); the managed heap lives in the rest, so memory
// never grows in normal work and the host's views of it are never detached
// mid-run (test/core/fuzz.test.ts checks it over 1,000,000 inputs).
const reader = new Reader();
const writer = new Writer();
const out = new Out();

export function inputPtr(): usize { return INPUT; }
export function inputCapacity(): u32 { return INPUT_CAPACITY; }
export function outputPtr(): usize { return OUTPUT; }
export function outputCapacity(): u32 { return OUTPUT_CAPACITY; }

/** Feeds one event record; returns the number of output bytes. */
export function handle(len: u32): i32 {
  if (len < 6 || len > INPUT_CAPACITY) abort('handle: bad input length');
  const tag = load<u16>(INPUT);
  const plen = load<u32>(INPUT + 2);
  if (<u64>plen + 6 != <u64>len) abort('handle: record length mismatch');
  reader.reset(INPUT + 6, plen);
  out.reset(OUTPUT, OUTPUT_CAPACITY);
  dispatch(tag, reader, out);
  return out.finish();
}

/** Decodes `len` bytes of `kind` (abi.ts KIND_*) into JSON text. */
export function codecDecode(kind: u32, len: u32): i32 {
  if (len > INPUT_CAPACITY || kind < 1 || kind > 5) abort('codecDecode: bad arguments');
  reader.reset(INPUT, len);
  writer.reset(OUTPUT, OUTPUT_CAPACITY);
  return decodeImpl(reader, writer, kind);
}

/** Encodes JSON text (or fid text for KIND_FID_TEXT) of `len` bytes into binary. */
export function codecEncode(kind: u32, len: u32): i32 {
  if (len > INPUT_CAPACITY || kind < 1 || kind > 6) abort('codecEncode: bad arguments');
  writer.reset(OUTPUT, OUTPUT_CAPACITY);
  return encodeImpl(INPUT, len, writer, kind);
}

/**
 * Decodes `len` bytes of `kind` into u64 slots (codec/flat.ts) at outputPtr().
 * Returns the slot count, or minus the length of one OUT_CODEC_ERROR record.
 */
export function codecDecodeFlat(kind: u32, len: u32): i32 {
  if (len > INPUT_CAPACITY || kind < 1 || kind > 5) abort('codecDecodeFlat: bad arguments');
  reader.reset(INPUT, len);
  writer.reset(OUTPUT, OUTPUT_CAPACITY);
  return decodeFlatImpl(reader, writer, kind);
}

/** Encodes the NVEC SET answering a GET (input layout in codec/nvec-reply.ts). */
export function codecEncodeNvecReply(len: u32): i32 {
  if (len > INPUT_CAPACITY) abort('codecEncodeNvecReply: bad arguments');
  writer.reset(OUTPUT, OUTPUT_CAPACITY);
  return nvecReplyImpl(INPUT, len, writer);
}

/** An NVEC SET broadcast of given notes (codec/api.ts codecEncodeNvecSet): the host merges held notes with it. */
export function codecEncodeNvecSet(len: u32): i32 {
  if (len > INPUT_CAPACITY) abort('codecEncodeNvecSet: bad arguments');
  writer.reset(OUTPUT, OUTPUT_CAPACITY);
  return nvecSetImpl(INPUT, len, writer);
}

/**
 * The flat decode's fast path alone (codec/flat.ts flatFast): no reader, no
 * writer, no managed object. Returns the slot count of a valid input, or -1:
 * then call codecDecodeFlat for the error record.
 */
export function codecDecodeFlatFast(kind: u32, len: u32): i32 {
  if (len > INPUT_CAPACITY || kind < 1 || kind > 5) abort('codecDecodeFlatFast: bad arguments');
  return flatFastImpl(INPUT, len, OUTPUT, OUTPUT_CAPACITY, kind);
}
import { flatFast as flatFastImpl } from './codec/flat';

/**
 * Decodes the event record at inputPtr() (a MessageReceived or an
 * EntrypointRequested) exactly as handle() does, without running any rule;
 * writes the values the rules read as u64s at outputPtr(). Returns their
 * count, or -1 when the message does not decode.
 */
export function probeDecode(len: u32): i32 {
  if (len < 6 || len > INPUT_CAPACITY) abort('probeDecode: bad input length');
  const plen = load<u32>(INPUT + 2);
  if (<u64>plen + 6 != <u64>len) abort('probeDecode: record length mismatch');
  reader.reset(INPUT + 6, plen);
  return probeImpl(load<u16>(INPUT), reader, OUTPUT);
}
import { probeDecode as probeImpl } from './machine/decode-probe';
