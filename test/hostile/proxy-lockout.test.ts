// Issue 13, defect 5, end to end: blocking reads through hax's Consul proxy
// must not use up the agent's per-client connection limit for 127.0.0.1, the
// address hax, its CLI and every other local client share. A real agent runs
// with limits.http_max_conns_per_client = 50 (hax itself holds about nine
// connections for its own watches); a running hax (daemon, demo cluster) gets
// 65 blocking reads from several loopback addresses: past the proxy's bounds
// (32 in all, 8 per client: the documented defaults) they are refused with a
// coded 503 at once, while a direct client of the agent, hax's own Consul
// client and hax's watches keep working. When the clients go away, the
// proxy's upstream connections go too.
//
// What the proxy holds at the agent is read from /proc/net/tcp: established
// connections to the agent's HTTP port.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { startDevAgent, type DevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { demoCluster } from '../../src/demo/demo-cluster.ts';
import { startHax, type RunningHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';

const NODE = 'proxy-lockout';
const AGENT_LIMIT = 50;
const TOTAL = 32;
const PER_CLIENT = 8;
const KEY = 'proxy-lockout/watched';

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Established TCP connections to 127.0.0.1:port, from anyone on this host. */
function connectionsTo(port: number): number {
  const hex = ':' + port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)
    .filter((l) => { const f = l.trim().split(/\s+/); return f[2]?.endsWith(hex) && f[3] === '01'; }).length;
}

interface Answer { status: number; headers: IncomingMessage['headers']; body: string }
interface Pending { req: ClientRequest; from: string; answer?: Answer; error?: Error }

/** One HTTP exchange on its own connection (no pool), from a chosen loopback address. */
function exchange(url: string, method: string, path: string, from: string, body?: string): Pending {
  const u = new URL(url);
  const p = { from } as Pending;
  p.req = request({ host: u.hostname, port: u.port, method, path, localAddress: from, agent: false }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c) => { text += c; });
    res.on('end', () => { p.answer = { status: res.statusCode ?? 0, headers: res.headers, body: text }; });
    res.on('error', (e) => { p.error = e; });
  });
  p.req.on('error', (e) => { p.error = e; });
  p.req.end(body);
  return p;
}
const settled = (p: Pending) => p.answer !== undefined || p.error !== undefined;
async function result(p: Pending, what: string): Promise<Answer | Error> {
  await until(`an answer to ${what}`, () => settled(p));
  return p.error ?? p.answer!;
}
const describe = (r: Answer | Error) => r instanceof Error ? `failed: ${r.message}` : `${r.status} ${r.body.slice(0, 120)}`;

interface World { agent: DevAgent; consul: ConsulClient; hax: RunningHax; base: string; agentPort: number }
let world: World | undefined;
const opened: Pending[] = [];

test('blocking reads past the bounds get a coded 503 at once; the agent, hax\'s own client and hax\'s watches keep working', async () => {
  const agent = await startDevAgent({ nodeName: NODE, config: [{ limits: { http_max_conns_per_client: AGENT_LIMIT } }] });
  const consul = new ConsulClient(agent.url);
  await seedCluster(consul, demoCluster(NODE), NODE);
  const hax = await startHax({ consulUrl: agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: 0 } }, createLogger({ level: 'error', write: () => {} }));
  const base = `http://127.0.0.1:${hax.httpAddress.port}`;
  const agentPort = Number(new URL(agent.url).port);
  world = { agent, consul, hax, base, agentPort };

  assert.ok(await consul.kv.put(KEY, 'v1'));
  const index = (await consul.kv.get(KEY))!.entry.ModifyIndex;
  const read = `/v1/kv/${KEY}?index=${index}&wait=60s`;
  const baseline = connectionsTo(agentPort);

  // One client asks for one read more than its share ...
  const first = Array.from({ length: PER_CLIENT + 1 }, () => exchange(base, 'GET', read, '127.0.0.2'));
  opened.push(...first);
  await until(`${PER_CLIENT} proxied reads held at the agent`, () => connectionsTo(agentPort) >= baseline + PER_CLIENT);
  // ... then seven more clients ask for a full share each: 65 reads in all.
  const rest = Array.from({ length: 7 * PER_CLIENT }, (_, i) => exchange(base, 'GET', read, `127.0.0.${3 + Math.floor(i / PER_CLIENT)}`));
  opened.push(...rest);
  await until(`${TOTAL} proxied reads held at the agent`, () => connectionsTo(agentPort) >= baseline + TOTAL);

  // Meanwhile: a direct client of the agent, from 127.0.0.1 like hax, reads and writes.
  const directRead = await result(exchange(agent.url, 'GET', `/v1/kv/${KEY}`, '127.0.0.1'), 'a direct read');
  const directWrite = await result(exchange(agent.url, 'PUT', '/v1/kv/proxy-lockout/direct', '127.0.0.1', 'd'), 'a direct write');
  // hax's own Consul client (the daemon's transport, same process) writes and reads.
  const haxWrite = await consul.kv.put('proxy-lockout/hax', 'h').then((ok) => ok, (e: Error) => e);
  // hax answers its own API, and its watches still see Consul change.
  const statusRes = await result(exchange(base, 'GET', '/v1/cluster/status', '127.0.0.1'), 'GET /v1/cluster/status');
  assert.is(directRead instanceof Error ? directRead.message : directRead.status, 200, `a direct read of the agent while the proxy is full: ${describe(directRead)}`);
  assert.is(directWrite instanceof Error ? directWrite.message : directWrite.status, 200, `a direct write to the agent while the proxy is full: ${describe(directWrite)}`);
  assert.is(haxWrite, true, `hax's own Consul client while the proxy is full: ${String(haxWrite)}`);
  assert.is(statusRes instanceof Error ? statusRes.message : statusRes.status, 200, `hax's /v1/cluster/status: ${describe(statusRes)}`);
  const confd = (JSON.parse((statusRes as Answer).body) as { nodes: { processes: { fid: string; kind: string }[] }[] }).nodes[0].processes.find((p) => p.kind === 'confd')!;
  const event = await result(exchange(agent.url, 'PUT', `/v1/kv/processes/${confd.fid}`, '127.0.0.1', JSON.stringify({ state: 'M0_CONF_HA_PROCESS_STARTED', type: 'M0_CONF_HA_PROCESS_M0D' })), 'a process event written directly');
  assert.is(event instanceof Error ? event.message : event.status, 200);
  await until('hax\'s watch of processes/ to see the event', async () => {
    const s = await (await fetch(`${base}/v1/cluster/status`)).json() as { nodes: { processes: { fid: string; event: string | null }[] }[] };
    return s.nodes[0].processes.find((p) => p.fid === confd.fid)?.event === 'M0_CONF_HA_PROCESS_STARTED';
  });

  // The reads past the bounds were answered at once with the coded 503.
  const all = [...first, ...rest];
  await until(`${all.length - TOTAL} refusals`, () => all.filter((p) => p.answer?.status === 503 || p.error).length >= all.length - TOTAL);
  const errors = all.filter((p) => p.error);
  assert.equal(errors.map((p) => p.error!.message), [], 'no read through hax failed at the connection level');
  const refused = all.filter((p) => p.answer?.status === 503);
  const codes = refused.map((p) => (JSON.parse(p.answer!.body) as { error_type: string }).error_type);
  assert.is(codes.filter((c) => c === 'HAX_ERR_PROXY_CLIENT_BUSY').length, 1, 'one read past the per-client bound');
  assert.is(refused.find((p) => p.answer!.body.includes('HAX_ERR_PROXY_CLIENT_BUSY'))!.from, '127.0.0.2');
  assert.is(codes.filter((c) => c === 'HAX_ERR_PROXY_BUSY').length, all.length - TOTAL - 1, 'the rest past the total bound');
  for (const p of refused) assert.ok(/^\d+$/.test(String(p.answer!.headers['retry-after'])), 'Retry-After on every 503');

  console.log(`proxy-lockout: ${all.length} blocking reads through hax; ${TOTAL} held at the agent (limit ${AGENT_LIMIT} per client), `
    + `${refused.length} refused at once (${codes.filter((c) => c === 'HAX_ERR_PROXY_CLIENT_BUSY').length} HAX_ERR_PROXY_CLIENT_BUSY, ${codes.filter((c) => c === 'HAX_ERR_PROXY_BUSY').length} HAX_ERR_PROXY_BUSY); `
    + 'meanwhile a direct read and write, hax\'s own Consul client and hax\'s processes/ watch all worked');

  // The reads inside the bounds were real blocking reads: a change ends them all, with the new value.
  assert.ok(await consul.kv.put(KEY, 'v2'));
  const held = all.filter((p) => !refused.includes(p));
  assert.is(held.length, TOTAL);
  await until('every held read to return', () => held.every(settled));
  for (const p of held) {
    assert.is(p.answer?.status, 200, describe(p.error ?? p.answer!));
    assert.is((JSON.parse(p.answer!.body) as { Key: string }[])[0].Key, KEY);
  }
});

test('clients that go away take the proxy\'s upstream connections with them', async () => {
  assert.ok(world, 'the first test started the world');
  const { consul, base, agentPort } = world!;
  const index = (await consul.kv.get(KEY))!.entry.ModifyIndex;
  const baseline = connectionsTo(agentPort);
  const reads = Array.from({ length: TOTAL }, (_, i) => exchange(base, 'GET', `/v1/kv/${KEY}?index=${index}&wait=60s`, `127.0.0.${20 + Math.floor(i / PER_CLIENT)}`));
  opened.push(...reads);
  await until(`${TOTAL} proxied reads held at the agent`, () => connectionsTo(agentPort) >= baseline + TOTAL);
  for (const p of reads) p.req.destroy();
  await until('the proxy\'s upstream connections to close', () => connectionsTo(agentPort) <= baseline);
  // and the slots are free again: a new read goes through
  const again = await result(exchange(base, 'GET', `/v1/kv/${KEY}`, '127.0.0.20'), 'a read after the clients left');
  assert.is(again instanceof Error ? again.message : again.status, 200);
});

// Teardown, not a test: it runs even when a test failed, and is not counted.
test.after(async () => {
  for (const p of opened) p.req.destroy();
  if (!world) return;
  await world.hax.stop();
  await world.agent.stop();
  world = undefined;
});

test.run();
