// The cluster launcher (src/consul/cluster.ts) against real Consul agents:
// 3 servers and 2 clients form one cluster with a raft leader; a client
// killed with -9 is found failed by gossip and comes back alive; stop()
// leaves no agent process behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startConsulCluster, type ConsulCluster } from '../../src/consul/cluster.ts';
import { waitFor } from '../helpers/wait.ts';

let cluster: ConsulCluster | undefined;
test.after(async () => { await cluster?.stop(); });

const get = async <T>(url: string): Promise<T> => (await fetch(url)).json() as Promise<T>;
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };


const serfHealth = async (from: string, node: string) =>
  (await get<{ CheckID: string; Status: string }[]>(`${from}/v1/health/node/${node}`)).find((c) => c.CheckID === 'serfHealth')?.Status;

test('3 servers and 2 clients: one raft with 3 voters, every member alive from every agent', async () => {
  cluster = await startConsulCluster({ servers: 3, clients: 2, prefix: 'launch' });
  assert.equal(cluster.agents.map((a) => [a.name, a.server]), [['launch-1', true], ['launch-2', true], ['launch-3', true], ['launch-4', false], ['launch-5', false]]);
  const ports = cluster.agents.flatMap((a) => Object.values(a.ports));
  assert.is(new Set(ports).size, ports.length, 'every agent has its own ports');
  for (const a of cluster.agents) {
    const members = await get<{ Name: string; Status: number }[]>(`${a.url}/v1/agent/members`);
    assert.equal(members.map((m) => [m.Name, m.Status]).sort(), cluster.agents.map((b) => [b.name, 1]).sort(), a.name);
    assert.is((await get<string[]>(`${a.url}/v1/status/peers`)).length, 3, `${a.name} sees 3 raft voters`);
  }
});

test('a client killed with -9 is failed by gossip (serfHealth critical), and alive again after restart', async () => {
  const victim = cluster!.agent('launch-5');
  const server = cluster!.agent('launch-1');
  assert.is(await serfHealth(server.url, victim.name), 'passing');
  const pid = victim.pid();
  await victim.kill();
  assert.not.ok(alive(pid));
  await waitFor('serfHealth of the killed node critical', async () => await serfHealth(server.url, victim.name) === 'critical', 30_000, 200);
  await victim.restart();
  assert.is.not(victim.pid(), pid);
  await waitFor('serfHealth of the restarted node passing', async () => await serfHealth(server.url, victim.name) === 'passing', 30_000, 200);
});

test('stop() stops every agent by pid', async () => {
  const pids = cluster!.agents.map((a) => a.pid());
  assert.ok(pids.every(alive), 'positive control: every agent runs before stop()');
  await cluster!.stop();
  cluster = undefined;
  assert.equal(pids.filter(alive), []);
});

test.run();
