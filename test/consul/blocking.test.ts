// The blocking-query loop's rules, against a real Consul agent: first result
// always delivered (even a missing key), same index = no change, changes
// delivered with their index, and a failing agent retried with back-off.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BlockingWatch, TokenBucket, nextIndex, backoffMs, BACKOFF_MAX_MS, BACKOFF_MIN_MS } from '../../src/consul/blocking.ts';
import { startDevAgent, freePort } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { waitFor } from '../helpers/wait.ts';

test('the next index resets to 0 when Consul returns a smaller or no index', () => {
  assert.is(nextIndex(0, 15), 15);
  assert.is(nextIndex(15, 20), 20);
  assert.is(nextIndex(20, 7), 0);
  assert.is(nextIndex(20, undefined), 0);
  assert.is(nextIndex(20, 0), 0);
});

test('back-off grows from the minimum to the cap, with jitter in the upper half', () => {
  assert.is(backoffMs(1, () => 0), BACKOFF_MIN_MS / 2);
  assert.is(backoffMs(1, () => 0.999999), Math.round(BACKOFF_MIN_MS - 0.000001 * BACKOFF_MIN_MS / 2));
  assert.ok(backoffMs(3, () => 0.5) > backoffMs(2, () => 0.5));
  assert.is(backoffMs(40, () => 1), BACKOFF_MAX_MS);
});

test('the token bucket gives a burst of two, then one read per interval', () => {
  const b = new TokenBucket(2, 100);
  assert.is(b.take(0), 0);
  assert.is(b.take(0), 0);
  assert.is(b.take(0), 100);        // the third read at once waits a whole interval
  assert.is(b.take(100), 100);      // still in debt: the bucket refilled only the one it lent
  assert.is(b.take(1000), 0);       // a quiet second refills it (capped at two)
  assert.is(b.take(1000), 0);
  assert.ok(b.take(1000) > 0);
});

test('a rate-limited watch coalesces a burst of writes into the newest state, against a real agent', async () => {
  const agent = await startDevAgent({ nodeName: 'blocking-rate' });
  const consul = new ConsulClient(agent.url);
  const seen: string[] = [];
  let reads = 0;
  const everyMs = 200;
  const watch = new BlockingWatch<string>({
    name: 'kv burst', wait: '2s', minIntervalMs: everyMs,
    fetch: async (index, wait, signal) => { reads++; const r = await consul.kv.list('burst/', { index, wait, signal }); return { value: r.entries.map((e) => e.value).join(','), index: r.index }; },
    onChange: (v) => { seen.push(v); },
  }).start();
  try {
    await watch.ready();
    const t0 = performance.now();
    for (let i = 1; i <= 100; i++) await consul.kv.put(`burst/k${i % 5}`, String(i));
    const newest = '100,96,97,98,99';     // k0..k4 after the last write
    for (let i = 0; i < 400 && seen.at(-1) !== newest; i++) await new Promise((r) => setTimeout(r, 25));
    const elapsed = performance.now() - t0;
    console.log(`100 writes in ${elapsed.toFixed(0)} ms: ${reads} reads, ${seen.length} changes delivered`);
    assert.is(seen.at(-1), newest, 'the newest state arrives');
    // the bucket allows two reads at once and one per interval after that (+1: the read parked when we looked)
    assert.ok(reads <= 2 + Math.ceil(elapsed / everyMs) + 1, `${reads} reads in ${elapsed.toFixed(0)} ms`);
    assert.ok(reads < 100, 'fewer reads than writes');
  } finally {
    await watch.stop();
    await agent.stop();
  }
});

test('delivers a missing key first, then each change once, against a real agent', async () => {
  const agent = await startDevAgent({ nodeName: 'blocking-node' });
  const consul = new ConsulClient(agent.url);
  const seen: (string | undefined)[] = [];
  const watch = new BlockingWatch<string | undefined>({
    name: 'kv demo', wait: '2s',
    fetch: async (index, wait, signal) => { const r = await consul.kv.list('demo/key', { index, wait, signal }); return { value: r.entries[0]?.value, index: r.index }; },
    onChange: (v) => { seen.push(v); },
  }).start();
  try {
    await watch.ready();
    assert.equal(seen, [undefined]);
    await consul.kv.put('demo/key', 'one');
    await waitFor('the first change delivered', () => seen.length >= 2);
    await consul.kv.put('demo/other', 'unrelated');
    await consul.kv.put('demo/key', 'two');
    await waitFor('the second change delivered', () => seen.length >= 3);
    assert.equal(seen, [undefined, 'one', 'two']);
  } finally {
    await watch.stop();
    await agent.stop();
  }
});

test('retries with back-off while the agent is unreachable and stops promptly', async () => {
  const consul = new ConsulClient(`http://127.0.0.1:${await freePort()}`);
  const errors: number[] = [];
  const watch = new BlockingWatch<unknown>({
    name: 'nowhere', random: () => 0,
    fetch: async (index, wait, signal) => { const r = await consul.catalog.service('confd', { index, wait, signal }); return { value: r.services, index: r.index }; },
    onChange: () => {}, onError: (_e, retryInMs) => { errors.push(retryInMs); },
  }).start();
  await waitFor('three failed attempts reported', () => errors.length >= 3);
  await watch.stop();
  assert.equal(errors.slice(0, 3), [BACKOFF_MIN_MS / 2, BACKOFF_MIN_MS, BACKOFF_MIN_MS * 2]);
});

test.run();
