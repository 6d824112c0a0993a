// What hax's Consul proxy lets through, decided the way the agent itself will
// read the request. Consul 1.8 is Go 1.15: net/url.ParseQuery splits the
// query on `;` as well as `&` (so `?dc=dc1;token=x` carries a token), takes
// the first of repeated parameters, drops pairs it cannot unescape, and its
// router resolves `.`/`..` and decodes %2F. Rather than imitate every rule,
// the proxy accepts only one spelling of a read: an origin-form path with no
// dot segments, no encoded dot, slash or backslash, no `;` anywhere, each
// allowed parameter at most once with a value of a known form; it then sends
// Consul a request it builds itself from what it checked (never the client's
// bytes, never the client's headers).

export interface Refusal { status: number; code: string; message: string; reason: string }

const refusal = (status: number, code: string, message: string, reason: string): Refusal => ({ status, code, message, reason });
const badQuery = (message: string) => refusal(400, 'HAX_ERR_BAD_QUERY', message, 'Consul proxy refused');
const badTarget = (message: string) => refusal(400, 'HAX_ERR_BAD_TARGET', message, 'Consul proxy refused');

const FLAG = { check: (v: string) => v === '' || v === 'true' || v === '1', form: 'given without a value (or =true)' };

/** The query parameters a read may carry, each with the values it may take. */
export const QUERY_RULES: Readonly<Record<string, { check: (v: string) => boolean; form: string }>> = {
  recurse: FLAG, keys: FLAG, raw: FLAG, passing: FLAG, stale: FLAG, consistent: FLAG,
  index: { check: (v) => /^\d{1,19}$/.test(v), form: 'a decimal X-Consul-Index' },
  wait: { check: (v) => parseGoDurationMs(v) !== undefined, form: 'a duration such as 30s, 1500ms or 1m' },
  dc: { check: (v) => /^[A-Za-z0-9_.-]{1,64}$/.test(v), form: 'a datacenter name (letters, digits, _ . -)' },
  separator: { check: (v) => /^[A-Za-z0-9/_.:-]{1,8}$/.test(v), form: '1 to 8 of letters, digits and / _ . : -' },
};

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`1m30s`, `1500ms`) in milliseconds; undefined when it is not one. */
export function parseGoDurationMs(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]];
  return Number.isFinite(ms) ? ms : undefined;
}

/** `+` is a space and %XX a byte, as Go's QueryUnescape reads them; undefined when malformed. */
function unescapeQuery(s: string): string | undefined {
  try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { return undefined; }
}

const shown = (s: string) => JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s);

/**
 * The query's parameters, in order, or why the proxy refuses them. `search`
 * is the query as received (with or without its leading `?`).
 */
export function checkQuery(search: string): { params: [string, string][] } | Refusal {
  const q = search.startsWith('?') ? search.slice(1) : search;
  if (q.includes(';')) return badQuery('";" separates query parameters for Consul as "&" does; the proxy refuses it: put "&" between parameters');
  const params: [string, string][] = [];
  const seen = new Set<string>();
  for (const piece of q.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = unescapeQuery(eq < 0 ? piece : piece.slice(0, eq));
    const value = unescapeQuery(eq < 0 ? '' : piece.slice(eq + 1));
    if (name === undefined || value === undefined) return badQuery('the query has malformed percent-encoding (a "%" not followed by two hex digits of UTF-8)');
    if (/token/i.test(name)) return badQuery('a Consul token cannot be passed through the proxy (the agent sees hax, not the client); read without one');
    const rule = Object.hasOwn(QUERY_RULES, name) ? QUERY_RULES[name] : undefined;
    if (!rule) return badQuery(`query parameter ${shown(name)} is not allowed through the Consul proxy (allowed: ${Object.keys(QUERY_RULES).join(', ')})`);
    if (seen.has(name)) return badQuery(`query parameter "${name}" is repeated; give it once`);
    if (!rule.check(value)) return badQuery(`query parameter "${name}" must be ${rule.form}`);
    seen.add(name);
    params.push([name, value]);
  }
  return { params };
}

/**
 * Refuses a request target that is not the one canonical spelling of its
 * path: `raw` is the request line's target as received, `resolved` the path
 * the URL parser made of it (dot segments resolved, backslashes turned into
 * slashes).
 */
export function checkTarget(raw: string, resolved: string): Refusal | undefined {
  if (!raw.startsWith('/')) return badTarget('the request target must be a path (origin-form), not an absolute URL or "*"');
  if (/[^\x21-\x7e]/.test(raw)) return badTarget('the request target holds a space, a control character or a non-ASCII byte; percent-encode it');
  if (raw.includes('#')) return badTarget('the request target holds a fragment ("#")');
  if (raw.includes('\\')) return badTarget('the request target holds a backslash');
  const at = raw.indexOf('?');
  const path = at < 0 ? raw : raw.slice(0, at);
  if (path.includes(';')) return badTarget('the path holds ";"');
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return badTarget('the path has malformed percent-encoding');
  if (/%(2e|2f|5c|[01][0-9a-f]|7f)/i.test(path)) return badTarget('the path holds an encoded dot, slash, backslash or control character (%2e, %2f, %5c, ...); send dots unencoded and no encoded separators');
  const segments = path.split('/').slice(1);
  for (let i = 0; i < segments.length; i++) {
    if (segments[i] === '.' || segments[i] === '..') return badTarget('the path holds a "." or ".." segment; send the path it stands for');
    if (segments[i] === '' && i < segments.length - 1) return badTarget('the path holds an empty segment ("//")');
  }
  if (path !== resolved) return badTarget('the path is not in canonical form');
  return undefined;
}

/** The query Consul gets: the checked parameters, `wait` at most `maxWaitMs`, and a blocking read always with a `wait`. */
export function upstreamQuery(params: [string, string][], maxWaitMs: number): { query: string; blocking: boolean; waitMs: number } {
  const index = params.find(([k]) => k === 'index')?.[1];
  const blocking = index !== undefined && !/^0+$/.test(index);
  const max = maxWaitMs % 1000 === 0 ? `${maxWaitMs / 1000}s` : `${maxWaitMs}ms`;
  let waitMs = maxWaitMs;
  const out: string[] = [];
  let hasWait = false;
  for (const [k, v] of params) {
    let value = v;
    if (k === 'wait') {
      hasWait = true;
      const ms = parseGoDurationMs(v)!;
      if (ms > maxWaitMs) value = max; else waitMs = ms;
    }
    out.push(value === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(value)}`);
  }
  if (blocking && !hasWait) out.push(`wait=${max}`);
  return { query: out.length ? '?' + out.join('&') : '', blocking, waitMs };
}
