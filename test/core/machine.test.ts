// One case (at least) per transition-table row, with the reason asserted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoreHost, type Decision } from '../../src/core/core-host.ts';
import { Codec, type HaMsg } from '../../src/core/codec.ts';
import { vector, proc, svc, patchU64 } from './helpers.ts';

const VIEW = {
  confds: [
    { fid: proc(9), endpoint: 'inet:tcp:10.0.0.1@3001' },
    { fid: proc(10), endpoint: 'inet:tcp:10.0.0.2@3001' },
    { fid: proc(11), endpoint: 'inet:tcp:10.0.0.3@3001' },
  ],
  rm: { fid: svc(2), endpoint: 'inet:tcp:10.0.0.1@3001' },
};

async function core(view = true): Promise<CoreHost> {
  const h = await CoreHost.load();
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
  const a = only(d, 'reply-entrypoint');
  assert.equal(a, {
    kind: 'reply-entrypoint', reqId: 7, rc: 0, quorum: 2, confds: VIEW.confds,
    rmFid: svc(2), rmEndpoint: 'inet:tcp:10.0.0.1@3001',
  });
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
  assert.equal(only(d, 'reply-entrypoint'), {
    kind: 'reply-entrypoint', reqId: 3, rc: -11, quorum: 0, confds: [], rmFid: { container: 0n, key: 0n }, rmEndpoint: '',
  });
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

// ---- MessageReceived -----------------------------------------------------------------

test('writes processes/<fid> for EVENT_PROCESS and holds the acknowledgement', async () => {
  const h = await core();
  const d = h.messageReceived(5, 10, vector('spec62b_event_process_started').bytes);
  assert.is(d.reason.code, 'EVENT_PROCESS_WRITING');
  assert.match(d.reason.text, 'acknowledged once the write is durable');
  const a = only(d, 'consul-put');
  assert.is(a.key, 'processes/0x7200000000000001:0x15');
  assert.is(a.value, '{"state": "M0_CONF_HA_PROCESS_STARTED", "type": "M0_CONF_HA_PROCESS_M0D"}');
});

test('names DTM_RECOVERED in the processes/<fid> value', async () => {
  const h = await core();
  const msg = patchU64(vector('spec62b_event_process_started').bytes, 72, 4n);
  const a = only(h.messageReceived(5, 12, msg), 'consul-put');
  assert.is(a.value, '{"state": "M0_CONF_HA_PROCESS_DTM_RECOVERED", "type": "M0_CONF_HA_PROCESS_M0D"}');
});

test('acknowledges every other message type at once and names the type', async () => {
  const h = await core();
  const names = ['msg_00_invalid', 'msg_01_stob_ioq', 'msg_02_nvec_get_3notes', 'msg_02_nvec_set_2notes',
    'msg_03_failure_vec_req', 'msg_04_failure_vec_rep_2notes', 'msg_05_keepalive_req', 'msg_06_keepalive_rep',
    'msg_08_event_service', 'msg_09_event_rpc', 'msg_10_be_io_err', 'msg_11_sns_err'];
  const types = ['INVALID', 'STOB_IOQ', 'NVEC', 'NVEC', 'FAILURE_VEC_REQ', 'FAILURE_VEC_REP', 'KEEPALIVE_REQ',
    'KEEPALIVE_REP', 'EVENT_SERVICE', 'EVENT_RPC', 'BE_IO_ERR', 'SNS_ERR'];
  names.forEach((n, i) => {
    const d = h.messageReceived(2, 100 + i, vector(n).bytes);
    assert.is(d.reason.code, 'MESSAGE_ACKNOWLEDGED', n);
    assert.match(d.reason.text, `M0_HA_MSG_${types[i]} from`);
    assert.equal(only(d, 'acknowledge'), { kind: 'acknowledge', linkId: 2, tag: 100 + i });
  });
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
  const put = only(h.messageReceived(5, 10, vector('spec62b_event_process_started').bytes), 'consul-put');
  const d = h.consulReplied(put.opId, true);
  assert.is(d.reason.code, 'EVENT_RECORDED');
  assert.equal(only(d, 'acknowledge'), { kind: 'acknowledge', linkId: 5, tag: 10 });
  const again = h.consulReplied(put.opId, true);
  assert.is(again.reason.code, 'CONSUL_REPLY_UNKNOWN_OP');
  assert.is(again.actions.length, 0);
});

test('does not acknowledge when the Consul write failed and says Motr re-sends', async () => {
  const h = await core();
  const put = only(h.messageReceived(5, 10, vector('spec62b_event_process_started').bytes), 'consul-put');
  const d = h.consulReplied(put.opId, false);
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
  const p1 = only(h.messageReceived(1, 2, vector('spec62b_event_process_started').bytes), 'consul-put');
  const p2 = only(h.messageReceived(2, 4, vector('msg_07_event_process').bytes), 'consul-put');
  assert.is.not(p1.opId, p2.opId);
  assert.equal(only(h.consulReplied(p2.opId, true), 'acknowledge'), { kind: 'acknowledge', linkId: 2, tag: 4 });
  assert.equal(only(h.consulReplied(p1.opId, true), 'acknowledge'), { kind: 'acknowledge', linkId: 1, tag: 2 });
});

// ---- HealthReported ------------------------------------------------------------------

test('broadcasts ONLINE for passing services and TRANSIENT after a failing check', async () => {
  const h = await core();
  const codec = await Codec.load();
  const d = h.healthReported([
    { checks: [{ serviceId: '', status: 'passing' }, { serviceId: '12', status: 'passing' }] },
    { checks: [{ serviceId: '', status: 'critical' }, { serviceId: '13', status: 'passing' }] },
    { checks: [{ serviceId: '14', status: 'passing' }, { serviceId: '15', status: 'warning' }] },
  ]);
  assert.is(d.reason.code, 'BROADCAST_SENT');
  const a = only(d, 'broadcast');
  assert.equal(a.notes, [
    { fid: '0x7200000000000001:0xc', state: 'M0_NC_ONLINE' },
    { fid: '0x7200000000000001:0xd', state: 'M0_NC_TRANSIENT' },
    { fid: '0x7200000000000001:0xe', state: 'M0_NC_ONLINE' },
    { fid: '0x7200000000000001:0xf', state: 'M0_NC_TRANSIENT' },
  ]);
  const m: HaMsg = codec.decodeMsg(a.msg);
  assert.is(m.type, 'NVEC');
  assert.is(m.tag, 0n);
  assert.is(m.body.hmnv_type, 'M0_HA_NVEC_SET');
  assert.is(m.body.hmnv_id_of_get, 0n);
  assert.is(m.body.hmnv_ignore_same_state, 1);
  assert.equal(m.body.hmnv_arr, a.notes.map((n) => ({ no_id: n.fid, no_state: n.state })));
});

test('accepts a full fid text as ServiceID', async () => {
  const h = await core();
  const a = only(h.healthReported([{ checks: [{ serviceId: '0x7300000000000001:0x2', status: 'passing' }] }]), 'broadcast');
  assert.equal(a.notes, [{ fid: '0x7300000000000001:0x2', state: 'M0_NC_ONLINE' }]);
});

test('broadcasts nothing for a replayed health payload and says so', async () => {
  const h = await core();
  const payload = [{ checks: [{ serviceId: '12', status: 'passing' as const }, { serviceId: '13', status: 'critical' as const }] }];
  assert.is(h.healthReported(payload).reason.code, 'BROADCAST_SENT');
  const d = h.healthReported(payload);
  assert.is(d.reason.code, 'BROADCAST_UNCHANGED');
  assert.match(d.reason.text, 'none changed since the last broadcast');
  assert.is(d.actions.length, 0);
});

test('broadcasts only the notes whose state changed', async () => {
  const h = await core();
  h.healthReported([{ checks: [{ serviceId: '12', status: 'passing' }] }, { checks: [{ serviceId: '13', status: 'passing' }] }]);
  const a = only(h.healthReported([
    { checks: [{ serviceId: '12', status: 'passing' }] }, { checks: [{ serviceId: '13', status: 'critical' }] },
  ]), 'broadcast');
  assert.equal(a.notes, [{ fid: '0x7200000000000001:0xd', state: 'M0_NC_TRANSIENT' }]);
});

test('splits more than 1024 changed notes into two broadcasts', async () => {
  const h = await core();
  const entries = Array.from({ length: 1500 }, (_, i) => ({ checks: [{ serviceId: String(i + 1), status: 'passing' as const }] }));
  const d = h.healthReported(entries);
  assert.is(d.reason.code, 'BROADCAST_SENT');
  assert.match(d.reason.text, '1500 changed note(s) of 1500 broadcast in 2 NVEC SET message(s)');
  assert.is(d.actions.length, 2);
  const [a, b] = d.actions as Extract<Decision['actions'][number], { kind: 'broadcast' }>[];
  assert.is(a!.notes.length, 1024);
  assert.is(b!.notes.length, 476);
  const codec = await Codec.load();
  assert.is(codec.decodeMsg(a!.msg).body.hmnv_nr, 1024);
  assert.is(codec.decodeMsg(b!.msg).body.hmnv_nr, 476);
  assert.is(h.healthReported(entries).reason.code, 'BROADCAST_UNCHANGED');
});

test('skips ServiceIDs that are neither a number nor a fid and names them', async () => {
  const h = await core();
  const d = h.healthReported([{ checks: [{ serviceId: 'web-1', status: 'passing' }] }]);
  assert.is(d.reason.code, 'BROADCAST_UNCHANGED');
  assert.match(d.reason.text, '"web-1"');
});

test('a decimal ServiceID is a process fid key up to u64 max; past it, it is text and skipped', async () => {
  const h = await core();
  const max = only(h.healthReported([{ checks: [{ serviceId: '18446744073709551615', status: 'passing' }] }]), 'broadcast');
  assert.equal(max.notes, [{ fid: '0x7200000000000001:0xffffffffffffffff', state: 'M0_NC_ONLINE' }]);
  for (const id of ['18446744073709551616', '000000000000000000001', '12a']) {
    const d = h.healthReported([{ checks: [{ serviceId: id, status: 'passing' }] }]);
    assert.is(d.reason.code, 'BROADCAST_UNCHANGED', id);
    assert.match(d.reason.text, `"${id}"`);
  }
});

test.run();
