// Hostile HTTP inputs against a running hax (a real Consul agent, the demo
// cluster, hax with a token), one row each: bad methods, targets, headers,
// framing, encodings, sizes, and JSON of every shape openapi.yaml refuses for
// each POST route. Every row must get its documented status and error code
// in the JSON envelope (docs/errors.md), and after the whole table Consul's
// KV must be exactly what it was.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startWorld, type HaxWorld } from '../http/hax-world.ts';
import { rawRequest, rawBytes, chunked } from '../http/raw-http.ts';

const TOKEN = 'hostile-inputs-token';
const MiB = 1024 * 1024;
const NODE = 'inputs-node';

interface Row { name: string; bytes: (port: number) => Buffer | string | (Buffer | string)[]; status: number; code: string; end?: boolean }
type H = [string, string | number][];

/** A request with hax's defaults (Host, the token, Connection: close; JSON type and length with a body); `headers` replace defaults, `extra` are added after them, `omit` drops defaults. */
function req(method: string, target: string, opts: { headers?: H; extra?: H; body?: string | Buffer; omit?: string[]; chunks?: (string | Buffer)[] } = {}): (port: number) => Buffer[] {
  return (port) => {
    const omit = new Set((opts.omit ?? []).map((h) => h.toLowerCase()));
    const given = new Set((opts.headers ?? []).map(([k]) => k.toLowerCase()));
    const defaults: H = [['Host', `127.0.0.1:${port}`], ['Authorization', `Bearer ${TOKEN}`], ['Connection', 'close']];
    if (opts.body !== undefined || opts.chunks) defaults.push(['Content-Type', 'application/json']);
    if (opts.body !== undefined) defaults.push(['Content-Length', Buffer.byteLength(opts.body)]);
    if (opts.chunks) defaults.push(['Transfer-Encoding', 'chunked']);
    const headers = [...defaults.filter(([k]) => !omit.has(k.toLowerCase()) && !given.has(k.toLowerCase())), ...(opts.headers ?? []), ...(opts.extra ?? [])];
    return [rawBytes(method, target, headers, opts.body ?? ''), ...(opts.chunks ? [chunked(opts.chunks)] : [])];
  };
}
const raw = (text: string) => (port: number) => text.replaceAll('PORT', String(port));

const POSTS = ['/', '/watcher/bq', '/watcher/processes'] as const;
const b64 = (s: string) => Buffer.from(s).toString('base64');

function rows(): Row[] {
  const r: Row[] = [];
  const add = (name: string, bytes: Row['bytes'], status: number, code: string, end = false) => r.push({ name, bytes, status, code, end });

  // ── methods
  add('PUT /', req('PUT', '/'), 405, 'HAX_ERR_METHOD');
  add('DELETE /watcher/bq', req('DELETE', '/watcher/bq'), 405, 'HAX_ERR_METHOD');
  add('PATCH /watcher/processes', req('PATCH', '/watcher/processes', { body: '{}' }), 405, 'HAX_ERR_METHOD');
  add('GET on a POST-only route', req('GET', '/watcher/bq'), 405, 'HAX_ERR_METHOD');
  add('POST /metrics', req('POST', '/metrics', { body: '[]' }), 405, 'HAX_ERR_METHOD');
  add('POST /v1/cluster/status', req('POST', '/v1/cluster/status', { body: '{}' }), 405, 'HAX_ERR_METHOD');
  add('OPTIONS /', req('OPTIONS', '/'), 405, 'HAX_ERR_METHOD');
  add('TRACE /', req('TRACE', '/'), 405, 'HAX_ERR_METHOD');
  add('PROPFIND /', req('PROPFIND', '/'), 405, 'HAX_ERR_METHOD');
  add('CONNECT to hax', raw('CONNECT 127.0.0.1:PORT HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n\r\n'), 405, 'HAX_ERR_METHOD');
  add('a lower-case method', raw('get / HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n\r\n'), 400, 'HAX_ERR_BAD_HTTP', true);
  add('an unknown method', raw('BREW / HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n\r\n'), 400, 'HAX_ERR_BAD_HTTP', true);
  add('HTTP/2.0 on the request line', raw('GET / HTTP/2.0\r\nHost: 127.0.0.1:PORT\r\n\r\n'), 505, 'HAX_ERR_HTTP_VERSION', true);
  add('a request line without a version (HTTP/0.9)', raw('GET /\r\nHost: 127.0.0.1:PORT\r\n\r\n'), 505, 'HAX_ERR_HTTP_VERSION', true);

  // ── request targets
  add('an unknown path', req('GET', '/nope'), 404, 'HAX_ERR_NOT_FOUND');
  add('a POST route\'s parent', req('POST', '/watcher', { body: '[]' }), 404, 'HAX_ERR_NOT_FOUND');
  add('a trailing slash', req('POST', '/watcher/bq/', { body: '[]' }), 404, 'HAX_ERR_NOT_FOUND');
  add('an encoded slash', req('POST', '/watcher%2Fbq', { body: '[]' }), 400, 'HAX_ERR_BAD_TARGET');
  add('a dot-dot segment', req('POST', '/watcher/../watcher/bq', { body: '[]' }), 400, 'HAX_ERR_BAD_TARGET');
  add('an encoded dot-dot', req('POST', '/%2e%2e/watcher/bq', { body: '[]' }), 400, 'HAX_ERR_BAD_TARGET');
  add('a dot segment', req('GET', '/./metrics'), 400, 'HAX_ERR_BAD_TARGET');
  add('a backslash', req('POST', '/watcher\\bq', { body: '[]' }), 400, 'HAX_ERR_BAD_TARGET');
  add('a double slash (scheme-relative)', req('GET', '//evil.example/v1/kv/leader'), 400, 'HAX_ERR_BAD_TARGET');
  add('an absolute-form target', req('GET', 'http://127.0.0.1/metrics'), 400, 'HAX_ERR_BAD_TARGET');
  add('the asterisk target', req('OPTIONS', '*'), 400, 'HAX_ERR_BAD_TARGET');
  add('a fragment', req('GET', '/metrics#x'), 400, 'HAX_ERR_BAD_TARGET');
  add('a quote in the path', req('GET', '/api/v1/links"'), 400, 'HAX_ERR_BAD_TARGET');
  add('a 20 KiB path', req('GET', '/' + 'a'.repeat(20 * 1024)), 431, 'HAX_ERR_HEADERS_TOO_LARGE', true);
  add('states without a fid', req('GET', '/api/v1/states'), 400, 'HAX_ERR_BAD_QUERY');
  add('states with a bad fid', req('GET', '/api/v1/states?fid=0x72:zz'), 400, 'HAX_ERR_BAD_QUERY');
  add('states with 1,100 fids', req('GET', `/api/v1/states?fid=${'0x1:0x1,'.repeat(1100)}`), 400, 'HAX_ERR_BAD_QUERY');
  add('the agent API through the proxy', req('GET', '/v1/agent/self'), 404, 'HAX_ERR_NOT_FOUND');
  add('a write through the proxy', req('PUT', '/v1/kv/leader', { body: '"x"' }), 405, 'HAX_ERR_METHOD');
  add('a token through the proxy', req('GET', '/v1/kv/leader?token=secret'), 400, 'HAX_ERR_BAD_QUERY');

  // ── Host, Origin, repeated headers, token
  add('no Host', req('GET', '/metrics', { omit: ['Host'] }), 400, 'HAX_ERR_BAD_HOST');
  add('an empty Host', req('GET', '/metrics', { omit: ['Host'], headers: [['Host', '']] }), 400, 'HAX_ERR_BAD_HOST');
  add('two Host headers', req('POST', '/', { body: '[]', extra: [['Host', 'evil.example']] }), 400, 'HAX_ERR_BAD_HOST');
  add('a Host with user info', req('GET', '/metrics', { omit: ['Host'], headers: [['Host', 'a@127.0.0.1']] }), 400, 'HAX_ERR_BAD_HOST');
  add('a Host with a bad port', req('GET', '/metrics', { omit: ['Host'], headers: [['Host', '127.0.0.1:99999']] }), 400, 'HAX_ERR_BAD_HOST');
  add('a rebound name (POST)', req('POST', '/', { body: '[]', omit: ['Host'], headers: [['Host', 'evil.example:8008']] }), 403, 'HAX_ERR_HOST');
  add('a rebound name (proxy)', req('GET', '/v1/kv/?recurse', { omit: ['Host'], headers: [['Host', 'evil.example']] }), 403, 'HAX_ERR_HOST');
  add('a rebound name (status)', req('GET', '/v1/cluster/status', { omit: ['Host'], headers: [['Host', 'localhost.evil.example']] }), 403, 'HAX_ERR_HOST');
  add('a name that embeds an address', req('GET', '/metrics', { omit: ['Host'], headers: [['Host', '127.0.0.1.nip.io']] }), 403, 'HAX_ERR_HOST');
  add('Origin of another site', req('POST', '/', { body: '[]', headers: [['Origin', 'http://evil.example']] }), 403, 'HAX_ERR_ORIGIN');
  add('Origin null', req('POST', '/watcher/bq', { body: '[]', headers: [['Origin', 'null']] }), 403, 'HAX_ERR_ORIGIN');
  add('Origin of another port of this host', req('GET', '/v1/kv/leader', { headers: [['Origin', 'http://127.0.0.1:1']] }), 403, 'HAX_ERR_ORIGIN');
  add('Origin that is not a URL', req('POST', '/watcher/processes', { body: 'null', headers: [['Origin', 'not a url']] }), 403, 'HAX_ERR_ORIGIN');
  add('Origin with a path', req('POST', '/', { body: '[]', headers: [['Origin', 'http://127.0.0.1/x']] }), 403, 'HAX_ERR_ORIGIN');
  add('two Authorization headers', req('POST', '/', { body: '[]', extra: [['Authorization', 'Bearer wrong']] }), 400, 'HAX_ERR_BAD_HEADER');
  add('two Content-Type headers', req('POST', '/', { body: '[]', extra: [['Content-Type', 'text/plain']] }), 400, 'HAX_ERR_BAD_HEADER');
  add('two X-Consul-Index headers', req('POST', '/', { body: '[]', headers: [['X-Consul-Index', '1'], ['X-Consul-Index', '2']] }), 400, 'HAX_ERR_BAD_HEADER');
  add('X-Consul-Index not a number', req('POST', '/', { body: '[]', headers: [['X-Consul-Index', 'abc']] }), 400, 'HAX_ERR_BAD_HEADER');
  add('X-Consul-Index of 21 digits', req('POST', '/watcher/bq', { body: '[]', headers: [['X-Consul-Index', '1'.repeat(21)]] }), 400, 'HAX_ERR_BAD_HEADER');
  add('X-Consul-Index negative', req('POST', '/watcher/processes', { body: 'null', headers: [['X-Consul-Index', '-1']] }), 400, 'HAX_ERR_BAD_HEADER');
  add('no token', req('POST', '/', { body: '[]', omit: ['Authorization'] }), 401, 'HAX_ERR_UNAUTHORIZED');
  add('a wrong token', req('POST', '/watcher/bq', { body: '[]', omit: ['Authorization'], headers: [['Authorization', 'Bearer nope']] }), 401, 'HAX_ERR_UNAUTHORIZED');
  add('the token as Basic', req('POST', '/', { body: '[]', omit: ['Authorization'], headers: [['Authorization', `Basic ${TOKEN}`]] }), 401, 'HAX_ERR_UNAUTHORIZED');
  add('the token plus a character', req('POST', '/watcher/processes', { body: 'null', omit: ['Authorization'], headers: [['Authorization', `Bearer ${TOKEN}x`]] }), 401, 'HAX_ERR_UNAUTHORIZED');
  add('an empty Bearer', req('POST', '/', { body: '[]', omit: ['Authorization'], headers: [['Authorization', 'Bearer ']] }), 401, 'HAX_ERR_UNAUTHORIZED');
  add('no token, 100 MB announced', req('POST', '/', { omit: ['Authorization'], headers: [['Content-Type', 'application/json'], ['Content-Length', 100_000_000]] }), 401, 'HAX_ERR_UNAUTHORIZED', true);
  add('Expect: something else', req('POST', '/', { body: '[]', headers: [['Expect', 'the-unexpected']] }), 417, 'HAX_ERR_EXPECTATION');

  // ── content type and encoding
  for (const [name, type] of [['text/plain', 'text/plain'], ['form', 'application/x-www-form-urlencoded'], ['json-seq', 'application/json-seq'], ['a JSON lookalike', 'application/jsonx'],
    ['charset latin1', 'application/json; charset=latin1'], ['charset utf-16', 'application/json; charset=utf-16']] as const) {
    add(`Content-Type ${name}`, req('POST', '/', { body: '[]', headers: [['Content-Type', type]] }), 415, 'HAX_ERR_CONTENT_TYPE');
  }
  add('no Content-Type', req('POST', '/watcher/bq', { body: '[]', omit: ['Content-Type'] }), 415, 'HAX_ERR_CONTENT_TYPE');
  add('gzip-encoded', req('POST', '/', { body: '[]', headers: [['Content-Encoding', 'gzip']] }), 415, 'HAX_ERR_CONTENT_ENCODING');
  add('br-encoded', req('POST', '/watcher/processes', { body: 'null', headers: [['Content-Encoding', 'br']] }), 415, 'HAX_ERR_CONTENT_ENCODING');

  // ── framing
  const post = 'POST / HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nAuthorization: Bearer ' + TOKEN + '\r\nContent-Type: application/json\r\n';
  add('a chunk size that is not hex', raw(post + 'Transfer-Encoding: chunked\r\n\r\nzz\r\n[]\r\n0\r\n\r\n'), 400, 'HAX_ERR_BAD_HTTP', true);
  add('a chunk longer than announced', raw(post + 'Transfer-Encoding: chunked\r\n\r\n1\r\n[]]\r\n0\r\n\r\n'), 400, 'HAX_ERR_BAD_HTTP', true);
  add('Transfer-Encoding with Content-Length', raw(post + 'Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n[]\r\n0\r\n\r\n'), 400, 'HAX_ERR_BAD_HTTP', true);
  add('Transfer-Encoding gzip', raw(post + 'Transfer-Encoding: gzip\r\n\r\n[]'), 400, 'HAX_ERR_BAD_HTTP', true);
  add('two Content-Lengths', raw(post + 'Content-Length: 2\r\nContent-Length: 3\r\n\r\n[] '), 400, 'HAX_ERR_BAD_HTTP', true);
  add('a Content-Length that is not a number', raw(post + 'Content-Length: two\r\n\r\n[]'), 400, 'HAX_ERR_BAD_HTTP', true);
  add('a body shorter than its Content-Length', raw(post + 'Content-Length: 10\r\n\r\n[]'), 400, 'HAX_ERR_BAD_HTTP', true);
  add('32 KiB of headers', raw(post + `X-Big: ${'b'.repeat(32 * 1024)}\r\n\r\n`), 431, 'HAX_ERR_HEADERS_TOO_LARGE', true);
  add('a NUL in a header', raw(post + 'X-Bad: a\u0000b\r\nContent-Length: 2\r\n\r\n[]'), 400, 'HAX_ERR_BAD_HTTP', true);
  add('a folded header line', raw(post + 'X-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n[]'), 400, 'HAX_ERR_BAD_HTTP', true);
  add('a space before the colon', raw(post + 'Content-Length : 2\r\n\r\n[]'), 400, 'HAX_ERR_BAD_HTTP', true);
  add('a bare LF line end', raw('GET /metrics HTTP/1.1\nHost: 127.0.0.1:PORT\n\n'), 400, 'HAX_ERR_BAD_HTTP', true);

  // ── websocket upgrades
  const ws = (target: string, extra = '') => raw(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`);
  add('the feed from another page', ws('/debug/feed', 'Origin: http://evil.example\r\n'), 403, 'HAX_ERR_ORIGIN');
  add('the feed by a rebound name', raw('GET /debug/feed HTTP/1.1\r\nHost: evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'), 403, 'HAX_ERR_HOST');
  add('a websocket elsewhere', ws('/'), 404, 'HAX_ERR_NOT_FOUND');
  add('a websocket with a bad key', raw('GET /debug/feed HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n\r\n'), 400, 'HAX_ERR_BAD_UPGRADE');
  add('a websocket of version 8', raw('GET /debug/feed HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'), 400, 'HAX_ERR_BAD_UPGRADE');
  add('an h2c upgrade of the feed', raw('GET /debug/feed HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'), 400, 'HAX_ERR_BAD_UPGRADE');

  // ── sizes
  for (const path of POSTS) {
    add(`17 MiB announced to ${path}`, req('POST', path, { headers: [['Content-Type', 'application/json'], ['Content-Length', 17 * MiB]] }), 413, 'HAX_ERR_BODY_TOO_LARGE', true);
  }
  add('a chunked body past the limit', req('POST', '/', { chunks: Array.from({ length: 17 }, () => Buffer.alloc(MiB, 0x20)) }), 413, 'HAX_ERR_BODY_TOO_LARGE');
  add('3 M values in 6 MiB', req('POST', '/', { body: '[' + '0,'.repeat(3 * MiB - 1) + '0]' }), 413, 'HAX_ERR_BODY_TOO_COMPLEX');
  add('more checks than the core takes in one call (250 × 1,000)', req('POST', '/', { body: JSON.stringify(Array.from({ length: 250 }, (_, i) => ({ Service: { ID: String(i + 1) }, Checks: Array.from({ length: 1000 }, () => ({ Status: 'critical', ServiceID: String(i + 1) })) }))) }), 413, 'HAX_ERR_BODY_TOO_COMPLEX');
  add('more entries than a watch holds (20,001)', req('POST', '/', { body: JSON.stringify(Array.from({ length: 20_001 }, () => ({ Service: { ID: '1' }, Checks: [] }))) }), 400, 'HAX_ERR_BAD_SHAPE');
  add('a small body of many values (inline)', req('POST', '/watcher/bq', { body: '[' + '{},'.repeat(100_000) + '{}]' }), 400, 'HAX_ERR_BAD_SHAPE');
  add('a 64 KiB body on a GET', req('GET', '/api/v1/links', { body: 'x'.repeat(65 * 1024), omit: ['Content-Type'] }), 413, 'HAX_ERR_BODY_TOO_LARGE');

  // ── JSON, for every POST route
  const badUtf8: [string, Buffer][] = [
    ['a lone 0xff', Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d])],
    ['an overlong slash', Buffer.concat([Buffer.from('{"Key":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
    ['an encoded surrogate', Buffer.concat([Buffer.from('["'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"]')])],
  ];
  for (const path of POSTS) {
    for (const body of ['{', '[1,]', "{'a':1}", 'NaN', '[] []', '\ufeff[]']) add(`invalid JSON ${JSON.stringify(body)} to ${path}`, req('POST', path, { body }), 400, 'HAX_ERR_BAD_JSON');
    add(`an empty body to ${path}`, req('POST', path, { body: '' }), 400, 'HAX_ERR_BAD_JSON');
    for (const [name, body] of badUtf8) add(`${name} to ${path}`, req('POST', path, { body }), 400, 'HAX_ERR_BAD_UTF8');
    add(`100 nested arrays to ${path}`, req('POST', path, { body: '['.repeat(100) + ']'.repeat(100) }), 400, 'HAX_ERR_BODY_TOO_DEEP');
    add(`a duplicate top-level key to ${path}`, req('POST', path, { body: '{"Key":"a","Key":"b"}' }), 400, 'HAX_ERR_DUPLICATE_KEY');
  }
  const shapes: Record<string, string[]> = {
    '/': ['{"Service":{"ID":"1"},"Checks":[]}', '[null]', '[{"Checks":[]}]', '[{"Service":{"ID":"1"}}]', '[{"Service":{"ID":7},"Checks":[]}]',
      '[{"Service":{"ID":"1"},"Checks":[{"Status":"PASSING"}]}]', `[{"Service":{"ID":"${'9'.repeat(257)}"},"Checks":[]}]`, '[{"Service":{"ID":"1"},"Checks":[{"Status":"passing","ServiceID":1}]}]'],
    '/watcher/bq': ['{"Key":"bq/1"}', '[{"Value":"eA=="}]', '[{"Key":"bq/1","ModifyIndex":1e400}]', '[{"Key":"bq/1","ModifyIndex":1.5}]', `[{"Key":"${'k'.repeat(513)}"}]`, '[{"Key":"bq/1","Value":7}]'],
    '/watcher/processes': ['[]', '{"Value":"eA=="}', '{"Key":null}', '{"Key":"processes/x","Flags":"1"}', `{"Key":"processes/x","Value":"${'A'.repeat(700_004)}"}`, '"processes/x"'],
  };
  for (const [path, bodies] of Object.entries(shapes)) for (const body of bodies) add(`shape ${body.slice(0, 50)} to ${path}`, req('POST', path, { body }), 400, 'HAX_ERR_BAD_SHAPE');
  add('a duplicate key deep in a health entry', req('POST', '/', { body: '[{"Service":{"ID":"3"},"Checks":[{"Status":"passing","Status":"critical"}]}]' }), 400, 'HAX_ERR_DUPLICATE_KEY');
  add('a duplicate key spelled with an escape', req('POST', '/watcher/processes', { body: `{"Key":"processes/0x7200000000000001:0x3","\\u004bey":"x","Value":"${b64('{"state":"M0_CONF_HA_PROCESS_STOPPED"}')}"}` }), 400, 'HAX_ERR_DUPLICATE_KEY');
  add('a duplicate Value in a bq entry', req('POST', '/watcher/bq', { body: `[{"Key":"bq/9","Value":null,"Value":"${b64('{"message_type":"STOB_IOQ_ERROR","payload":{}}')}"}]` }), 400, 'HAX_ERR_DUPLICATE_KEY');
  return r;
}

let world: HaxWorld | undefined;

test('every hostile input gets its documented refusal, and Consul\'s KV is unchanged after the table', async () => {
  world = await startWorld(NODE, { token: TOKEN });
  const table = rows();
  assert.ok(table.length >= 80, `the table has ${table.length} rows`);
  const before = await world.kvSnapshot();
  const wrong: string[] = [];
  let refused = 0;
  for (const row of table) {
    const r = await rawRequest(world.port, row.bytes(world.port), { end: row.end });
    const ok = r.status === row.status && r.json?.error_type === row.code && r.json?.status_code === row.status
      && typeof r.json?.error_message === 'string' && typeof r.json?.reason === 'string';
    if (ok) refused += 1;
    else wrong.push(`${row.name}: expected ${row.status} ${row.code}, got ${r.status} ${r.body.slice(0, 160)}${r.error ? ` (${r.error})` : ''}`);
  }
  const after = await world.kvSnapshot();
  console.log(`hostile http: ${table.length} inputs, ${refused} refused as documented`);
  assert.equal(wrong, [], wrong.join('\n'));
  assert.equal(after, before, 'Consul KV changed');
  assert.is((await fetch(`${world.base}/`)).status, 200, 'hax still answers');
});

// Teardown, not a test: it runs even when a test failed, and is not counted.
test.after(async () => { await world?.stop(); world = undefined; });

test.run();
