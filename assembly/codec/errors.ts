// Codec error codes. A bad input never traps: the reader or writer records the
// FIRST error (code, byte offset, detail) and every later read returns zeros.
// Host names: 'HAX_ERR_XCODE_' + the suffix in CODEC_ERROR_NAMES (src/core/abi.ts).

// The codes (E_*) and their names (CODEC_ERROR_NAMES) come from protocol/constants.yaml.
export * from '../generated/codec-errors';
import { E_NONE, CODEC_ERROR_NAMES } from '../generated/codec-errors';

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

/** The host-visible code: 'HAX_ERR_XCODE_' + CODEC_ERROR_NAMES[code]. */
export function errorName(code: i32): string {
  return 'HAX_ERR_XCODE_' + (code >= 0 && code < CODEC_ERROR_NAMES.length ? CODEC_ERROR_NAMES[code] : 'UNKNOWN');
}

/** "HAX_ERR_XCODE_TRUNCATED at byte 79: hm_tag: needs 8 bytes, 7 left" */
export function describe(err: CodecError): string {
  return errorName(err.code) + ' at byte ' + err.offset.toString() + ': ' + err.detail;
}
