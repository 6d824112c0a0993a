// One JSON request body, from bytes to the value a handler sees — the same
// steps on the event loop (small bodies) and in the body worker (large ones):
//
//   1. strict UTF-8 (invalid bytes, overlong forms, surrogates: 400)
//   2. a structural scan before anything is built: nesting depth (400) and
//      the number of values (413), so that JSON.parse never builds millions
//      of objects; it also counts the object members (the colons outside
//      strings)
//   3. JSON.parse (400 on a syntax error), then duplicate keys (400):
//      JSON.parse keeps the last of two silently (and two readers of the same
//      body could disagree), so the members of the parsed value are counted
//      and compared with the text's; only when they differ is the text
//      scanned again, slowly, to name the key
//   4. the route's schema from openapi.yaml (400), then the projection: the
//      value keeps only the properties the schema declares.
//
// In the body worker, steps 3–4 of a large array run one element at a time
// (body-elements.ts), falling back to the whole body for any refusal.
import { isAscii } from 'node:buffer';
import type { ValidateFunction } from 'ajv';
import type { ProjectionPlan } from './body-projector.ts';

export interface JsonBounds {
  maxDepth: number;
  maxValues: number;
}

export interface BodyRoute {
  /** The schema's maxItems when the body is a top-level array: checked on the scan, before parsing. */
  maxTopItems?: number;
  validateBody: ValidateFunction;
  /** The same schema, compiled to drop undeclared properties (mutates). */
  projectBody?: ValidateFunction;
  /** When the body is an array: its items' schema, to check and project one element at a time (body-elements.ts). */
  validateItem?: ValidateFunction;
  projectItem?: ValidateFunction;
  bodyRequired: boolean;
  /** The one-pass reader's plan (body-projector.ts), tried before the steps above. */
  projectionPlan?: ProjectionPlan;
}

export type BodyVerdict =
  | { ok: true; value: unknown }
  | { ok: false; status: number; code: string; message: string; reason: string };

const refuse = (status: number, code: string, message: string, reason = 'Bad JSON provided'): BodyVerdict => ({ ok: false, status, code, message, reason });

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as text; invalid UTF-8 is refused, never replaced. */
export function decodeUtf8(raw: Uint8Array): string | BodyVerdict {
  // Consul's payloads are ASCII: then latin1 gives the same string without a UTF-8 pass.
  if (isAscii(raw)) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  try {
    return utf8.decode(raw);
  } catch {
    return refuse(400, 'HAX_ERR_BAD_UTF8', `the body is not valid UTF-8 (at byte ${firstInvalidUtf8(raw)})`);
  }
}

/** Offset of the first byte that breaks UTF-8 (for the message only). */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i];
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > b.length) return i;
    for (let k = 1; k < n; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    if ((c === 0xe0 && b[i + 1] < 0xa0) || (c === 0xed && b[i + 1] >= 0xa0) || (c === 0xf0 && b[i + 1] < 0x90) || (c === 0xf4 && b[i + 1] >= 0x90)) return i;
    i += n;
  }
  return b.length;
}

export interface ScanResult {
  /** Set when a bound was crossed: refuse before parsing. */
  refusal?: BodyVerdict;
  /** Object members in the text (colons outside strings). */
  members: number;
  /** Values counted against bounds.maxValues (array elements, object members, containers). */
  values: number;
  /** Members of the largest object (a large object is costly to build: dictionary mode). */
  widest: number;
  /** Elements of the top-level array, from its commas (`[]` counts 1); 0 when the body is not an array. */
  topItems: number;
}

/** Index of the quote that closes the string opened at `open`, or -1. */
export function stringEnd(text: string, open: number): number {
  let j = open + 1;
  for (;;) {
    j = text.indexOf('"', j);
    if (j < 0) return -1;
    let k = j - 1;
    while (text.charCodeAt(k) === 0x5c) k--;
    if ((j - 1 - k) % 2 === 0) return j;     // an even run of backslashes: the quote closes
    j++;
  }
}

/**
 * One pass over the text without building anything: depth, values and
 * members. It assumes nothing about validity (JSON.parse decides that next);
 * on malformed text it still ends and never throws.
 */
export function scanJson(text: string, bounds: JsonBounds): ScanResult {
  const max = bounds.maxDepth;
  const open = new Int32Array(max + 1);        // members so far of the container open at each depth
  let depth = 0;
  let values = 0;
  let members = 0;
  let widest = 0;
  let topCommas = 0;
  let topIsArray = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {                         // a string: jump to its closing quote
      const j = stringEnd(text, i);
      if (j < 0) break;                       // unterminated: JSON.parse reports it
      i = j;
    } else if (c === 0x3a) {                  // :
      members++;
      if (depth > 0 && ++open[depth] > widest) widest = open[depth];
    } else if (c === 0x7b || c === 0x5b) {    // { [
      if (depth === 0 && c === 0x5b) topIsArray = true;
      if (++depth > max) return { members, values, widest, topItems: 0, refusal: refuse(400, 'HAX_ERR_BODY_TOO_DEEP', `the JSON nests deeper than ${max} levels`) };
      open[depth] = 0;
      if (++values > bounds.maxValues) return { members, values, widest, topItems: 0, refusal: tooMany(bounds) };
    } else if (c === 0x7d || c === 0x5d) {    // } ]
      if (depth > 0) depth--;
    } else if (c === 0x2c) {                  // ,
      if (depth === 1) topCommas++;
      if (++values > bounds.maxValues) return { members, values, widest, topItems: 0, refusal: tooMany(bounds) };
    }
  }
  return { members, values, widest, topItems: topIsArray ? topCommas + 1 : 0 };
}

/** Members of a parsed value's objects, all levels. */
export function countMembers(value: unknown): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object') continue;
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) { const y = x[i]; if (y !== null && typeof y === 'object') stack.push(y); }
    } else {
      for (const k in x) {
        total++;
        const y = (x as Record<string, unknown>)[k];
        if (y !== null && typeof y === 'object') stack.push(y);
      }
    }
  }
  return total;
}

/**
 * The first key repeated within one object of (valid, bounded) JSON text;
 * undefined if none. Slow (every key is sliced and compared): it runs only
 * to name the key of a body that is refused.
 */
export function findDuplicateKey(text: string, maxDepth: number): string | undefined {
  const kinds = new Uint8Array(maxDepth + 1);  // 1 object, 0 array, per open container
  const keys: Set<string>[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const j = stringEnd(text, i);
      if (j < 0) return undefined;
      if (expectKey) {
        let key = text.slice(i + 1, j);
        if (key.includes('\\')) { try { key = JSON.parse(`"${key}"`) as string; } catch { /* not valid: not ours to report */ } }
        const seen = keys[depth - 1];
        if (seen.has(key)) return key;
        seen.add(key);
      }
      expectKey = false;
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth >= maxDepth) return undefined;
      kinds[depth] = c === 0x7b ? 1 : 0;
      if (c === 0x7b) keys[depth] = new Set();
      depth++;
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth > 0) depth--;
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = depth > 0 && kinds[depth - 1] === 1;
    }
  }
  return undefined;
}

const tooMany = (bounds: JsonBounds) =>
  refuse(413, 'HAX_ERR_BODY_TOO_COMPLEX', `the JSON holds more than ${bounds.maxValues} values (array elements and object members); Consul's payloads hold about one per 15 bytes`, 'Payload too large');

export function emptyBody(route: BodyRoute): BodyVerdict {
  return route.bodyRequired ? refuse(400, 'HAX_ERR_BAD_JSON', 'the request body is empty') : { ok: true, value: undefined };
}

/** Steps 3–4, for text that passed the scan. */
export function parseScanned(text: string, scan: ScanResult, route: BodyRoute, bounds: JsonBounds): BodyVerdict {
  if (route.maxTopItems !== undefined && scan.topItems > route.maxTopItems) {
    // what the schema would say, without building the array first
    return refuse(400, 'HAX_ERR_BAD_SHAPE', `body must NOT have more than ${route.maxTopItems} items`);
  }
  let value: unknown;
  try { value = JSON.parse(text); } catch (error) {
    return refuse(400, 'HAX_ERR_BAD_JSON', (error as Error).message);
  }
  if (countMembers(value) !== scan.members) {
    // fewer members parsed than written: JSON.parse merged a repeated key
    const key = findDuplicateKey(text, bounds.maxDepth) ?? '?';
    return refuse(400, 'HAX_ERR_DUPLICATE_KEY', `the key ${JSON.stringify(key.slice(0, 100))} appears twice in one object`);
  }
  if (!route.validateBody(value)) {
    const e = route.validateBody.errors?.[0];
    return refuse(400, 'HAX_ERR_BAD_SHAPE', `body${e?.instancePath ?? ''} ${e?.message ?? 'does not match the schema'}`);
  }
  route.projectBody?.(value);
  return { ok: true, value };
}
