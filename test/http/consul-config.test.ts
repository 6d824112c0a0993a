// `hax consul-config` output, loaded into a real Consul agent, drives a
// broadcast end to end: the agent's watch POSTs to hax (with the token),
// and the simulated Motr process receives the note.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevAgent, freePort } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { demoCluster } from '../../src/demo/demo-cluster.ts';
import { startHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { Codec } from '../../src/core/codec.ts';
import { SimProcess, type Note } from '../../src/sim/sim-process.ts';
import { PROCESS_CONTAINER } from '../../src/fid.ts';
import { waitFor } from '../helpers/wait.ts';

const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
const hax = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

test('prints one service watch per service and the bq/ keyprefix watch, with the token header', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hax-cc-'));
  writeFileSync(join(dir, 'token'), 's3cret-token-123\n');
  const r = hax('consul-config', '--http', '127.0.0.1:18008', '--services', 'confd,ios', '--token-file', join(dir, 'token'));
  assert.is(r.status, 0, r.stderr);
  const cfg = JSON.parse(r.stdout) as { watches: { type: string; service?: string; prefix?: string; http_handler_config: { path: string; header?: Record<string, string[]> } }[] };
  assert.equal(cfg.watches.map((w) => [w.type, w.service ?? w.prefix, w.http_handler_config.path]), [
    ['service', 'confd', 'http://127.0.0.1:18008/'],
    ['service', 'ios', 'http://127.0.0.1:18008/'],
    ['keyprefix', 'bq/', 'http://127.0.0.1:18008/watcher/bq'],
  ]);
  for (const w of cfg.watches) assert.equal(w.http_handler_config.header, { Authorization: ['Bearer s3cret-token-123'] });
});

test('refuses a bad service list and an unreadable token file', () => {
  assert.is(hax('consul-config', '--services', 'ios,has space').status, 2);
  const r = hax('consul-config', '--token-file', '/nonexistent/token');
  assert.is(r.status, 2);
  assert.match(r.stderr, /cannot be read: ENOENT/);
});

test('a Consul agent loaded with its output makes hax broadcast to a simulated process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hax-cc-'));
  writeFileSync(join(dir, 'token'), 'another-token-456');
  const port = await freePort();
  const out = hax('consul-config', '--http', `127.0.0.1:${port}`, '--services', 'ios', '--token-file', join(dir, 'token'));
  assert.is(out.status, 0, out.stderr);
  const node = 'cc-node';
  const agent = await startDevAgent({ nodeName: node, config: [JSON.parse(out.stdout)] });
  let daemon;
  const sim = { p: undefined as SimProcess | undefined };
  try {
    const consul = new ConsulClient(agent.url);
    await seedCluster(consul, demoCluster(node), node);
    daemon = await startHax({ consulUrl: agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port, token: 'another-token-456' } }, createLogger({ level: 'error', write: () => {} }));
    const notes: Note[] = [];
    sim.p = new SimProcess({ address: daemon.haLinkAddresses[0], codec: await Codec.load(), processFid: { container: PROCESS_CONTAINER, key: 3n }, type: 'M0_CONF_HA_PROCESS_M0D', onNotes: (n) => notes.push(...n) });
    await sim.p.connect();
    const running = daemon;
    await waitFor('the process\'s link in hax', () => running.links.active().length > 0);
    await consul.agent.setCheck('service:4', 'warn', 'consul-config test');
    for (let i = 0; i < 400 && !notes.some((n) => n.fid === '0x7200000000000001:0x4' && n.state === 'M0_NC_TRANSIENT'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(notes.some((n) => n.fid === '0x7200000000000001:0x4' && n.state === 'M0_NC_TRANSIENT'), `notes seen: ${JSON.stringify(notes)}`);
    // the token is required: the same POST without it is refused
    const refused = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    assert.is(refused.status, 401);
  } finally {
    await sim.p?.close();
    await daemon?.stop();
    await agent.stop();
  }
});

test.run();
