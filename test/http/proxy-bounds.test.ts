// The Consul proxy's bounds at unit level (issue 13, defect 5): the upstream
// is a recording HTTP server that holds blocking reads open (like an agent
// whose index does not move), so the test knows exactly how many upstream
// requests the proxy holds. Clients come from distinct loopback addresses
// (127.0.0.2, 127.0.0.3, ...) so that the per-client and the total bound can
// be told apart. Bounds are the documented defaults (docs/operations.md,
// "Limits"): 32 upstream requests in all, 8 per client, wait at most 60 s.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, request, type IncomingMessage, type Server, type ClientRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createHttpApp, type HttpApp } from '../../src/http/server.ts';
import { createHandlers } from '../../src/http/handlers/index.ts';
import { CoreHost } from '../../src/core/core-host.ts';
import { LinkTable } from '../../src/daemon/link-table.ts';
import { createHaxApi } from '../../src/daemon/hax-api.ts';
import { haxMetrics } from '../../src/metrics.ts';
import { freePort } from '../../src/consul/dev-agent.ts';
import { createConsulProxy, type ConsulProxy } from '../../src/http/consul-proxy.ts';
import { proxyLimits } from '../../src/http/proxy-limits.ts';
import { ConfigError } from '../../src/errors.ts';

const TOTAL = 32;
const PER_CLIENT = 8;

async function until(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Upstream { server: Server; url: string; seen: string[]; open: Set<IncomingMessage>; cancelled: number }

/** Answers at once, except reads of /v1/kv/hold*, which it holds until the client goes away. */
async function recordingUpstream(): Promise<Upstream> {
  const up: Upstream = { server: undefined as unknown as Server, url: '', seen: [], open: new Set(), cancelled: 0 };
  up.server = createServer((req, res) => {
    up.seen.push(req.url ?? '');
    req.resume();
    if ((req.url ?? '').startsWith('/v1/kv/hold')) {
      up.open.add(req);
      res.on('close', () => { if (up.open.delete(req)) up.cancelled += 1; });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Consul-Index': '5' });
    res.end('[]');
  });
  await new Promise<void>((r) => up.server.listen(0, '127.0.0.1', () => r()));
  up.url = `http://127.0.0.1:${(up.server.address() as AddressInfo).port}`;
  return up;
}

async function appOn(consulUrl: string): Promise<{ app: HttpApp; port: number }> {
  const core = await CoreHost.load();
  let app!: HttpApp;
  const api = createHaxApi({ core, links: new LinkTable(), apply: () => {} });
  app = createHttpApp({ consulUrl, handlers: createHandlers({ api, metrics: haxMetrics(), openapiText: () => app.openapiText }) });
  return { app, port: (await app.listen('127.0.0.1', 0)).port };
}

interface Answer { status: number; headers: IncomingMessage['headers']; body: string }
interface Pending { req: ClientRequest; answer?: Answer; error?: Error; done: Promise<void> }

/** A GET through hax from a given loopback address; the answer is recorded on the returned object. */
function get(port: number, path: string, from: string): Pending {
  const p = {} as Pending;
  p.done = new Promise<void>((resolve) => {
    p.req = request({ host: '127.0.0.1', port, path, localAddress: from, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => { p.answer = { status: res.statusCode ?? 0, headers: res.headers, body }; resolve(); });
      res.on('error', (e) => { p.error = e; resolve(); });
    });
    p.req.on('error', (e) => { p.error = e; resolve(); });
    p.req.end();
  });
  return p;
}

async function answered(p: Pending, what: string): Promise<Answer> {
  await until(`an answer to ${what}`, () => p.answer !== undefined || p.error !== undefined);
  if (p.error) throw new Error(`${what}: ${p.error.message}`);
  return p.answer!;
}

function assertBusy(a: Answer, code: string, what: string): void {
  assert.is(a.status, 503, what);
  assert.ok(/^\d+$/.test(String(a.headers['retry-after'] ?? '')), `${what}: Retry-After is ${a.headers['retry-after']}`);
  const body = JSON.parse(a.body) as Record<string, unknown>;
  assert.equal(Object.keys(body).sort(), ['error_message', 'error_type', 'reason', 'status_code'], what);
  assert.is(body.error_type, code, what);
  assert.is(body.status_code, 503, what);
}

const hold = (i: number) => `/v1/kv/hold${i}?index=5&wait=30s`;

test('a client past its share gets HAX_ERR_PROXY_CLIENT_BUSY at once, another client still gets through, and going away cancels upstream', async () => {
  const up = await recordingUpstream();
  const { app, port } = await appOn(up.url);
  const all: Pending[] = [];
  try {
    for (let i = 0; i < PER_CLIENT; i++) all.push(get(port, hold(i), '127.0.0.2'));
    await until(`${PER_CLIENT} held upstream reads`, () => up.open.size === PER_CLIENT);
    const extra = get(port, hold(99), '127.0.0.2');
    all.push(extra);
    assertBusy(await answered(extra, 'the read past the per-client bound'), 'HAX_ERR_PROXY_CLIENT_BUSY', 'per-client bound');
    assert.is(up.open.size, PER_CLIENT, 'the refused read never reached the upstream');
    all.push(get(port, hold(100), '127.0.0.3'));
    await until('the other client\'s read upstream', () => up.open.size === PER_CLIENT + 1);
    for (const p of all) p.req.destroy();
    await until('every upstream read cancelled after its client left', () => up.open.size === 0);
    assert.is(up.cancelled, PER_CLIENT + 1);
    const again = get(port, '/v1/kv/x', '127.0.0.2');
    assert.is((await answered(again, 'a read after the clients left')).status, 200, 'the slots were given back');
  } finally {
    for (const p of all) p.req.destroy();
    await app.close();
    await new Promise<void>((r) => { up.server.close(() => r()); up.server.closeAllConnections(); });
  }
});

test('past the total bound every client gets HAX_ERR_PROXY_BUSY, short reads included, until slots free up', async () => {
  const up = await recordingUpstream();
  const { app, port } = await appOn(up.url);
  const all: Pending[] = [];
  try {
    for (let c = 0; c < TOTAL / PER_CLIENT; c++) for (let i = 0; i < PER_CLIENT; i++) all.push(get(port, hold(c * 100 + i), `127.0.0.${10 + c}`));
    await until(`${TOTAL} held upstream reads`, () => up.open.size === TOTAL);
    const blocking = get(port, hold(999), '127.0.0.30');
    const short = get(port, '/v1/catalog/services', '127.0.0.31');
    all.push(blocking, short);
    assertBusy(await answered(blocking, 'a blocking read past the total bound'), 'HAX_ERR_PROXY_BUSY', 'total bound, blocking read');
    assertBusy(await answered(short, 'a short read past the total bound'), 'HAX_ERR_PROXY_BUSY', 'total bound, short read');
    assert.is(up.open.size, TOTAL);
    all[0].req.destroy();
    await until('one slot given back', () => up.open.size === TOTAL - 1);
    const next = get(port, '/v1/catalog/services', '127.0.0.31');
    assert.is((await answered(next, 'a read once a slot is free')).status, 200);
  } finally {
    for (const p of all) p.req.destroy();
    await app.close();
    await new Promise<void>((r) => { up.server.close(() => r()); up.server.closeAllConnections(); });
  }
});

test('wait is clamped to 60 s, and a blocking read without wait gets 60 s instead of Consul\'s 5 min', async () => {
  const up = await recordingUpstream();
  const { app, port } = await appOn(up.url);
  try {
    const cases: [string, string][] = [
      ['/v1/kv/x?index=7&wait=10m', '/v1/kv/x?index=7&wait=60s'],
      ['/v1/kv/x?index=7&wait=1h30m', '/v1/kv/x?index=7&wait=60s'],
      ['/v1/kv/x?index=7&wait=61s', '/v1/kv/x?index=7&wait=60s'],
      ['/v1/kv/x?index=7', '/v1/kv/x?index=7&wait=60s'],
      ['/v1/kv/x?wait=5s&index=7', '/v1/kv/x?wait=5s&index=7'],
      ['/v1/kv/x?index=7&wait=1500ms', '/v1/kv/x?index=7&wait=1500ms'],
      ['/v1/health/service/ios?passing&index=7', '/v1/health/service/ios?passing&index=7&wait=60s'],
    ];
    for (const [sent, expected] of cases) {
      const before = up.seen.length;
      const a = await answered(get(port, sent, '127.0.0.2'), sent);
      assert.is(a.status, 200, sent);
      assert.equal(up.seen.slice(before), [expected], sent);
    }
  } finally {
    await app.close();
    await new Promise<void>((r) => { up.server.close(() => r()); up.server.closeAllConnections(); });
  }
});

test('an agent that is not there is a coded 502, not a hang or a crash', async () => {
  const { app, port } = await appOn(`http://127.0.0.1:${await freePort()}`);
  try {
    const a = await answered(get(port, '/v1/kv/x', '127.0.0.2'), 'a read with the agent down');
    assert.is(a.status, 502);
    const body = JSON.parse(a.body) as { error_type: string; error_message: string };
    assert.is(body.error_type, 'HAX_ERR_CONSUL_UNREACHABLE');
    assert.match(body.error_message, /agent/);
  } finally { await app.close(); }
});

/** The proxy alone on a bare node:http server, with the bounds given. */
async function bareProxy(consulUrl: string, limits: Parameters<typeof createConsulProxy>[2], log: string[]): Promise<{ proxy: ConsulProxy; server: Server; port: number }> {
  const proxy = createConsulProxy(consulUrl, (m) => log.push(m), limits);
  const server = createServer((req, res) => proxy.forward(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { proxy, server, port: (server.address() as AddressInfo).port };
}

test('the bounds given to createConsulProxy hold, stats() counts what is held, and a 503 is logged', async () => {
  const up = await recordingUpstream();
  const log: string[] = [];
  const { proxy, server, port } = await bareProxy(up.url, { maxConnections: 3, maxConnectionsPerClient: 2, retryAfterSeconds: 7 }, log);
  const all: Pending[] = [];
  try {
    all.push(get(port, hold(1), '127.0.0.2'), get(port, hold(2), '127.0.0.2'));
    await until('two held reads', () => up.open.size === 2);
    const third = get(port, hold(3), '127.0.0.2');
    all.push(third);
    const a = await answered(third, 'a third read of one client');
    assertBusy(a, 'HAX_ERR_PROXY_CLIENT_BUSY', 'per-client bound of 2');
    assert.is(a.headers['retry-after'], '7');
    all.push(get(port, hold(4), '127.0.0.3'));
    await until('three held reads', () => up.open.size === 3);
    assert.equal(proxy.stats(), { inUse: 3, clients: 2 });
    const fourth = get(port, hold(5), '127.0.0.4');
    all.push(fourth);
    assertBusy(await answered(fourth, 'a read past the total bound of 3'), 'HAX_ERR_PROXY_BUSY', 'total bound of 3');
    assert.ok(log.some((m) => m.includes('HAX_ERR_PROXY_CLIENT_BUSY') && m.includes('of 3 upstream connections')), log.join(' | '));
    for (const p of all) p.req.destroy();
    await until('every slot given back', () => proxy.stats().inUse === 0 && up.open.size === 0);
    assert.equal(proxy.stats(), { inUse: 0, clients: 0 });
  } finally {
    for (const p of all) p.req.destroy();
    proxy.close();
    await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
    await new Promise<void>((r) => { up.server.close(() => r()); up.server.closeAllConnections(); });
  }
});

test('an agent that accepts but never answers: the exchange ends with a coded 504 and the upstream request is cancelled', async () => {
  const up = await recordingUpstream();
  const log: string[] = [];
  const { proxy, server, port } = await bareProxy(up.url, { exchangeMarginMs: 1000 }, log);
  try {
    const a = await answered(get(port, '/v1/kv/hold-short', '127.0.0.2'), 'a read the agent never answers');
    assert.is(a.status, 504);
    const body = JSON.parse(a.body) as { error_type: string; error_message: string };
    assert.is(body.error_type, 'HAX_ERR_CONSUL_UNREACHABLE');
    assert.match(body.error_message, /did not answer within 1 s/);
    await until('the upstream request to be cancelled', () => up.open.size === 0 && up.cancelled === 1);
    await until('the slot to be given back', () => proxy.stats().inUse === 0);
  } finally {
    proxy.close();
    await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
    await new Promise<void>((r) => { up.server.close(() => r()); up.server.closeAllConnections(); });
  }
});

/** One request written byte for byte (fetch would resolve `..` itself); resolves with status and body. */
function rawExchange(port: number, text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let raw = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => { raw += c; });
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(raw.split(' ')[1]), body: raw.slice(raw.indexOf('\r\n\r\n') + 4) }));
    socket.write(text);
  });
}

test('the proxy alone, without the HTTP layer\'s guard in front, refuses smuggling and sends Consul nothing', async () => {
  const up = await recordingUpstream();
  const { proxy, server, port } = await bareProxy(up.url, {}, []);
  const cases: [string, string, number, string][] = [
    ['GET /v1/kv/x?dc=dc1;token=x', '', 400, 'HAX_ERR_BAD_QUERY'],
    ['GET /v1/kv/x?TOKEN=x', '', 400, 'HAX_ERR_BAD_QUERY'],
    ['GET /v1/kv/x?dc=a&dc=b', '', 400, 'HAX_ERR_BAD_QUERY'],
    ['GET /v1/kv/../acl/tokens', '', 404, 'HAX_ERR_NOT_FOUND'],
    ['GET /v1/kv/a/../x', '', 400, 'HAX_ERR_BAD_TARGET'],
    ['GET /v1/kv/%2e%2e/kv/x', '', 400, 'HAX_ERR_BAD_TARGET'],
    ['GET /v1/kv/a%2f..%2fx', '', 400, 'HAX_ERR_BAD_TARGET'],
    ['GET /v1/kv//x', '', 400, 'HAX_ERR_BAD_TARGET'],
    ['GET /v1/kv/x;token=y', '', 400, 'HAX_ERR_BAD_TARGET'],
    ['GET http://127.0.0.1:8500/v1/kv/x', '', 400, 'HAX_ERR_BAD_TARGET'],
    ['GET /v1/catalog\\services', '', 400, 'HAX_ERR_BAD_TARGET'],
    ['GET /v1/kv/x#y', '', 400, 'HAX_ERR_BAD_TARGET'],
    ['PUT /v1/kv/x', 'Content-Length: 1\r\n\r\nx', 405, 'HAX_ERR_METHOD'],
    ['GET /v1/kv/x', 'Content-Length: 5\r\n\r\nhello', 400, 'HAX_ERR_BAD_HEADER'],
  ];
  try {
    for (const [line, rest, status, code] of cases) {
      const a = await rawExchange(port, `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${rest || '\r\n'}`);
      assert.is(a.status, status, line);
      assert.is((JSON.parse(a.body) as { error_type: string }).error_type, code, line);
    }
    assert.equal(up.seen, [], 'nothing reached the upstream');
    const ok = await rawExchange(port, 'GET /v1/kv/x?recurse HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Consul-Token: s\r\nConnection: close\r\n\r\n');
    assert.is(ok.status, 200);
    assert.equal(up.seen, ['/v1/kv/x?recurse']);
  } finally {
    proxy.close();
    await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
    await new Promise<void>((r) => { up.server.close(() => r()); up.server.closeAllConnections(); });
  }
});

test('bounds out of range are refused with HAX_ERR_BAD_VALUE naming the setting', () => {
  for (const bad of [{ maxConnections: 0 }, { maxConnections: 1.5 }, { maxConnectionsPerClient: 40 }, { maxWaitMs: 900_000 }, { maxWaitMs: 10 }, { retryAfterSeconds: 0 }]) {
    try { proxyLimits(bad); assert.unreachable(JSON.stringify(bad)); } catch (e) {
      assert.instance(e, ConfigError);
      assert.is((e as ConfigError).code, 'HAX_ERR_BAD_VALUE');
      assert.match((e as Error).message, Object.keys(bad)[0]);
    }
  }
  assert.equal(proxyLimits(), { maxConnections: 32, maxConnectionsPerClient: 8, maxWaitMs: 60_000, retryAfterSeconds: 5, exchangeMarginMs: 30_000 });
});

test.run();
