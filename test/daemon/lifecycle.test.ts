// hax run as an operator runs it: a child process under a systemd-style
// notification socket, against a real Consul agent. It says READY=1 once it
// serves, waits for Consul when Consul is not there yet, and on SIGTERM
// drains and exits 0 without losing an acknowledged event.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { startDevAgent, freePort } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { demoCluster } from '../../src/demo/demo-cluster.ts';
import { Codec } from '../../src/core/codec.ts';
import { SimProcess, type ProcessEvent } from '../../src/sim/sim-process.ts';
import { PROCESS_CONTAINER, formatFid } from '../../src/fid.ts';
import { openNotifySocket } from '../helpers/notify-socket.ts';
import { waitFor } from '../helpers/wait.ts';

const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
const CYCLE: ProcessEvent[] = ['M0_CONF_HA_PROCESS_STARTING', 'M0_CONF_HA_PROCESS_STARTED', 'M0_CONF_HA_PROCESS_STOPPING', 'M0_CONF_HA_PROCESS_STOPPED'];

function spawnHax(args: string[], notifySocket: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'run', ...args], { env: { ...process.env, NOTIFY_SOCKET: notifySocket }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

test('sends READY=1 once it serves; on SIGTERM during traffic it exits 0 and every acknowledged event is in Consul', async () => {
  const node = 'life-node';
  const agent = await startDevAgent({ nodeName: node });
  const notify = await openNotifySocket();
  const [haPort, httpPort] = [await freePort(), await freePort()];
  const hax = spawnHax(['--consul', agent.url, '--listen', `tcp:127.0.0.1:${haPort}`, '--http', `127.0.0.1:${httpPort}`], notify.path);
  const sims: SimProcess[] = [];
  try {
    const consul = new ConsulClient(agent.url);
    await seedCluster(consul, demoCluster(node), node);
    const ready = await notify.waitFor('READY=1');
    assert.match(ready, /STATUS=serving tcp:127\.0\.0\.1:\d+/);
    assert.is((await fetch(`http://127.0.0.1:${httpPort}/`)).status, 200);

    const codec = await Codec.load();
    const acked = new Map<string, ProcessEvent[]>();
    const sent = new Map<string, ProcessEvent[]>();
    let stop = false;
    const loops: Promise<void>[] = [];
    for (const key of [2n, 3n, 4n]) {
      const fid = formatFid({ container: PROCESS_CONTAINER, key });
      acked.set(fid, []); sent.set(fid, []);
      // one incarnation per cycle, as a real process: STOPPED ends it (hax then drops its
      // link) and the next one connects afresh
      loops.push((async () => {
        let sim: SimProcess | undefined;
        for (let i = 0; !stop; i++) {
          const ev = CYCLE[i % CYCLE.length];
          if (ev === CYCLE[0]) {
            sim = new SimProcess({ address: `tcp:127.0.0.1:${haPort}`, codec, processFid: { container: PROCESS_CONTAINER, key }, type: 'M0_CONF_HA_PROCESS_M0D' });
            sims.push(sim);
            try { await sim.connect(); } catch { return; }                 // hax went away
          }
          sent.get(fid)!.push(ev);
          try { await sim!.processEvent(ev, 5_000); } catch { return; }   // hax went away: unacknowledged
          acked.get(fid)!.push(ev);
          if (ev === CYCLE[3]) await sim!.close();
        }
      })());
    }
    const enough = Date.now() + 120_000;
    while ([...acked.values()].some((a) => a.length < 20)) {
      assert.ok(Date.now() < enough, `every process had 20 events acknowledged within 120 s: ${[...acked.values()].map((a) => a.length).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    hax.child.kill('SIGTERM');
    const code = await hax.exited;
    stop = true;
    await Promise.all(loops);
    assert.is(code, 0, hax.output().slice(-3000));
    await notify.waitFor('STOPPING=1');
    let total = 0;
    for (const [fid, events] of acked) {
      total += events.length;
      const kv = await consul.kv.get(`processes/${fid}`);
      const state = JSON.parse(kv!.value).state as ProcessEvent;
      // durable: the last acknowledged event, or one sent after it that landed before the stop
      // (a confd's STARTED is stored as DTM_RECOVERED: hax-reference.md §4.2, the confd rule)
      const confd = fid === '0x7200000000000001:0x2';
      const stored = (ev: ProcessEvent): ProcessEvent => (confd && ev === 'M0_CONF_HA_PROCESS_STARTED' ? 'M0_CONF_HA_PROCESS_DTM_RECOVERED' as ProcessEvent : ev);
      const after = sent.get(fid)!.slice(events.length - 1).map(stored);
      assert.ok(after.includes(state), `${fid}: Consul holds ${state}; last acknowledged ${events.at(-1)}`);
    }
    console.log(`lifecycle: ${total} events acknowledged across 3 processes before SIGTERM; each one's final state is durable`);
  } finally {
    for (const s of sims) await s.close();
    if (hax.child.exitCode === null) hax.child.kill('SIGKILL');
    notify.close();
    await agent.stop();
  }
});

test('waits for Consul at start-up, then becomes ready when the agent appears', async () => {
  const consulPort = await freePort();
  const notify = await openNotifySocket();
  const hax = spawnHax(['--consul', `http://127.0.0.1:${consulPort}`, '--listen', 'tcp:127.0.0.1:0', '--http', '127.0.0.1:0'], notify.path);
  let agent;
  try {
    await waitFor('hax to say it is waiting for Consul ("retrying")', () => /retrying/.test(hax.output()));
    assert.is(hax.child.exitCode, null, 'hax is still running');
    assert.is(notify.datagrams.filter((d) => d.includes('READY=1')).length, 0, 'not ready without Consul');
    agent = await startDevAgent({ nodeName: 'late-node', httpPort: consulPort });
    await notify.waitFor('READY=1');
    hax.child.kill('SIGTERM');
    assert.is(await hax.exited, 0);
  } finally {
    if (hax.child.exitCode === null) hax.child.kill('SIGKILL');
    notify.close();
    await agent?.stop();
  }
});

test('a SIGTERM while it still waits for Consul exits 0', async () => {
  const notify = await openNotifySocket();
  const hax = spawnHax(['--consul', `http://127.0.0.1:${await freePort()}`, '--listen', 'tcp:127.0.0.1:0', '--http', '127.0.0.1:0'], notify.path);
  try {
    await waitFor('hax to say it is waiting for Consul ("retrying")', () => /retrying/.test(hax.output()));
    hax.child.kill('SIGTERM');
    assert.is(await hax.exited, 0, hax.output().slice(-2000));
    assert.match(hax.output(), /stopped before start-up completed/);
  } finally {
    if (hax.child.exitCode === null) hax.child.kill('SIGKILL');
    notify.close();
  }
});

test('runs on when its log stream breaks (journald restarted, `hax run | head`), and says so once on stderr', async () => {
  const node = 'log-node';
  const agent = await startDevAgent({ nodeName: node });
  const notify = await openNotifySocket();
  const httpPort = await freePort();
  const hax = spawnHax(['--consul', agent.url, '--listen', 'tcp:127.0.0.1:0', '--http', `127.0.0.1:${httpPort}`, '--log-level', 'debug'], notify.path);
  let stderr = '';
  hax.child.stderr!.on('data', (d) => { stderr += d; });
  try {
    await seedCluster(new ConsulClient(agent.url), demoCluster(node), node);
    await notify.waitFor('READY=1');
    assert.match(hax.output(), /"msg":"hax ready"/, 'positive control: the log reached stdout');
    hax.child.stdout!.destroy();
    // more log lines: each status query is a decision logged at debug
    for (let i = 0; i < 20; i++) assert.is((await fetch(`http://127.0.0.1:${httpPort}/v1/cluster/status`)).status, 200);
    await waitFor('the broken log stream noticed', () => /writing the log to stdout failed \(EPIPE\)/.test(stderr), 10_000, 50, () => stderr.slice(-500));
    assert.is(hax.child.exitCode, null, 'hax still runs');
    assert.is((await fetch(`http://127.0.0.1:${httpPort}/`)).status, 200);
    assert.is(stderr.match(/writing the log to stdout failed/g)!.length, 1, 'said once');
    hax.child.kill('SIGTERM');
    assert.is(await hax.exited, 0);
  } finally {
    if (hax.child.exitCode === null) hax.child.kill('SIGKILL');
    await agent.stop();
    notify.close();
  }
});

test.run();
