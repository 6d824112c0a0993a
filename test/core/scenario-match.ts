// Matching a scenario's expected actions against what the core did.
//
//   actions: the exact list of action kinds, in order. Each item is a kind
//     ("acknowledge") or a one-key map {kind: fields}; the fields given must
//     match, fields left out are not checked.
//   fields: scalars compare equal; maps match key by key (a subset); lists
//     match element by element with the same length, unless written
//     {has: [...]}: then each listed element must match some element.
//     A text written {contains: "..."} matches any text holding that substring.
// Returns the first difference as a path and both values, or undefined.

export function matchValue(expected: unknown, actual: unknown, path: string): string | undefined {
  if (expected && typeof expected === 'object' && !Array.isArray(expected) && 'has' in expected && Object.keys(expected).length === 1) {
    const wanted = (expected as { has: unknown }).has;
    if (!Array.isArray(wanted)) return `${path}: "has" takes a list`;
    if (!Array.isArray(actual)) return `${path}: expected a list, got ${show(actual)}`;
    for (const [i, w] of wanted.entries()) {
      if (!actual.some((a) => matchValue(w, a, path) === undefined)) return `${path}: no element matches has[${i}] = ${show(w)}; the list is ${show(actual)}`;
    }
    return undefined;
  }
  if (expected && typeof expected === 'object' && !Array.isArray(expected) && 'contains' in expected && Object.keys(expected).length === 1) {
    const part = (expected as { contains: unknown }).contains;
    if (typeof part !== 'string') return `${path}: "contains" takes a text`;
    if (typeof actual !== 'string') return `${path}: expected a text containing ${show(part)}, got ${show(actual)}`;
    return actual.includes(part) ? undefined : `${path}: ${show(actual)} does not contain ${show(part)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected a list, got ${show(actual)}`;
    if (expected.length !== actual.length) return `${path}: expected ${expected.length} element(s), got ${actual.length}: ${show(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const d = matchValue(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return `${path}: expected a map, got ${show(actual)}`;
    for (const [k, v] of Object.entries(expected)) {
      if (!(k in actual)) return `${path}.${k}: missing (the action has ${Object.keys(actual).join(', ')})`;
      const d = matchValue(v, (actual as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return expected === actual ? undefined : `${path}: expected ${show(expected)}, got ${show(actual)}`;
}

/** Expected action items against the described actions ([{kind: fields}]). */
export function matchActions(expected: unknown[], actual: Record<string, unknown>[]): string | undefined {
  const kinds = actual.map((a) => Object.keys(a)[0]!);
  const wantKinds = expected.map((e) => (typeof e === 'string' ? e : e && typeof e === 'object' ? Object.keys(e)[0] : undefined));
  if (wantKinds.some((k) => k === undefined) || expected.some((e) => e && typeof e === 'object' && Object.keys(e).length !== 1)) {
    return `actions: each item is a kind or a one-key map {kind: fields}, got ${show(expected)}`;
  }
  if (JSON.stringify(kinds) !== JSON.stringify(wantKinds)) return `actions: expected [${wantKinds.join(', ')}], got [${kinds.join(', ')}]`;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (typeof e === 'string') continue;
    const [kind, fields] = Object.entries(e as Record<string, unknown>)[0]!;
    if (fields === null || fields === undefined) continue;
    const d = matchValue(fields, actual[i]![kind], `actions[${i}].${kind}`);
    if (d) return d;
  }
  return undefined;
}

export function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 600 ? s.slice(0, 600) + '…' : s;
}
