// The wasm ABI's data layout: buffer regions, record framing, record tags and
// numeric codes. index.ts exports the functions; this file says what the bytes
// mean. The constants themselves (tags with each record's layout, codec kinds,
// region sizes) have one source, protocol/constants.yaml, from which
// scripts/gen-protocol.mjs generates assembly/generated/protocol.ts (re-exported
// here), src/generated/protocol.ts (the host) and native/src/generated/protocol.h.
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
// Every handle() call produces zero or more action records followed by
// exactly one REASON record, always the last (actions.ts Out.finish).

// Trailing optional fields ("opt" in the layouts) may be absent: older record
// forms stay valid. Conf object types in EV_CONF_LOADED are machine/model.ts
// O_*, plus CONF_POOL_MEMBER.
export * from './generated/protocol';
