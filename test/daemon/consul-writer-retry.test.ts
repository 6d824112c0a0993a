// ConsulWriter: a write whose reply is lost after Consul applied it is
// retried without landing twice (docs/behaviour.md, "Exactly-once writes").
// A TCP proxy that this test controls sits between the writer and a real
// Consul agent: it forwards the chosen /v1/txn request, lets Consul apply it
// and answer, then throws the answer away and closes the connection, so the
// writer sees a failed request for a write that is durable. Every publish
// must still give exactly one bq/<epoch> entry and advance `epoch` by one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReplyProxy } from '../helpers/reply-proxy.ts';
import { startDevAgent, type DevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { ConsulWriter, type WriteJob } from '../../src/daemon/consul-writer.ts';

let agent: DevAgent;
let consul: ConsulClient;
let proxy: ReplyProxy;
let viaProxy: ConsulClient;

test.before(async () => {
  agent = await startDevAgent({ nodeName: 'writer-retry' });
  consul = new ConsulClient(agent.url);
  proxy = new ReplyProxy(agent.url);
  viaProxy = new ConsulClient(await proxy.listen());
});
test.after(async () => { await proxy.close(); await agent.stop(); });

/** The writer's queue empties, or the test fails (a writer that never finishes must not hang the suite). */
async function drained(w: ConsulWriter, limitMs = 60_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`the writer did not drain in ${limitMs / 1000} s (backlog ${w.backlog})`)), limitMs); });
  try { await Promise.race([w.drained(), gaveUp]); } finally { clearTimeout(timer); }
}

interface Outcome { ok: number; failed: number; retries: number }
function writer(): { w: ConsulWriter; outcome: Outcome } {
  const outcome: Outcome = { ok: 0, failed: 0, retries: 0 };
  const w = new ConsulWriter(viaProxy, {
    onDone: (_job, ok) => { if (ok) outcome.ok++; else outcome.failed++; },
    onRetry: () => { outcome.retries++; },
  });
  return { w, outcome };
}

const publishJob = (opId: number, run: string): WriteJob => ({
  opId, ops: [
    { verb: 'set', key: `processes/${run}-${opId}`, value: `{"state": "M0_CONF_HA_PROCESS_STARTED", "n": ${opId}}` },
    { verb: 'publish', key: 'PROCESS-STATE-UPDATE', value: JSON.stringify({ fid: `${run}-${opId}`, state: 'M0_CONF_HA_PROCESS_STARTED' }) },
  ],
});

async function queue(): Promise<{ epoch: number; fids: string[] }> {
  const epoch = Number((await consul.kv.get('epoch'))?.value);
  const fids = (await consul.kv.list('bq/')).entries.map((e) => (JSON.parse(e.value) as { payload: { fid: string } }).payload.fid);
  return { epoch, fids };
}

const isTxn = (line: string) => line.startsWith('PUT /v1/txn ');

test('a batch of publishes whose reply is lost after Consul applied it lands exactly once', async () => {
  await consul.kv.delete('bq/', { recurse: true });
  await consul.kv.put('epoch', '1');
  const { w, outcome } = writer();
  let txns = 0;
  proxy.dropped = 0;
  proxy.decide = (line) => (isTxn(line) && ++txns === 1 ? 'drop-reply' : 'forward');
  const N = 20;
  for (let i = 1; i <= N; i++) w.submit(publishJob(i, 'batch'));   // one turn: one txn
  await drained(w);
  const q = await queue();
  const counts = new Map<string, number>();
  for (const f of q.fids) counts.set(f, (counts.get(f) ?? 0) + 1);
  console.log(`lost reply, one batch: ${N} publishes, ${proxy.dropped} reply dropped after Consul applied it, ${outcome.retries} retr(ies), ${q.fids.length} bq/ entries, epoch 1 → ${q.epoch}`);
  assert.is(proxy.dropped, 1, 'the proxy dropped the first txn\'s reply');
  assert.ok(outcome.retries >= 1, 'the writer retried');
  assert.is(outcome.ok, N);
  assert.is(q.fids.length, N, 'one bq/ entry per publish');
  assert.equal([...counts.values()].filter((c) => c !== 1), [], 'no publish twice');
  assert.is(q.epoch, 1 + N, 'epoch advanced by exactly the number of publishes');
});

test('publishes one txn at a time, every third reply lost: each lands exactly once, in order', async () => {
  await consul.kv.delete('bq/', { recurse: true });
  await consul.kv.put('epoch', '1');
  const { w, outcome } = writer();
  let txns = 0;
  proxy.dropped = 0;
  proxy.decide = (line) => (isTxn(line) && ++txns % 3 === 0 ? 'drop-reply' : 'forward');
  const N = 30;
  for (let i = 1; i <= N; i++) { w.submit(publishJob(i, 'single')); await drained(w); }
  const q = await queue();
  const entries = (await consul.kv.list('bq/')).entries
    .map((e) => [Number(e.key.slice(3)), (JSON.parse(e.value) as { payload: { fid: string } }).payload.fid] as const)
    .sort((a, b) => a[0] - b[0]);
  console.log(`lost replies, one txn each: ${N} publishes, ${proxy.dropped} replies dropped after Consul applied them, ${outcome.retries} retr(ies), ${q.fids.length} bq/ entries, epoch 1 → ${q.epoch}`);
  assert.ok(proxy.dropped >= 9, `dropped ${proxy.dropped}`);
  assert.is(outcome.ok, N);
  assert.is(q.fids.length, N, 'one bq/ entry per publish');
  assert.is(q.epoch, 1 + N, 'epoch advanced by exactly the number of publishes');
  assert.equal(entries.map((e) => e[1]), Array.from({ length: N }, (_, i) => `single-${i + 1}`), 'bq/2.. hold the publishes in submission order');
  assert.equal(entries.map((e) => e[0]), Array.from({ length: N }, (_, i) => i + 2));
});

test('an attempt that reaches Consul only after its retry landed changes nothing', async () => {
  const { w, outcome } = writer();
  let txns = 0;
  proxy.held = [];
  proxy.decide = (line) => (isTxn(line) && ++txns === 1 ? 'hold' : 'forward');
  w.submit({ opId: 1, ops: [{ verb: 'set', key: 'processes/late', value: 'first' }] });
  await drained(w);
  assert.is(proxy.held.length, 1, 'the first attempt was held back');
  assert.is((await consul.kv.get('processes/late'))?.value, 'first', 'the retry landed');
  w.submit({ opId: 2, ops: [{ verb: 'set', key: 'processes/late', value: 'second' }] });
  await drained(w);
  const answers = await proxy.release();   // the first attempt reaches Consul now, after a newer write
  const status = answers[0]!.split('\r\n')[0];
  console.log(`late first attempt: ${outcome.retries} retr(ies); held back, it reached Consul after two newer writes and got "${status}"`);
  assert.is(outcome.ok, 2);
  assert.match(status, /^HTTP\/1\.1 409/, 'the stale attempt is refused');
  assert.is((await consul.kv.get('processes/late'))?.value, 'second', 'the stale attempt did not overwrite the newer value');
});

/** What another node's hax does to publish (hax-reference.md §6.4): CAS on epoch + bq/<next> in one txn. */
async function foreignPublish(fid: string): Promise<void> {
  const e = (await consul.kv.get('epoch'))!;
  const next = Number(e.value) + 1;
  const res = await consul.txn.apply([{ verb: 'cas', key: 'epoch', value: String(next), index: e.entry.ModifyIndex },
    { verb: 'set', key: `bq/${next}`, value: JSON.stringify({ timestamp: '0', message_type: 'PROCESS-STATE-UPDATE', payload: { fid } }) }]);
  assert.ok(res.ok, 'the other publisher\'s CAS');
}

test('another hax publishing between a lost reply and its retry: both messages land once', async () => {
  await consul.kv.delete('bq/', { recurse: true });
  await consul.kv.put('epoch', '1');
  const { w, outcome } = writer();
  let txns = 0;
  proxy.dropped = 0;
  proxy.decide = (line) => (isTxn(line) && ++txns === 1 ? 'drop-reply' : 'forward');
  proxy.meanwhile = () => foreignPublish('other-1');
  w.submit(publishJob(1, 'mine'));
  await drained(w);
  const q = await queue();
  console.log(`lost reply, then another publisher: ${q.fids.join(', ')}; epoch 1 → ${q.epoch}`);
  assert.is(proxy.dropped, 1);
  assert.equal(q.fids.sort(), ['mine-1', 'other-1']);
  assert.is(q.epoch, 3);
  assert.is(outcome.ok, 1);
});

test('another hax publishing while an attempt never reached Consul: the retry publishes at the next epoch, once', async () => {
  await consul.kv.delete('bq/', { recurse: true });
  await consul.kv.put('epoch', '1');
  const { w, outcome } = writer();
  let txns = 0;
  proxy.held = [];
  proxy.decide = (line) => (isTxn(line) && ++txns === 1 ? 'hold' : 'forward');
  proxy.meanwhile = () => foreignPublish('other-2');
  w.submit(publishJob(1, 'mine'));
  await drained(w);
  proxy.held = [];   // never delivered
  const entries = (await consul.kv.list('bq/')).entries.map((e) => `${e.key}=${(JSON.parse(e.value) as { payload: { fid: string } }).payload.fid}`).sort();
  const q = await queue();
  console.log(`attempt lost on the way, another publisher meanwhile: ${entries.join(', ')}; epoch 1 → ${q.epoch}`);
  assert.equal(entries, ['bq/2=other-2', 'bq/3=mine-1']);
  assert.is(q.epoch, 3);
  assert.is(outcome.ok, 1);
});

test('put mode (the benchmark\'s comparison): a publish whose reply is lost lands once', async () => {
  await consul.kv.delete('bq/', { recurse: true });
  await consul.kv.put('epoch', '1');
  const outcome: Outcome = { ok: 0, failed: 0, retries: 0 };
  const w = new ConsulWriter(viaProxy, { onDone: (_j, ok) => { if (ok) outcome.ok++; else outcome.failed++; }, onRetry: () => { outcome.retries++; } }, 'put');
  let txns = 0;
  proxy.dropped = 0;
  proxy.decide = (line) => (isTxn(line) && ++txns % 2 === 1 ? 'drop-reply' : 'forward');
  for (let i = 1; i <= 6; i++) w.submit(publishJob(i, 'put'));
  await drained(w);
  const q = await queue();
  console.log(`put mode: 6 publishes, ${proxy.dropped} replies lost, ${q.fids.length} bq/ entries, epoch 1 → ${q.epoch}`);
  assert.ok(proxy.dropped >= 3);
  assert.equal(q.fids.sort(), ['put-1', 'put-2', 'put-3', 'put-4', 'put-5', 'put-6']);
  assert.is(q.epoch, 7);
  assert.is(outcome.ok, 6);
});

test('a set-only write whose reply is lost is applied once and reported durable', async () => {
  const { w, outcome } = writer();
  let txns = 0;
  proxy.dropped = 0;
  proxy.decide = (line) => (isTxn(line) && ++txns === 1 ? 'drop-reply' : 'forward');
  const before = (await consul.kv.get('epoch'))?.value;
  w.submit({ opId: 1, ops: [{ verb: 'set', key: 'processes/sets-only', value: 'v1' }, { verb: 'delete', key: 'processes/late', value: '' }] });
  await drained(w);
  assert.is(proxy.dropped, 1);
  assert.is(outcome.ok, 1);
  assert.is((await consul.kv.get('processes/sets-only'))?.value, 'v1');
  assert.is(await consul.kv.get('processes/late'), undefined);
  assert.is((await consul.kv.get('epoch'))?.value, before, 'no publish, no epoch change');
});

test.run();
