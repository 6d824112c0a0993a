// One pass over a JSON body that checks it strictly and builds only what the
// route's schema declares — the fast path of body-json.ts's steps 2–4.
//
// JSON.parse builds every object of a Consul health payload (a 1,000-node
// one has ~400,000 values), and dropping the undeclared properties afterwards
// (ajv's removeAdditional) deletes from each of them, which costs as much
// again. What the handler keeps is a few fields per check. This reader walks
// the text once: it checks the grammar as JSON.parse would, the bounds
// (depth, values) as the scan would, refuses a repeated key in any object,
// and materialises only the values under declared properties; the schema is
// then checked on that small value (no keyword of a supported schema looks
// at an undeclared property, so the verdict is the same).
//
// It is a faster path, never a different answer: whenever anything is off
// (bad syntax, a bound crossed, a repeated key, an escaped key, an object
// wider than MAX_WIDTH, a value the schema refuses) it returns undefined and
// the caller decodes the body the usual way, which gives the refusal and its
// usual message. test/http/body-projector.test.ts holds it to that.

/** What to build of a value: the declared properties of an object, the items of an array, or the whole (scalar) value. */
export type ProjectionPlan =
  | { kind: 'object'; names: string[]; plans: ProjectionPlan[]; nullable: boolean }
  | { kind: 'array'; items: ProjectionPlan; nullable: boolean; maxItems: number }
  | { kind: 'leaf' };

type Schema = Record<string, unknown>;
const SCALAR_TYPES = new Set(['string', 'integer', 'number', 'boolean', 'null']);
/** Keywords that constrain only the value they sit on (and its declared properties or items). */
const OBJECT_KEYWORDS = new Set(['type', 'properties', 'required', 'description', 'title']);
const ARRAY_KEYWORDS = new Set(['type', 'items', 'maxItems', 'minItems', 'description', 'title']);
const LEAF_KEYWORDS = new Set(['type', 'enum', 'maxLength', 'minLength', 'pattern', 'minimum', 'maximum', 'format', 'description', 'title', 'const']);

/**
 * The plan of a body schema (OpenAPI 3.1 / JSON Schema, refs into
 * `components`), or undefined when the schema uses anything this reader does
 * not mirror exactly (the route then always takes the usual path).
 */
export function compilePlan(schema: unknown, components: Record<string, unknown> = {}, seen = new Set<unknown>()): ProjectionPlan | undefined {
  const s = schema as Schema | undefined;
  if (!s || typeof s !== 'object' || Array.isArray(s)) return undefined;
  if (typeof s.$ref === 'string') {
    const m = /^#\/components\/([^/]+)\/([^/]+)$/.exec(s.$ref);
    const target = m ? (components[m[1]] as Record<string, unknown> | undefined)?.[m[2]] : undefined;
    if (Object.keys(s).length !== 1 || seen.has(target)) return undefined;    // no siblings of $ref, no recursion
    return compilePlan(target, components, new Set([...seen, target]));
  }
  if (Array.isArray(s.oneOf)) {
    // null or one container: what the watch routes take (`null` for an empty watch)
    const branches = s.oneOf as Schema[];
    const others = branches.filter((b) => !(b && b.type === 'null' && Object.keys(b).length === 1));
    if (Object.keys(s).some((k) => k !== 'oneOf' && k !== 'description') || others.length !== 1 || branches.length !== 2) return undefined;
    const inner = compilePlan(others[0], components, seen);
    return inner && inner.kind !== 'leaf' ? { ...inner, nullable: true } : undefined;
  }
  const only = (allowed: Set<string>) => Object.keys(s).every((k) => allowed.has(k));
  if (s.type === 'object' && s.properties && typeof s.properties === 'object' && only(OBJECT_KEYWORDS)) {
    const names: string[] = [];
    const plans: ProjectionPlan[] = [];
    for (const [name, sub] of Object.entries(s.properties as Schema)) {
      const p = compilePlan(sub, components, seen);
      if (!p || name === '__proto__') return undefined;
      names.push(name);
      plans.push(p);
    }
    return { kind: 'object', names, plans, nullable: false };
  }
  if (s.type === 'array' && only(ARRAY_KEYWORDS)) {
    const items = compilePlan(s.items, components, seen);
    const maxItems = s.maxItems === undefined ? Infinity : typeof s.maxItems === 'number' ? s.maxItems : NaN;
    return items && !Number.isNaN(maxItems) ? { kind: 'array', items, nullable: false, maxItems } : undefined;
  }
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.length > 0 && types.every((t) => SCALAR_TYPES.has(t as string)) && only(LEAF_KEYWORDS)) return { kind: 'leaf' };
  return undefined;
}

export interface ProjectorBounds {
  maxDepth: number;
  maxValues: number;
  /** Values of the projection built at most (objects, arrays, scalars kept); past it the reader declines. */
  maxBuilt?: number;
}

/** Members of one object this reader checks for repeats (pairwise); a wider object takes the usual path. */
export const MAX_WIDTH = 64;

/** Thrown inside the reader to leave it: the usual path decides. */
const DECLINE = Symbol('decline');

// The reader's state: one synchronous call at a time (each thread has its own
// module), so plain module variables.
let t = '';
let b: Uint8Array = new Uint8Array(0);
let n = 0;
let pos = 0;
let depth = 0;
let values = 0;
let maxDepth = 0;
let maxValues = 0;
let built = 0;
let maxBuilt = 0;
/**
 * The keys of the objects open at each depth, for the repeated-key check: an
 * open-addressed table of TABLE slots a depth, each the key's start and
 * length and the stamp of the object it belongs to (a slot of another
 * object's stamp is free: nothing is cleared between objects).
 */
const TABLE = 2 * MAX_WIDTH;
const EMPTY = new Uint8Array(0);
let keyStart = new Int32Array(0);
let keyLen = new Int32Array(0);
let keyStamp = new Int32Array(0);
let stamp = 0;

/**
 * The body's projected value ({ value }), or undefined: decode it the usual
 * way. `bytes` is an ASCII body and `text` the same as a string (the reader
 * walks the bytes, and slices the values it keeps from the text); `validate`
 * is the route's schema, run on the projected value.
 */
export function projectBody(bytes: Uint8Array, text: string, plan: ProjectionPlan, bounds: ProjectorBounds, validate: (v: unknown) => boolean): { value: unknown } | undefined {
  // ASCII only (server.ts checks isAscii; in the worker the text is the body
  // decoded as UTF-8, shorter than the bytes when any is not ASCII)
  if (bytes.length !== text.length) return undefined;
  b = bytes; t = text; n = bytes.length; pos = 0; depth = 0; values = 0;
  maxDepth = bounds.maxDepth; maxValues = bounds.maxValues;
  built = 0; maxBuilt = bounds.maxBuilt ?? Infinity;
  const slots = (maxDepth + 1) * TABLE;
  if (keyStart.length < slots) { keyStart = new Int32Array(slots); keyLen = new Int32Array(slots); keyStamp = new Int32Array(slots); stamp = 0; }
  let value: unknown;
  try {
    space();
    if (pos >= n) return undefined;              // empty: the usual path knows whether that is allowed
    value = readValue(plan);
    space();
    if (pos !== n) return undefined;
  } catch (e) {
    if (e === DECLINE) return undefined;
    throw e;
  } finally {
    t = ''; b = EMPTY;                           // the body is not kept alive
  }
  return validate(value) ? { value } : undefined;
}

function space(): void {
  for (;;) {
    const c = b[pos];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
    pos++;
  }
}

function open(): void {
  if (++depth > maxDepth || ++values > maxValues) throw DECLINE;
}

/** The value at pos, built as `plan` says (undefined plan: checked and skipped). */
function readValue(plan: ProjectionPlan | undefined): unknown {
  const c = b[pos];
  if (plan && ++built > maxBuilt) throw DECLINE;
  if (c === 0x22) {
    if (plan && plan.kind !== 'leaf') throw DECLINE;       // the schema wants another type: refused
    return readString(plan !== undefined);
  }
  if (c === 0x7b) {
    if (plan && plan.kind !== 'object') throw DECLINE;
    return readObject(plan);
  }
  if (c === 0x5b) {
    if (plan && plan.kind !== 'array') throw DECLINE;
    return readArray(plan);
  }
  if (plan && plan.kind !== 'leaf' && !(plan.nullable && c === 0x6e)) throw DECLINE;
  return readScalar(plan !== undefined);
}

function readObject(plan: Extract<ProjectionPlan, { kind: 'object' }> | undefined): unknown {
  open();
  const base = depth * TABLE;
  if (++stamp === 0x7fffffff) { keyStamp.fill(0); stamp = 1; }
  const own = stamp;
  const out: Record<string, unknown> | undefined = plan ? {} : undefined;
  let keys = 0;
  pos++;
  if (b[pos] <= 0x20) space();
  if (b[pos] === 0x7d) { pos++; depth--; return out; }
  for (;;) {
    if (b[pos] !== 0x22) throw DECLINE;
    const start = pos + 1;
    const end = stringEnd(pos);
    if (end < 0) throw DECLINE;                              // an escaped key: the usual path names repeats exactly
    const len = end - start;
    if (++keys > MAX_WIDTH) throw DECLINE;
    // a repeated key: probed from a hash of its length and first and last characters
    let slot = (len * 31 + b[start] * 7 + b[end - 1]) & (TABLE - 1);
    while (keyStamp[base + slot] === own) {
      if (keyLen[base + slot] === len && sameText(keyStart[base + slot], start, len)) throw DECLINE;
      slot = (slot + 1) & (TABLE - 1);
    }
    keyStamp[base + slot] = own;
    keyStart[base + slot] = start;
    keyLen[base + slot] = len;
    pos = end + 1;
    if (b[pos] <= 0x20) space();
    if (b[pos] !== 0x3a) throw DECLINE;
    pos++;
    if (b[pos] <= 0x20) space();
    if (plan) {
      let p = 0;
      for (; p < plan.names.length; p++) if (plan.names[p].length === len && t.startsWith(plan.names[p], start)) break;
      if (p < plan.names.length) out![plan.names[p]] = readValue(plan.plans[p]);
      else readValue(undefined);
    } else {
      readValue(undefined);
    }
    if (!another(0x7d)) break;
  }
  depth--;
  return out;
}

/** After a member or element: true at a ',' (another follows), false at `close` (consumed); anything else declines. */
function another(close: number): boolean {
  if (b[pos] <= 0x20) space();
  const c = b[pos];
  if (c === 0x2c) {
    if (++values > maxValues) throw DECLINE;
    pos++;
    if (b[pos] <= 0x20) space();
    return true;
  }
  if (c === close) { pos++; return false; }
  throw DECLINE;
}

function readArray(plan: Extract<ProjectionPlan, { kind: 'array' }> | undefined): unknown {
  open();
  const out: unknown[] | undefined = plan ? [] : undefined;
  const items = plan?.items;
  // past the schema's maxItems the array is refused: stop building it (a
  // hostile body of millions of tiny elements costs the loop no more than this)
  const most = plan ? plan.maxItems : Infinity;
  pos++;
  if (b[pos] <= 0x20) space();
  if (b[pos] === 0x5d) { pos++; depth--; return out; }
  for (;;) {
    const v = readValue(items);
    if (out) { if (out.length === most) throw DECLINE; out.push(v); }
    if (!another(0x5d)) break;
  }
  depth--;
  return out;
}

/**
 * The index of the quote closing the string opened at `open`, when the
 * string has no escape; -1 when it has one (valid or not). A raw control
 * character, or the end of the body, declines.
 */
function stringEnd(open: number): number {
  let i = open + 1;
  for (;;) {
    const c = b[i];
    if (c === 0x22) return i;
    if (c === 0x5c) return -1;
    if (c < 0x20 || i >= n) throw DECLINE;     // past the end, b[i] is undefined: only i >= n stops it
    i++;
  }
}

function readString(build: boolean): unknown {
  const start = pos;
  const end = stringEnd(start);
  if (end >= 0) {
    pos = end + 1;
    return build ? t.slice(start + 1, end) : undefined;
  }
  // a string with escapes: each checked (JSON.parse's grammar) on the way to its real end
  let i = start + 1;
  for (;;) {
    const d = b[i];
    if (d === 0x22) break;
    if (d === 0x5c) {
      const e = b[i + 1];
      if (e === 0x75) {                                      // \uXXXX
        for (let k = i + 2; k < i + 6; k++) if (!isHex(b[k])) throw DECLINE;
        i += 6;
      } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
      } else {
        throw DECLINE;
      }
      continue;
    }
    if (d < 0x20 || i >= n) throw DECLINE;
    i++;
  }
  pos = i + 1;
  return build ? JSON.parse(t.slice(start, i + 1)) as string : undefined;
}

/** A number, true, false or null; its value when `build`. */
function readScalar(build: boolean): unknown {
  const start = pos;
  const c = b[start];
  if (c === 0x74) return literal('true', true);
  if (c === 0x66) return literal('false', false);
  if (c === 0x6e) return literal('null', null);
  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  let i = start;
  if (b[i] === 0x2d) i++;
  const first = b[i];
  if (first === 0x30) i++;
  else if (first >= 0x31 && first <= 0x39) { i++; while (isDigit(b[i])) i++; }
  else throw DECLINE;
  if (b[i] === 0x2e) {
    i++;
    if (!isDigit(b[i])) throw DECLINE;
    while (isDigit(b[i])) i++;
  }
  const e = b[i];
  if (e === 0x65 || e === 0x45) {
    i++;
    const sign = b[i];
    if (sign === 0x2b || sign === 0x2d) i++;
    if (!isDigit(b[i])) throw DECLINE;
    while (isDigit(b[i])) i++;
  }
  pos = i;
  return build ? Number(t.slice(start, i)) : undefined;
}

function literal(word: string, value: unknown): unknown {
  if (!t.startsWith(word, pos)) throw DECLINE;
  pos += word.length;
  return value;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

function sameText(x: number, y: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (b[x + k] !== b[y + k]) return false;
  return true;
}
