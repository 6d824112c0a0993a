// A large top-level JSON array decoded one element at a time: each element is
// parsed, checked against the items' schema, projected and written out as
// text before the next is parsed. The body worker's heap then holds the
// body's text, the projected text and one element — not the whole object
// graph of a 16 MiB payload, which is several times its size (bench/hostile).
//
// This is a faster path, never a different answer: whenever anything is off
// (framing, a parse error, a repeated key, an element the schema refuses) it
// returns undefined and the caller decodes the whole body the usual way,
// which produces the refusal with its usual message.
import { countMembers, stringEnd, type BodyRoute, type ScanResult } from './body-json.ts';

/** Start and end (exclusive) of each element of a top-level array, or undefined when the text is not one array. */
export function topLevelSpans(text: string): number[] | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 0x5b) return undefined;           // [
  const spans: number[] = [];
  let depth = 1;
  let start = i + 1;
  for (i++; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const j = stringEnd(text, i);
      if (j < 0) return undefined;
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) {
        if (c !== 0x5d) return undefined;
        if (text.slice(start, i).trim() !== '' || spans.length > 0) spans.push(start, i);
        return skipSpace(text, i + 1) === text.length ? spans : undefined;
      }
    } else if (c === 0x2c && depth === 1) {
      spans.push(start, i);
      start = i + 1;
    }
  }
  return undefined;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/**
 * The projected array as JSON text in parts of about `partBytes` (each part
 * an array), or undefined: decode the whole body instead. `scan` is the
 * body's scan (its members count catches keys JSON.parse would merge).
 */
export function decodeArrayInParts(text: string, scan: ScanResult, route: BodyRoute, partBytes: number): string[] | undefined {
  const { validateItem, projectItem } = route;
  if (!validateItem) return undefined;
  const spans = topLevelSpans(text);
  if (!spans) return undefined;
  if (route.maxTopItems !== undefined && spans.length / 2 > route.maxTopItems) return undefined;
  const parts: string[] = [];
  let current: string[] = [];
  let size = 0;
  let members = 0;
  for (let k = 0; k < spans.length; k += 2) {
    let value: unknown;
    try { value = JSON.parse(text.slice(spans[k], spans[k + 1])); } catch { return undefined; }
    members += countMembers(value);
    if (!validateItem(value)) return undefined;
    projectItem?.(value);
    const item = JSON.stringify(value);
    current.push(item);
    size += item.length + 1;
    if (size >= partBytes) { parts.push(`[${current.join(',')}]`); current = []; size = 0; }
  }
  if (members !== scan.members) return undefined;
  if (current.length > 0 || parts.length === 0) parts.push(`[${current.join(',')}]`);
  return parts;
}
