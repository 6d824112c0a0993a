// `hax bootstrap` with the documented example file, against a real agent,
// and its refusals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runHax } from '../helpers/cli.ts';
import { startDevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';

const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
const EXAMPLE = new URL('../../docs/examples/cluster.yaml', import.meta.url).pathname;
const hax = runHax;

test('writes docs/examples/cluster.yaml into Consul: m0conf, catalog services and the leader', async () => {
  const agent = await startDevAgent({ nodeName: 'srvnode-1' });
  try {
    const r = await hax('bootstrap', '--consul', agent.url, '--cluster', EXAMPLE);
    assert.is(r.status, 0, r.stderr);
    const consul = new ConsulClient(agent.url);
    assert.is((await consul.kv.get('m0conf/nodes/srvnode-1/processes/2/services/confd'))?.value, '3');
    assert.is((await consul.kv.get('m0conf/nodes/srvnode-1/processes/3/endpoint'))?.value, 'inet:tcp:127.0.0.1@21001');
    const leader = await consul.kv.get('leader');
    assert.ok(leader?.entry.Session, 'the leader key is held by a session');
    const confds = await consul.catalog.service('confd');
    assert.equal(confds.services.map((s) => s.ServiceID), ['2']);
  } finally {
    await agent.stop();
  }
});

test('refuses a missing cluster file and a file that is not a cluster', async () => {
  const none = await hax('bootstrap', '--cluster', '/nonexistent.yaml', '--consul', 'http://127.0.0.1:1');
  assert.ok(none.status !== 0);
  assert.match(none.stderr, /HAX_ERR_BAD_CLUSTER|cannot be read|ENOENT/);
  const notCluster = await hax('bootstrap', '--cluster', BIN, '--consul', 'http://127.0.0.1:1');
  assert.ok(notCluster.status !== 0);
  assert.match(notCluster.stderr, /HAX_ERR_BAD_CLUSTER/);
});

test.run();
