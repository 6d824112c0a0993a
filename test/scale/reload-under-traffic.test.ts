// hax at 1,000 nodes (issue 17): process events keep flowing while the conf
// tree is read again and again — whole re-reads (a key that holds no object
// state changed) and deltas (another node's state changed) — and every event
// is acknowledged, the model keeps all 1,000 nodes and 4,000 processes, and
// no write in flight is dropped. Correctness only: nothing here is timed.
// The cluster is the hare-layout seeder's (../shared/fixtures/hare-layout/).
import { FIXTURES_DIR } from '../helpers/fixtures.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevAgent, freePort, type DevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { startHax, type RunningHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { Codec } from '../../src/core/codec.ts';
import { Peer, pfid, until } from '../behaviour/_world.ts';
import { loadSeed, type SeedCluster } from '../helpers/hare-seed.ts';
import { parseFid } from '../../src/fid.ts';

const FIXTURE = `${FIXTURES_DIR}hare-layout/`;
const present = existsSync(`${FIXTURE}seed.py`);
const WHOLE_REREADS = 5;
const MIN_EVENTS_PER_PEER = 60;
const PROFILE = 'm0conf/profiles/0x7000000000000001:0x1';      // read into no object's state: changing it re-reads the whole tree
const NODE_1000 = 'm0conf/nodes/0x6e00000000000001:0x3e8';      // srvnode-1000's state: changing it is a delta
const NODE_1000_FID = parseFid('0x6e00000000000001:0x3e8')!;

let agent: DevAgent | undefined;
let hax: RunningHax | undefined;
const peers: Peer[] = [];
let dir: string | undefined;

test.after.each(async () => {
  for (const p of peers.splice(0)) p.close();
  await hax?.stop(); hax = undefined;
  await agent?.stop(); agent = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

interface ConfLine { reason: string; msg: string }

test('1,000 nodes: every process event is acknowledged across whole re-reads and deltas of the conf tree', async () => {
  if (!present) { console.log(`skipped: the hare-layout seeder is absent (${FIXTURE}seed.py)`); return; }
  dir = mkdtempSync(join(tmpdir(), 'hax-scale-'));
  execFileSync('python3', [`${FIXTURE}seed.py`, 'gen', '--nodes', '1000', '--out', join(dir, 'cluster.json')], { stdio: 'pipe' });
  const cluster = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as SeedCluster;
  agent = await startDevAgent({ nodeName: 'srvnode-1:0a1b2c3d' });
  const consul = new ConsulClient(agent.url);
  await loadSeed(consul, cluster);
  const conf: ConfLine[] = [];
  const log = createLogger({ level: 'info', write: (line) => {
    if (line.includes('"reason":"CONF_')) { const l = JSON.parse(line) as ConfLine; conf.push({ reason: l.reason, msg: l.msg }); }
  } });
  hax = await startHax({ consulUrl: agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: await freePort() } }, log);
  const loaded = () => conf.filter((l) => l.reason === 'CONF_LOADED' && !l.msg.includes('more to come')).length;
  const updated = () => conf.filter((l) => l.reason === 'CONF_UPDATED').length;
  assert.is(loaded(), 1, 'the tree was read whole once at start-up');

  const codec = await Codec.load();
  for (const k of [2, 3, 4]) { const p = new Peer(hax.haLinkAddresses[0]!, codec, pfid(k), 'M0_CONF_HA_PROCESS_M0D'); await p.connect(); peers.push(p); }

  let churning = true;
  const acked = [0, 0, 0];
  const traffic = peers.map(async (p, i) => {
    for (let n = 0; churning || n < MIN_EVENTS_PER_PEER; n++) {
      await p.processEvent(n % 2 ? 'STARTED' : 'DTM_RECOVERED');   // rejects if hax does not acknowledge it
      acked[i]!++;
    }
  });
  const churn = (async () => {
    try {
      for (let i = 1; i <= WHOLE_REREADS; i++) {
        const before = loaded();
        await consul.kv.put(PROFILE, `{"name": "Profile_the_pool", "pools": ["the pool"], "revision": ${i}}`);
        await until(`whole re-read ${i} of the conf tree`, () => (loaded() > before ? true : undefined), 60_000);
        const want = i % 2 ? 'M0_NC_FAILED' : 'M0_NC_ONLINE';
        await consul.kv.put(NODE_1000, `{"name": "srvnode-1000", "state": "${want}"}`);
        await until(`srvnode-1000 ${want} in the model (delta ${i})`, () => (hax!.api.states([NODE_1000_FID])[0]?.state === want ? true : undefined), 60_000);
      }
    } finally { churning = false; }
  })();
  await Promise.all([churn, ...traffic]);

  assert.ok(acked.every((n) => n >= MIN_EVENTS_PER_PEER), `acknowledged per peer: ${acked}`);
  assert.ok(loaded() >= 1 + WHOLE_REREADS, `whole reads: ${loaded()}`);
  for (const l of conf.filter((x) => x.reason === 'CONF_LOADED' && !x.msg.includes('more to come'))) {
    assert.match(l.msg, /: 1000 node\(s\), 4000 process\(es\), 8000 service\(s\)/, 'a re-read kept every object');
  }
  for (const code of ['CORE_TRAPPED', 'CONSUL_REPLY_UNKNOWN_OP', 'CONF_PART_ORPHANED', 'EVENT_WRITE_FAILED']) {
    assert.not.ok(hax.reasons.includes(code), `${code} seen`);
  }
  assert.ok(updated() >= WHOLE_REREADS, `deltas: ${updated()}`);
  // the local processes kept their events
  const status = hax.api.clusterStatus();
  assert.is(status.nodes.length, 1000);
  const local = status.nodes.find((n) => n.name === 'srvnode-1')!;
  for (const k of [2, 3, 4]) assert.ok(local.processes.find((p) => p.fid === `0x7200000000000001:0x${k.toString(16)}`)?.event, `process ${k} has its event`);
});

test.run();
