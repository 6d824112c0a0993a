// One case (at least) per transition-table row, with the reason asserted.
// The core has one rule set: before a conf tree is loaded it answers as for
// an empty cluster, by the same rules as after.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoreHost, type Decision } from '../../src/core/core-host.ts';
import { vector, proc, svc, patchU64 } from './helpers.ts';

const VIEW = {
  confds: [
    { fid: proc(9), endpoint: 'inet:tcp:10.0.0.1@3001' },
    { fid: proc(10), endpoint: 'inet:tcp:10.0.0.2@3001' },
    { fid: proc(11), endpoint: 'inet:tcp:10.0.0.3@3001' },
  ],
  rm: { fid: svc(2), endpoint: 'inet:tcp:10.0.0.1@3001' },
};

/** A core with an (empty) conf tree loaded and, unless told otherwise, the view. */
async function core(view = true): Promise<CoreHost> {
  const h = await CoreHost.load();
  assert.is(h.confLoaded(1, []).reason.code, 'CONF_LOADED');
  if (view) assert.is(h.viewUpdated(VIEW).reason.code, 'VIEW_STORED');
  return h;
}

function only<K extends Decision['actions'][number]['kind']>(d: Decision, kind: K) {
  assert.is(d.actions.length, 1, `one action, got ${JSON.stringify(d.actions.map((a) => a.kind))}`);
  const a = d.actions[0]!;
  assert.is(a.kind, kind);
  return a as Extract<Decision['actions'][number], { kind: K }>;
}

// ---- ViewUpdated ---------------------------------------------------------------------

test('stores the view and says how many confds and which RM', async () => {
  const h = await CoreHost.load();
  const d = h.viewUpdated(VIEW);
  assert.is(d.reason.code, 'VIEW_STORED');
  assert.match(d.reason.text, '3 confd(s), RM 0x7300000000000001:0x2 at inet:tcp:10.0.0.1@3001');
  assert.is(d.actions.length, 0);
  assert.match(h.viewUpdated({ confds: [], rm: null }).reason.text, 'RM none');
});

// ---- EntrypointRequested -------------------------------------------------------------

test('answers an entrypoint with the confds, quorum floor(n/2)+1 and the RM', async () => {
  const h = await core();
  const d = h.entrypointRequested(7, vector('ep_req_first').bytes);
  assert.is(d.reason.code, 'ENTRYPOINT_ANSWERED');
  assert.match(d.reason.text, 'process 0x7200000000000001:0x2 (first request): 3 confd(s), quorum 2');
  const { link, ...a } = only(d, 'reply-entrypoint');
  assert.equal(a, {
    kind: 'reply-entrypoint', reqId: 7, rc: 0, quorum: 2, confds: VIEW.confds,
    rmFid: svc(2), rmEndpoint: 'inet:tcp:10.0.0.1@3001',
  });
  assert.is(link.control, 'consume');
  assert.is(link.mode, 'new');
});

test('answers an entrypoint with quorum 1 for one confd and 2 for two', async () => {
  const h = await core();
  h.viewUpdated({ confds: VIEW.confds.slice(0, 1), rm: null });
  const a1 = only(h.entrypointRequested(1, vector('ep_req_not_first').bytes), 'reply-entrypoint');
  assert.is(a1.quorum, 1);
  assert.equal(a1.rmFid, { container: 0n, key: 0n });
  assert.is(a1.rmEndpoint, '');
  h.viewUpdated({ confds: VIEW.confds.slice(0, 2), rm: null });
  assert.is(only(h.entrypointRequested(2, vector('ep_req_not_first').bytes), 'reply-entrypoint').quorum, 2);
});

test('answers EAGAIN with no confds while the view has none', async () => {
  const h = await core(false);
  const d = h.entrypointRequested(3, vector('ep_req_first').bytes);
  assert.is(d.reason.code, 'ENTRYPOINT_NO_CONFD');
  assert.match(d.reason.text, 'rc -11 (EAGAIN)');
  const { link, ...a } = only(d, 'reply-entrypoint');
  assert.equal(a, {
    kind: 'reply-entrypoint', reqId: 3, rc: -11, quorum: 0, confds: [], rmFid: { container: 0n, key: 0n }, rmEndpoint: '',
  });
  assert.is(link.control, 'query');
});

test('answers an undecodable entrypoint fop with rc -22 and says where it broke', async () => {
  const h = await core();
  const d = h.entrypointRequested(4, vector('ep_req_first').bytes.subarray(0, 98));
  assert.is(d.reason.code, 'ENTRYPOINT_BAD_REQUEST');
  assert.match(d.reason.text, 'HAX_ERR_XCODE_TRUNCATED at byte 92');
  const a = only(d, 'reply-entrypoint');
  assert.is(a.rc, -22);
  assert.is(a.confds.length, 0);
  assert.is(a.quorum, 0);
});

test('answers QUERY (deferred) while no conf tree is loaded, even with confds in the view, and CONSUME once it is', async () => {
  const h = await CoreHost.load();
  h.viewUpdated(VIEW);
  const d = h.entrypointRequested(5, vector('ep_req_first').bytes, 1000);
  assert.is(d.reason.code, 'ENTRYPOINT_DEFERRED');
  assert.match(d.reason.text, 'no conf tree loaded yet');
  assert.equal(d.actions, [{ kind: 'timer', dueMs: 2000 }]);
  const q = h.timerFired(2000);
  assert.is(q.reason.code, 'ENTRYPOINT_QUERY_SENT');
  assert.is(only(q, 'reply-entrypoint').rc, -11);
  h.confLoaded(2, []);
  assert.is(h.entrypointRequested(6, vector('ep_req_first').bytes, 3000).reason.code, 'ENTRYPOINT_ANSWERED');
});

// ---- MessageReceived (no conf tree: every fid is unknown, the same rules) --------------

const txnOf = (d: Decision) => {
  const t = d.actions.find((a) => a.kind === 'consul-txn');
  assert.ok(t && t.kind === 'consul-txn', `a consul-txn in ${JSON.stringify(d.actions.map((a) => a.kind))}`);
  return t;
};

test('an EVENT_PROCESS before the conf tree is loaded is recorded, published and broadcast by the real rule; ack after the txn', async () => {
  const h = await CoreHost.load();
  const d = h.messageReceived(5, 10, vector('spec62b_event_process_started').bytes);
  assert.is(d.reason.code, 'EVENT_PROCESS_BROADCAST');
  assert.match(d.reason.text, 'not in the conf tree');
  const t = txnOf(d);
  assert.equal(t.ops[0], { verb: 'set', key: 'processes/0x7200000000000001:0x15', value: '{"state": "M0_CONF_HA_PROCESS_STARTED", "type": "M0_CONF_HA_PROCESS_M0D"}' });
  assert.ok(t.ops.some((o) => o.verb === 'publish' && o.key === 'PROCESS-STATE-UPDATE'));
  assert.ok(!d.actions.some((a) => a.kind === 'acknowledge'), 'no ack before the txn is durable');
  const b = d.actions.find((a) => a.kind === 'broadcast');
  assert.ok(b && b.kind === 'broadcast');
  assert.equal(b.notes, [{ fid: '0x7200000000000001:0x15', state: 'M0_NC_DTM_RECOVERING' }]);
});

test('names DTM_RECOVERED in the processes/<fid> value', async () => {
  const h = await core();
  const msg = patchU64(vector('spec62b_event_process_started').bytes, 72, 4n);
  const t = txnOf(h.messageReceived(5, 12, msg));
  assert.is(t.ops[0]!.value, '{"state": "M0_CONF_HA_PROCESS_DTM_RECOVERED", "type": "M0_CONF_HA_PROCESS_M0D"}');
});

test('with an empty cluster every message type gets its own row, and each is acknowledged', async () => {
  const cases: [string, string, string[]][] = [
    ['msg_00_invalid', 'MESSAGE_COUNTED', ['acknowledge']],
    ['msg_01_stob_ioq', 'STOB_IOQ_UNKNOWN_SDEV', ['acknowledge']],
    ['msg_02_nvec_get_3notes', 'NVEC_GET_ANSWERED', ['send', 'acknowledge']],
    ['msg_03_failure_vec_req', 'FAILURE_VEC_UNKNOWN_POOL', ['send', 'acknowledge']],
    ['msg_04_failure_vec_rep_2notes', 'MESSAGE_COUNTED', ['acknowledge']],
    ['msg_05_keepalive_req', 'MESSAGE_COUNTED', ['acknowledge']],
    ['msg_06_keepalive_rep', 'MESSAGE_COUNTED', ['acknowledge']],
    ['msg_08_event_service', 'MESSAGE_COUNTED', ['acknowledge']],
    ['msg_09_event_rpc', 'MESSAGE_COUNTED', ['acknowledge']],
    ['msg_10_be_io_err', 'MESSAGE_COUNTED', ['acknowledge']],
    ['msg_11_sns_err', 'MESSAGE_COUNTED', ['acknowledge']],
  ];
  for (const loadedFirst of [false, true]) {
    const h = loadedFirst ? await core() : await CoreHost.load();
    cases.forEach(([n, code, kinds], i) => {
      const d = h.messageReceived(2, 100 + i, vector(n).bytes);
      assert.is(d.reason.code, code, `${n} (conf tree loaded: ${loadedFirst})`);
      assert.equal(d.actions.map((a) => a.kind), kinds, n);
      assert.equal(d.actions.find((a) => a.kind === 'acknowledge'), { kind: 'acknowledge', linkId: 2, tag: 100 + i }, n);
    });
  }
});

test('acknowledges an undecodable message and says so with the error code and offset', async () => {
  const h = await core();
  const d = h.messageReceived(3, 8, patchU64(vector('msg_07_event_process').bytes, 64, 42n));
  assert.is(d.reason.code, 'MESSAGE_UNDECODABLE');
  assert.match(d.reason.text, 'HAX_ERR_XCODE_MSG_TYPE at byte 64');
  assert.match(d.reason.text, 'acknowledged so Motr does not resend it forever');
  assert.equal(only(d, 'acknowledge'), { kind: 'acknowledge', linkId: 3, tag: 8 });
});

// ---- ConsulReplied -------------------------------------------------------------------

test('acknowledges the message once its Consul write succeeded', async () => {
  const h = await core();
  const t = txnOf(h.messageReceived(5, 10, vector('spec62b_event_process_started').bytes));
  const d = h.consulReplied(t.opId, true);
  assert.is(d.reason.code, 'EVENT_RECORDED');
  assert.equal(only(d, 'acknowledge'), { kind: 'acknowledge', linkId: 5, tag: 10 });
  const again = h.consulReplied(t.opId, true);
  assert.is(again.reason.code, 'CONSUL_REPLY_UNKNOWN_OP');
  assert.is(again.actions.length, 0);
});

test('does not acknowledge when the Consul write failed and says Motr re-sends', async () => {
  const h = await core();
  const t = txnOf(h.messageReceived(5, 10, vector('spec62b_event_process_started').bytes));
  const d = h.consulReplied(t.opId, false);
  assert.is(d.reason.code, 'EVENT_WRITE_FAILED');
  assert.match(d.reason.text, 'Motr re-sends it after reconnecting');
  assert.is(d.actions.length, 0);
});

test('ignores a Consul reply for an unknown op with a reason', async () => {
  const h = await core();
  const d = h.consulReplied(4242, true);
  assert.is(d.reason.code, 'CONSUL_REPLY_UNKNOWN_OP');
  assert.is(d.actions.length, 0);
});

test('assigns distinct op ids to concurrent writes and acknowledges each its own tag', async () => {
  const h = await core();
  const p1 = txnOf(h.messageReceived(1, 2, vector('spec62b_event_process_started').bytes));
  const p2 = txnOf(h.messageReceived(2, 4, vector('msg_07_event_process').bytes));
  assert.is.not(p1.opId, p2.opId);
  assert.equal(only(h.consulReplied(p2.opId, true), 'acknowledge'), { kind: 'acknowledge', linkId: 2, tag: 4 });
  assert.equal(only(h.consulReplied(p1.opId, true), 'acknowledge'), { kind: 'acknowledge', linkId: 1, tag: 2 });
});

// ---- HealthReported ------------------------------------------------------------------

test('a failing check of a process no conf tree knows changes nothing (the empty cluster), before and after loading', async () => {
  for (const h of [await CoreHost.load(), await core()]) {
    const d = h.healthReported([{ checks: [{ serviceId: '', status: 'passing' }, { serviceId: '12', status: 'critical' }] }]);
    assert.is(d.reason.code, 'HEALTH_NO_CHANGE');
    assert.match(d.reason.text, '0 process(es) of the conf tree');
    assert.is(d.actions.length, 0);
  }
});

test.run();
