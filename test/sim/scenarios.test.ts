// The simulator replays the recorded m0mkfs and m0d conversations (traces a
// and b) against a Shim-based HA, message for message, and waits where m0d
// waits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Codec } from '../../src/core/codec.ts';
import { SimProcess } from '../../src/sim/sim-process.ts';
import { scenario } from '../../src/sim/scenarios.ts';
import type { Fid } from '../../src/fid.ts';
import { startTestHa, type HaRecord } from './_ha.ts';
import { haLines, traceLines } from './_trace.ts';

const TRACE_PROCESS: Fid = { container: 0x7200000000000001n, key: 2n };
let codecP: Promise<Codec> | undefined;
const codec = (): Promise<Codec> => (codecP ??= Codec.load());

async function replay(name: 'm0d' | 'm0mkfs', beforeReply?: () => Promise<void>): Promise<{ log: HaRecord[] }> {
  const ha = await startTestHa({ codec: await codec(), beforeReply });
  const sc = scenario(name, TRACE_PROCESS);
  const sim = new SimProcess({ address: ha.address, codec: await codec(), processFid: TRACE_PROCESS, type: sc.processType });
  try {
    await sim.connect();
    await sim.runSteps(sc.startup);
    await sim.runSteps(sc.shutdown);
    return { log: ha.log };
  } finally {
    await sim.close();
    await ha.stop();
  }
}

const firstIndex = (lines: string[], prefix: string): number => lines.findIndex((l) => l.startsWith(prefix));

test('the m0mkfs scenario says what m0mkfs said in trace a, message for message', async () => {
  const { log } = await replay('m0mkfs');
  assert.equal(haLines(log), traceLines('a-m0mkfs.jsonl'));
});

test('the m0d scenario says what m0d said in trace b, message for message, with the HA replies in place', async () => {
  const { log } = await replay('m0d');
  const want = traceLines('b-m0d-start-idle-sigterm.jsonl');
  assert.is(want.length, 2 + 31 + 2); // entrypoint, link, 31 messages from m0d, 2 replies
  assert.equal(haLines(log), want);
});

test('the m0d scenario waits for the FAILURE_VEC reply and for the NVEC GET reply before going on', async () => {
  // The HA holds each reply back for a while: a simulator that did not wait
  // would send its next message (tag 14, tag 36) before the reply went out.
  const { log } = await replay('m0d', () => new Promise((r) => setTimeout(r, 300)));
  const lines = haLines(log);
  assert.ok(firstIndex(lines, 'sent 1 FAILURE_VEC_REP') < firstIndex(lines, 'recv 14 '), 'tag 14 came before the FAILURE_VEC reply');
  assert.ok(firstIndex(lines, 'recv 12 FAILURE_VEC_REQ') < firstIndex(lines, 'sent 1 FAILURE_VEC_REP'));
  assert.ok(firstIndex(lines, 'sent 3 NVEC') < firstIndex(lines, 'recv 36 '), 'tag 36 came before the NVEC reply');
  assert.ok(firstIndex(lines, 'recv 34 NVEC') < firstIndex(lines, 'sent 3 NVEC'));
  assert.equal(lines, traceLines('b-m0d-start-idle-sigterm.jsonl'));
});

test('an NVEC reply whose fids differ from the GET is reported loudly and the process dies', async () => {
  const ha = await startTestHa({ codec: await codec(), nvecNotes: (notes) => [...notes].reverse() });
  const sc = scenario('m0d', TRACE_PROCESS);
  const sim = new SimProcess({ address: ha.address, codec: await codec(), processFid: TRACE_PROCESS, type: sc.processType });
  try {
    await sim.connect();
    let code = 'none';
    let message = '';
    try { await sim.runSteps(sc.startup); } catch (e) { code = (e as { code?: string }).code ?? '?'; message = (e as Error).message; }
    assert.is(code, 'HAX_ERR_SIM_NVEC_MISMATCH');
    assert.match(message, /note 0 is 0x7400000000000001:0x0, expected 0x6a00000000000001:0x4/);
    assert.is(sim.dead?.code, 'HAX_ERR_SIM_NVEC_MISMATCH');
    // Nothing after the GET (tag 34) was sent: no process STARTED.
    assert.not.ok(ha.log.some((r) => r.kind === 'received' && r.tag > 34));
  } finally {
    await sim.close();
    await ha.stop();
  }
});

test('a QUERY entrypoint reply makes the process ask again, not first, and the link is reused (trace c)', async () => {
  const ha = await startTestHa({ codec: await codec(), entrypointRc: (nth) => (nth === 1 ? -11 : 0) });
  const sim = new SimProcess({ address: ha.address, codec: await codec(), processFid: TRACE_PROCESS, type: 'M0_CONF_HA_PROCESS_M0D' });
  try {
    const summary = await sim.connect();
    assert.is(summary.control, 'CONSUME');
    assert.equal(summary.confds, ['0x7300000000000001:0x3']);
    await sim.processEvent('M0_CONF_HA_PROCESS_STARTING');
    assert.equal(haLines(ha.log).slice(0, 5), ['entrypoint first=1', 'link-connected', 'entrypoint first=0', 'link-reused',
      'recv 2 EVENT_PROCESS fid=0x7200000000000001:0x2 src=0x0:0x0/0x0:0x0 STARTING M0D']);
  } finally {
    await sim.close();
    await ha.stop();
  }
});

test('the simulator acknowledges an NVEC SET broadcast and hands its notes to the caller', async () => {
  const ha = await startTestHa({ codec: await codec() });
  const notes: { fid: string; state: string }[] = [];
  const sim = new SimProcess({ address: ha.address, codec: await codec(), processFid: TRACE_PROCESS, type: 'M0_CONF_HA_PROCESS_M0D', onNotes: (n) => notes.push(...n) });
  try {
    await sim.connect();
    await ha.waitFor((r) => r.kind === 'link-connected');
    const tag = ha.send(ha.linkOf('0x7200000000000001:0x2')!, {
      fid: '0x7300000000000001:0x4', sourceProcess: '0x7200000000000001:0x1', sourceService: '0x7300000000000001:0x1', time: 0n, epoch: 0n,
      type: 'NVEC', body: { hmnv_type: 'M0_HA_NVEC_SET', hmnv_id_of_get: 0n, hmnv_ignore_same_state: 0, hmnv_arr: [{ no_id: '0x7300000000000001:0x4', no_state: 'M0_NC_TRANSIENT' }] },
    });
    await ha.waitFor((r) => r.kind === 'delivered' && r.tag === tag);
    assert.equal(notes, [{ fid: '0x7300000000000001:0x4', state: 'M0_NC_TRANSIENT' }]);
  } finally {
    await sim.close();
    await ha.stop();
  }
});

test('a process whose link hax disconnected exits on disconnected_previously', async () => {
  const ha = await startTestHa({ codec: await codec() });
  let exited = 0;
  const sim = new SimProcess({ address: ha.address, codec: await codec(), processFid: TRACE_PROCESS, type: 'M0_CONF_HA_PROCESS_M0D', onDisconnectedPreviously: () => { exited++; } });
  try {
    await sim.connect();
    await sim.processEvent('M0_CONF_HA_PROCESS_STARTING');
    ha.shim.disconnect(ha.linkOf('0x7200000000000001:0x2')!);
    await ha.waitFor((r) => r.kind === 'disconnected');
    let code = 'none';
    try { await sim.processEvent('M0_CONF_HA_PROCESS_STARTED'); } catch (e) { code = (e as { code?: string }).code ?? '?'; }
    assert.is(code, 'HAX_ERR_SIM_DISCONNECTED_PREVIOUSLY');
    assert.is(exited, 1);
    // the reply reaches the process before the HA's JS has handled its batch: wait for it
    await ha.waitFor((r) => r.kind === 'link-absent');
    assert.not.ok(ha.log.some((r) => r.kind === 'received' && r.tag === 4));
  } finally {
    await sim.close();
    await ha.stop();
  }
});

test.run();
