// Hostile requests to hax's read-only Consul proxy (issue 13, defect 9 and
// its relatives): parameter smuggling with `;` (Consul 1.8 splits the query
// on `;` as well as `&`), encoded separators, repeated parameters, `token` in
// any case, path traversal, absolute-form targets, other methods, bodies and
// credential headers. Every request is sent byte for byte over a raw socket
// (fetch would normalise `..` and refuse absolute-form targets).
//
// Each row runs twice:
//  - unit level: the proxy's upstream is a recording HTTP server, so the test
//    sees exactly what would have reached Consul (nothing for a refusal; a
//    canonical target without credentials for a forwarded read);
//  - end to end: the upstream is a real Consul agent with ACLs enabled and
//    default policy allow, so an anonymous read succeeds but ANY token that
//    reaches it (query, header) is answered 403 "ACL not found": a forwarded
//    read answering 200/404 proves no token got through. The KV store is
//    snapshotted before and after: nothing may have been written.
// The requests go through the whole HTTP layer (createHttpApp), so each row's
// status and code are what a client sees, whichever check refuses it first
// (the target guard, the proxy's verdict, or the proxy's own checks).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHttpApp, type HttpApp } from '../../src/http/server.ts';
import { createHandlers } from '../../src/http/handlers/index.ts';
import { CoreHost } from '../../src/core/core-host.ts';
import { LinkTable } from '../../src/daemon/link-table.ts';
import { createHaxApi } from '../../src/daemon/hax-api.ts';
import { haxMetrics } from '../../src/metrics.ts';
import { startDevAgent, type DevAgent } from '../../src/consul/dev-agent.ts';

/** Query parameters docs/operations.md lets through the proxy (and nothing else may reach Consul). */
const ALLOWED = new Set(['recurse', 'keys', 'separator', 'raw', 'index', 'wait', 'passing', 'stale', 'consistent', 'dc']);
/** Request headers that carry credentials or intent and must never reach Consul. */
const NEVER_UPSTREAM = ['authorization', 'x-consul-token', 'cookie', 'x-http-method-override', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'proxy-authorization'];

interface Row {
  name: string;
  method?: string;
  target: string;
  headers?: string[];          // raw header lines
  body?: string;               // sent with Content-Length unless a Transfer-Encoding header line is given
  status: number;
  code: string | null;         // null: forwarded (sanitised) read
  upstream?: string;           // forwarded rows: the exact target the recorder must see
  agentStatus?: number;        // forwarded rows: what the real (ACL-enabled) agent answers
}

const K = '/v1/kv/leader';
const fwd = (name: string, target: string, upstream: string, extra: Partial<Row> = {}): Row => ({ name, target, status: 200, code: null, upstream, agentStatus: 200, ...extra });
const q400 = (name: string, target: string): Row => ({ name, target, status: 400, code: 'HAX_ERR_BAD_QUERY' });
const p400 = (name: string, target: string, method = 'GET'): Row => ({ name, method, target, status: 400, code: 'HAX_ERR_BAD_TARGET' });
const nf = (name: string, target: string, method = 'GET'): Row => ({ name, method, target, status: 404, code: 'HAX_ERR_NOT_FOUND' });
const m405 = (name: string, method: string, target: string, body?: string): Row => ({ name, method, target, body, status: 405, code: 'HAX_ERR_METHOD' });

const ROWS: Row[] = [
  // `;` as a parameter separator (Consul 1.8 = Go 1.15 url.ParseQuery splits on it): refused outright
  q400('; smuggles token after dc', `${K}?dc=dc1;token=x`),
  q400('; smuggles token before dc', `${K}?token=x;dc=dc1`),
  q400('; after a flag', `${K}?recurse;token=x`),
  q400('; between two allowed parameters', `${K}?keys;separator=/`),
  q400('; smuggles ns', `${K}?dc=dc1;ns=other`),
  q400('; smuggles a second wait past the clamp', `${K}?index=1;wait=10m`),
  q400('; at the start of the query', `${K}?;token=x`),
  q400('; on a catalog read', '/v1/catalog/services?stale;token=x'),
  q400('; smuggles filter on a health read', '/v1/health/service/hax?passing;filter=x'),
  p400('; in the path', `${K};token=x`),
  // encoded separators and encoded names
  q400('%26 and %3D inside dc', `${K}?dc=dc1%26token%3Dx`),
  q400('%3B inside dc', `${K}?dc=dc1%3Btoken%3Dx`),
  q400('token spelled %74oken', `${K}?%74oken=x`),
  q400('token spelled to%6Ben', `${K}?to%6Ben=x`),
  q400('a name holding %3D and %26', `${K}?dc%3Ddc1%26token=x`),
  q400('separator %3B', `${K}?keys&separator=%3B`),
  q400('NUL in a value', `${K}?dc=dc1%00`),
  q400('malformed percent-encoding', `${K}?dc=%zz`),
  q400('a flag name holding %26', `${K}?recurse%26token=x`),
  // repeated parameters (Consul takes the first, other parsers the last)
  q400('dc twice', `${K}?dc=dc1&dc=dc2`),
  q400('index twice', `${K}?index=1&index=2`),
  q400('wait twice', `${K}?wait=1s&wait=10m`),
  q400('recurse twice', `${K}?recurse&recurse`),
  q400('recurse and RECURSE', `${K}?recurse&RECURSE`),
  // token in any spelling
  q400('token', `${K}?token=x`),
  q400('TOKEN', `${K}?TOKEN=x`),
  q400('Token', `${K}?Token=x`),
  q400('tOkEn, empty', `${K}?tOkEn=`),
  q400('token without a value', `${K}?token`),
  q400('x-consul-token as a parameter', `${K}?x-consul-token=x`),
  q400('%54OKEN', `${K}?%54OKEN=x`),
  q400('token[]', `${K}?token[]=x`),
  // other parameters and bad values
  q400('cas on a read', `${K}?cas=0`),
  q400('acquire on a read', `${K}?acquire=0c0ffee0-0000-0000-0000-000000000000`),
  q400('filter', `${K}?filter=Key%20%3D%3D%20x`),
  q400('ns', `${K}?ns=other`),
  q400('pretty', `${K}?pretty`),
  q400('index not a number', `${K}?index=abc`),
  q400('negative index', `${K}?index=-1`),
  q400('wait not a duration', `${K}?index=1&wait=forever`),
  q400('negative wait', `${K}?index=1&wait=-1s`),
  q400('dc with a path in it', `${K}?dc=../../acl`),
  q400('recurse=false (Consul would still recurse)', `${K}?recurse=false`),
  // path traversal, wherever it would lead: refused as a non-canonical target
  p400('.. to the ACL API', '/v1/kv/../acl/tokens'),
  p400('%2e%2e to the agent API', '/v1/kv/%2e%2e/agent/self'),
  p400('%2E%2E twice to acl/bootstrap', '/v1/kv/%2E%2E/%2e%2e/v1/acl/bootstrap'),
  p400('.%2e to the ACL API', '/v1/kv/.%2e/acl/tokens'),
  p400('backslashes to the ACL API', '/v1/kv\\..\\acl\\tokens'),
  p400('%2e%2e at the end of a session read', '/v1/session/info/%2e%2e'),
  p400('//host-looking path', '//v1/kv/leader'),
  nf('empty segment after /v1', '/v1//kv/leader'),
  nf('/V1 in capitals', '/V1/kv/leader'),
  nf('/v1/KV in capitals', '/v1/KV/leader'),
  p400('.. that resolves back into the KV', '/v1/kv/a/../leader'),
  p400('%2e%2e that resolves back into the KV', '/v1/kv/%2e%2e/kv/leader'),
  p400('a . segment', '/v1/kv/./leader'),
  p400('encoded slashes around ..', '/v1/kv/a%2f..%2f..%2facl'),
  p400('encoded backslashes around ..', '/v1/kv/a%5c..%5cacl'),
  p400('a backslash inside an allowed path', '/v1/catalog\\services'),
  p400('an empty segment inside the KV path', '/v1/kv//leader'),
  p400('a fragment', `${K}#../../acl/tokens`),
  // absolute-form request targets
  p400('absolute-form to the agent', `http://127.0.0.1:8500${K}`),
  p400('absolute-form to another host and the ACL API', 'http://evil.example/v1/acl/tokens'),
  p400('absolute-form with a token', `http://127.0.0.1${K}?token=x`),
  p400('absolute-form https', 'https://x/v1/catalog/services'),
  // methods other than GET/HEAD
  m405('PUT', 'PUT', K, 'x'),
  m405('POST', 'POST', K, 'x'),
  m405('DELETE with recurse', 'DELETE', `${K}?recurse`),
  m405('PATCH', 'PATCH', K, 'x'),
  m405('OPTIONS', 'OPTIONS', K),
  m405('TRACE', 'TRACE', K),
  m405('PROPFIND', 'PROPFIND', K),
  m405('PUT with cas', 'PUT', `${K}?cas=0`, 'x'),
  p400('DELETE through ..', '/v1/kv/a/../leader', 'DELETE'),
  nf('PUT session/create', '/v1/session/create', 'PUT'),
  nf('PUT txn', '/v1/txn', 'PUT'),
  nf('PUT agent/service/register', '/v1/agent/service/register', 'PUT'),
  nf('PUT event/fire', '/v1/event/fire/x', 'PUT'),
  nf('PUT acl/bootstrap', '/v1/acl/bootstrap', 'PUT'),
  // reads outside the allow-list
  nf('agent/self', '/v1/agent/self'),
  nf('acl/tokens', '/v1/acl/tokens'),
  nf('snapshot', '/v1/snapshot'),
  nf('operator/raft', '/v1/operator/raft/configuration'),
  nf('internal/ui', '/v1/internal/ui/services'),
  nf('catalog/register', '/v1/catalog/register'),
  nf('session/create as GET', '/v1/session/create'),
  nf('kv without a slash', '/v1/kv'),
  nf('connect/ca', '/v1/connect/ca/roots'),
  nf('agent/token', '/v1/agent/token/acl_token'),
  // a read carries no body
  { name: 'GET with a Content-Length body', target: K, body: 'hello', status: 400, code: 'HAX_ERR_BAD_HEADER' },
  { name: 'GET with a chunked body', target: K, headers: ['Transfer-Encoding: chunked'], body: '5\r\nhello\r\n0\r\n\r\n', status: 400, code: 'HAX_ERR_BAD_HEADER' },
  // forwarded, but without what the client added
  fwd('X-Consul-Token header is dropped', K, K, { headers: ['X-Consul-Token: secret'] }),
  fwd('Authorization header is dropped', K, K, { headers: ['Authorization: Bearer secret'] }),
  fwd('Cookie header is dropped', K, K, { headers: ['Cookie: consul-token=secret'] }),
  fwd('X-Consul-Token twice is dropped', K, K, { headers: ['X-Consul-Token: a', 'x-consul-token: b'] }),
  fwd('a method override header is dropped', K, K, { headers: ['X-HTTP-Method-Override: PUT'] }),
  fwd('forwarding headers are dropped', K, K, { headers: ['X-Forwarded-For: 10.0.0.1', 'Forwarded: for=10.0.0.1', 'X-Forwarded-Host: evil'] }),
  fwd('a clean read with dc', `${K}?dc=dc1`, `${K}?dc=dc1`),
  fwd('HEAD with a token header', K, K, { method: 'HEAD', headers: ['X-Consul-Token: secret'] }),
  // Node builds the upstream head at once for Expect, with every client header in it (http-proxy 1.18.1)
  fwd('Expect: 100-continue with a token header', K, K, { headers: ['Expect: 100-continue', 'X-Consul-Token: secret', 'Authorization: Bearer x'] }),
  fwd('wait=10m is clamped to 60s', `${K}?index=1&wait=10m`, `${K}?index=1&wait=60s`),
  fwd('index without wait gets the maximum wait', `${K}?index=1`, `${K}?index=1&wait=60s`),
  fwd('a recursive read of a prefix', '/v1/kv/a/?recurse', '/v1/kv/a/?recurse'),
];

// ── wire helpers ────────────────────────────────────────────────────────────

interface RawResponse { status: number; headers: Record<string, string>; body: string }

/** One request, byte for byte, on its own connection; resolves with the parsed answer. */
function rawRequest(port: number, row: Row): Promise<RawResponse> {
  const lines = [`${row.method ?? 'GET'} ${row.target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...(row.headers ?? [])];
  const chunked = (row.headers ?? []).some((h) => /^transfer-encoding:/i.test(h));
  if (row.body !== undefined && !chunked) lines.push(`Content-Length: ${Buffer.byteLength(row.body)}`);
  const text = lines.join('\r\n') + '\r\n\r\n' + (row.body ?? '');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const split = raw.indexOf('\r\n\r\n');
      if (split < 0) { reject(new Error(`no HTTP answer to ${row.name}: ${JSON.stringify(raw.slice(0, 200))}`)); return; }
      const [statusLine, ...headerLines] = raw.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const h of headerLines) { const i = h.indexOf(':'); headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim(); }
      let body = raw.slice(split + 4);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = unchunk(body);
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.write(text);
  });
}

function unchunk(s: string): string {
  let out = '';
  for (let at = 0; ;) {
    const eol = s.indexOf('\r\n', at);
    if (eol < 0) return out;
    const size = Number.parseInt(s.slice(at, eol), 16);
    if (!size) return out;
    out += s.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** What reached the "agent": every request the recording upstream saw. */
interface Recorded { method: string; url: string; headers: IncomingMessage['headers'] }

async function recordingUpstream(): Promise<{ server: Server; url: string; seen: Recorded[] }> {
  const seen: Recorded[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    const body = '[]';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'X-Consul-Index': '5' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** Consul's own reading of a query (Go 1.15 url.ParseQuery): pairs split on both & and ;. */
function consulQueryNames(target: string): string[] {
  const q = target.includes('?') ? target.slice(target.indexOf('?') + 1) : '';
  return q.split(/[&;]/).filter((p) => p !== '').map((p) => {
    const k = p.split('=')[0];
    try { return decodeURIComponent(k.replace(/\+/g, ' ')); } catch { return k; }
  });
}

/** Every way a recorded request could carry what must never reach Consul. */
function upstreamProblems(r: Recorded): string[] {
  const out: string[] = [];
  if (r.method !== 'GET') out.push(`method ${r.method}`);
  if (r.url.includes(';')) out.push('a ; in the target');
  if (!r.url.startsWith('/v1/')) out.push('not an origin-form /v1/ target');
  if (/(^|\/)\.\.?(\/|$|\?)/.test(r.url.split('?')[0]) || /%2e|%2f|%5c|\\/i.test(r.url)) out.push('a dot segment or an encoded separator in the path');
  for (const name of consulQueryNames(r.url)) {
    if (/token/i.test(name)) out.push(`query parameter ${name}`);
    else if (!ALLOWED.has(name)) out.push(`query parameter ${name} outside the allow-list`);
  }
  const names = consulQueryNames(r.url);
  if (new Set(names).size !== names.length) out.push('a repeated query parameter');
  for (const h of NEVER_UPSTREAM) if (r.headers[h] !== undefined) out.push(`header ${h}`);
  return out;
}

async function appOn(consulUrl: string): Promise<{ app: HttpApp; port: number }> {
  const core = await CoreHost.load();
  let app!: HttpApp;
  const api = createHaxApi({ core, links: new LinkTable(), apply: () => {} });
  app = createHttpApp({ consulUrl, handlers: createHandlers({ api, metrics: haxMetrics(), openapiText: () => app.openapiText }) });
  const addr = await app.listen('127.0.0.1', 0);
  return { app, port: addr.port };
}

function refusalProblems(row: Row, res: RawResponse): string[] {
  const out: string[] = [];
  if (res.status !== row.status) out.push(`status ${res.status}, expected ${row.status}`);
  if (row.code === null) return out;
  let body: Record<string, unknown> = {};
  try { body = JSON.parse(res.body) as Record<string, unknown>; } catch { out.push(`body is not JSON: ${JSON.stringify(res.body.slice(0, 120))}`); return out; }
  if (body.error_type !== row.code) out.push(`code ${String(body.error_type)}, expected ${row.code}`);
  if (body.status_code !== row.status) out.push(`status_code ${String(body.status_code)}`);
  if (typeof body.error_message !== 'string' || body.error_message.length === 0) out.push('no error_message');
  if (/secret/.test(res.body)) out.push('the answer echoes a secret');
  return out;
}

const counts = { rows: ROWS.length, refused: 0, forwarded: 0, byCode: {} as Record<string, number>, recorderRequests: 0, agentRequests: 0 };

test('the table has at least 60 hostile requests, and every name is unique', () => {
  assert.ok(ROWS.filter((r) => r.code !== null).length >= 60, `only ${ROWS.filter((r) => r.code !== null).length} refusals`);
  assert.is(new Set(ROWS.map((r) => r.name)).size, ROWS.length);
});

test('unit level: each hostile request gets its documented status and code, and nothing but canonical, credential-free reads reaches the upstream', async () => {
  const up = await recordingUpstream();
  const { app, port } = await appOn(up.url);
  const failures: string[] = [];
  try {
    for (const row of ROWS) {
      const before = up.seen.length;
      const res = await rawRequest(port, row);
      const problems = refusalProblems(row, res);
      const reached = up.seen.slice(before);
      if (row.code !== null) {
        if (reached.length > 0) problems.push(`a refused request reached the upstream as ${reached.map((r) => `${r.method} ${r.url}`).join(', ')}`);
      } else {
        if (reached.length !== 1) problems.push(`${reached.length} upstream requests, expected 1`);
        else if (reached[0].url !== row.upstream) problems.push(`upstream target ${reached[0].url}, expected ${row.upstream}`);
      }
      for (const r of reached) problems.push(...upstreamProblems(r).map((p) => `upstream got ${p}`));
      if (problems.length) failures.push(`${row.name} (${row.method ?? 'GET'} ${row.target}): ${problems.join('; ')}`);
      if (row.code === null) counts.forwarded += 1;
      else { counts.refused += 1; counts.byCode[row.code] = (counts.byCode[row.code] ?? 0) + 1; }
    }
    counts.recorderRequests = up.seen.length;
  } finally {
    await app.close();
    await new Promise<void>((r) => up.server.close(() => r()));
  }
  if (failures.length) console.log(`unit level: ${failures.length} of ${ROWS.length} rows wrong:\n  ${failures.join('\n  ')}`);
  assert.equal(failures, []);
});

test('end to end: against a real agent with ACLs on, refusals change nothing and no token reaches it', async () => {
  let agent: DevAgent | undefined;
  let hax: { app: HttpApp; port: number } | undefined;
  const failures: string[] = [];
  try {
    agent = await startDevAgent({ nodeName: 'proxy-inputs', config: [{ acl: { enabled: true, default_policy: 'allow', enable_token_persistence: false } }] });
    const direct = (path: string, init?: RequestInit) => fetch(agent!.url + path, init);
    for (const [k, v] of [['leader', 'node-1'], ['a/b', 'y'], ['acl-canary', 'z']]) {
      assert.is((await direct(`/v1/kv/${k}`, { method: 'PUT', body: v })).status, 200);
    }
    // The observation this test relies on: the agent refuses any token it is given.
    assert.is((await direct('/v1/kv/leader?token=nope')).status, 403, 'the agent answers 403 to an unknown token');
    assert.is((await direct('/v1/kv/leader')).status, 200, 'and 200 to an anonymous read');
    const snapshot = async () => ({
      kv: await (await direct('/v1/kv/?recurse')).json(),
      sessions: await (await direct('/v1/session/list')).json(),
      services: await (await direct('/v1/catalog/services')).json(),
    });
    const before = await snapshot();
    hax = await appOn(agent.url);
    for (const row of ROWS) {
      const res = await rawRequest(hax.port, row);
      const expected = row.code === null ? { ...row, status: row.agentStatus ?? 200 } : row;
      const problems = refusalProblems(expected, res);
      if (row.code === null && res.status === 403) problems.push('the agent saw a token');
      if (problems.length) failures.push(`${row.name} (${row.method ?? 'GET'} ${row.target}): ${problems.join('; ')}`);
      if (row.code === null) counts.agentRequests += 1;
    }
    const after = await snapshot();
    assert.equal(after, before, 'nothing was written to Consul (KV, sessions, catalog)');
  } finally {
    await hax?.app.close();
    await agent?.stop();
  }
  if (failures.length) console.log(`end to end: ${failures.length} of ${ROWS.length} rows wrong:\n  ${failures.join('\n  ')}`);
  assert.equal(failures, []);
});

test('counts', () => {
  console.log(`proxy-inputs: ${counts.rows} hostile requests: ${counts.refused} refused (${Object.entries(counts.byCode).map(([c, n]) => `${c} ${n}`).join(', ')}), `
    + `${counts.forwarded} forwarded without credentials; ${counts.recorderRequests} requests reached the recording upstream, `
    + `${counts.agentRequests} reached the real agent, none with a token; KV unchanged`);
  assert.ok(counts.refused >= 60);
});

test.run();
