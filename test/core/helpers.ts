// Shared helpers for the core tests: golden vectors and small builders.
import { readFileSync, readdirSync } from 'node:fs';
import type { Fid } from '../../src/fid.ts';

import { FIXTURES_DIR } from '../helpers/fixtures.ts';

export const VECTOR_DIR = `${FIXTURES_DIR}motr-xcode/`;

export interface Vector {
  name: string;
  xc_type: string;
  fields: Record<string, unknown>;
  hex: string;
  length: number;
  bytes: Uint8Array;
}

export function loadVectors(): Vector[] {
  const d = VECTOR_DIR;
  return readdirSync(d)
    .filter((f) => f.endsWith('.json') && f !== 'decoder-results.json')
    .sort()
    .map((f) => {
      const v = JSON.parse(readFileSync(d + f, 'utf8')) as Vector;
      v.bytes = new Uint8Array(Buffer.from(v.hex, 'hex'));
      return v;
    });
}

export function vector(name: string): Vector {
  const v = loadVectors().find((x) => x.name === name);
  if (!v) throw new Error(`no vector ${name}`);
  return v;
}

export function fid(container: bigint, key: bigint): Fid { return { container, key }; }
export const proc = (key: number): Fid => fid(0x7200000000000001n, BigInt(key));
export const svc = (key: number): Fid => fid(0x7300000000000001n, BigInt(key));

/** A copy of bytes with a u64 / u32 written at offset. */
export function patchU64(b: Uint8Array, off: number, v: bigint): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setBigUint64(off, v, true);
  return c;
}
export function patchU32(b: Uint8Array, off: number, v: number): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint32(off, v, true);
  return c;
}
