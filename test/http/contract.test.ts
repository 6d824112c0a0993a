// Contract of the HTTP API against a running hax (real Consul agent, real
// shim and core): every answer validates against openapi.yaml, a corpus of
// bad requests gets the documented 4xx, and none of them changes anything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDevAgent, type DevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { demoCluster } from '../../src/demo/demo-cluster.ts';
import { startHax, type RunningHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { loadResponseValidators, loadOpenApi } from '../../src/http/openapi.ts';
import { badRequestCorpus, type Case } from './bad-requests.ts';

const NODE = 'contract-node';
const BODY_LIMIT = 256 * 1024;
const validators = loadResponseValidators();
const operations = loadOpenApi().operations;

interface World { agent: DevAgent; consul: ConsulClient; hax: RunningHax; base: string }
let world: World | undefined;
async function up(): Promise<World> {
  if (world) return world;
  const agent = await startDevAgent({ nodeName: NODE });
  const consul = new ConsulClient(agent.url);
  await seedCluster(consul, demoCluster(NODE), NODE);
  const hax = await startHax({ consulUrl: agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: 0, bodyLimit: BODY_LIMIT } }, createLogger({ level: 'error', write: () => {} }));
  world = { agent, consul, hax, base: `http://127.0.0.1:${hax.httpAddress.port}` };
  return world;
}

/** Checks a response against the operation's declared responses; returns the parsed body. */
async function conforms(method: string, path: string, res: Response): Promise<unknown> {
  const type = (res.headers.get('content-type') ?? '').split(';')[0];
  const text = await res.text();
  const body = type === 'application/json' ? JSON.parse(text) : text;
  const op = operations.find((o) => o.method === method && o.path === path);
  let validate;
  if (op) {
    const byType = validators.get(op.operationId)?.get(String(res.status));
    assert.ok(byType, `${method} ${path} answered ${res.status}, which openapi.yaml does not declare`);
    validate = byType!.get(type);
    assert.ok(validate, `${method} ${path} ${res.status} answered ${type}, which openapi.yaml does not declare`);
  } else {
    validate = validators.get('postServiceHealth')!.get('400')!.get('application/json')!;   // the Error envelope
  }
  assert.ok(validate!(body), `${method} ${path} ${res.status}: ${JSON.stringify(validate!.errors)} in ${text.slice(0, 300)}`);
  return body;
}

async function snapshot(w: World) {
  const kv = await w.consul.kv.list('');
  return {
    kv: kv.entries.map((e) => [e.key, e.value, e.entry.ModifyIndex]),
    links: await (await fetch(`${w.base}/api/v1/links`)).json(),
    broadcasts: /hax_broadcasts_total (\d+)/.exec(await (await fetch(`${w.base}/metrics`)).text())?.[1],
  };
}

test('every route answers within its openapi.yaml contract', async () => {
  const w = await up();
  const good: [string, string, RequestInit?][] = [
    ['GET', '/'], ['GET', '/openapi.yaml'], ['GET', '/api/v1/links'], ['GET', '/metrics'],
    ['GET', '/v1/cluster/status'], ['GET', '/api/v1/states?fid=0x7200000000000001:0x2'],
    ['POST', '/', { body: '[]\n' }], ['POST', '/watcher/bq', { body: 'null\n' }], ['POST', '/watcher/processes', { body: 'null\n' }],
  ];
  for (const [method, path, init] of good) {
    const res = await fetch(w.base + path, { method, headers: init ? { 'Content-Type': 'application/json' } : {}, ...init });
    assert.ok(res.status < 300, `${method} ${path} → ${res.status}`);
    await conforms(method, path.split('?')[0], res);
  }
});

test('each bad request of the corpus gets its documented 4xx and the error envelope', async () => {
  const w = await up();
  const corpus = badRequestCorpus(BODY_LIMIT);
  assert.ok(corpus.length >= 100, `corpus has ${corpus.length} cases`);
  const before = await snapshot(w);
  let checked = 0;
  for (const c of corpus) {
    const res = await send(w.base, c);
    assert.is(res.status, c.status, `${c.name}: ${c.method} ${c.path}`);
    const body = await conforms(c.method, c.path.split('?')[0], res) as { error_type: string };
    assert.is(body.error_type, c.code, c.name);
    checked += 1;
  }
  const after = await snapshot(w);
  assert.equal(after, before, 'the refused requests changed nothing (KV, links, broadcasts)');
  console.log(`contract: ${checked} bad requests refused as documented; state unchanged`);
});

test('the Consul proxy forwards an allowed read and refuses the rest', async () => {
  const w = await up();
  const res = await fetch(`${w.base}/v1/kv/leader`);
  assert.is(res.status, 200);
  const [entry] = await res.json() as { Key: string }[];
  assert.is(entry.Key, 'leader');
  const catalog = await fetch(`${w.base}/v1/catalog/service/confd`);
  assert.is(catalog.status, 200);
});

async function send(base: string, c: Case): Promise<Response> {
  return fetch(base + c.path, { method: c.method, headers: c.headers, body: c.body });
}

// Teardown, not a test: it runs even when a test failed, and is not counted.
test.after(async () => {
  if (!world) return;
  await world.hax.stop();
  await world.agent.stop();
  world = undefined;
});

test.run();
