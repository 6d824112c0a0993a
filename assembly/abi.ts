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
// Events of the live model and the rules (machine/*). Trailing fields marked
// "opt" may be absent (older record forms stay valid).
export const EV_IDENTITY_SET: u16 = 6;
//   str node (host name), fid haxProcess, u8 stopping
export const EV_CONF_LOADED: u16 = 7;
//   u64 index, u8 flags (1 first part, 2 last part, 4 delta: states of existing objects, applied in place), u32 n × (u8 type, fid, fid parent, fid ref, u8 kind, u64 modifyIndex, str key, str name, str endpoint, str state)
//   (a big tree comes in several parts; the model is swapped in at the last one)
export const EV_PROCESSES_LOADED: u16 = 8;
//   u64 index, u32 n × (fid, str event, str type, u64 modifyIndex), u32 m × (fid, u32 restarts)
export const EV_HEALTH_VIEWED: u16 = 9;
//   u64 index, str service, u32 n × (str serviceId, str node, u8 nodeStatus, u8 serviceStatus)
export const EV_TIMER_FIRED: u16 = 10;
//   u64 nowMs
export const EV_BQ_MESSAGE: u16 = 11;
//   u64 epoch, str messageType, str payload (JSON text)
export const EV_STATES_QUERIED: u16 = 12;
//   u32 n × fid                      → one ACT_NOTES
export const EV_DUMP_REQUESTED: u16 = 13;
//   (empty)                          → one ACT_DUMP
export const EV_PROCESS_KEY: u16 = 14;
//   fid, str event, str type, u64 modifyIndex     (POST /watcher/processes)
export const EV_COUNT: i32 = 15;
// Trailing optional fields of older events:
//   EV_VIEW_UPDATED        … opt u8 isRc (the leader value is this node)
//   EV_ENTRYPOINT_REQUESTED … opt u64 nowMs, u32 linkHint (unused), fid processFid (unused)
//   EV_CONSUL_REPLIED      … opt u64 index (the txn's ModifyIndex)
//   EV_HEALTH_REPORTED     … opt u64 consulIndex
// Conf object types in EV_CONF_LOADED (machine/model.ts O_*); 9 = pool member
// (fid = drive or sdev, parent = pool).
export const CONF_POOL_MEMBER: u8 = 9;

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
export const ACT_CONSUL_TXN: u16 = 0x105;
//   u32 opId, u32 n × (u8 verb, str key, str value)   verb 0 set, 1 delete, 2 BQ publish (key = message_type, value = payload JSON)
export const ACT_BROADCAST_TO: u16 = 0x106;
//   u32 broadcastId, u8 scope (0 every active link, 1 hax's own link only), u32 nSkip × fid, blob msg, u32 n × (fid, u32 state)
export const ACT_SEND: u16 = 0x107;
//   u32 linkId, blob msg                      (a reply on the link a request came from)
export const ACT_DROP_LINKS: u16 = 0x108;
//   fid process, u8 mode (0 stop sending, 1 disconnect)
export const ACT_AWAIT_DELIVERY: u16 = 0x109;
//   u32 broadcastId, u32 timeoutMs            (the host performs the rest of this decision's actions after delivery or timeout)
export const ACT_NOTES: u16 = 0x10a;
//   u32 n × (fid, u32 state)
export const ACT_DUMP: u16 = 0x10b;
//   u32 n × (fid, u32 state, u8 event, u8 ptype, u8 check, u32 restarts, str kvState, str lastServiceEvent), u32 m × (str counter, u32 value)
export const ACT_TIMER: u16 = 0x10c;
//   u64 dueMs                                 (call handle(TimerFired) at or after dueMs)
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
