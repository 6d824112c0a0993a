// The one-node demo (`hax demo --nodes 1`), end to end. The default, three
// nodes, is test/cli/demo-cluster.test.ts's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;

test('hax demo --nodes 1 starts Consul, hax and simulated processes, shows a broadcast, and exits 0', () => {
  const r = spawnSync(process.execPath, [BIN, 'demo', '--nodes', '1', '--for', '1'], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, r.stderr + r.stdout.slice(-2000));
  assert.match(r.stdout, /Consul agent http:\/\/127\.0\.0\.1:\d+ \(pid \d+\)/);
  assert.match(r.stdout, /entrypoint: 1 confd\(s\) \[0x7200000000000001:0x2\], quorum 1/);
  assert.match(r.stdout, /hax acknowledged it once Consul held processes\/0x7200000000000001:0x3 = \{"state": "M0_CONF_HA_PROCESS_STARTED"/);
  assert.match(r.stdout, /received from hax: .*0x7200000000000001:0x3 → M0_NC_TRANSIENT/);
  assert.match(r.stdout, /received from hax: .*0x7200000000000001:0x3 → M0_NC_ONLINE/);
  assert.match(r.stdout, /demo: stopping/);
  // the agent it started is gone (stopped by pid; a zombie waiting for its exit status to be read is gone too)
  const pid = Number(/Consul agent http:\/\/127\.0\.0\.1:\d+ \(pid (\d+)\)/.exec(r.stdout)![1]);
  let state = '';
  try { state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]!; } catch { /* gone */ }
  assert.ok(state === '' || state === 'Z', `the Consul agent (pid ${pid}) is still running (state ${state})`);
});

test.run();
