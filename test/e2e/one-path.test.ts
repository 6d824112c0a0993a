// One real path through every layer, by the core's one rule set (the conf
// tree is seeded, so the model is loaded before the first link): a real Consul agent, hax with its real
// native shim and wasm core, and a simulated Motr process on a real socket.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDevAgent, freePort, type DevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { watchConfig } from '../../src/consul/watch-config.ts';
import { startHax, type RunningHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { Codec } from '../../src/core/codec.ts';
import { SimProcess, type Note } from '../../src/sim/sim-process.ts';
import { PROCESS_CONTAINER, formatFid } from '../../src/fid.ts';
import type { Cluster } from '../../src/bootstrap/cluster.ts';
import { until } from '../behaviour/_world.ts';

const NODE = 'e2e-node-1';
const address = 'inet:tcp:127.0.0.1';
const cluster: Cluster = {
  nodes: [{
    name: NODE,
    processes: [
      { kind: 'hax', fidk: 1, address, port: 22001, services: { ha: 1, rms: 2 } },
      { kind: 'confd', fidk: 2, address, port: 22002, services: { confd: 3, rms: 4 } },
      { kind: 'confd', fidk: 3, address, port: 22003, services: { confd: 5, rms: 6 } },
      { kind: 'confd', fidk: 4, address, port: 22004, services: { confd: 7, rms: 8 } },
      { kind: 'ios', fidk: 5, address, port: 21001, services: { ios: 9, rms: 10 } },
    ],
  }],
};
const pfid = (k: number) => ({ container: PROCESS_CONTAINER, key: BigInt(k) });

interface World { agent: DevAgent; consul: ConsulClient; hax: RunningHax; codec: Codec; logs: string[] }
let world: World | undefined;

async function up(): Promise<World> {
  if (world) return world;
  const httpPort = await freePort();
  const agent = await startDevAgent({ nodeName: NODE, config: [watchConfig({ haxUrl: `http://127.0.0.1:${httpPort}`, services: ['confd', 'ios'] })] });
  const consul = new ConsulClient(agent.url);
  await seedCluster(consul, cluster, NODE);
  const logs: string[] = [];
  const hax = await startHax({ consulUrl: agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: httpPort } }, createLogger({ level: 'debug', write: (l) => logs.push(l) }));
  world = { agent, consul, hax, codec: await Codec.load(), logs };
  return world;
}

test('an entrypoint reply carries the confds from Consul, quorum floor(n/2)+1 and the leader node\'s RM', async () => {
  const { hax, codec } = await up();
  const sim = new SimProcess({ address: hax.haLinkAddresses[0], codec, processFid: pfid(5), type: 'M0_CONF_HA_PROCESS_M0D' });
  try {
    const ep = await sim.connect();
    assert.is(ep.control, 'CONSUME');
    assert.equal([...ep.confds].sort(), ['0x7200000000000001:0x2', '0x7200000000000001:0x3', '0x7200000000000001:0x4']);
    assert.equal([...ep.confdEndpoints].sort(), [`${address}@22002`, `${address}@22003`, `${address}@22004`]);
    assert.is(ep.quorum, 2);
    // the leader node's confd is one of the three; its rms service fid comes from KV
    assert.ok(['0x7300000000000001:0x4', '0x7300000000000001:0x6', '0x7300000000000001:0x8'].includes(ep.rm), ep.rm);
  } finally { await sim.close(); }
});

test('a STARTED process event is recorded in Consul KV before hax acknowledges it', async () => {
  const { hax, codec, consul } = await up();
  const sim = new SimProcess({ address: hax.haLinkAddresses[0], codec, processFid: pfid(5), type: 'M0_CONF_HA_PROCESS_M0D' });
  try {
    await sim.connect();
    await sim.processEvent('M0_CONF_HA_PROCESS_STARTED');   // resolves when hax reported it delivered
    const stored = await consul.kv.get('processes/0x7200000000000001:0x5');
    assert.is(stored?.value, '{"state": "M0_CONF_HA_PROCESS_STARTED", "type": "M0_CONF_HA_PROCESS_M0D"}');
  } finally { await sim.close(); }
});

test('a Consul watch POST about a failing local process reaches the simulated process as an NVEC SET', async () => {
  const { hax, codec, consul } = await up();
  const received: Note[] = [];
  // the confd observes; the ios (fid 5) is the one whose check fails
  const sim = new SimProcess({ address: hax.haLinkAddresses[0], codec, processFid: pfid(2), type: 'M0_CONF_HA_PROCESS_M0D', onNotes: (n) => received.push(...n) });
  try {
    await sim.connect();
    await until('the link to appear in hax', () => hax.links.active().length > 0 ? true : undefined);
    // the agent's `ios` service watch fires when the check changes and POSTs to hax
    await consul.agent.setCheck('service:5', 'warn', 'e2e');
    const note = await until('TRANSIENT for ios 5', () => received.find((n) => n.fid === formatFid(pfid(5)) && n.state === 'M0_NC_TRANSIENT'));
    assert.ok(note);
    // the original's record of a process Consul saw fail: processes/<fid> STOPPED
    const stored = await until('processes/<fid> STOPPED', async () => {
      const v = await consul.kv.get('processes/0x7200000000000001:0x5');
      return v?.value.includes('STOPPED') ? v.value : undefined;
    });
    assert.is(stored, '{"state": "M0_CONF_HA_PROCESS_STOPPED", "type": "M0_CONF_HA_PROCESS_M0D"}');
    await consul.agent.setCheck('service:5', 'pass', 'e2e');
  } finally { await sim.close(); }
});

// Teardown, not a test: it runs even when a test failed, and is not counted.
test.after(async () => {
  if (!world) return;
  await world.hax.stop();
  await world.agent.stop();
  world = undefined;
});

test.run();
