// The wasm ABI's data layout: buffer regions, record framing, record tags and
// numeric codes. index.ts exports the functions; this file says what the bytes
// mean. Everything here is mirrored by src/core/abi.ts (host side); a test
// checks that the two agree.
//
// Regions. The module owns two unmanaged regions, allocated once at start with
// heap.alloc (never freed, never moved): the host writes ONE input record at
// inputPtr() and calls an entry point with its length; the core writes its
// output records at outputPtr() and returns their total length. Output is valid
// until the next call.
//
// Record framing (all integers little-endian):
//   tag u16 | length u32 (payload bytes) | payload
// Strings: u32 byte length + UTF-8 bytes. Fids: container u64, key u64.
// Byte blobs: u32 length + bytes.
//
// Every handle() call produces exactly one REASON record first, followed by
// zero or more action records.

export const INPUT_CAPACITY: u32 = 1 << 20;  // 1 MiB: an NVEC message is 20592 bytes
export const OUTPUT_CAPACITY: u32 = 4 << 20; // 4 MiB: ~190 full NVEC broadcasts
export const RECORD_HEADER: u32 = 6;

// ---- event tags (host → core), past-tense facts -----------------------------
export const EV_VIEW_UPDATED: u16 = 1;
//   u32 nConfds, nConfds × (fid, str endpoint), u8 hasRm, [fid, str endpoint]
export const EV_ENTRYPOINT_REQUESTED: u16 = 2;
//   u32 reqId, blob fop
export const EV_MESSAGE_RECEIVED: u16 = 3;
//   u32 linkId, u64 tag, blob msg
export const EV_CONSUL_REPLIED: u16 = 4;
//   u32 opId, u8 ok
export const EV_HEALTH_REPORTED: u16 = 5;
//   u32 nEntries, nEntries × (u32 nChecks, nChecks × (str serviceId, u8 status))
export const EV_COUNT: i32 = 6;

// Health check status values in EV_HEALTH_REPORTED.
export const HEALTH_PASSING: u8 = 0;
export const HEALTH_WARNING: u8 = 1;
export const HEALTH_CRITICAL: u8 = 2;
export const HEALTH_MAINTENANCE: u8 = 3;

// ---- output record tags (core → host) ---------------------------------------
export const OUT_REASON: u16 = 0x100;
//   str code, str text
export const ACT_REPLY_ENTRYPOINT: u16 = 0x101;
//   u32 reqId, i32 rc, u32 quorum, u32 n, n × (fid, str endpoint), fid rm, str rmEndpoint
export const ACT_CONSUL_PUT: u16 = 0x102;
//   u32 opId, str key, str value
export const ACT_ACKNOWLEDGE: u16 = 0x103;
//   u32 linkId, u64 tag
export const ACT_BROADCAST: u16 = 0x104;
//   blob msg (an encoded m0_ha_msg), u32 n, n × (fid, u32 state)
export const OUT_CODEC_ERROR: u16 = 0x1f0;
//   u32 code, u32 offset, str detail      (codec entry points only)
export const OUT_CODEC_RESULT: u16 = 0x1f1;
//   blob (encoded bytes, or JSON text)    (codec entry points only)

// ---- codec kinds for codecDecode/codecEncode ---------------------------------
export const KIND_HA_MSG: u32 = 1;
export const KIND_ENTRYPOINT_REQ: u32 = 2;
export const KIND_ENTRYPOINT_REP: u32 = 3;
export const KIND_LINK_MSG: u32 = 4;
export const KIND_LINK_MSG_REP: u32 = 5;
export const KIND_FID_TEXT: u32 = 6;
