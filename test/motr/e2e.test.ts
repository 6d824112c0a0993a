// hax with real Motr (issue 12): real m0mkfs and m0d processes against
// `hax run --backend motr` on a real Consul agent, in the eight scenarios of
// docs/motr.md. Runs when MOTR_ROOT points at a built Motr tree and the shim
// was built with the motr backend; otherwise every test is reported skipped
// with the reason. The tests share one cluster and run in order: each
// scenario starts from the state the previous one left.
//
// Cluster (one node): hax (process 1), a confd m0d (process 2, reads conf.xc
// made by `hax bootstrap --motr-conf` + m0confgen), an ios m0d (process 3,
// started without -c: it fetches its conf from the confd).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, truncateSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevAgent, freePort, type DevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { runHax } from '../helpers/cli.ts';
import { Child, confgen, motrTools, runM0, type MotrProcess, type MotrTools } from './_motr.ts';

const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
const tools = motrTools();
const skip = 'skip' in tools ? tools.skip : undefined;
const t = skip ? test.skip : test;
if (skip) console.log(`skipped (test/motr/e2e.test.ts): ${skip}`);

const ROWS: { scenario: string; result: string; detail: string }[] = [];
/** Runs one scenario and records its row for the table e2e.sh prints. */
function scenario(name: string, body: () => Promise<string>): void {
  t(name, async () => {
    const t0 = Date.now();
    try {
      const detail = await body();
      ROWS.push({ scenario: name, result: 'pass', detail: `${detail} (${((Date.now() - t0) / 1000).toFixed(1)} s)` });
    } catch (error) {
      ROWS.push({ scenario: name, result: 'FAIL', detail: (error as Error).message.split('\n')[0]!.slice(0, 160) });
      throw error;
    }
  });
}

const PROCESS = (k: number) => `0x7200000000000001:0x${k.toString(16)}`;
let dir = '';
let agent: DevAgent | undefined;
let consul: ConsulClient;
let hax: Child | undefined;
let haxRuns = 0;
let httpPort = 0;
let haEndpoint = '';
const confd: MotrProcess = { name: 'confd', fid: PROCESS(2), port: 0, dir: '' };
const ios: MotrProcess = { name: 'ios', fid: PROCESS(3), port: 0, dir: '' };
const m0ds = new Map<string, Child>();

interface LinkView { linkId: number; processFid: string; active: boolean; sent: number; delivered: number; pending: number }
const links = async (): Promise<LinkView[]> => (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/links`)).json()) as LinkView[];
const processState = async (fid: string) => (await consul.kv.get(`processes/${fid}`))?.value ?? '';

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startHaxChild(): Promise<Child> {
  haxRuns += 1;
  const c = new Child('hax', process.execPath, [BIN, 'run', '--backend', 'motr', '--consul', agent!.url, '--http', `127.0.0.1:${httpPort}`],
    join(dir, `hax-${haxRuns}.log`));
  await c.waitFor('"hax ready"', 60_000);
  return c;
}

async function startM0d(p: MotrProcess, tag: string): Promise<Child> {
  const m = runM0(tools as MotrTools, 'm0d', p, haEndpoint, tag);
  m0ds.set(p.name, m);
  await m.waitFor('Started', 90_000);
  return m;
}

test.before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'hax-motr-e2e-'));
  agent = await startDevAgent({ nodeName: 'motr-node' });
  consul = new ConsulClient(agent.url);
  const [haxPort, confdPort, iosPort] = [await freePort(), await freePort(), await freePort()];
  httpPort = await freePort();
  haEndpoint = `inet:tcp:127.0.0.1@${haxPort}`;
  Object.assign(confd, { port: confdPort, dir: join(dir, 'confd'), conf: join(dir, 'conf.xc') });
  Object.assign(ios, { port: iosPort, dir: join(dir, 'ios') });
  const drives = [join(dir, 'disk1'), join(dir, 'disk2')];
  for (const d of drives) { writeFileSync(d, ''); truncateSync(d, 1 << 30); }
  writeFileSync(join(dir, 'cluster.yaml'), [
    'nodes:',
    '  - name: motr-node',
    '    address: inet:tcp:127.0.0.1',
    '    processes:',
    `      - { kind: hax, fidk: 1, port: ${haxPort} }`,
    `      - { kind: confd, fidk: 2, port: ${confdPort} }`,
    `      - { kind: ios, fidk: 3, port: ${iosPort}, drives: [${drives.join(', ')}] }`,
    'pools:',
    '  - name: the pool',
    '',
  ].join('\n'));
  const b = await runHax('bootstrap', '--consul', agent.url, '--cluster', join(dir, 'cluster.yaml'), '--motr-conf', join(dir, 'conf.txt'));
  if (b.status !== 0) throw new Error(`hax bootstrap failed: ${b.stderr}`);
  confgen(tools as MotrTools, join(dir, 'conf.txt'), confd.conf!);
  hax = await startHaxChild();
});

test.after(async () => {
  if (skip) return;
  for (const m of m0ds.values()) { m.kill('SIGKILL'); await m.exited; }
  hax?.kill('SIGKILL');
  await hax?.exited;
  await agent?.stop();
  console.log(`\nreal-Motr scenarios (logs in ${dir}):`);
  console.log('| # | scenario | result | detail |\n| --- | --- | --- | --- |');
  ROWS.forEach((r, i) => console.log(`| ${i + 1} | ${r.scenario} | ${r.result} | ${r.detail} |`));
  if (ROWS.every((r) => r.result === 'pass')) rmSync(dir, { recursive: true, force: true });
});

scenario('1. m0mkfs (confd, with conf.xc) exits 0', async () => {
  const mkfs = runM0(tools as MotrTools, 'm0mkfs', confd, haEndpoint, 'mkfs');
  const { code, signal } = await mkfs.waitExit(180_000);
  assert.is(code, 0, `m0mkfs exit ${code} ${signal ?? ''}; log ${mkfs.log}`);
  // m0mkfs never disconnects: hax drops its link once its last message's confirmation went out
  await until('the m0mkfs link gone', async () => (await links()).every((l) => l.processFid !== confd.fid) || undefined);
  return 'rc 0; its link gone';
});

scenario('2. m0d (confd) reaches "Started"; processes/<fid> records it', async () => {
  await startM0d(confd, 'run1');
  const state = await until('processes/<confd> DTM_RECOVERED', async () => (await processState(confd.fid)).includes('DTM_RECOVERED') ? await processState(confd.fid) : undefined);
  assert.match(state, '"type": "M0_CONF_HA_PROCESS_M0D"');
  return 'Started; processes/<confd> DTM_RECOVERED (a confd\'s STARTED is recorded so)';
});

scenario('7. an ios on the same node: m0mkfs and m0d start from the confd\'s conf (no -c)', async () => {
  assert.is(ios.conf, undefined);
  const mkfs = runM0(tools as MotrTools, 'm0mkfs', ios, haEndpoint, 'mkfs');
  const { code } = await mkfs.waitExit(180_000);
  assert.is(code, 0, `ios m0mkfs exit ${code}; log ${mkfs.log}`);
  await startM0d(ios, 'run1');
  const state = await until('processes/<ios> STARTED', async () => /"M0_CONF_HA_PROCESS_(STARTED|DTM_RECOVERED)", "type": "M0_CONF_HA_PROCESS_M0D"/.test(await processState(ios.fid)) ? await processState(ios.fid) : undefined);
  return `m0mkfs rc 0, m0d Started; ${JSON.parse(state).state}`;
});

scenario('3. an ios check fails (watch POST): the confd m0d receives the NVEC SET, delivery confirmed, and stays up', async () => {
  const before = (await links()).find((l) => l.processFid === confd.fid && l.active);
  assert.ok(before, 'the confd has an active link');
  assert.is((await fetch(`${agent!.url}/v1/agent/check/fail/service:3?note=e2e`, { method: 'PUT' })).status, 200);
  // what Consul's watch would POST: the ios service's health, now critical
  const res = await fetch(`${agent!.url}/v1/health/service/ios`);
  const post = await fetch(`http://127.0.0.1:${httpPort}/`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'X-Consul-Index': res.headers.get('x-consul-index') ?? '0' }, body: await res.text(),
  });
  assert.is(post.status, 200);
  const after = await until('a broadcast to the confd, delivered', async () => {
    const l = (await links()).find((x) => x.linkId === before.linkId);
    return l && l.sent > before.sent && l.pending === 0 && l.delivered === l.sent ? l : undefined;
  });
  assert.match(await processState(ios.fid), 'M0_CONF_HA_PROCESS_STOPPED', 'the ios was recorded down');
  await fetch(`${agent!.url}/v1/agent/check/pass/service:3`, { method: 'PUT' });
  assert.ok(m0ds.get('confd')!.alive(), 'the confd m0d is still running');
  return `${after.sent - before.sent} message(s) to the confd, all delivered; confd up`;
});

scenario('4. m0d SIGTERM: exits 0 within 10 s; STOPPED recorded; its links gone', async () => {
  let m = m0ds.get('ios')!;
  if (!m.alive()) m = await startM0d(ios, 'run2');
  const t0 = Date.now();
  m.kill('SIGTERM');
  const { code } = await m.waitExit(10_000);
  assert.is(code, 0);
  const took = Date.now() - t0;
  await until('processes/<ios> STOPPED', async () => (await processState(ios.fid)).includes('"M0_CONF_HA_PROCESS_STOPPED"') || undefined);
  await until('its links gone from /api/v1/links', async () => (await links()).every((l) => l.processFid !== ios.fid) || undefined);
  return `exit 0 after ${(took / 1000).toFixed(1)} s; STOPPED; links gone`;
});

interface LogLine { reason?: string; msg?: string; first?: boolean; actions?: string[] }
const logLines = (text: string): LogLine[] => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

scenario('5. m0d kill -9 and restart: FAILED broadcast before the new entrypoint reply; it starts again', async () => {
  await startM0d(ios, 'run3');
  const m = m0ds.get('ios')!;
  const mark = hax!.output().length;
  m.kill('SIGKILL');
  await m.exited;
  await startM0d(ios, 'run4');
  const restart = logLines(hax!.output().slice(mark)).find((l) => l.reason === 'ENTRYPOINT_RESTART_DETECTED' && l.msg!.includes(ios.fid));
  assert.ok(restart, 'the new incarnation\'s first entrypoint was seen as a restart');
  const a = restart.actions!;
  assert.ok(a.indexOf('broadcast') >= 0 && a.indexOf('broadcast') < a.indexOf('await-delivery') && a.indexOf('await-delivery') < a.indexOf('reply-entrypoint'),
    `FAILED broadcast, then delivery awaited, then the reply: ${a.join(', ')}`);
  assert.match(restart.msg!, `${ios.fid} FAILED`);
  return `${a.join(' → ')}; Started again`;
});

scenario('6. hax kill -9 and restart on the same endpoint: m0d reconnects, nothing lost or duplicated', async () => {
  hax!.kill('SIGKILL');
  await hax!.exited;
  hax = await startHaxChild();
  const mark = hax.output().length;
  // an idle m0d notices the new hax when it next sends (d-ha-kill9-restart.jsonl: at its SIGTERM)
  const m = m0ds.get('ios')!;
  m.kill('SIGTERM');
  const { code } = await m.waitExit(30_000);
  assert.is(code, 0, 'the ios m0d reconnected, sent its last events, got them confirmed and exited 0');
  const lines = logLines(hax.output().slice(mark));
  const events = lines.filter((l) => l.msg?.startsWith(`${ios.fid} M0_CONF_HA_PROCESS_`)).map((l) => l.msg!.split(' ')[1]);
  assert.equal(events, ['M0_CONF_HA_PROCESS_STOPPING', 'M0_CONF_HA_PROCESS_STOPPED'], `each event recorded once: ${events.join(', ')}`);
  assert.ok(lines.some((l) => l.reason?.startsWith('ENTRYPOINT') && l.msg!.includes(ios.fid) && l.first === false), 'it came back with a not-first entrypoint (reconnect)');
  assert.match(await processState(ios.fid), 'M0_CONF_HA_PROCESS_STOPPED');
  assert.ok(m0ds.get('confd')!.alive(), 'the confd m0d still runs');
  return 'reconnected; STOPPING, STOPPED recorded once each; exit 0';
});

scenario('8. hax SIGTERM while m0d runs: hax exits 0', async () => {
  assert.ok(m0ds.get('confd')!.alive());
  hax!.kill('SIGTERM');
  const { code } = await hax!.waitExit(30_000);
  assert.is(code, 0);
  assert.ok(m0ds.get('confd')!.alive(), 'the confd m0d is unaffected');
  hax = undefined;
  return 'exit 0 with the confd m0d running';
});

test.run();
