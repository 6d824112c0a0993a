// Issue 13, defect 10 (HTTP): malformed HTTP is answered with the JSON error
// envelope (not Node's bare 400), JSON bodies are decoded strictly (invalid
// UTF-8 and duplicate keys are refused with a coded 400), a 401 is answered
// before the body is read, a non-loopback --http needs a token (or
// --http-open), and --token-on-reads puts the token on the reads too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { startWorld, type HaxWorld } from '../http/hax-world.ts';
import { rawRequest, rawBytes, chunked, type RawReply } from '../http/raw-http.ts';
import { runOptions } from '../../src/cli/run.ts';

const TOKEN = 'malformed-suite-token';
let world: HaxWorld | undefined;
const up = async () => (world ??= await startWorld('malformed-node', { token: TOKEN }));
const auth: [string, string] = ['Authorization', `Bearer ${TOKEN}`];

function refused(r: RawReply, status: number, code: string, what: string): void {
  assert.is(r.status, status, `${what}: ${r.body.slice(0, 200)}`);
  assert.ok(r.json, `${what}: the JSON envelope (got ${JSON.stringify(r.body.slice(0, 100))})`);
  assert.equal(Object.keys(r.json!).sort(), ['error_message', 'error_type', 'reason', 'status_code'], what);
  assert.is(r.json!.status_code, status, what);
  assert.is(r.json!.error_type, code, what);
}

const post = (port: number, path: string, body: Buffer | string, extra: [string, string | number][] = [auth]) =>
  rawRequest(port, rawBytes('POST', path, [['Host', `127.0.0.1:${port}`], ['Content-Type', 'application/json'], ['Content-Length', Buffer.byteLength(body)], ['Connection', 'close'], ...extra], body));

test('malformed HTTP gets the JSON envelope: bad chunking, TE with CL, two Content-Lengths, huge headers', async () => {
  const w = await up();
  const h = (extra: string) => `POST / HTTP/1.1\r\nHost: 127.0.0.1:${w.port}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n${extra}\r\n`;
  const cases: [string, string | Buffer, number, string][] = [
    ['a chunk size that is not hex', h('Transfer-Encoding: chunked\r\n') + 'zz\r\n[]\r\n0\r\n\r\n', 400, 'HAX_ERR_BAD_HTTP'],
    ['a chunk longer than its size', h('Transfer-Encoding: chunked\r\n') + '2\r\n[]]]]\r\n0\r\n\r\n', 400, 'HAX_ERR_BAD_HTTP'],
    ['Transfer-Encoding with Content-Length', h('Transfer-Encoding: chunked\r\nContent-Length: 2\r\n') + chunked(['[]']).toString(), 400, 'HAX_ERR_BAD_HTTP'],
    ['two Content-Lengths', h('Content-Length: 2\r\nContent-Length: 3\r\n') + '[] ', 400, 'HAX_ERR_BAD_HTTP'],
    ['two equal Content-Lengths', h('Content-Length: 2\r\nContent-Length: 2\r\n') + '[]', 400, 'HAX_ERR_BAD_HTTP'],
    ['a negative Content-Length', h('Content-Length: -2\r\n') + '[]', 400, 'HAX_ERR_BAD_HTTP'],
    ['32 KiB of headers', h(`X-Big: ${'a'.repeat(32 * 1024)}\r\n`), 431, 'HAX_ERR_HEADERS_TOO_LARGE'],
    ['a NUL in a header value', h('X-Bad: a\u0000b\r\n'), 400, 'HAX_ERR_BAD_HTTP'],
    ['an unknown method', `BREW / HTTP/1.1\r\nHost: 127.0.0.1:${w.port}\r\n\r\n`, 400, 'HAX_ERR_BAD_HTTP'],
    ['HTTP/2.0 in the request line', `GET / HTTP/2.0\r\nHost: 127.0.0.1:${w.port}\r\n\r\n`, 505, 'HAX_ERR_HTTP_VERSION'],
  ];
  for (const [what, bytes, status, code] of cases) {
    const r = await rawRequest(w.port, bytes, { end: true });
    refused(r, status, code, what);
    assert.is(r.headers.connection, 'close', `${what}: the connection is closed`);
  }
});

test('invalid UTF-8 in a JSON body is refused with a coded 400, on every POST route', async () => {
  const w = await up();
  const bad = [
    Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d]),                          // ["\xff"]
    Buffer.concat([Buffer.from('{"Key":"processes/'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),      // overlong '/'
    Buffer.concat([Buffer.from('{"Key":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),          // a UTF-16 surrogate
    Buffer.concat([Buffer.from('[{"Service":{"ID":"1'), Buffer.from([0xe2, 0x82]), Buffer.from('"},"Checks":[]}]')]), // truncated sequence
  ];
  for (const path of ['/', '/watcher/bq', '/watcher/processes']) {
    for (const body of bad) refused(await post(w.port, path, body), 400, 'HAX_ERR_BAD_UTF8', `${path} ${body.toString('hex')}`);
  }
  // well-formed UTF-8 still passes
  assert.is((await post(w.port, '/', '[{"Service":{"ID":"é"},"Checks":[]}]')).status, 200);
});

test('duplicate keys in a JSON body are refused with a coded 400', async () => {
  const w = await up();
  const cases: [string, string, string][] = [
    ['/', '[{"Service":{"ID":"1"},"Checks":[],"Checks":[{"Status":"critical"}]}]', 'Checks'],
    ['/', '[{"Service":{"ID":"1","ID":"2"},"Checks":[]}]', 'ID'],
    ['/', '[{"Service":{"ID":"1"},"Checks":[{"Status":"passing","Status":"critical"}]}]', 'Status'],
    ['/watcher/processes', '{"Key":"processes/0x7200000000000001:0x3","\\u004bey":"processes/x"}', 'Key'],
    ['/watcher/bq', '[{"Key":"bq/1","Value":null,"Value":"eA=="}]', 'Value'],
  ];
  for (const [path, body, key] of cases) {
    const r = await post(w.port, path, body);
    refused(r, 400, 'HAX_ERR_DUPLICATE_KEY', body);
    assert.match(String(r.json!.error_message), `"${key}"`, 'the message names the key');
  }
  // the same key in different objects is fine
  assert.is((await post(w.port, '/', '[{"Service":{"ID":"1"},"Checks":[]},{"Service":{"ID":"2"},"Checks":[]}]')).status, 200);
});

test('a 401 is answered before the body is read, and the connection is closed', async () => {
  const w = await up();
  for (const auth of [[], [['Authorization', 'Bearer wrong']]] as [string, string][][]) {
    // 100 MB announced, 1 KiB sent, then EOF: only an answer given before reading can be a 401
    const head = rawBytes('POST', '/', [['Host', `127.0.0.1:${w.port}`], ['Content-Type', 'application/json'], ['Content-Length', 100_000_000], ...auth], 'x'.repeat(1024));
    const r = await rawRequest(w.port, head, { end: true });
    refused(r, 401, 'HAX_ERR_UNAUTHORIZED', `401 with ${JSON.stringify(auth)}`);
    assert.is(r.headers.connection, 'close');
  }
  // with Expect: 100-continue, the refusal comes instead of 100 Continue
  const r = await rawRequest(w.port, rawBytes('POST', '/', [['Host', `127.0.0.1:${w.port}`], ['Content-Type', 'application/json'], ['Content-Length', 100_000_000], ['Expect', '100-continue']]), { end: true });
  refused(r, 401, 'HAX_ERR_UNAUTHORIZED', 'Expect: 100-continue');
  assert.equal(r.interim, [], 'no 100 Continue before a refusal');
});

test('--http on a non-loopback address without a token is refused unless --http-open says so', () => {
  for (const http of ['0.0.0.0:8008', '[::]:8008', '10.1.2.3:8008', 'node1.example:8008']) {
    assert.throws(() => runOptions(['--http', http], {}), (e: Error & { code?: string }) => e.code === 'HAX_ERR_BAD_VALUE' && /--http-open/.test(e.message) && /--token-file/.test(e.message), http);
    assert.not.throws(() => runOptions(['--http', http], { HAX_HTTP_TOKEN: 'a-token-of-16-ch' }), `${http} with a token`);
    assert.not.throws(() => runOptions(['--http', http, '--http-open'], {}), `${http} with --http-open`);
  }
  for (const http of ['127.0.0.1:8008', '127.1.2.3:8008', '[::1]:8008', 'localhost:8008']) assert.not.throws(() => runOptions(['--http', http], {}), http);
});

test('--token-on-reads: every route but the liveness GET needs the token, the feed and the Consul proxy too', async () => {
  const parsed = runOptions(['--token-on-reads'], { HAX_HTTP_TOKEN: 'a-token-of-16-ch' }) as unknown as { http: { tokenOnReads?: boolean } };
  assert.is(parsed.http.tokenOnReads, true);
  assert.throws(() => runOptions(['--token-on-reads'], {}), (e: Error & { code?: string }) => e.code === 'HAX_ERR_BAD_VALUE', 'needs a token');
  const w = await up();
  // without the option (the default), reads stay open: a documented choice
  assert.is((await fetch(`${w.base}/v1/kv/leader`)).status, 200);
  const { configureHttp } = await import('../../src/http/limits.ts');
  configureHttp({ tokenOnReads: true });
  const w2 = await startWorld('malformed-node-2', { token: TOKEN });
  try {
    const get = (path: string, extra: [string, string][] = []) => rawRequest(w2.port, rawBytes('GET', path, [['Host', `127.0.0.1:${w2.port}`], ['Connection', 'close'], ...extra]));
    for (const path of ['/v1/kv/leader', '/v1/cluster/status', '/api/v1/links', '/metrics', '/monitor', '/openapi.yaml']) {
      refused(await get(path), 401, 'HAX_ERR_UNAUTHORIZED', `GET ${path}`);
      assert.is((await get(path, [auth])).status, 200, `GET ${path} with the token`);
    }
    assert.is((await get('/')).status, 200, 'liveness stays open');
    const ws = await new Promise<number>((resolve) => {
      const s = new WebSocket(`ws://127.0.0.1:${w2.port}/debug/feed`);
      s.once('open', () => { s.close(); resolve(101); });
      s.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      s.once('error', () => {});
    });
    assert.is(ws, 401, 'the feed without the token');
  } finally {
    configureHttp({ tokenOnReads: false });
    await w2.stop();
  }
});

test('none of the refusals changed Consul', async () => {
  const w = await up();
  const before = await w.kvSnapshot();
  await post(w.port, '/watcher/bq', '[{"Key":"bq/1","Key":"bq/2","Value":"eyJ4IjoxfQ=="}]');
  await rawRequest(w.port, `POST /watcher/bq HTTP/1.1\r\nHost: 127.0.0.1:${w.port}\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n[]`, { end: true });
  assert.equal(await w.kvSnapshot(), before);
});

// Teardown, not a test: it runs even when a test failed, and is not counted.
test.after(async () => { await world?.stop(); world = undefined; });

test.run();
