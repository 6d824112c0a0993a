// One JSON request body, from bytes to the value a handler sees — the same
// steps on the event loop (small bodies) and in the body worker (large ones):
//
//   1. strict UTF-8 (invalid bytes, overlong forms, surrogates: 400)
//   2. a structural scan before anything is built: nesting depth (400) and
//      the number of values (413), so that JSON.parse never builds millions
//      of objects; duplicate keys are noted (JSON.parse keeps the last one
//      silently, and two readers of the same body could disagree)
//   3. JSON.parse (400 on a syntax error), then the duplicate keys (400)
//   4. the route's schema from openapi.yaml (400), then the projection: the
//      value keeps only the properties the schema declares.
import { isAscii } from 'node:buffer';
import type { ValidateFunction } from 'ajv';

export interface JsonBounds {
  maxDepth: number;
  maxValues: number;
}

export interface BodyRoute {
  validateBody: ValidateFunction;
  /** The same schema, compiled to drop undeclared properties (mutates). */
  projectBody?: ValidateFunction;
  bodyRequired: boolean;
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
  /** The first key repeated within one object, if any (reported once the text parses). */
  duplicate?: string;
}

/**
 * One pass over the text without building anything: depth, value count, and
 * duplicate keys. It assumes nothing about validity (JSON.parse decides that
 * next); on malformed text it still ends and never throws.
 */
export function scanJson(text: string, bounds: JsonBounds): ScanResult {
  // Per open container, by depth (at most maxDepth of them, so every buffer
  // is allocated once per depth, never per object): its kind (1 object,
  // 0 array) and the keys seen so far in an object — a short array searched
  // linearly (Consul's objects have a handful of keys), a Set past 16 keys.
  const max = bounds.maxDepth;
  const kinds = new Uint8Array(max);
  const keyBuf: string[][] = [];
  const keyLen = new Int32Array(max);
  const sets: (Set<string> | undefined)[] = [];
  let depth = 0;
  let expectKey = false;
  let values = 0;
  let duplicate: string | undefined;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {                         // a string: jump to its closing quote
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return { duplicate };      // unterminated: JSON.parse reports it
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if ((j - 1 - k) % 2 === 0) break;     // an even run of backslashes: the quote closes
        j++;
      }
      if (expectKey && duplicate === undefined) {
        const d = depth - 1;
        let key = text.slice(i + 1, j);
        if (key.includes('\\')) { try { key = JSON.parse(`"${key}"`) as string; } catch { /* malformed: parse reports it */ } }
        const set = sets[d];
        if (set !== undefined) {
          if (set.has(key)) duplicate = key; else set.add(key);
        } else {
          const buf = keyBuf[d];
          const len = keyLen[d];
          for (let q = 0; q < len; q++) if (buf[q] === key) { duplicate = key; break; }
          if (len < 16) { buf[len] = key; keyLen[d] = len + 1; }
          else sets[d] = new Set([...buf.slice(0, len), key]);
        }
      }
      expectKey = false;
      i = j;
    } else if (c === 0x7b || c === 0x5b) {    // { [
      if (depth >= max) {
        return { refusal: refuse(400, 'HAX_ERR_BODY_TOO_DEEP', `the JSON nests deeper than ${max} levels`) };
      }
      const isObject = c === 0x7b;
      kinds[depth] = isObject ? 1 : 0;
      if (isObject) { keyBuf[depth] ??= []; keyLen[depth] = 0; sets[depth] = undefined; }
      depth++;
      expectKey = isObject;
      if (++values > bounds.maxValues) return { refusal: tooMany(bounds) };
    } else if (c === 0x7d || c === 0x5d) {    // } ]
      if (depth > 0) depth--;
      expectKey = false;
    } else if (c === 0x2c) {                  // ,
      if (++values > bounds.maxValues) return { refusal: tooMany(bounds) };
      expectKey = depth > 0 && kinds[depth - 1] === 1;
    }
  }
  return { duplicate };
}

const tooMany = (bounds: JsonBounds) =>
  refuse(413, 'HAX_ERR_BODY_TOO_COMPLEX', `the JSON holds more than ${bounds.maxValues} values (array elements and object members); Consul's payloads hold about one per 15 bytes`, 'Payload too large');

/** Steps 1–4 above for one body. */
export function decodeJsonBody(raw: Uint8Array, route: BodyRoute, bounds: JsonBounds): BodyVerdict {
  const text = decodeUtf8(raw);
  if (typeof text !== 'string') return text;
  if (text.trim() === '') {
    return route.bodyRequired ? refuse(400, 'HAX_ERR_BAD_JSON', 'the request body is empty') : { ok: true, value: undefined };
  }
  const scan = scanJson(text, bounds);
  if (scan.refusal) return scan.refusal;
  let value: unknown;
  try { value = JSON.parse(text); } catch (error) {
    return refuse(400, 'HAX_ERR_BAD_JSON', (error as Error).message);
  }
  if (scan.duplicate !== undefined) {
    return refuse(400, 'HAX_ERR_DUPLICATE_KEY', `the key ${JSON.stringify(scan.duplicate.slice(0, 100))} appears twice in one object`);
  }
  if (!route.validateBody(value)) {
    const e = route.validateBody.errors?.[0];
    return refuse(400, 'HAX_ERR_BAD_SHAPE', `body${e?.instancePath ?? ''} ${e?.message ?? 'does not match the schema'}`);
  }
  route.projectBody?.(value);
  return { ok: true, value };
}
