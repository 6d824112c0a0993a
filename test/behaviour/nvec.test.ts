// NVEC GET answered for every object type from the model (hax-reference.md
// §5.3), the NVEC SET re-broadcast rules (§4.4), FAILURE_VEC_REQ answered
// from the pool's devices, STOB_IOQ marking the drive FAILED, and the other
// message types recorded and visible instead of crashing hax.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startWorld, until, F, type World, type Peer } from './_world.ts';
import { parseFid } from '../../src/fid.ts';

let w: World | undefined;
let obs: Peer;
const world = async () => { if (!w) { w = await startWorld(); obs = await w.peer(2); } return w; };
let getId = 100n;

async function nvecGet(p: Peer, fids: string[]): Promise<Record<string, string>> {
  const id = ++getId;
  await p.send('NVEC', { hmnv_type: 'M0_HA_NVEC_GET', hmnv_id_of_get: id, hmnv_ignore_same_state: 0, hmnv_arr: fids.map((f) => ({ no_id: f, no_state: 'M0_NC_UNKNOWN' })) });
  const reply = await until(`the answer to GET ${id}`, () => p.received.find((m) => m.type === 'NVEC' && (m.body as { hmnv_id_of_get: bigint }).hmnv_id_of_get === id));
  const body = reply.body as { hmnv_type: string; hmnv_ignore_same_state: number; hmnv_arr: { no_id: string; no_state: string }[] };
  assert.is(body.hmnv_type, 'M0_HA_NVEC_SET');
  assert.is(body.hmnv_ignore_same_state, 1);
  assert.equal(body.hmnv_arr.map((n) => n.no_id), fids, 'same fids in the same order');
  return Object.fromEntries(body.hmnv_arr.map((n) => [n.no_id, n.no_state]));
}

test('NVEC GET answers every object type from the model', async () => {
  await world();
  const ios3 = await w!.peer(3);
  await obs.processEvent('STARTED');      // confd → DTM_RECOVERED
  await ios3.processEvent('STARTED');     // ios → STARTED: RECOVERING
  const fids = [F.hax, F.confd, F.ios3, F.ios4, F.remoteIos, F.svcIos3, F.svcConfd, F.sdev1, F.drive1, F.node, F.encl, F.ctrl, F.pool, F.site, F.profile, '0x7200000000000001:0x99'];
  const s = await nvecGet(ios3, fids);
  assert.is(s[F.hax], 'M0_NC_ONLINE', 'hax itself');
  assert.is(s[F.confd], 'M0_NC_ONLINE', 'a DTM_RECOVERED process');
  assert.is(s[F.ios3], 'M0_NC_DTM_RECOVERING', 'a STARTED process');
  assert.is(s[F.ios4], 'M0_NC_TRANSIENT', 'a process with no event yet (UNKNOWN → TRANSIENT)');
  assert.is(s[F.remoteIos], 'M0_NC_TRANSIENT', 'a remote process with no event');
  assert.is(s[F.svcIos3], 'M0_NC_DTM_RECOVERING', 'a service answers as its process');
  assert.is(s[F.svcConfd], 'M0_NC_ONLINE');
  assert.is(s[F.sdev1], 'M0_NC_ONLINE', 'sdev dtm_recovering → ONLINE');
  assert.is(s[F.drive1], 'M0_NC_ONLINE');
  assert.is(s[F.node], 'M0_NC_DTM_RECOVERING', 'node state from its KV value');
  assert.is(s[F.encl], 'M0_NC_DTM_RECOVERING');
  assert.is(s[F.ctrl], 'M0_NC_DTM_RECOVERING');
  for (const f of [F.pool, F.site, F.profile, '0x7200000000000001:0x99']) assert.is(s[f], 'M0_NC_ONLINE', f);
  // the HTTP view of the same answers
  const res = await fetch(`http://127.0.0.1:${w!.httpPort}/api/v1/states?fid=${F.ios3},${F.node}`);
  assert.equal(await res.json(), [{ fid: F.ios3, state: 'M0_NC_DTM_RECOVERING' }, { fid: F.node, state: 'M0_NC_DTM_RECOVERING' }]);
  ios3.close();
});

test('an NVEC GET of 25 objects at start-up gets 25 answers in order', async () => {
  await world();
  const fids = Array.from({ length: 25 }, (_, i) => `0x6a00000000000001:0x${i.toString(16)}`);
  const s = await nvecGet(obs, fids);
  assert.is(Object.keys(s).length, 25);
});

test('a FAILURE_VEC_REQ is answered with the same cookie and none of the pool\'s ONLINE devices (real m0d panics on one)', async () => {
  await world();
  await obs.send('FAILURE_VEC_REQ', { mfq_pool: F.pool, mfq_cookie: { co_addr: 77n, co_generation: 5n } });
  const rep = await until('FAILURE_VEC_REP', () => obs.received.find((m) => m.type === 'FAILURE_VEC_REP'));
  const b = rep.body as { mfp_pool: string; mfp_cookie: { co_addr: bigint; co_generation: bigint }; mfp_nr: number; mfp_vec: { no_id: string; no_state: string }[] };
  assert.is(b.mfp_pool, F.pool);
  assert.equal(b.mfp_cookie, { co_addr: 77n, co_generation: 5n });
  // the pool's four drives are all ONLINE here (NVEC GET says so): none listed
  const s = await nvecGet(obs, [F.drive1, F.drive2, F.drive3]);
  assert.equal(Object.values(s), ['M0_NC_ONLINE', 'M0_NC_ONLINE', 'M0_NC_ONLINE']);
  assert.is(b.mfp_nr, 0);
  assert.is(b.mfp_vec.filter((n) => n.no_state === 'M0_NC_ONLINE').length, 0);
  // an unknown pool is still answered, with no devices
  await obs.send('FAILURE_VEC_REQ', { mfq_pool: '0x6f00000000000001:0x55', mfq_cookie: { co_addr: 1n, co_generation: 1n } });
  const other = await until('the second reply', () => obs.received.filter((m) => m.type === 'FAILURE_VEC_REP')[1]);
  assert.is((other.body as { mfp_nr: number }).mfp_nr, 0);
});

test('a STOB_IOQ error marks the sdev\'s drive FAILED, records it and publishes it', async () => {
  await world();
  await obs.send('STOB_IOQ', {
    sie_conf_sdev: F.sdev1, sie_stob_id: { si_domain_fid: '0x6400000000000001:0x1', si_fid: '0x1:0x2' }, sie_fd: 7n,
    sie_opcode: 'SIO_WRITE', sie_rc: -5n, sie_offset: 4096n, sie_size: 512n, sie_bshift: 12,
  });
  await until('drive FAILED', () => obs.noteOf(F.drive1, 'M0_NC_FAILED') || undefined);
  const sdevKey = `m0conf/nodes/${F.node}/processes/${F.ios3}/services/${F.svcIos3}/sdevs/${F.sdev1}`;
  assert.is((await w!.consul.kv.get(sdevKey))?.value, '{"path": "/dev/sda", "state": "failed"}');
  const bq = (await w!.consul.kv.list('bq/')).entries.map((e) => JSON.parse(e.value) as { message_type: string; payload: { conf_sdev: string } });
  assert.ok(bq.some((m) => m.message_type === 'STOB_IOQ_ERROR' && m.payload.conf_sdev === F.sdev1));
  const s = await nvecGet(obs, [F.drive1, F.sdev1]);
  assert.equal(s, { [F.drive1]: 'M0_NC_FAILED', [F.sdev1]: 'M0_NC_FAILED' });
  // the failure vector now carries it
  await obs.send('FAILURE_VEC_REQ', { mfq_pool: F.pool, mfq_cookie: { co_addr: 9n, co_generation: 9n } });
  const rep = await until('FAILURE_VEC_REP', () => obs.received.filter((m) => m.type === 'FAILURE_VEC_REP')[2]);
  const vec = (rep.body as { mfp_nr: number; mfp_vec: { no_id: string; no_state: string }[] });
  assert.equal(vec.mfp_vec.slice(0, vec.mfp_nr), [{ no_id: F.drive1, no_state: 'M0_NC_FAILED' }]);   // only the failed one
});

test('an NVEC SET from Motr is re-broadcast: REPAIR as FAILED, REBALANCE as REPAIRED, ONLINE and REPAIRED as is', async () => {
  await world();
  const before = obs.notes().length;
  await obs.send('NVEC', { hmnv_type: 'M0_HA_NVEC_SET', hmnv_id_of_get: 0n, hmnv_ignore_same_state: 1, hmnv_arr: [
    { no_id: F.drive2, no_state: 'M0_NC_REPAIR' }, { no_id: F.drive3, no_state: 'M0_NC_REBALANCE' },
    { no_id: F.pool, no_state: 'M0_NC_ONLINE' }, { no_id: '0x6b00000000000001:0x4', no_state: 'M0_NC_REPAIRED' },
    { no_id: F.ios4, no_state: 'M0_NC_TRANSIENT' },
  ] });
  await until('re-broadcast', () => obs.notes().length > before || undefined);
  const got = obs.notes().slice(before);
  assert.ok(got.some((n) => n.fid === F.drive2 && n.state === 'M0_NC_FAILED'));
  assert.ok(got.some((n) => n.fid === F.drive3 && n.state === 'M0_NC_REPAIRED'));
  assert.ok(got.some((n) => n.fid === F.pool && n.state === 'M0_NC_ONLINE'));
  assert.ok(got.some((n) => n.fid === '0x6b00000000000001:0x4' && n.state === 'M0_NC_REPAIRED'));
  assert.ok(!got.some((n) => n.fid === F.ios4), 'TRANSIENT is not re-broadcast');
  assert.match((await w!.consul.kv.get(`m0conf/nodes/${F.node}/processes/${F.ios3}/services/${F.svcIos3}/sdevs/${F.sdev2}`))!.value, '"state": "failed"');
});

test('service, RPC, keepalive, BE and SNS error messages are acknowledged, counted and visible', async () => {
  await world();
  await obs.send('EVENT_SERVICE', { chs_event: 'M0_CONF_HA_SERVICE_STOPPING', chs_type: 'M0_CST_CONFD', chs_pid: 1n }, F.svcConfd);
  await obs.send('EVENT_SERVICE', { chs_event: 'M0_CONF_HA_SERVICE_STARTED', chs_type: 'M0_CST__UNUSED', chs_pid: 1n }, '0:0');
  await obs.send('EVENT_RPC', { hmr_attempts: 1n, hmr_state: 'M0_NC_TRANSIENT' }, '0x7300000000000001:0x5');
  await obs.send('KEEPALIVE_REQ', { kaq_id: { u_hi: 1n, u_lo: 2n } });
  await obs.send('BE_IO_ERR', { ber_errcode: 5, ber_location: 'M0_BE_LOC_SEGMENT_1', ber_io_opcode: 'SIO_WRITE' });
  await obs.send('SNS_ERR', { hse_errcode: 5, hse_opcode: 'CM_OP_REPAIR' });
  const status = w!.hax.api.clusterStatus() as unknown as { counters: Record<string, number>; nodes: { processes: { fid: string; services: { fid: string }[] }[] }[] };
  for (const k of ['EVENT_SERVICE', 'EVENT_SERVICE zero fid', 'EVENT_RPC', 'EVENT_RPC M0_NC_TRANSIENT', 'KEEPALIVE_REQ', 'BE_IO_ERR', 'SNS_ERR', 'M0_CONF_HA_SERVICE_STOPPING']) {
    assert.ok((status.counters[k] ?? 0) >= 1, `${k} counted: ${JSON.stringify(status.counters)}`);
  }
  assert.ok(parseFid(F.svcConfd));
  assert.ok(status.nodes[0]!.processes.some((p) => p.fid === F.confd && p.services.some((s) => s.fid === F.svcConfd)));
});

// Teardown, not a test: it runs even when a test failed, and is not counted.
test.after(async () => {
  if (w) await w.stop();
  w = undefined;
});

test.run();
