// The blocking-query loop's rules, against a real Consul agent: first result
// always delivered (even a missing key), same index = no change, changes
// delivered with their index, and a failing agent retried with back-off.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BlockingWatch, nextIndex, backoffMs, BACKOFF_MAX_MS, BACKOFF_MIN_MS } from '../../src/consul/blocking.ts';
import { startDevAgent, freePort } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';

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
    for (let i = 0; i < 200 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    await consul.kv.put('demo/other', 'unrelated');
    await consul.kv.put('demo/key', 'two');
    for (let i = 0; i < 200 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 25));
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
  while (errors.length < 3) await new Promise((r) => setTimeout(r, 20));
  await watch.stop();
  assert.equal(errors.slice(0, 3), [BACKOFF_MIN_MS / 2, BACKOFF_MIN_MS, BACKOFF_MIN_MS * 2]);
});

test.run();
