// `hax status` against a running hax, and its refusals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runHax } from '../helpers/cli.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

test('says which node is the RC, and when none is', () => {
  const base = { node: 'n2', nodes: [] };
  assert.is(formatStatus({ ...base, rc: { node: 'n1', rm: { fid: '0x7300000000000001:0x2', endpoint: 'inet:tcp:10.0.0.1@22001' } } }).split('\n')[0],
    'RC: n1; principal RM 0x7300000000000001:0x2 at inet:tcp:10.0.0.1@22001');
  assert.is(formatStatus({ ...base, rc: { node: 'n2:0a1b', rm: null } }).split('\n')[0], 'RC: n2:0a1b (this hax); principal RM not known yet');
  assert.match(formatStatus({ ...base, rc: { node: null, rm: null } }).split('\n')[0], /^RC: none \(no session holds the leader key: an election is under way/);
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
    // the RC first: bootstrap's seed gave this node the leader key
    assert.match(table.stdout.split('\n')[0]!, new RegExp(`^RC: ${node} \\(this hax\\); principal RM 0x7300000000000001:0x[0-9a-f]+ at \\S+$`));
    assert.is(JSON.parse(json.stdout).rc.node, node);
  } finally {
    await daemon?.stop();
    await agent.stop();
  }
});

test('sends the token from --token-file or HAX_HTTP_TOKEN to a hax that requires it on reads', async () => {
  const node = 'status-token-node';
  const agent = await startDevAgent({ nodeName: node });
  const dir = mkdtempSync(join(tmpdir(), 'hax-status-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'status-secret-42\n', { mode: 0o600 });
  const port = await freePort();
  let daemon: ChildProcess | undefined;
  try {
    await seedCluster(new ConsulClient(agent.url), demoCluster(node), node);
    daemon = spawn(process.execPath, [BIN, 'run', '--consul', agent.url, '--listen', `tcp:127.0.0.1:${await freePort()}`, '--http', `127.0.0.1:${port}`,
      '--token-file', tokenFile, '--token-on-reads', '--log-level', 'error'], { cwd: dir, stdio: 'ignore' });
    const http = `127.0.0.1:${port}`;
    let up = false;
    for (let i = 0; i < 300 && !up; i++) {
      try { up = (await fetch(`http://${http}/`)).ok; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    assert.ok(up, 'hax run did not answer GET / within 30 s');
    const without = await hax('status', '--http', http);
    assert.is(without.status, 1);
    assert.match(without.stderr, /requires its token .*--token-file.*\[HAX_ERR_HAX_UNREACHABLE\]/);
    const withFile = await hax('status', '--http', http, '--token-file', tokenFile, '--json');
    assert.is(withFile.status, 0, withFile.stderr);
    assert.is(JSON.parse(withFile.stdout).node, node);
    const withEnv = await new Promise<number | null>((resolve) => {
      spawn(process.execPath, [BIN, 'status', '--http', http], { env: { ...process.env, HAX_HTTP_TOKEN: 'status-secret-42' }, stdio: 'ignore' }).on('close', resolve);
    });
    assert.is(withEnv, 0);
  } finally {
    if (daemon && daemon.exitCode === null) { const gone = new Promise((r) => daemon!.once('exit', r)); daemon.kill('SIGTERM'); await gone; }
    await agent.stop();
  }
});

test('says clearly when hax is not running, with exit status 1', async () => {
  const r = spawnSync(process.execPath, [BIN, 'status', '--http', `127.0.0.1:${await freePort()}`], { encoding: 'utf8' });
  assert.is(r.status, 1);
  assert.match(r.stderr, /cannot reach hax at http:\/\/127\.0\.0\.1:\d+\/v1\/cluster\/status: .*\[HAX_ERR_HAX_UNREACHABLE\]/);
});

test.run();
