// A trap inside the core is caught by the host, counted, and the instance is
// rebuilt with the last view re-fed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoreHost } from '../../src/core/core-host.ts';
import { vector, proc } from './helpers.ts';
import type { Decision } from '../../src/core/core-host.ts';

const txnOf = (d: Decision) => {
  const t = d.actions.find((a) => a.kind === 'consul-txn');
  assert.ok(t && t.kind === 'consul-txn', `a consul-txn in ${d.reason.code}: ${JSON.stringify(d.actions.map((a) => a.kind))}`);
  return t;
};

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

test('a reply to a write of the trapped instance acknowledges nothing the rebuilt one waits for', async () => {
  const h = await CoreHost.load();
  const event = vector('spec62b_event_process_started').bytes;
  // the old instance's write is with the writer when the core traps; its reply comes later
  const old = txnOf(h.messageReceived(5, 10, event));
  assert.is(h.handleRecord(new Uint8Array([0x99, 0, 0, 0, 0, 0])).reason.code, 'CORE_TRAPPED');
  const fresh = txnOf(h.messageReceived(5, 12, event));
  const late = h.consulReplied(old.opId, true, 40);
  assert.not.ok(late.actions.some((a) => a.kind === 'acknowledge'), `the reply to tag 10's write (op ${old.opId}) acknowledged: ${late.reason.text}`);
  assert.is(late.reason.code, 'CONSUL_REPLY_UNKNOWN_OP');
  assert.is.not(fresh.opId, old.opId, 'the rebuilt core numbers its writes on from the trapped one');
  const own = h.consulReplied(fresh.opId, true, 41);
  assert.is(own.reason.code, 'EVENT_RECORDED');
  assert.equal(own.actions.filter((a) => a.kind === 'acknowledge'), [{ kind: 'acknowledge', linkId: 5, tag: 12 }]);
});

test('the rebuilt core keeps numbering across a second trap', async () => {
  const h = await CoreHost.load();
  const event = vector('spec62b_event_process_started').bytes;
  const ids = [txnOf(h.messageReceived(5, 10, event)).opId];
  for (let trap = 0; trap < 2; trap++) {
    assert.is(h.handleRecord(new Uint8Array([0x99, 0, 0, 0, 0, 0])).reason.code, 'CORE_TRAPPED');
    ids.push(txnOf(h.messageReceived(5, 12 + 2 * trap, event)).opId);
  }
  assert.is(new Set(ids).size, ids.length, `op ids ${ids.join(', ')} all different`);
});

test('the rebuilt core numbers its broadcasts on from the trapped one (entrypoint replies wait on them by id)', async () => {
  const h = await CoreHost.load();
  const event = vector('spec62b_event_process_started').bytes;
  const idOf = (d: ReturnType<CoreHost['messageReceived']>) => {
    const b = d.actions.find((a) => a.kind === 'broadcast');
    assert.ok(b && b.kind === 'broadcast' && b.id, `a broadcast with an id: ${d.reason.text}`);
    return b.id!;
  };
  const before = idOf(h.messageReceived(5, 10, event));
  assert.is(h.handleRecord(new Uint8Array([0x99, 0, 0, 0, 0, 0])).reason.code, 'CORE_TRAPPED');
  const afterTrap = idOf(h.messageReceived(5, 12, event));
  assert.ok(afterTrap > before, `broadcast ${afterTrap} after the trap, ${before} before it`);
});

test('refuses an input larger than the input region before it reaches the core', async () => {
  const h = await CoreHost.load();
  assert.throws(() => h.messageReceived(1, 2, new Uint8Array(2 << 20)), /exceeds the core's input region/);
  assert.is(h.trapCount, 0);
});

test.run();
