// Fault test (2): the Consul agent stops answering for 30 s (SIGSTOP) while
// Motr processes keep sending. hax stays up, keeps answering entrypoints and
// NVEC GETs from its model, acknowledges nothing it could not record, and
// drains its backlog once the agent answers again; and a hax asked to stop
// while Consul is away still exits cleanly on SIGTERM.
//
// The outage starts when every thread of the agent has stopped, not when
// kill(SIGSTOP) returns (test/helpers/stop-process.ts): in between, the agent
// may still apply and answer a txn, and hax then rightly acknowledges its
// event. That is what CI once saw (1 of 40 acknowledged, backlog 40).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startWorld, until, sleep, F, NODE } from './_world.ts';
import { freePort } from '../../src/consul/dev-agent.ts';
import { stopProcess } from '../helpers/stop-process.ts';

const OUTAGE_MS = 30_000;

test('hax survives a 30 s Consul outage during traffic and drains its backlog when the agent returns', async () => {
  const w = await startWorld();
  try {
    const ios = await w.peer(3);
    const obs = await w.peer(2);
    await ios.processEvent('STARTED');
    await stopProcess(w.agent.pid);
    const outageStart = Date.now();
    let acked = 0;
    const sends: Promise<void>[] = [];
    const events = ['STOPPING', 'STARTING', 'STARTED', 'DTM_RECOVERED'];
    for (let i = 0; i < 40; i++) sends.push(ios.send('EVENT_PROCESS', { chp_event: `M0_CONF_HA_PROCESS_${events[i % 4]}`, chp_type: 'M0_CONF_HA_PROCESS_M0D', chp_pid: 1n }, F.ios3, 120_000).then(() => { acked++; }));
    await sleep(2000);
    const ackedDuringOutage = acked;
    // the links are still served: a new process gets its entrypoint, a GET its answer
    const late = await w.peer(4);
    const getsBefore = w.reasons('NVEC_GET_ANSWERED');
    await obs.send('NVEC', { hmnv_type: 'M0_HA_NVEC_GET', hmnv_id_of_get: 7n, hmnv_ignore_same_state: 0, hmnv_arr: [{ no_id: F.ios3, no_state: 'M0_NC_UNKNOWN' }] });
    assert.is(w.reasons('NVEC_GET_ANSWERED'), getsBefore + 1);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStart)));
    const backlog = w.hax.writer.backlog;
    const ackedBeforeReturn = acked;
    process.kill(w.agent.pid, 'SIGCONT');
    await Promise.all(sends);
    const drainedMs = Date.now() - outageStart - OUTAGE_MS;
    const final = (await w.consul.kv.get(`processes/${F.ios3}`))?.value;
    console.log(`consul outage: ${OUTAGE_MS / 1000} s, 40 events sent during it, ${ackedDuringOutage} acknowledged in its first 2 s, ${ackedBeforeReturn} before the agent returned, writer backlog ${backlog} job(s), all 40 acknowledged ${drainedMs} ms after it returned; hax answered an entrypoint and an NVEC GET meanwhile`);
    if (ackedBeforeReturn !== 0) {
      // the agent had stopped before the first event was sent: any acknowledgement now is hax's fault; say what it decided
      const decided = w.logs.filter((l) => /"reason":"(EVENT_|WRITE_|CONSUL_|MESSAGE_|LINK_)/.test(l)).slice(-80);
      console.log(`hax's decisions around the outage:\n${decided.join('\n')}`);
    }
    assert.is(ackedBeforeReturn, 0, 'nothing acknowledged while Consul could not record it');
    assert.is(acked, 40);
    assert.is(final, '{"state": "M0_CONF_HA_PROCESS_DTM_RECOVERED", "type": "M0_CONF_HA_PROCESS_M0D"}');
    late.close();
  } finally {
    try { process.kill(w.agent.pid, 'SIGCONT'); } catch { /* gone */ }
    await w.stop();
  }
});

test('hax exits cleanly on SIGTERM while the Consul agent does not answer', async () => {
  const w = await startWorld();
  const httpPort = await freePort();
  const hax = spawn(process.execPath, [fileURLToPath(new URL('../../bin/hax.js', import.meta.url)), 'run', '--consul', w.agent.url, '--listen', 'tcp:127.0.0.1:0', '--http', `127.0.0.1:${httpPort}`, '--log-level', 'error'], { stdio: 'ignore', env: { ...process.env, HARE_HAX_NODE_NAME: NODE } });
  try {
    await until('hax up', async () => { try { return (await fetch(`http://127.0.0.1:${httpPort}/`)).ok || undefined; } catch { return undefined; } }, 60_000);
    await stopProcess(w.agent.pid);
    await sleep(1000);
    const exited = new Promise<number | null>((r) => hax.once('exit', (code) => r(code)));
    hax.kill('SIGTERM');
    const code = await exited;
    assert.is(code, 0);
  } finally {
    try { process.kill(w.agent.pid, 'SIGCONT'); } catch { /* gone */ }
    if (hax.exitCode === null) hax.kill('SIGKILL');
    await w.stop();
  }
});

test.run();
