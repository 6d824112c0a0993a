// GET /metrics after real traffic: links, messages by type, broadcasts,
// delivery latency, Consul request latency and errors, in Prometheus text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { demoCluster } from '../../src/demo/demo-cluster.ts';
import { startHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { Codec } from '../../src/core/codec.ts';
import { SimProcess, type Note } from '../../src/sim/sim-process.ts';
import { PROCESS_CONTAINER } from '../../src/fid.ts';
import { waitFor } from '../helpers/wait.ts';

const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

test('GET /metrics counts what hax did, in Prometheus text format', async () => {
  const node = 'metrics-node';
  const agent = await startDevAgent({ nodeName: node });
  let hax; let sim: SimProcess | undefined;
  try {
    const consul = new ConsulClient(agent.url);
    await seedCluster(consul, demoCluster(node), node);
    hax = await startHax({ consulUrl: agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: 0 } }, createLogger({ level: 'error', write: () => {} }));
    const running = hax;
    const base = `http://127.0.0.1:${hax.httpAddress.port}`;
    const notes: Note[] = [];
    sim = new SimProcess({ address: hax.haLinkAddresses[0], codec: await Codec.load(), processFid: { container: PROCESS_CONTAINER, key: 3n }, type: 'M0_CONF_HA_PROCESS_M0D', onNotes: (n) => notes.push(...n) });
    await sim.connect();
    await sim.processEvent('M0_CONF_HA_PROCESS_STARTING');
    await sim.processEvent('M0_CONF_HA_PROCESS_STARTED');
    await waitFor('the process\'s link in hax', () => running.links.active().length > 0);
    const body = JSON.stringify([{ Service: { ID: '3' }, Checks: [{ ServiceID: '3', Status: 'critical' }] }]);
    assert.is((await fetch(`${base}/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status, 200);
    await waitFor('the broadcast at the process, nothing pending on its link', () => notes.length > 0 && (running.links.view()[0]?.pending ?? 0) === 0);
    await fetch(`${base}/nope`);

    const res = await fetch(`${base}/metrics`);
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.is(value(text, 'hax_messages_total{type="EVENT_PROCESS"}'), 2);
    assert.is(value(text, 'hax_links{active="true"}'), 1);
    // STARTED and the failing check each broadcast (with their expansions) to the one link
    assert.ok((value(text, 'hax_broadcasts_total') ?? 0) >= 2, 'broadcasts counted');
    assert.ok((value(text, 'hax_broadcast_notes_total') ?? 0) >= 2, 'notes counted');
    assert.is(value(text, 'hax_delivery_latency_seconds_count'), value(text, 'hax_broadcasts_total'), 'every broadcast was delivered and timed');
    const writes = text.split('\n').filter((l) => /^hax_consul_request_seconds_count\{endpoint="(kv|txn)",method="PUT"\} [1-9]/.test(l));
    assert.ok(writes.length >= 1, 'the process events were written to Consul (kv or txn)');
    assert.ok((value(text, 'hax_consul_request_seconds_count{endpoint="catalog/service",method="GET"}') ?? 0) >= 1, 'the first catalog read is timed');
    assert.is(value(text, 'hax_http_requests_total{route="unmatched",status="404"}'), 1);
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      assert.match(line, /^[a-z_]+(\{([a-z_]+="[^"]*",?)*\})? [0-9.e+-]+$/, `a sample line: ${line}`);
    }
  } finally {
    await sim?.close();
    await hax?.stop();
    await agent.stop();
  }
});

test.run();
