// A trap inside the core is caught by the host, counted, and the instance is
// rebuilt with the last view re-fed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoreHost } from '../../src/core/core-host.ts';
import { vector, proc } from './helpers.ts';

test('rebuilds the core after a trap and keeps answering from the last view', async () => {
  const h = await CoreHost.load({ debug: true });
  h.confLoaded(1, []);   // re-fed after the trap too: without a conf tree the answer would be QUERY
  h.viewUpdated({ confds: [{ fid: proc(9), endpoint: 'inet:tcp:10.0.0.1@3001' }], rm: null });
  // An event record with an unknown tag is host misuse: the core aborts.
  const d = h.handleRecord(new Uint8Array([0x99, 0, 0, 0, 0, 0]));
  assert.is(d.reason.code, 'CORE_TRAPPED');
  assert.match(d.reason.text, 'unknown event tag');
  assert.match(d.reason.text, 'last view re-fed (VIEW_STORED)');
  assert.is(d.actions.length, 0);
  assert.is(h.trapCount, 1);
  const after = h.entrypointRequested(1, vector('ep_req_first').bytes);
  assert.is(after.reason.code, 'ENTRYPOINT_ANSWERED');
});

test('after a trap the rebuilt core still knows who holds the leader key', async () => {
  const h = await CoreHost.load();
  h.confLoaded(1, []);
  h.handle({ type: 'leader-observed', value: 'srvnode-2', session: 'f00d-session', nowMs: 1000, random: 7 });
  // positive control: before the trap a tick finds the key held
  assert.match(h.handle({ type: 'election-tick', nowMs: 2000, random: 7 }).reason.text, 'key held');
  assert.is(h.handleRecord(new Uint8Array([0x99, 0, 0, 0, 0, 0])).reason.code, 'CORE_TRAPPED');
  const tick = h.handle({ type: 'election-tick', nowMs: 3000, random: 7 });
  assert.is(tick.reason.code, 'ELECTION_IDLE');
  assert.match(tick.reason.text, 'key held');
});

test('traps on a record whose length field disagrees with its size', async () => {
  const h = await CoreHost.load();
  const d = h.handleRecord(new Uint8Array([4, 0, 9, 0, 0, 0, 1, 0, 0, 0, 1]));
  assert.is(d.reason.code, 'CORE_TRAPPED');
  assert.is(h.trapCount, 1);
  assert.is(h.consulReplied(1, true).reason.code, 'CONSUL_REPLY_UNKNOWN_OP');
});

test('refuses an input larger than the input region before it reaches the core', async () => {
  const h = await CoreHost.load();
  assert.throws(() => h.messageReceived(1, 2, new Uint8Array(2 << 20)), /exceeds the core's input region/);
  assert.is(h.trapCount, 0);
});

test.run();
