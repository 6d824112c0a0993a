// What real m0d and m0mkfs taught (issue 12), enforced by the simulator so
// that CI (no libmotr) catches a hax that would crash or hang real Motr:
//
// 1. A FAILURE_VEC_REP listing an ONLINE device kills the process (m0d
//    panics in m0_poolmach_state_transit(), pool/pool_machine.c:688).
// 2. A process leaving cleanly waits until hax has confirmed delivery of its
//    last message (m0_ha_flush → m0_ha_link_flush → m0_ha_link_wait_delivery)
//    and exits 0; if the link goes first it exits non-zero.
//
// Levels: the handler fed directly (no hax); a tiny fake hax on a real socket
// (test/sim/_fake-hax.ts: no shim, no Consul) for the flush; the Shim-based
// test HA for a failure vector on the wire; and the real thing — a Consul
// agent, hax with its native shim and wasm core (test/behaviour/_world.ts),
// and `hax sim` as a child process reading its JSON log lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { Codec, type HaMsg } from '../../src/core/codec.ts';
import { formatFid } from '../../src/fid.ts';
import { createLogger } from '../../src/log.ts';
import { SimProcess, SimError } from '../../src/sim/sim-process.ts';
import { scenario, TRACE_POOL } from '../../src/sim/scenarios.ts';
import { startFakeHax, isStopped, type Policy } from './_fake-hax.ts';
import { startTestHa } from './_ha.ts';
import { startWorld, F, pfid, until, type World } from '../behaviour/_world.ts';

const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
const PROC = { container: 0x7200000000000001n, key: 0x2n };
const DRIVE = '0x6b00000000000001:0x1';
const DRIVE2 = '0x6b00000000000001:0x2';
let codecP: Promise<Codec> | undefined;
const codec = (): Promise<Codec> => (codecP ??= Codec.load());

interface LogLine { level: string; msg: string; code: string; process?: string; [k: string]: unknown }

/** A SimProcess whose JSON log lines are kept. */
async function sim(address: string, extra: Partial<ConstructorParameters<typeof SimProcess>[0]> = {}): Promise<{ p: SimProcess; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const p = new SimProcess({
    address, codec: await codec(), processFid: PROC, type: 'M0_CONF_HA_PROCESS_M0D',
    log: createLogger({ level: 'debug', component: 'sim', write: (l) => lines.push(JSON.parse(l)) }), ...extra,
  });
  return { p, lines };
}

/** A FAILURE_VEC_REP as it comes off the wire (encoded and decoded by the codec). */
async function failureVecRep(notes: { no_id: string; no_state: string }[]): Promise<HaMsg> {
  const c = await codec();
  return c.decodeMsg(c.encodeMsg({
    fid: formatFid(TRACE_POOL), sourceProcess: '0x0:0x0', sourceService: '0x0:0x0', time: 0n, epoch: 0n, tag: 0n,
    type: 'FAILURE_VEC_REP', body: { mfp_pool: formatFid(TRACE_POOL), mfp_cookie: { co_addr: 1n, co_generation: 2n }, mfp_vec: notes },
  }));
}

/** Runs `hax sim ARGS` in a child process; resolves with its exit status and its JSON log lines. */
function runSimCli(args: string[], timeoutMs = 90_000): Promise<{ status: number | null; lines: LogLine[]; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(guard);
      const lines = out.split('\n').filter((l) => l.trim()).map((l) => { try { return JSON.parse(l) as LogLine; } catch { return { level: '?', msg: l, code: 'NOT_JSON' }; } });
      resolve({ status, lines, out: out + err });
    });
  });
}

const codes = (lines: LogLine[]): string[] => lines.map((l) => l.code);

// ---- 1. the failure vector ---------------------------------------------------

test('unit: a failure vector listing an ONLINE device kills the process with HAX_ERR_SIM_FAILVEC_ONLINE_DEVICE (exit status 1)', async () => {
  const { p, lines } = await sim('tcp:127.0.0.1:1');   // never dialled: the handler is fed directly
  let error: unknown;
  try { p.applyFailureVec(await failureVecRep([{ no_id: DRIVE2, no_state: 'M0_NC_FAILED' }, { no_id: DRIVE, no_state: 'M0_NC_ONLINE' }])); } catch (e) { error = e; }
  assert.instance(error, SimError);
  assert.is((error as SimError).code, 'HAX_ERR_SIM_FAILVEC_ONLINE_DEVICE');
  assert.match((error as SimError).message, DRIVE);
  assert.match((error as SimError).message, /pool_machine\.c:688/);
  assert.equal((error as SimError).details.devices, [DRIVE]);
  assert.is(p.dead?.code, 'HAX_ERR_SIM_FAILVEC_ONLINE_DEVICE');
  assert.is(p.exitStatus, 1, 'would exit non-zero');
  const logged = lines.find((l) => l.code === 'HAX_ERR_SIM_FAILVEC_ONLINE_DEVICE');
  assert.ok(logged, 'the death is logged with its code');
  assert.is(logged!.level, 'error');
  assert.equal(logged!.devices, [DRIVE]);
  assert.is(logged!.exitStatus, 1);
  // a dead process applies nothing more and sends nothing more
  assert.throws(() => p.applyFailureVec({ type: 'FAILURE_VEC_REP', body: { mfp_vec: [] } } as unknown as HaMsg), /ONLINE/);
  await assert.not.throws(async () => p.close());
});

test('unit: a failure vector listing a FAILED device is applied; the process lives on', async () => {
  const { p, lines } = await sim('tcp:127.0.0.1:1');
  const applied = p.applyFailureVec(await failureVecRep([{ no_id: DRIVE, no_state: 'M0_NC_FAILED' }, { no_id: DRIVE2, no_state: 'M0_NC_REPAIR' }]));
  assert.equal(applied, [{ fid: DRIVE, state: 'M0_NC_FAILED' }, { fid: DRIVE2, state: 'M0_NC_REPAIR' }]);
  assert.is(p.devices.get(DRIVE), 'M0_NC_FAILED');
  assert.is(p.dead, undefined);
  assert.is(p.exitStatus, undefined, 'still running');
  assert.equal(codes(lines), ['SIM_FAILVEC_APPLIED']);
  // and an empty one (what hax sends when every drive is ONLINE) too
  assert.equal(p.applyFailureVec(await failureVecRep([])), []);
  assert.is(p.dead, undefined);
  await p.close();
});

test('on the wire (Shim test HA): an ONLINE device in the m0d start-up failure vector kills it at tag 12; nothing after is sent', async () => {
  const ha = await startTestHa({ codec: await codec(), failureVecNotes: () => [{ no_id: DRIVE, no_state: 'M0_NC_ONLINE' }] });
  const { p } = await sim(ha.address);
  try {
    await p.connect();
    let code = 'none';
    try { await p.runSteps(scenario('m0d', PROC).startup); } catch (e) { code = (e as SimError).code; }
    assert.is(code, 'HAX_ERR_SIM_FAILVEC_ONLINE_DEVICE');
    assert.is(p.exitStatus, 1);
    await until('the REP delivered', () => ha.log.some((r) => r.kind === 'delivered' && r.tag === 1) || undefined);
    assert.not.ok(ha.log.some((r) => r.kind === 'received' && r.tag > 12), 'the process died at the failure vector');
  } finally {
    await p.close();
    await ha.stop();
  }
});

test('on the wire (Shim test HA): a FAILED device in the failure vector is applied and m0d goes on to STARTED', async () => {
  const ha = await startTestHa({ codec: await codec(), failureVecNotes: () => [{ no_id: DRIVE, no_state: 'M0_NC_FAILED' }] });
  const { p } = await sim(ha.address);
  try {
    await p.connect();
    await p.runSteps(scenario('m0d', PROC).startup);
    assert.is(p.devices.get(DRIVE), 'M0_NC_FAILED');
    assert.is(p.dead, undefined);
    assert.ok(ha.log.some((r) => r.kind === 'received' && r.msg.type === 'EVENT_PROCESS' && (r.msg.body as { chp_event: string }).chp_event === 'M0_CONF_HA_PROCESS_STARTED'));
  } finally {
    await p.close();
    await ha.stop();
  }
});

// ---- 2. leaving: waiting for the delivery of the last message ------------------

/** m0mkfs against the fake hax: every message delivered at once except STOPPED, which gets `last`. */
async function leaveAgainstFake(last: Policy, flushTimeoutMs = 10_000, whileWaiting?: (fake: Awaited<ReturnType<typeof startFakeHax>>) => void) {
  const fake = await startFakeHax(await codec(), (m) => (isStopped(m) ? last : 'deliver'));
  const { p, lines } = await sim(fake.address, { type: 'M0_CONF_HA_PROCESS_M0MKFS', flushTimeoutMs });
  try {
    await p.connect();
    const sc = scenario('m0mkfs', PROC);
    await p.runSteps(sc.startup);
    const leaving = p.shutdown(sc.shutdown);
    if (whileWaiting) { await fake.waitFor(isStopped); whileWaiting(fake); }
    let error: SimError | undefined;
    let flush;
    try { flush = (await leaving).flush; } catch (e) { error = e as SimError; }
    return { p, lines, fake, error, flush };
  } finally {
    await p.close();
    await fake.close();
  }
}

test('fake hax: the peer acknowledges STOPPED\'s LINK_MSG, then closes the connection before the delivered tag comes back → HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY, exit status 1', async () => {
  const { p, lines, fake, error } = await leaveAgainstFake('close-after-reply');
  const stopped = fake.seen.find(isStopped)!;
  assert.is(stopped.tag, 20);
  assert.is(stopped.repliedRc, 0, 'STOPPED\'s LINK_MSG was answered rc 0 (acknowledged, not delivered)');
  assert.ok(fake.inDelivered() <= 20, 'the fake never delivered tag 20');
  assert.is(error?.code, 'HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY');
  assert.match(error!.message, /tag\(s\) 20 never confirmed delivered/);
  assert.equal(error!.details.unconfirmed, [20]);
  assert.is(error!.details.reason, 'connection-closed');
  assert.is(p.exitStatus, 1);
  const logged = lines.find((l) => l.code === 'HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY');
  assert.equal(logged?.unconfirmed, [20]);
  assert.not.ok(lines.some((l) => l.code === 'SIM_FLUSH_DONE'));
});

test('fake hax: STOPPED\'s LINK_MSG answered -67 (ENOLINK: hax dropped the link) → HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY', async () => {
  const { p, error } = await leaveAgainstFake('enolink');
  assert.is(error?.code, 'HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY');
  assert.is(error!.details.reason, 'enolink');
  assert.match(error!.message, /-67/);
  assert.equal(error!.details.unconfirmed, [20]);
  assert.is(p.exitStatus, 1);
});

test('fake hax: nothing ever confirms STOPPED and the link stays up → HAX_ERR_SIM_FLUSH_TIMEOUT after the bound (m0d would hang)', async () => {
  const t0 = Date.now();
  const { p, error } = await leaveAgainstFake('hold', 1200);
  assert.is(error?.code, 'HAX_ERR_SIM_FLUSH_TIMEOUT');
  assert.equal(error!.details.unconfirmed, [20]);
  assert.match(error!.message, /1200 ms/);
  assert.ok(Date.now() - t0 >= 1200);
  assert.is(p.exitStatus, 1);
});

test('fake hax: the delivered tag of STOPPED comes back later in a LINK_MSG from hax → the process waited for it and exits 0', async () => {
  const { p, lines, error, flush } = await leaveAgainstFake('hold', 10_000, (fake) => { setTimeout(() => fake.deliverHeld(), 400); });
  assert.is(error, undefined, error?.message);
  assert.is(flush!.lastTag, 20);
  assert.is(flush!.delivered, 22);
  assert.ok(flush!.waitedMs >= 300, `waited ${flush!.waitedMs} ms`);
  assert.is(p.exitStatus, 0);
  assert.equal(codes(lines).slice(-2), ['SIM_FLUSH_WAIT', 'SIM_FLUSH_DONE']);
});

test('hax sim (child) against the fake hax that drops the link after acknowledging STOPPED: exit status 1 and a coded JSON line', async () => {
  const fake = await startFakeHax(await codec(), (m) => (isStopped(m) ? 'close-after-reply' : 'deliver'));
  try {
    const r = await runSimCli(['--connect', fake.address, '--scenario', 'm0mkfs', '--first-fid', '0x7200000000000001:0x2']);
    assert.is(r.status, 1, r.out);
    const dropped = r.lines.find((l) => l.code === 'HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY');
    assert.ok(dropped, r.out);
    assert.equal(dropped!.unconfirmed, [20]);
    assert.is(dropped!.process, '0x7200000000000001:0x2');
    assert.ok(r.lines.some((l) => l.code === 'SIM_EXIT' && l.exitStatus === 1));
    assert.ok(r.lines.every((l) => l.code !== 'NOT_JSON'), 'every line is JSON');
  } finally {
    await fake.close();
  }
});

test('hax sim (child) against the fake hax that confirms STOPPED late: exit status 0, after the confirmation', async () => {
  const fake = await startFakeHax(await codec(), (m) => (isStopped(m) ? 'hold' : 'deliver'));
  fake.waitFor(isStopped).then(() => setTimeout(() => fake.deliverHeld(), 500)).catch(() => {});
  try {
    const r = await runSimCli(['--connect', fake.address, '--scenario', 'm0mkfs', '--first-fid', '0x7200000000000001:0x2']);
    assert.is(r.status, 0, r.out);
    const c = codes(r.lines);
    const done = r.lines.find((l) => l.code === 'SIM_FLUSH_DONE')!;
    assert.ok(done, r.out);
    assert.is(done.lastTag, 20);
    assert.ok((done.waitedMs as number) >= 400, `waited ${done.waitedMs} ms`);
    assert.ok(c.indexOf('SIM_FLUSH_WAIT') < c.indexOf('SIM_FLUSH_DONE') && c.indexOf('SIM_FLUSH_DONE') < c.lastIndexOf('SIM_EXIT'));
  } finally {
    await fake.close();
  }
});

test('on the wire (Shim test HA): an HA that disconnects the link before confirming STOPPED never lets the process exit 0', async () => {
  // The regression hax must not have: the link torn down under the last
  // message's acknowledgement. The shim then goes silent on that link (no
  // delivered tag, the connection stays open), so the process waits — real
  // m0d forever, the simulator until its bound — and exits non-zero.
  let haRef: Awaited<ReturnType<typeof startTestHa>> | undefined;
  const ha = await startTestHa({
    codec: await codec(),
    deliver: (m) => {
      if (m.type !== 'EVENT_PROCESS' || (m.body as { chp_event: string }).chp_event !== 'M0_CONF_HA_PROCESS_STOPPED') return true;
      haRef!.shim.disconnect(haRef!.linkOf(formatFid(PROC))!);
      return false;
    },
  });
  haRef = ha;
  const { p, lines } = await sim(ha.address, { type: 'M0_CONF_HA_PROCESS_M0MKFS', flushTimeoutMs: 1500 });
  try {
    await p.connect();
    const sc = scenario('m0mkfs', PROC);
    await p.runSteps(sc.startup);
    let code = 'none';
    try { await p.shutdown(sc.shutdown); } catch (e) { code = (e as SimError).code; }
    console.log(`HA disconnected before confirming STOPPED: the process reports ${code}`);
    assert.ok(['HAX_ERR_SIM_FLUSH_TIMEOUT', 'HAX_ERR_SIM_LINK_DROPPED_BEFORE_DELIVERY'].includes(code), code);
    assert.is(p.exitStatus, 1);
    assert.equal(lines.find((l) => l.code === code)?.unconfirmed, [20]);
  } finally {
    await p.close();
    await ha.stop();
  }
});

// ---- the real thing: Consul agent + hax (native shim, wasm core) -------------

let w: World | undefined;
const world = async (): Promise<World> => (w ??= await startWorld());

test('hax: a process asking the failure vector of a pool whose drives are all ONLINE stays up (hax lists no ONLINE device)', async () => {
  const { hax } = await world();
  const { p, lines } = await sim(hax.haLinkAddresses[0]!, { processFid: pfid(3) });
  try {
    await p.connect();
    await p.processEvent('M0_CONF_HA_PROCESS_STARTING');
    const { reply, applied } = await p.failureVecReq({ container: 0x6f00000000000001n, key: 1n }); // F.pool
    const b = reply.body as { mfp_pool: string; mfp_nr: number; mfp_vec: { no_id: string; no_state: string }[] };
    console.log(`hax's failure vector of ${F.pool}: mfp_nr ${b.mfp_nr} [${b.mfp_vec.map((n) => `${n.no_id}=${n.no_state}`).join(', ')}]`);
    assert.is(b.mfp_pool, F.pool);
    assert.is(b.mfp_vec.filter((n) => n.no_state === 'M0_NC_ONLINE').length, 0, 'hax listed an ONLINE device: real m0d panics on it');
    assert.equal(applied, []);
    assert.is(p.dead, undefined);
    // it lives on: STARTED is sent and confirmed
    await p.processEvent('M0_CONF_HA_PROCESS_STARTED');
    assert.is(p.dead, undefined);
    assert.ok(lines.some((l) => l.code === 'SIM_FAILVEC_APPLIED' && l.pool === F.pool));
  } finally {
    await p.close();
  }
});

test('hax: `hax sim` (m0d: STARTED … STOPPED) exits 0, and only after hax confirmed delivery of its last message', async () => {
  const { hax, consul } = await world();
  const me = '0x7200000000000001:0x4';   // ios 4 of the world's cluster
  const r = await runSimCli(['--connect', hax.haLinkAddresses[0]!, '--first-fid', me, '--pool', F.pool, '--flush-timeout', '15']);
  const summary = r.lines.filter((l) => l.code?.startsWith('SIM_FLUSH') || l.code?.startsWith('HAX_ERR') || l.code === 'SIM_EXIT').map((l) => `${l.code}: ${l.msg}`);
  console.log(`hax sim exit status ${r.status}\n  ${summary.join('\n  ')}`);
  assert.is(r.status, 0, r.out);
  const c = codes(r.lines);
  // the failure vector of the real pool: applied, nothing ONLINE in it
  const fv = r.lines.find((l) => l.code === 'SIM_FAILVEC_APPLIED');
  assert.is(fv?.pool, F.pool);
  // the last message (process STOPPED, tag 62) confirmed, then the exit
  const done = r.lines.find((l) => l.code === 'SIM_FLUSH_DONE');
  assert.ok(done, r.out);
  assert.is(done!.lastTag, 62);
  assert.ok((done!.delivered as number) > 62);
  assert.ok(c.indexOf('SIM_STARTED') < c.indexOf('SIM_FLUSH_WAIT'));
  assert.ok(c.indexOf('SIM_FLUSH_DONE') < c.indexOf('SIM_EXIT'));
  assert.ok(r.lines.some((l) => l.code === 'SIM_EXIT' && l.exitStatus === 0 && l.process === me));
  // and hax made it durable before confirming
  const stored = await consul.kv.get(`processes/${me}`);
  assert.match(stored?.value ?? '', /M0_CONF_HA_PROCESS_STOPPED/);
});

// Teardown, not a test: it runs even when a test failed, and is not counted.
test.after(async () => {
  if (!w) return;
  await w.stop();
  w = undefined;
});

test.run();
