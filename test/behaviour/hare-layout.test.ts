// hax runs unchanged on a Consul seeded by the original's own layout
// (../shared/fixtures/hare-layout/seed.py, 10 nodes) and serves its
// processes: entrypoint, NVEC GET, process events, the service watch payload.
import { FIXTURES_DIR } from '../helpers/fixtures.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startDevAgent, freePort } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { startHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { Codec } from '../../src/core/codec.ts';
import { Peer, pfid, until } from './_world.ts';
import { formatFid } from '../../src/fid.ts';
import { testUnless } from '../helpers/skip.ts';

const FIXTURE = `${FIXTURES_DIR}hare-layout/`;
const present = existsSync(`${FIXTURE}seed.py`) && existsSync(`${FIXTURE}cluster-10.json`);

testUnless(present ? undefined : `the hare-layout fixture is absent (${FIXTURE}seed.py, cluster-10.json)`, 'hare layout')('serves the processes of a cluster seeded by the original hare layout (10 nodes)', async () => {
  const agent = await startDevAgent({ nodeName: 'srvnode-1:0a1b2c3d' });
  let hax;
  const peers: Peer[] = [];
  try {
    execFileSync('python3', [`${FIXTURE}seed.py`, 'load', '--cluster', `${FIXTURE}cluster-10.json`, '--consul', agent.url.replace('http://', '')], { stdio: 'pipe' });
    const consul = new ConsulClient(agent.url);
    hax = await startHax({ consulUrl: agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: await freePort() } }, createLogger({ level: 'error', write: () => {} }));
    assert.is(hax.identity.node, 'srvnode-1');
    assert.is(formatFid(hax.identity.processFid), '0x7200000000000001:0x1');
    const codec = await Codec.load();
    const ios = new Peer(hax.haLinkAddresses[0]!, codec, pfid(3), 'M0_CONF_HA_PROCESS_M0D');
    peers.push(ios);
    const rep = await ios.connect();
    assert.is(rep.confds.length, 10);
    assert.is(rep.quorum, 6);
    assert.is(formatFid(rep.rmFid), '0x7300000000000001:0x4');   // srvnode-1's confd rms (the leader is srvnode-1)
    // NVEC GET from the seeded states
    await ios.send('NVEC', { hmnv_type: 'M0_HA_NVEC_GET', hmnv_id_of_get: 1n, hmnv_ignore_same_state: 0, hmnv_arr: [
      { no_id: '0x7200000000000001:0x2', no_state: 'M0_NC_UNKNOWN' }, { no_id: '0x7200000000000001:0x3', no_state: 'M0_NC_UNKNOWN' },
      { no_id: '0x6b00000000000001:0x1', no_state: 'M0_NC_UNKNOWN' }, { no_id: '0x6e00000000000001:0x1', no_state: 'M0_NC_UNKNOWN' },
      { no_id: '0x7200000000000001:0x27', no_state: 'M0_NC_UNKNOWN' },
    ] });
    const get = await until('GET answer', () => ios.received.find((m) => m.type === 'NVEC'));
    const states = (get.body as { hmnv_arr: { no_state: string }[] }).hmnv_arr.map((n) => n.no_state);
    assert.equal(states, ['M0_NC_ONLINE', 'M0_NC_DTM_RECOVERING', 'M0_NC_ONLINE', 'M0_NC_DTM_RECOVERING', 'M0_NC_DTM_RECOVERING']);
    // a process event lands in the original's keys
    await ios.processEvent('DTM_RECOVERED');
    assert.is((await consul.kv.get('processes/0x7200000000000001:0x3'))?.value, '{"state": "M0_CONF_HA_PROCESS_DTM_RECOVERED", "type": "M0_CONF_HA_PROCESS_M0D"}');
    assert.match((await consul.kv.get('m0conf/nodes/0x6e00000000000001:0x1/processes/0x7200000000000001:0x3'))!.value, '"state": "online"');
    // the original's POST / payload: only srvnode-1's failing process is acted on
    const payload = JSON.parse(readFileSync(`${FIXTURE}payload-10-f0.1.json`, 'utf8'));
    const r = await hax.api.serviceHealth(payload, 100_000);
    assert.match(r.reason, /^HEALTH_ACTED/);
    assert.ok(r.notes.some((n) => n.fid === '0x7200000000000001:0x3' && n.state === 'M0_NC_TRANSIENT'), r.reason);
    assert.ok(!r.notes.some((n) => n.fid === '0x7200000000000001:0x7'), 'remote processes of live nodes are left to their own hax');
  } finally {
    for (const p of peers) p.close();
    await hax?.stop();
    await agent.stop();
  }
});

test.run();
