// hax bootstrap on a real 5-agent Consul cluster (3 servers, 2 clients), run
// once from a client node: the KV is written once; every node's services end
// up registered on that node's own agent (bootstrap's own node at once, the
// others when their hax starts), each node keeps its real serfHealth, and
// the hax service and ports/<node>/hax say the HTTP port hax serves on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsulCluster, type ConsulCluster } from '../../src/consul/cluster.ts';
import { freePort } from '../../src/consul/dev-agent.ts';
import { runHax, HAX_BIN } from '../helpers/cli.ts';
import { waitFor } from '../helpers/wait.ts';

const NODES = 5;
let cluster: ConsulCluster | undefined;
const haxes: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'hax-cluster-bootstrap-'));

test.after(async () => {
  await Promise.all(haxes.map((h) => (h.exitCode === null ? new Promise((r) => { h.once('exit', r); h.kill('SIGTERM'); }) : undefined)));
  await cluster?.stop();
});

/** Five nodes: hax, an ios with one drive, and a confd on each server. */
function description(): string {
  const lines = ['nodes:'];
  for (let i = 1; i <= NODES; i++) {
    lines.push(`  - name: srvnode-${i}`, '    processes:', `      - { kind: hax, fidk: ${i * 10 + 1}, port: ${22000 + i * 10 + 1} }`,
      `      - { kind: ios, fidk: ${i * 10 + 2}, port: ${21000 + i * 10 + 2}, drives: [/dev/sdb] }`);
    if (i <= 3) lines.push(`      - { kind: confd, fidk: ${i * 10 + 3}, port: ${22000 + i * 10 + 3} }`);
  }
  return lines.join('\n') + '\n';
}
const fidksOf = (i: number) => [i * 10 + 1, i * 10 + 2, ...(i <= 3 ? [i * 10 + 3] : [])].map(String).sort();

const get = async <T>(url: string): Promise<T> => (await fetch(url)).json() as Promise<T>;
type NodeServices = { Services: Record<string, { ID: string; Service: string; Meta: Record<string, string> }> } | null;
const servicesOf = async (from: string, node: string) => Object.values((await get<NodeServices>(`${from}/v1/catalog/node/${node}`))?.Services ?? {})
  .filter((s) => s.Service !== 'consul');

test('bootstrap from a client node writes the KV once and registers only its own node\'s services', async () => {
  cluster = await startConsulCluster({ servers: 3, clients: 2, prefix: 'srvnode' });
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, description());
  const from = cluster.agent('srvnode-4');
  const r = await runHax('bootstrap', '--consul', from.url, '--cluster', file, '--leader', 'srvnode-4');
  assert.is(r.status, 0, r.stderr);
  const server = cluster.agent('srvnode-1').url;
  assert.equal((await servicesOf(server, 'srvnode-4')).map((s) => s.ID).sort(), fidksOf(4), 'the bootstrapping node\'s services are on its agent');
  for (const n of [1, 2, 3, 5]) assert.equal(await servicesOf(server, `srvnode-${n}`), [], `srvnode-${n}: nothing registered for it from elsewhere`);
  for (let i = 1; i <= NODES; i++) {
    const keys = (await get<string[]>(`${server}/v1/kv/hax/services/srvnode-${i}/?keys`)).map((k) => k.split('/').pop()!).sort();
    assert.equal(keys, fidksOf(i), `hax/services/srvnode-${i}/`);
  }
});

test('each node\'s hax registers its node\'s services on its own agent; every real serfHealth stays', async () => {
  const ports: number[] = [];
  for (let i = 1; i <= NODES; i++) {
    const a = cluster!.agent(`srvnode-${i}`);
    const port = await freePort();
    ports.push(port);
    haxes.push(spawn(process.execPath, [HAX_BIN, 'run', '--consul', a.url, '--listen', `tcp:127.0.0.1:${await freePort()}`, '--http', `127.0.0.1:${port}`, '--log-level', 'error'],
      { cwd: dir, stdio: 'ignore' }));
  }
  for (const port of ports) {
    await waitFor(`hax on port ${port} answering GET /`, async () => { try { return (await fetch(`http://127.0.0.1:${port}/`)).ok; } catch { return false; } }, 60_000, 200);
  }
  const server = cluster!.agent('srvnode-2').url;
  for (let i = 1; i <= NODES; i++) {
    const node = `srvnode-${i}`;
    const services = await servicesOf(server, node);
    assert.equal(services.map((s) => s.ID).sort(), fidksOf(i), `${node}'s services`);
    const hax = services.find((s) => s.Service === 'hax')!;
    assert.is(hax.Meta.http_port, String(ports[i - 1]), `${node}: the hax service says the port hax serves on`);
    const recorded = await get<{ Value: string }[]>(`${server}/v1/kv/ports/${node}/hax`);
    assert.equal(JSON.parse(Buffer.from(recorded[0].Value, 'base64').toString()), { http: ports[i - 1] }, `ports/${node}/hax`);
    const checks = await get<{ CheckID: string; Name: string; Status: string; Output: string }[]>(`${server}/v1/health/node/${node}`);
    const serf = checks.filter((c) => c.CheckID.toLowerCase() === 'serfhealth');
    assert.is(serf.length, 1, `${node}: one serfHealth`);
    assert.is(serf[0].CheckID, 'serfHealth');
    assert.is(serf[0].Status, 'passing');
    assert.match(serf[0].Output, /Agent alive and reachable/, `${node}: the agent's own serfHealth, not a written one`);
    // the node's agent holds them as its own (anti-entropy keeps them)
    const local = await get<Record<string, unknown>>(`${cluster!.agent(node).url}/v1/agent/services`);
    assert.equal(Object.keys(local).sort(), fidksOf(i), `${node}'s agent`);
  }
});

test.run();
