// Fids in the host: the 128-bit Motr object id {container, key}; the top byte
// of container is the type letter. The core has its own codec; the host needs
// these to name Consul keys and read Consul's ServiceIDs.

export interface Fid {
  readonly container: bigint;
  readonly key: bigint;
}

export const PROCESS_CONTAINER = 0x7200000000000001n;
export const SERVICE_CONTAINER = 0x7300000000000001n;
export const ZERO_FID: Fid = { container: 0n, key: 0n };

const U64_MAX = (1n << 64n) - 1n;

/** Hare's text form: 0x<container>:0x<key>, lower case, no padding. */
export function formatFid(fid: Fid): string {
  return `0x${fid.container.toString(16)}:0x${fid.key.toString(16)}`;
}

/** Parses `0x..:0x..`, `..:..` (hex) and `<..:..>`; undefined when malformed. */
export function parseFid(text: string): Fid | undefined {
  const m = /^\s*<?\s*(?:0[xX])?([0-9a-fA-F]{1,16})\s*:\s*(?:0[xX])?([0-9a-fA-F]{1,16})\s*>?\s*$/.exec(text);
  if (!m) return undefined;
  const container = BigInt('0x' + m[1]), key = BigInt('0x' + m[2]);
  return container <= U64_MAX && key <= U64_MAX ? { container, key } : undefined;
}

/** A fid whose key is a decimal "fidk" (Consul ServiceIDs in hare's layout). */
export function fidFromKey(container: bigint, fidk: string): Fid | undefined {
  if (!/^\d{1,20}$/.test(fidk)) return undefined;
  const key = BigInt(fidk);
  return key <= U64_MAX ? { container, key } : undefined;
}
