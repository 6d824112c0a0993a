// `hax sim`: N processes with their own fids, the m0d and m0mkfs scenarios,
// --stay until SIGTERM, and refusals of bad options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { Codec } from '../../src/core/codec.ts';
import { simCommand } from '../../src/cli/sim.ts';
import { startTestHa, type HaRecord } from './_ha.ts';

const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
let codecP: Promise<Codec> | undefined;
const codec = (): Promise<Codec> => (codecP ??= Codec.load());

const received = (log: HaRecord[], linkId: number | undefined) =>
  log.filter((r): r is HaRecord & { kind: 'received' } => r.kind === 'received' && r.linkId === linkId);

test('hax sim runs N m0mkfs processes with fids that follow by key, each saying all of trace a', async () => {
  const ha = await startTestHa({ codec: await codec() });
  try {
    const rc = await simCommand(['--connect', ha.address, '--processes', '3', '--first-fid', '0x7200000000000001:0x20', '--scenario', 'm0mkfs']);
    assert.is(rc, 0);
    for (const key of ['0x20', '0x21', '0x22']) {
      const msgs = received(ha.log, ha.linkOf(`0x7200000000000001:${key}`));
      assert.equal(msgs.map((r) => r.tag), [2, 4, 6, 8, 10, 12, 14, 16, 18, 20], key);
      assert.is(msgs[0]!.msg.fid, `0x7200000000000001:${key}`);
      assert.is((msgs[0]!.msg.body as { chp_type: string }).chp_type, 'M0_CONF_HA_PROCESS_M0MKFS');
    }
  } finally {
    await ha.stop();
  }
});

test('hax sim with the default m0d scenario sends its own conf services and asks FAILURE_VEC and NVEC', async () => {
  const ha = await startTestHa({ codec: await codec() });
  try {
    const rc = await simCommand(['--connect', ha.address, '--processes', '2']);
    assert.is(rc, 0);
    const msgs = received(ha.log, ha.linkOf('0x7200000000000001:0x11'));
    assert.is(msgs.length, 31);
    assert.equal(msgs.map((r) => r.msg.type).filter((t) => t !== 'EVENT_SERVICE' && t !== 'EVENT_PROCESS'), ['FAILURE_VEC_REQ', 'NVEC', 'EVENT_RPC']);
    // process 0x11 owns confd 2k-1 = 0x21 and RMS 2k = 0x22
    assert.ok(msgs.some((r) => r.msg.fid === '0x7300000000000001:0x21' && (r.msg.body as { chs_type: string }).chs_type === 'M0_CST_CONFD'));
    assert.ok(msgs.some((r) => r.msg.fid === '0x7300000000000001:0x22' && (r.msg.body as { chs_type: string }).chs_type === 'M0_CST_RMS'));
    assert.ok(ha.log.some((r) => r.kind === 'sent' && r.msg.type === 'FAILURE_VEC_REP'));
  } finally {
    await ha.stop();
  }
});

test('hax sim --pool asks the failure vector of that pool', async () => {
  const ha = await startTestHa({ codec: await codec() });
  try {
    const rc = await simCommand(['--connect', ha.address, '--first-fid', '0x7200000000000001:0x30', '--pool', '0x6f00000000000001:0x7']);
    assert.is(rc, 0);
    const req = received(ha.log, ha.linkOf('0x7200000000000001:0x30')).find((r) => r.msg.type === 'FAILURE_VEC_REQ');
    assert.is((req!.msg.body as { mfq_pool: string }).mfq_pool, '0x6f00000000000001:0x7');
  } finally {
    await ha.stop();
  }
});

test('hax sim --stay prints broadcasts and runs the shutdown part on SIGTERM', async () => {
  const ha = await startTestHa({ codec: await codec() });
  const child = spawn(process.execPath, [BIN, 'sim', '--connect', ha.address, '--stay', '--first-fid', '0x7200000000000001:0x2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const seen = (re: RegExp) => new Promise<void>((resolve) => {
    const check = (): void => { if (re.test(out)) { child.stdout!.off('data', check); resolve(); } };
    child.stdout!.on('data', check);
    check();
  });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    await seen(/m0d started/);
    const link = ha.linkOf('0x7200000000000001:0x2')!;
    ha.send(link, {
      fid: '0x7300000000000001:0x4', sourceProcess: '0x7200000000000001:0x1', sourceService: '0x7300000000000001:0x1', time: 0n, epoch: 0n,
      type: 'NVEC', body: { hmnv_type: 'M0_HA_NVEC_SET', hmnv_id_of_get: 0n, hmnv_ignore_same_state: 0, hmnv_arr: [{ no_id: '0x7300000000000001:0x4', no_state: 'M0_NC_TRANSIENT' }] },
    });
    await seen(/M0_HA_NVEC_SET id=0 0x7300000000000001:0x4=TRANSIENT/);
    child.kill('SIGTERM');
    assert.is(await exited, 0, out);
    assert.match(out, /m0d stopped/);
    const msgs = received(ha.log, link);
    assert.is(msgs.at(-1)!.tag, 62);
    assert.is((msgs.at(-1)!.msg.body as { chp_event: string }).chp_event, 'M0_CONF_HA_PROCESS_STOPPED');
  } finally {
    child.kill('SIGKILL');
    await ha.stop();
  }
});

for (const [what, args, re] of [
  ['an unknown scenario', ['--scenario', 'm0t1fs'], /--scenario "m0t1fs" must be one of m0d, m0mkfs/],
  ['a first fid that is not a process fid', ['--first-fid', '0x7300000000000001:0x1'], /--first-fid .* is not a process fid/],
  ['zero processes', ['--processes', '0'], /--processes "0" must be a whole number/],
  ['an address of another kind', ['--connect', 'udp:1.2.3.4:5'], /--connect "udp:1.2.3.4:5" is neither/],
  ['a pool fid that is not a pool', ['--pool', '0x7200000000000001:0x1'], /--pool .* is not a pool fid/],
  ['a flush timeout of zero', ['--flush-timeout', '0'], /--flush-timeout "0" must be a whole number from 1 to 3600/],
] as [string, string[], RegExp][]) {
  test(`hax sim refuses ${what} with exit status 2`, () => {
    const r = spawnSync(process.execPath, [BIN, 'sim', ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
  });
}

test.run();
