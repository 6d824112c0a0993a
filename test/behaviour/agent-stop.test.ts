// What the fault tests rely on when they stop the Consul agent
// (test/helpers/stop-process.ts): once stopProcess returns, a request the
// agent gets is neither applied nor answered until SIGCONT. A bare
// kill(SIGSTOP) does not promise that — its threads stop when they next run —
// and a PUT sent right after it is sometimes applied and answered; this is
// printed for comparison (how often depends on the machine's load).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDevAgent, type DevAgent } from '../../src/consul/dev-agent.ts';
import { stopProcess, allStopped, threadStates } from '../helpers/stop-process.ts';

const TRIES = 15;
/** How long a request to a stopped agent is given: it never answers, so this bounds the wait only. */
const NO_ANSWER_MS = 300;

let agent: DevAgent;
test.before(async () => { agent = await startDevAgent({ nodeName: 'agent-stop' }); });
test.after(async () => { try { process.kill(agent.pid, 'SIGCONT'); } catch { /* gone */ } await agent?.stop(); });

/** PUTs `value` at once; true when the agent applied it and answered while it should have been stopped. */
async function answered(value: string): Promise<boolean> {
  try {
    const res = await fetch(`${agent.url}/v1/kv/agent-stop`, { method: 'PUT', body: value, signal: AbortSignal.timeout(NO_ANSWER_MS) });
    return res.ok;
  } catch {
    return false;   // no answer in time: stopped
  }
}

async function resume(): Promise<void> {
  process.kill(agent.pid, 'SIGCONT');
  // the PUT the stopped agent held is applied now: wait for it, so the next try starts from a quiet agent
  const res = await fetch(`${agent.url}/v1/kv/agent-stop`, { method: 'PUT', body: 'resumed' });
  assert.ok(res.ok, 'the agent answers again after SIGCONT');
}

test('after stopProcess every agent thread is stopped and a PUT sent at once gets no answer', async () => {
  let bare = 0;
  for (let i = 0; i < TRIES; i++) {
    await fetch(`${agent.url}/v1/kv/agent-stop`, { method: 'PUT', body: `before ${i}` });
    process.kill(agent.pid, 'SIGSTOP');
    if (await answered(`bare ${i}`)) bare++;
    await resume();
  }
  for (let i = 0; i < TRIES; i++) {
    await fetch(`${agent.url}/v1/kv/agent-stop`, { method: 'PUT', body: `before ${i}` });
    await stopProcess(agent.pid);
    assert.ok(allStopped(agent.pid), `every thread stopped (${threadStates(agent.pid).join('')})`);
    assert.not.ok(await answered(`stopped ${i}`), `try ${i}: the agent answered a PUT sent after stopProcess returned`);
    await resume();
  }
  console.log(`a PUT sent right after kill(SIGSTOP) was answered in ${bare} of ${TRIES} tries; after stopProcess in 0 of ${TRIES}`);
});

test.run();
