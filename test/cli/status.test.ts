// `hax status` against a running hax, and its refusals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runHax } from '../helpers/cli.ts';
import { spawnSync } from 'node:child_process';
import { startDevAgent, freePort } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { demoCluster } from '../../src/demo/demo-cluster.ts';
import { startHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { formatStatus } from '../../src/cli/status.ts';

const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
const hax = runHax;

test('formats nodes, processes, services and drives as an indented table', () => {
  const text = formatStatus({
    node: 'n1',
    nodes: [{ name: 'n1', fid: '0x6e00000000000001:0x1', state: 'M0_NC_ONLINE', processes: [
      { fid: '0x7200000000000001:0x3', kind: 'ios', endpoint: 'inet:tcp:127.0.0.1@21001', state: 'M0_NC_TRANSIENT', event: 'M0_CONF_HA_PROCESS_STARTED',
        services: [{ fid: '0x7300000000000001:0x5', type: 'ios', state: 'M0_NC_TRANSIENT' }],
        drives: [{ fid: '0x6b00000000000001:0x1', sdev: '0x6400000000000001:0x1', state: 'M0_NC_ONLINE' }] },
    ] }],
  });
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0], /^OBJECT\s+FID\s+ENDPOINT\s+HA STATE\s+LAST EVENT$/);
  assert.match(lines[1], /^node n1 \(this hax\)\s+0x6e00000000000001:0x1\s+M0_NC_ONLINE$/);
  assert.match(lines[2], /^  ios\s+0x7200000000000001:0x3\s+inet:tcp:127\.0\.0\.1@21001\s+M0_NC_TRANSIENT\s+STARTED$/);
  assert.match(lines[3], /^    ios\s+0x7300000000000001:0x5\s+M0_NC_TRANSIENT$/);
  assert.match(lines[4], /^    drive\s+0x6b00000000000001:0x1\s+sdev 0x6400000000000001:0x1\s+M0_NC_ONLINE$/);
});

test('prints the cluster of a running hax, as a table and as JSON', async () => {
  const node = 'status-node';
  const agent = await startDevAgent({ nodeName: node });
  let daemon;
  try {
    await seedCluster(new ConsulClient(agent.url), demoCluster(node), node);
    daemon = await startHax({ consulUrl: agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: 0 } }, createLogger({ level: 'error', write: () => {} }));
    const http = `127.0.0.1:${daemon.httpAddress.port}`;
    const table = await hax('status', '--http', http);
    assert.is(table.status, 0, table.stderr);
    for (const fid of ['0x7200000000000001:0x1', '0x7200000000000001:0x2', '0x7200000000000001:0x3', '0x7200000000000001:0x4']) assert.ok(table.stdout.includes(fid), fid);
    const json = await hax('status', '--http', http, '--json');
    assert.is(json.status, 0, json.stderr);
    assert.is(JSON.parse(json.stdout).node, node);
  } finally {
    await daemon?.stop();
    await agent.stop();
  }
});

test('says clearly when hax is not running, with exit status 1', async () => {
  const r = spawnSync(process.execPath, [BIN, 'status', '--http', `127.0.0.1:${await freePort()}`], { encoding: 'utf8' });
  assert.is(r.status, 1);
  assert.match(r.stderr, /cannot reach hax at http:\/\/127\.0\.0\.1:\d+\/v1\/cluster\/status: .*\[HAX_ERR_HAX_UNREACHABLE\]/);
});

test.run();
