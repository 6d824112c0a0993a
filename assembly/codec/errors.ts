// Codec error codes. A bad input never traps: the reader or writer records the
// FIRST error (code, byte offset, detail) and every later read returns zeros.
// Host names: 'HAX_ERR_XCODE_' + the suffix in CODEC_ERROR_NAMES (src/core/abi.ts).

export const E_NONE: i32 = 0;
export const E_TRUNCATED: i32 = 1;        // input ends inside a field
export const E_TRAILING: i32 = 2;         // bytes left after the structure
export const E_MSG_TYPE: i32 = 3;         // hed_type not 0..11
export const E_COUNT_RANGE: i32 = 4;      // hmnv_nr not 1..1024, mfp_nr > 1024, lmf_msg_nr > 1
export const E_STATE_RANGE: i32 = 5;      // note state >= M0_NC_NR (8)
export const E_ENUM_RANGE: i32 = 6;       // enum value without a name
export const E_COUNT_MISMATCH: i32 = 7;   // entrypoint reply: eps count != fids count
export const E_FLAG_RANGE: i32 = 8;       // 0/1 flag holds another value
export const E_REFUSE_UNKNOWN: i32 = 9;   // encode: M0_NC_UNKNOWN in an NVEC SET
export const E_REFUSE_REPAIR: i32 = 10;   // encode: REPAIR/REBALANCE on a fid not pool/sdev/node/drive
export const E_JSON_SYNTAX: i32 = 11;     // encode input is not JSON
export const E_FIELD_MISSING: i32 = 12;   // encode input lacks a field
export const E_FIELD_TYPE: i32 = 13;      // encode input field has a wrong type or value
export const E_FID_TEXT: i32 = 14;        // fid text does not parse
export const E_OUTPUT_FULL: i32 = 15;     // the output region is too small
export const E_INT_RANGE: i32 = 16;       // encode: a number does not fit its field
export const E_REFUSE_GET_MISMATCH: i32 = 17; // encode: a GET reply whose count or fids differ from the GET's
export const E_NOT_NVEC_GET: i32 = 18;    // encode: the message a reply answers is not an NVEC GET

export class CodecError {
  code: i32 = E_NONE;
  offset: u32 = 0;
  detail: string = '';

  get failed(): bool { return this.code != E_NONE; }

  /** Records the first failure only; later ones are consequences. */
  set(code: i32, offset: u32, detail: string): void {
    if (this.code != E_NONE) return;
    this.code = code;
    this.offset = offset;
    this.detail = detail;
  }

  clear(): void {
    this.code = E_NONE;
    this.offset = 0;
    this.detail = '';
  }
}

/** Suffixes of the host-visible codes: 'HAX_ERR_XCODE_' + name. Index = code. */
export const CODEC_ERROR_NAMES: Array<string> = [
  'NONE', 'TRUNCATED', 'TRAILING_BYTES', 'MSG_TYPE', 'COUNT_RANGE', 'STATE_RANGE', 'ENUM_RANGE',
  'COUNT_MISMATCH', 'FLAG_RANGE', 'REFUSE_UNKNOWN_STATE', 'REFUSE_REPAIR_FID', 'JSON_SYNTAX',
  'FIELD_MISSING', 'FIELD_TYPE', 'FID_TEXT', 'OUTPUT_FULL', 'INT_RANGE', 'REFUSE_GET_MISMATCH',
  'NOT_NVEC_GET',
];

export function errorName(code: i32): string {
  return 'HAX_ERR_XCODE_' + (code >= 0 && code < CODEC_ERROR_NAMES.length ? CODEC_ERROR_NAMES[code] : 'UNKNOWN');
}

/** "HAX_ERR_XCODE_TRUNCATED at byte 79: hm_tag: needs 8 bytes, 7 left" */
export function describe(err: CodecError): string {
  return errorName(err.code) + ' at byte ' + err.offset.toString() + ': ' + err.detail;
}
