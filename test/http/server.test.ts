// The HTTP layer in process: routes from openapi.yaml, validation, the error
// envelope, and POST / reaching the real wasm core.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHttpApp, type HttpApp } from '../../src/http/server.ts';
import { createHandlers } from '../../src/http/handlers/index.ts';
import { CoreHost, type Decision } from '../../src/core/core-host.ts';
import { CONF, KIND } from '../../src/core/records.ts';
import { LinkTable } from '../../src/daemon/link-table.ts';
import { createHaxApi } from '../../src/daemon/hax-api.ts';
import { haxMetrics } from '../../src/metrics.ts';

interface Ctx { app: HttpApp; base: string; applied: Decision[] }

const pf = (k: number) => ({ container: 0x7200000000000001n, key: BigInt(k) });
const NODE_FID = { container: 0x6e00000000000001n, key: 1n };

async function setup(bodyLimit?: number, token?: string): Promise<Ctx> {
  const core = await CoreHost.load();
  // node n1 (this node) with ios processes 7, 8 and 9: the health rule acts on the conf tree's processes
  core.identitySet('n1', pf(1), false);
  core.confLoaded(1, [
    { type: CONF.node, fid: NODE_FID, name: 'n1', key: 'm0conf/nodes/n1', state: 'M0_NC_UNKNOWN' },
    ...[7, 8, 9].map((k) => ({ type: CONF.process, fid: pf(k), parent: NODE_FID, kind: KIND.ios, name: 'm0_server', key: `m0conf/nodes/n1/processes/${k}` })),
  ]);
  const applied: Decision[] = [];
  let app!: HttpApp;
  const api = createHaxApi({ core, links: new LinkTable(), apply: (d) => applied.push(d) });
  app = createHttpApp({ bodyLimit, token, handlers: createHandlers({ api, metrics: haxMetrics(), openapiText: () => app.openapiText }) });
  const addr = await app.listen('127.0.0.1', 0);
  return { app, base: `http://127.0.0.1:${addr.port}`, applied };
}

const entry = (id: string, status: string) => ({
  Node: { Node: 'n1' }, Service: { ID: id, Service: 'ios' },
  Checks: [{ CheckID: 'serfHealth', ServiceID: '', Status: 'passing' }, { CheckID: `service:${id}`, ServiceID: id, Status: status }],
});
const post = (base: string, body: string, type = 'application/json') => fetch(`${base}/`, { method: 'POST', headers: { 'Content-Type': type }, body });

test('GET / says hax is alive', async () => {
  const { app, base } = await setup();
  try {
    const res = await fetch(`${base}/`);
    assert.is(res.status, 200);
    const body = await res.json() as { status: string };
    assert.is(body.status, 'alive');
  } finally { await app.close(); }
});

test('POST / turns a failing service check into a TRANSIENT note for that process', async () => {
  const { app, base, applied } = await setup();
  try {
    const res = await post(base, JSON.stringify([entry('7', 'warning'), entry('8', 'passing')]) + '\n');
    assert.is(res.status, 200);
    const body = await res.json() as { notes: { fid: string; state: string }[] };
    assert.equal(body.notes, [{ fid: '0x7200000000000001:0x7', state: 'M0_NC_TRANSIENT' }]);   // the passing one is not news
    assert.is(applied.length, 1);
    assert.is(applied[0].actions.filter((a) => a.kind === 'broadcast').length, 1);
  } finally { await app.close(); }
});

test('POST / with the same payload again broadcasts nothing', async () => {
  const { app, base } = await setup();
  try {
    const payload = JSON.stringify([entry('9', 'critical')]);
    const first = await (await post(base, payload)).json() as { notes: unknown[] };
    assert.is(first.notes.length, 1, 'positive control: the first time, process 9 goes TRANSIENT');
    const again = await (await post(base, payload)).json() as { notes: unknown[] };
    assert.equal(again.notes, []);
  } finally { await app.close(); }
});

test('POST / accepts the null body Consul sends for an empty watch', async () => {
  const { app, base } = await setup();
  try {
    const res = await post(base, 'null\n');
    assert.is(res.status, 200);
  } finally { await app.close(); }
});

const refusals: [string, () => Promise<Response>, number, string][] = [
  ['invalid JSON', () => post(base0, '[{'), 400, 'HAX_ERR_BAD_JSON'],
  ['an empty body', () => post(base0, ''), 400, 'HAX_ERR_BAD_JSON'],
  ['an object instead of an array', () => post(base0, '{"a":1}'), 400, 'HAX_ERR_BAD_SHAPE'],
  ['a check with an unknown status', () => post(base0, JSON.stringify([{ Service: { ID: '1' }, Checks: [{ Status: 'great' }] }])), 400, 'HAX_ERR_BAD_SHAPE'],
  ['an entry without Checks', () => post(base0, JSON.stringify([{ Service: { ID: '1' } }])), 400, 'HAX_ERR_BAD_SHAPE'],
  ['a text/plain body', () => post(base0, '[]', 'text/plain'), 415, 'HAX_ERR_CONTENT_TYPE'],
  ['an unknown path', () => fetch(`${base0}/nope`), 404, 'HAX_ERR_NOT_FOUND'],
  ['DELETE on /', () => fetch(`${base0}/`, { method: 'DELETE' }), 405, 'HAX_ERR_METHOD'],
  ['a body over the limit', () => post(base0, JSON.stringify([entry('1', 'passing'), entry('2', 'passing'), entry('3', 'passing')])), 413, 'HAX_ERR_BODY_TOO_LARGE'],
];
let base0 = '';

test('bad requests get the documented 4xx with the error envelope, and change nothing', async () => {
  const { app, base, applied } = await setup(300);
  base0 = base;
  try {
    for (const [what, send, status, code] of refusals) {
      const res = await send();
      assert.is(res.status, status, what);
      const body = await res.json() as Record<string, unknown>;
      assert.equal(Object.keys(body).sort(), ['error_message', 'error_type', 'reason', 'status_code'], what);
      assert.is(body.status_code, status, what);
      assert.is(body.error_type, code, what);
    }
    assert.is(applied.length, 0, 'no refused request reached the core');
  } finally { await app.close(); }
});

test('POST /watcher/bq on a hax without a broadcast-queue consumer answers the declared 503, and nothing is applied', async () => {
  const { app, base, applied } = await setup();
  try {
    const res = await fetch(`${base}/watcher/bq`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    assert.is(res.status, 503);
    const body = await res.json() as { status_code: number; error_type: string; error_message: string };
    assert.is(body.status_code, 503);
    assert.is(body.error_type, 'HAX_ERR_BQ_UNAVAILABLE');
    assert.match(body.error_message, 'hax run');
    assert.is(applied.length, 0);
    const doc = await (await fetch(`${base}/openapi.yaml`)).text();
    assert.match(doc, /'503':\s*\n\s*description: This hax has no broadcast-queue consumer/);
  } finally { await app.close(); }
});

test('GET /openapi.yaml serves the document the routes were built from', async () => {
  const { app, base } = await setup();
  try {
    const res = await fetch(`${base}/openapi.yaml`);
    assert.is(res.status, 200);
    assert.match(await res.text(), /operationId: postServiceHealth/);
  } finally { await app.close(); }
});

test('start-up stops when a handler is missing or extra', async () => {
  const core = await CoreHost.load();
  const api = createHaxApi({ core, links: new LinkTable(), apply: () => {} });
  const handlers = createHandlers({ api, metrics: haxMetrics(), openapiText: () => '' });
  const { getLinks: _, ...missing } = handlers;
  assert.throws(() => createHttpApp({ handlers: missing }), /missing handlers \[getLinks\]/);
  assert.throws(() => createHttpApp({ handlers: { ...handlers, extraThing: handlers.getAlive } }), /without an operation \[extraThing\]/);
});

test('with a token, every POST needs it and GETs do not', async () => {
  const { app, base, applied } = await setup(undefined, 'the-right-token');
  try {
    const postWith = (auth?: string) => fetch(`${base}/`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) }, body: '[]' });
    for (const auth of [undefined, 'Bearer the-wrong-token', 'Bearer the-right-toke', 'Basic the-right-token', 'the-right-token']) {
      const res = await postWith(auth);
      assert.is(res.status, 401, String(auth));
      const body = await res.json() as { error_type: string; error_message: string };
      assert.is(body.error_type, 'HAX_ERR_UNAUTHORIZED');
      assert.not.match(body.error_message, /the-right|the-wrong/, 'the answer never echoes a secret');
    }
    assert.is(applied.length, 0);
    assert.is((await postWith('Bearer the-right-token')).status, 200);
    assert.is((await fetch(`${base}/`)).status, 200);
  } finally { await app.close(); }
});

test.run();
