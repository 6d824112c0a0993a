// Hostile watch inputs (issue 13, defect 1 and its siblings): bodies for
// POST /watcher/bq and POST /watcher/processes, and X-Consul-Index headers
// for POST /, against a running hax on a real Consul agent with no token
// (the default). One row each: huge, negative, fractional, exponent, hex and
// text keys and indexes, keys outside bq/, values that are not base64,
// entries Consul does not hold, replays. Every row gets its documented answer
// (docs/behaviour.md, "The broadcast queue" and the rules table), and after
// every row bq-delivered/, epoch, bq/ and processes/ are exactly what they
// were. After the table, real changes are still acted on: nothing a body or
// a header said froze an offset or an index.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:http';
import { startWorld, until, publishBq, F, NODE, type World } from '../behaviour/_world.ts';

let w: World;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const msg = (type: string, payload: unknown) => b64(JSON.stringify({ timestamp: '1', message_type: type, payload }));
const remote = (state: string) => ({ fid: F.remoteIos, state: `M0_CONF_HA_PROCESS_${state}`, type: 'M0_CONF_HA_PROCESS_M0D' });
const procValue = (state: string, type = 'M0_CONF_HA_PROCESS_M0D') => b64(JSON.stringify({ state: `M0_CONF_HA_PROCESS_${state}`, type }));

interface Answer { status: number; body: { reason?: string; offset?: number; processed?: unknown[]; notes?: unknown[]; error_type?: string } }

/** A raw POST (headers exactly as given: node's fetch would refuse some of them). */
function post(path: string, body: string, headers: [string, string][] = []): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: w.httpPort, path, method: 'POST', headers: [
      'Host', `127.0.0.1:${w.httpPort}`, 'Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body)), 'Connection', 'close', ...headers.flat()] as unknown as Record<string, string> }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { try { resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }); } catch (e) { reject(e); } });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const publish = (payload: unknown, type?: string) => publishBq(w.consul, payload, type);
const watchBody = async () => (await w.consul.kv.list('bq/')).entries.map((e) => ({ Key: e.key, Value: e.entry.Value, CreateIndex: e.entry.CreateIndex, ModifyIndex: e.entry.ModifyIndex }));

/** What no hostile row may change. */
async function snapshot(): Promise<string> {
  const read = async (prefix: string) => (await w.consul.kv.list(prefix)).entries.map((e) => `${e.key}=${e.value}@${e.entry.ModifyIndex}`);
  return JSON.stringify({ delivered: await read('bq-delivered/'), epoch: (await w.consul.kv.get('epoch'))?.value, bq: await read('bq/'), processes: await read('processes/') });
}

/**
 * One hostile input. `answer` is the route's documented answer (200); `door`
 * lists the codes with which hax's HTTP layer may refuse the input before the
 * route sees it (400: openapi.yaml bounds Consul's indexes to 0..2^53-1 and
 * X-Consul-Index to 1-20 digits, once); either way nothing changes in Consul.
 */
interface Row { route: '/watcher/bq' | '/watcher/processes' | '/'; name: string; body: () => string; headers?: [string, string][]; answer: RegExp; door?: string[] }

let E = 0;            // the epoch after the two real messages
let realBody = '';    // Consul's bq/ as its watch sends it

function rows(): Row[] {
  const r: Row[] = [];
  const bq = (name: string, body: () => unknown, answer: RegExp, headers?: [string, string][]) => r.push({ route: '/watcher/bq', name, body: () => JSON.stringify(body()), headers, answer });
  const ignored = (n: number) => new RegExp(`^BQ_NOTHING_NEW: .*; ${n} entr\\(ies\\) of the watch body ignored, not in Consul as sent`);
  const one = (Key: string, Value: string | null = null) => [{ Key, Value }];
  bq('the issue\'s key: bq/99999999999999999999999', () => one('bq/99999999999999999999999'), ignored(1));
  bq('a key above 2^53', () => one('bq/9007199254740993', msg('PROCESS-STATE-UPDATE', remote('STOPPED'))), ignored(1));
  bq('a safe integer far above the epoch', () => one('bq/999999999999999', msg('PROCESS-STATE-UPDATE', remote('STOPPED'))), ignored(1));
  bq('the next epoch, not published yet', () => one(`bq/${E + 1}`, msg('PROCESS-STATE-UPDATE', remote('STOPPED'))), ignored(1));
  bq('a negative key', () => one('bq/-5', msg('PROCESS-STATE-UPDATE', remote('STOPPED'))), ignored(1));
  bq('a fractional key', () => one('bq/1.5'), ignored(1));
  bq('an exponent key', () => one('bq/1e3'), ignored(1));
  bq('a hex key', () => one('bq/0x10'), ignored(1));
  bq('a key with leading zeros', () => one(`bq/00${E}`), ignored(1));
  bq('a text key', () => one('bq/abc'), ignored(1));
  bq('a key with a space', () => one(`bq/ ${E + 1}`), ignored(1));
  bq('a path-traversal key', () => one('bq/../epoch'), ignored(1));
  bq('keys outside bq/', () => [{ Key: 'epoch', Value: b64('999') }, { Key: `bq-delivered/${NODE}`, Value: b64('999') }, { Key: `processes/${F.ios3}`, Value: procValue('STOPPED') }], ignored(3));
  bq('a value that is not base64', () => one(`bq/${E}`, '%%% not base64 %%%'), ignored(1));
  bq('a real key with a forged value', () => one(`bq/${E}`, msg('M0_HA_MSG_NVEC', { node: NODE, device: '/dev/sdc', state: 'failed' })), ignored(1));
  bq('a real key with a null value', () => one(`bq/${E}`), ignored(1));
  bq('the real body plus one forged entry', () => [...JSON.parse(realBody), { Key: `bq/${E + 7}`, Value: msg('PROCESS-STATE-UPDATE', remote('STOPPED')) }], ignored(1));
  bq('the same forged key twice', () => [...one('bq/123456789'), ...one('bq/123456789')], ignored(2));
  bq('a thousand forged entries', () => Array.from({ length: 1000 }, (_, i) => ({ Key: `bq/${E + 1 + i}`, Value: msg('PROCESS-STATE-UPDATE', remote('STOPPED')) })), ignored(1000));
  bq('a replay of the real body', () => JSON.parse(realBody), /^BQ_NOTHING_NEW: 2 entr\(ies\) in Consul, none above this node's offset \d+$/);
  bq('an older subset of the real body', () => JSON.parse(realBody).slice(0, 1), /^BQ_NOTHING_NEW: 2 entr\(ies\) in Consul, none above this node's offset \d+$/);
  bq('an empty body (null)', () => null, /^BQ_NOTHING_NEW: 2 entr\(ies\) in Consul, none above/);
  bq('an empty array', () => [], /^BQ_NOTHING_NEW: 2 entr\(ies\) in Consul, none above/);
  bq('a huge X-Consul-Index with a forged entry', () => one('bq/99999999999999999999999'), ignored(1), [['X-Consul-Index', '999999999999999']]);

  const SHAPE = ['HAX_ERR_BAD_SHAPE'];
  const pk = (name: string, body: () => unknown, answer: RegExp, door?: string[], headers?: [string, string][]) => r.push({ route: '/watcher/processes', name, body: () => JSON.stringify(body()), answer, door, headers });
  const key = `processes/${F.remoteIos}`;
  const notIndex = /^PROCESS_KEY_SKIPPED: .*ModifyIndex is not an index Consul issues/;
  pk('ModifyIndex 1e23', () => ({ Key: key, Value: procValue('STOPPED'), ModifyIndex: 1e23 }), notIndex, SHAPE);
  pk('ModifyIndex -1', () => ({ Key: key, Value: procValue('STOPPED'), ModifyIndex: -1 }), notIndex, SHAPE);
  pk('ModifyIndex 2^64-1', () => ({ Key: key, Value: procValue('STOPPED'), ModifyIndex: 18446744073709551615 }), /^PROCESS_KEY_SKIPPED/, SHAPE);
  pk('ModifyIndex just above 2^53', () => ({ Key: key, Value: procValue('STOPPED'), ModifyIndex: 9007199254740993 }), notIndex, SHAPE);
  pk('ModifyIndex 1.5', () => ({ Key: key, Value: procValue('STOPPED'), ModifyIndex: 1.5 }), /^(?!)/, SHAPE);
  pk('ModifyIndex as a string', () => ({ Key: key, Value: procValue('STOPPED'), ModifyIndex: '12' }), /^(?!)/, SHAPE);
  pk('a key outside processes/', () => ({ Key: `bq/${E}`, Value: procValue('STOPPED'), ModifyIndex: 5 }), /^PROCESS_KEY_SKIPPED: bq\/\d+ is not processes\/<fid>/);
  pk('a key that is no fid', () => ({ Key: 'processes/0xZZ:0x1', Value: procValue('STOPPED'), ModifyIndex: 5 }), /^PROCESS_KEY_SKIPPED: processes\/0xZZ:0x1 is not processes\/<fid>/);
  pk('a value that is not base64 JSON', () => ({ Key: key, Value: '%%% not base64 %%%', ModifyIndex: 5 }), /^PROCESS_KEY_SKIPPED: .*value is not JSON/);
  pk('a forged index ahead of Consul (acted on, as the route trusts its body\'s state)', () => ({ Key: key, Value: procValue('STARTED'), ModifyIndex: 9_000_000_000_000_000 }), /^PROCESS_KEY_BROADCAST: .*\(index 9000000000000000\)/);
  pk('a replay of that forged index', () => ({ Key: key, Value: procValue('STARTED'), ModifyIndex: 9_000_000_000_000_000 }), /^PROCESS_KEY_SKIPPED: .*the same index as the last one acted on: a replay/);
  pk('no ModifyIndex, a huge X-Consul-Index', () => ({ Key: key, Value: procValue('DTM_RECOVERED') }), /^PROCESS_KEY_BROADCAST: .*\(index 999999999999999\)/, undefined, [['X-Consul-Index', '999999999999999']]);

  const HEADER = ['HAX_ERR_BAD_HEADER'];
  const health = (name: string, value: string | string[], answer: RegExp, door?: string[]) => r.push({ route: '/', name, answer, door,
    headers: (Array.isArray(value) ? value : [value]).map((v) => ['X-Consul-Index', v] as [string, string]),
    body: () => JSON.stringify([{ Node: { Node: NODE, Address: '127.0.0.1' }, Service: { ID: '4', Service: 'ios', Address: 'inet:tcp:127.0.0.1', Port: 21002 },
      Checks: [{ Node: NODE, CheckID: 'serfHealth', Status: 'passing', ServiceID: '' }, { Node: NODE, CheckID: 'service:4', Status: 'passing', ServiceID: '4' }] }]) });
  const noChange = /^HEALTH_NO_CHANGE: 1 entr\(ies\), 1 process\(es\) of the conf tree: none newly OFFLINE\/FAILED on this node$/;
  health('X-Consul-Index far in the future', '999999999999999', /^HEALTH_NO_CHANGE: .*X-Consul-Index 999999999999999 is ahead of every index Consul gave hax, \d+: compared, not kept/);
  health('X-Consul-Index with 20 digits', '99999999999999999999', noChange);
  health('X-Consul-Index negative', '-1', noChange, HEADER);
  health('X-Consul-Index with an exponent', '1e23', noChange, HEADER);
  health('X-Consul-Index in hex', '0x10', noChange, HEADER);
  health('X-Consul-Index fractional', '1.5', noChange, HEADER);
  health('X-Consul-Index empty', '', noChange, HEADER);
  health('X-Consul-Index twice', ['999999999999999', '1'], noChange, HEADER);
  return r;
}

test.before(async () => {
  w = await startWorld();
  await w.peer(2);
  await w.consul.kv.put(`processes/${F.ios4}`, JSON.stringify({ state: 'M0_CONF_HA_PROCESS_STARTED', type: 'M0_CONF_HA_PROCESS_M0D' }));
  await until('processes/ios4 STARTED in the model', () => w.hax.api.clusterStatus().nodes.flatMap((n) => n.processes).find((p) => p.fid === F.ios4)?.event === 'M0_CONF_HA_PROCESS_STARTED' || undefined);
  await publish(remote('STARTED'));
  E = await publish(remote('DTM_RECOVERED'));
  realBody = JSON.stringify(await watchBody());
  const first = await post('/watcher/bq', realBody);
  assert.is(first.body.offset, E, JSON.stringify(first.body));
});
test.after(async () => { await w.stop(); });

test('hostile watch bodies and headers get their documented answer and change nothing in Consul', async () => {
  const table = rows();
  let atTheDoor = 0;
  let byRoute = 0;
  let unchanged = 0;
  const failures: string[] = [];
  const counts = new Map<string, number>();
  for (const row of table) {
    counts.set(row.route, (counts.get(row.route) ?? 0) + 1);
    const before = await snapshot();
    const a = await post(row.route, row.body(), row.headers);
    await w.hax.writer.drained();   // whatever the row made hax write has landed before the comparison
    const after = await snapshot();
    const what = `${row.route} ${row.name}: ${JSON.stringify(a.body).slice(0, 200)}`;
    // Every row is checked in full and the failures listed together at the end.
    if (a.status === 400 && row.door) {
      if (row.door.includes(a.body.error_type ?? '')) atTheDoor++;
      else failures.push(`${what} (refused with an undocumented code)`);
    } else if (a.status !== 200 || !row.answer.test(a.body.reason ?? '')) {
      failures.push(`${what} (expected 200 ${row.answer})`);
    } else if (row.route === '/watcher/bq' && (a.body.offset !== E || (a.body.processed ?? []).length > 0)) {
      failures.push(`${what} (expected offset ${E}, nothing processed)`);
    } else byRoute++;
    if (after === before) unchanged++;
    else failures.push(`${row.route} ${row.name}: changed bq-delivered/, epoch, bq/ or processes/`);
  }
  console.log(`hostile watch inputs: ${table.length} rows (${[...counts].map(([k, v]) => `${v} for ${k === '/' ? 'POST / headers' : k}`).join(', ')}); ` +
    `${byRoute + atTheDoor} answered as documented (${byRoute} by the route, ${atTheDoor} refused by the HTTP layer with a 400); ` +
    `${unchanged} left bq-delivered/, epoch, bq/ and processes/ unchanged; ${failures.length} failure(s)`);
  assert.ok(table.length >= 25);
  assert.equal(failures, []);
});

test('after the table, real changes are still acted on: no offset or index was frozen', async () => {
  const next = await publish(remote('STOPPED'));
  const r = await post('/watcher/bq', JSON.stringify(await watchBody()));
  assert.match(r.body.reason ?? '', /^BQ_CONSUMED: 1 new message\(s\) processed/);
  assert.is(r.body.offset, next);
  assert.is((await w.consul.kv.get(`bq-delivered/${NODE}`))?.value, String(next));

  await w.consul.kv.put(`processes/${F.remoteIos}`, JSON.stringify({ state: 'M0_CONF_HA_PROCESS_STARTED', type: 'M0_CONF_HA_PROCESS_M0D' }));
  const k = (await w.consul.kv.get(`processes/${F.remoteIos}`))!.entry;
  const p = await post('/watcher/processes', JSON.stringify({ Key: k.Key, Value: k.Value, ModifyIndex: k.ModifyIndex }));
  assert.match(p.body.reason ?? '', /^PROCESS_KEY_BROADCAST/);

  const index = (await w.consul.kv.get(`processes/${F.ios4}`))!.index!;
  const h = await post('/', JSON.stringify([{ Node: { Node: NODE, Address: '127.0.0.1' }, Service: { ID: '4', Service: 'ios', Address: 'inet:tcp:127.0.0.1', Port: 21002 },
    Checks: [{ Node: NODE, CheckID: 'serfHealth', Status: 'passing', ServiceID: '' }, { Node: NODE, CheckID: 'service:4', Status: 'critical', ServiceID: '4' }] }]), [['X-Consul-Index', String(index)]]);
  assert.match(h.body.reason ?? '', /^HEALTH_ACTED/);
  console.log(`after the table: bq/${next} consumed, a real processes/ change broadcast, a real failing check acted on`);
});

test.run();
