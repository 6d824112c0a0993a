// The cluster scenarios of issue 14 against a real 5-agent Consul cluster
// (3 servers, 2 clients), one hax per node, simulated Motr processes on
// every node (test/cluster/_world.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startClusterWorld, PROCESS_FID, type ClusterWorld, type ClusterNode } from './_world.ts';
import { Peer, pfid } from '../behaviour/_world.ts';
import { waitFor } from '../helpers/wait.ts';
import { ConsulClient } from '../../src/consul/client.ts';

let world: ClusterWorld | undefined;
test.after(async () => { await world?.stop(); });

/** Waits for `check` (polled every 100 ms); fails with `what` and `detail()` when `ms` pass first. */
const until = (what: string, ms: number, check: () => boolean | Promise<boolean>, detail?: () => string) => waitFor(what, check, ms, 100, detail);
const fidsOf = (n: ClusterNode) => n.processes.map((p) => PROCESS_FID(p.fidk));
/** "node/process: fid" for each process of `nodes` that has not heard one of `states` of each other process of `fids`. */
const missingNotes = (nodes: ClusterNode[], fids: string[], ...states: string[]) => nodes.flatMap((n) => n.peers.flatMap((p) =>
  fids.filter((f) => f !== PROCESS_FID(Number(p.fid.key)) && !states.some((s) => p.noteOf(f, s))).map((f) => `${n.name}/${p.fid.key}: ${f}`)));
/** The processes/<fid> value of each of `fids` ('(none)' for a missing key), in order. */
const processValues = (consul: ConsulClient, fids: string[]) => Promise.all(fids.map(async (f) => (await consul.kv.get(`processes/${f}`))?.value ?? '(none)'));
/** Like missingNotes, counting only what each process heard after its first `before.get(peer)` notes. */
const missingSince = (nodes: ClusterNode[], before: Map<Peer, number>, fids: string[], state: string) => nodes.flatMap((n) => n.peers.flatMap((p) =>
  fids.filter((f) => !p.notes().slice(before.get(p)).some((x) => x.fid === f && x.state === state)).map((f) => `${n.name}/${p.fid.key}: ${f}`)));
// A dead node's processes are announced as the original hax did (hax-reference.md §5): OFFLINE in
// Consul, TRANSIENT on the wire (FAILED when hax knows they failed for good).
const GONE = ['M0_NC_TRANSIENT', 'M0_NC_FAILED'];

test('(1) every process STARTED on every node; each sees every other node\'s processes ONLINE', async () => {
  world = await startClusterWorld({ servers: 3, clients: 2 });
  for (const n of world.nodes) await world.startHax(n);
  // every process has its link before any starts: each hears every other's STARTED as it is broadcast
  for (const n of world.nodes) await world.connectProcesses(n);
  for (const n of world.nodes) await world.startProcesses(n);
  const all = world.nodes.flatMap(fidsOf);
  await until('every process sees every other ONLINE', 30_000, () => missingNotes(world!.nodes, all, 'M0_NC_ONLINE').length === 0,
    () => JSON.stringify(missingNotes(world!.nodes, all, 'M0_NC_ONLINE').slice(0, 10)));
  const consul = world.consul();
  for (const f of all) {
    const v = await consul.kv.get(`processes/${f}`);
    assert.ok(v, `processes/${f} recorded`);
    assert.match(v!.value, /M0_CONF_HA_PROCESS_DTM_RECOVERED/, f);
  }
});

test('(2) kill -9 of a client node: every survivor receives its processes as gone (TRANSIENT); the KV says STOPPED', async () => {
  const victim = world!.node('srvnode-5');
  const dead = fidsOf(victim);
  const survivors = world!.nodes.filter((n) => n !== victim);
  const heardBefore = new Map(survivors.flatMap((n) => n.peers.map((p) => [p, p.notes().length] as const)));
  await world!.killNode(victim);
  await until('every survivor hears the dead node\'s processes gone', 40_000, () => missingNotes(survivors, dead, ...GONE).length === 0,
    () => JSON.stringify(missingNotes(survivors, dead, ...GONE).slice(0, 10)));
  // survivors that are not the RC tell their links before the RC's write lands: the KV follows
  const consul = world!.consul(survivors[0]);
  let values: string[] = [];
  await until('the RC to record the dead node\'s processes STOPPED', 10_000, async () => (values = await processValues(consul, dead)).every((v) => /STOPPED|FAILED/.test(v)),
    () => JSON.stringify(dead.map((f, i) => [f, values[i]])));
  // nothing else changed: since the kill, no survivor heard anything about a surviving process
  const alive = survivors.flatMap(fidsOf);
  const wrong = survivors.flatMap((n) => n.peers.flatMap((p) => p.notes().slice(heardBefore.get(p)).filter((x) => alive.includes(x.fid))));
  assert.equal(wrong, []);
});

test('(4) the killed node returns: its processes restart and every survivor sees them ONLINE again', async () => {
  const node = world!.node('srvnode-5');
  const back = fidsOf(node);
  const others = world!.nodes.filter((n) => n !== node);
  const heardBefore = new Map(others.flatMap((n) => n.peers.map((p) => [p, p.notes().length] as const)));
  await world!.reviveNode(node);
  const missing = () => missingSince(others, heardBefore, back, 'M0_NC_ONLINE');
  await until('every survivor hears the returned node\'s processes ONLINE', 40_000, () => missing().length === 0, () => JSON.stringify(missing().slice(0, 10)));
  // its drive too: the last word each survivor's processes heard of it is ONLINE (it was TRANSIENT since the kill)
  type Status = { nodes: { name: string; processes: { kind: string; drives?: { fid: string }[] }[] }[] };
  const status = await (await fetch(`http://127.0.0.1:${others[0]!.httpPort}/v1/cluster/status`)).json() as Status;
  const drives = status.nodes.find((n) => n.name === node.name)!.processes.flatMap((p) => p.drives ?? []).map((d) => d.fid);
  assert.ok(drives.length > 0, `${node.name} has a drive (positive control)`);
  const lastOf = (p: Peer, fid: string) => p.notes().filter((x) => x.fid === fid).at(-1)?.state;
  const driveNotOnline = () => others.flatMap((n) => n.peers.flatMap((p) => drives.filter((d) => lastOf(p, d) !== 'M0_NC_ONLINE')
    .map((d) => `${n.name}/${p.fid.key}: ${d} last heard ${lastOf(p, d) ?? 'never'}`)));
  await until('every survivor\'s last word of the returned drive ONLINE', 10_000, () => driveNotOnline().length === 0, () => JSON.stringify(driveNotOnline().slice(0, 10)));
  // and the returned processes hear the survivors: their NVEC GET answers come from the same KV
  const consul = world!.consul(node);
  for (const f of back) assert.match((await consul.kv.get(`processes/${f}`))!.value, /M0_CONF_HA_PROCESS_DTM_RECOVERED/, f);
  // the restarted agent brought its TTL checks back critical: hax passed its own at start and each process's on STARTED,
  // so the next RC will not take these running processes for dead
  const ids = [node.haxFidk, ...node.processes.map((p) => p.fidk)].map((k) => `service:${k}`);
  let checks: Record<string, { Status: string }> = {};
  await until('the returned node\'s checks passing', 20_000, async () => { checks = await consul.agent.checks(); return ids.every((id) => checks[id]?.Status === 'passing'); },
    () => ids.map((id) => `${id} ${checks[id]?.Status ?? 'absent'}`).join(', '));
});

test('(3) kill -9 of the RC node: a surviving confd node\'s hax takes `leader`, new entrypoints name its RM, the dead node\'s processes are announced', async () => {
  const consul = world!.consul(world!.node('srvnode-2'));
  const before = await consul.kv.get('leader');
  assert.is(before?.value, 'srvnode-1', 'positive control: bootstrap made srvnode-1 the RC');
  const rc = world!.node('srvnode-1');
  const dead = fidsOf(rc);
  const survivors = world!.nodes.filter((n) => n !== rc);
  const killedAt = Date.now();
  await world!.killNode(rc);
  let heldBy = '';
  await until('a surviving confd node holds leader', 40_000, async () => {
    const l = await consul.kv.get('leader').catch(() => undefined);
    heldBy = l?.entry.Session && l.value !== 'srvnode-1' ? l.value : '';
    return heldBy !== '';
  });
  const newRc = world!.node(heldBy);
  assert.ok(newRc.server && newRc.processes.some((p) => p.kind === 'confd'), `${heldBy} hosts a confd`);
  const session = await consul.session.info((await consul.kv.get('leader'))!.entry.Session!);
  assert.is(session?.Node, heldBy, 'the session is the new RC node\'s own');
  const checks = (session as unknown as { Checks?: string[]; NodeChecks?: string[]; ServiceChecks?: { ID: string }[] });
  const tied = [...(checks.Checks ?? []), ...(checks.NodeChecks ?? []), ...(checks.ServiceChecks ?? []).map((c) => c.ID)];
  assert.ok(tied.includes('serfHealth') && tied.includes(`service:${newRc.index * 10 + 3}`) && tied.includes(`service:${newRc.haxFidk}`), `session checks ${tied}`);
  console.log(`RC failover: ${heldBy} holds leader ${((Date.now() - killedAt) / 1000).toFixed(1)} s after kill -9 of srvnode-1`);
  // every survivor's status names it, and the RM its entrypoints name
  let named: string[] = [];
  await until('every survivor\'s status names the new RC', 20_000, async () => {
    named = await Promise.all(survivors.map(async (n) => {
      const st = await (await fetch(`http://127.0.0.1:${n.httpPort}/v1/cluster/status`)).json() as { rc?: { node: string | null; rm: { fid: string } | null } };
      return `${n.name}: ${st.rc?.node ?? 'none'} ${st.rc?.rm?.fid ?? 'no RM'}`;
    }));
    return named.every((x) => x.includes(`: ${heldBy} 0x7300000000000001:`));
  }, () => named.join('; '));
  // a new process anywhere is told the new RM: the rms service of the new RC's confd
  const rms = (await consul.kv.get(`m0conf/nodes/${heldBy}/processes/${newRc.index * 10 + 3}/services/rms`))!.value.trim();
  const asker = survivors.find((n) => n !== newRc)!;
  const seen: string[] = [];
  await until('an entrypoint reply naming the new RM', 20_000, async () => {
    const late = new Peer(`tcp:127.0.0.1:${asker.haPort}`, world!.codec, pfid(asker.index * 10 + 2), 'M0_CONF_HA_PROCESS_M0D');
    try {
      const rep = await late.connect(5000).catch(() => undefined);
      seen.push(rep ? String(rep.rmFid.key) : 'no reply');
      return rep !== undefined && rep.rmFid.key === BigInt(rms);
    } finally { late.close(); }
  }, () => `RM keys seen: ${seen.slice(-5).join(', ')}; want ${rms}`);
  await until('every survivor hears the RC node\'s processes gone', 40_000, () => missingNotes(survivors, dead, ...GONE).length === 0,
    () => JSON.stringify(missingNotes(survivors, dead, ...GONE).slice(0, 10)));
});

test('(5) hax kill -9 on one node during 500 events on every node: none lost, no BQ entry applied twice, the same order everywhere', async () => {
  const nodes = world!.nodes.filter((n) => n.agent.running());
  const victim = world!.node('srvnode-3');
  const EVENTS = ['STARTING', 'STARTED', 'DTM_RECOVERED', 'STOPPING'];
  const PER_NODE = 500;
  const consul = world!.consul(nodes[0]);
  type Sent = { node: ClusterNode; peer: number; ev: string; done: boolean };
  const plan: Sent[] = [];
  const sends: Promise<void>[] = [];
  const send = (s: Sent, i: number) => s.node.peers[s.peer].send('EVENT_PROCESS', { chp_event: `M0_CONF_HA_PROCESS_${s.ev}`, chp_type: 'M0_CONF_HA_PROCESS_M0D', chp_pid: BigInt(i) },
    PROCESS_FID(Number(s.node.peers[s.peer].fid.key)), 180_000).then(() => { s.done = true; }, () => {});
  for (const n of nodes) {
    for (let i = 0; i < PER_NODE; i++) {
      const s: Sent = { node: n, peer: i % n.peers.length, ev: EVENTS[Math.floor(i / n.peers.length) % EVENTS.length], done: false };
      plan.push(s);
      sends.push(send(s, plan.length));
    }
  }
  await until('a third of the events acknowledged', 60_000, () => plan.filter((s) => s.done).length >= plan.length / 3);
  const ackedAtKill = plan.filter((s) => s.done).length;
  victim.hax!.kill('SIGKILL');
  await new Promise((r) => victim.hax!.once('exit', r));
  await world!.startHax(victim);
  // the victim's processes come back to the new hax and send again, in order, what it did not acknowledge
  const old = victim.peers;
  victim.peers = [];
  for (const p of old) p.close();
  await world!.connectProcesses(victim);
  plan.forEach((s, i) => { if (s.node === victim && !s.done) sends.push(send(s, i + 1)); });
  await until('every event acknowledged', 180_000, () => plan.every((s) => s.done), () => `${plan.filter((s) => !s.done).length} not yet`);
  // every process's final state
  for (const n of nodes) {
    for (const p of n.peers) {
      const fid = PROCESS_FID(Number(p.fid.key));
      const last = plan.filter((s) => s.node === n && PROCESS_FID(Number(s.node.peers[s.peer].fid.key)) === fid).at(-1)!;
      // a confd's STARTED is recorded as DTM_RECOVERED (a confd never sends it; hax-reference.md §4.2)
      const confd = n.processes.find((x) => x.fidk === Number(p.fid.key))?.kind === 'confd';
      const state = confd && last.ev === 'STARTED' ? 'DTM_RECOVERED' : last.ev;
      // a process left STOPPING derives OFFLINE health: its hax completes it as STOPPED on the next health payload (hax-reference.md §7)
      const allowed = [state, ...(state === 'STOPPING' ? ['STOPPED'] : [])].map((x) => `{"state": "M0_CONF_HA_PROCESS_${x}", "type": "M0_CONF_HA_PROCESS_M0D"}`);
      const value = (await consul.kv.get(`processes/${fid}`))?.value ?? '';
      assert.ok(allowed.includes(value), `${fid}: ${value} is not one of ${allowed.join(' | ')}`);
    }
  }
  // each hax applied each BQ entry at most once, in increasing epoch order (the victim's log holds both of its runs)
  await until('every hax has read the whole queue', 60_000, async () => {
    const epoch = Number((await consul.kv.get('epoch'))!.value);
    const offsets = await Promise.all(nodes.map(async (n) => Number((await consul.kv.get(`bq-delivered/${n.name}`))?.value ?? -1)));
    return offsets.every((o) => o === epoch);
  });
  // Each hax applies each entry once and in order. The killed one may apply
  // again, after its restart, what it had decided but Consul had not yet
  // recorded as read (its offset): at-least-once for its last batch, never
  // for an entry at or below the offset it loaded from Consul.
  const report: string[] = [];
  for (const n of nodes) {
    const runs: { loaded: number; applied: number[] }[] = [];
    for (const l of world!.haxLog(n).split('\n')) {
      let j: { msg?: string; reason?: string; epoch?: number };
      try { j = JSON.parse(l); } catch { continue; }
      if (j.msg === 'starting') runs.push({ loaded: -1, applied: [] });
      const run = runs.at(-1);
      if (!run) continue;
      if (j.reason === 'BQ_OFFSET_LOADED' || j.reason === 'BQ_OFFSET_REPAIRED') { const m = / at (\d+)/.exec(j.msg ?? ''); run.loaded = m ? Number(m[1]) : -1; }
      else if (j.reason?.startsWith('BQ_') && typeof j.epoch === 'number' && !/^BQ_(CONSUMED|NOTHING_NEW|OFFSET)/.test(j.reason)) run.applied.push(j.epoch);
    }
    const applied = runs.flatMap((r) => r.applied);
    assert.ok(applied.length > 0, `${n.name} applied BQ entries (positive control)`);
    for (const [i, run] of runs.entries()) {
      assert.equal(run.applied.filter((e, k) => run.applied.indexOf(e) !== k), [], `${n.name} run ${i + 1}: BQ entries applied twice`);
      assert.equal(run.applied.filter((e, k) => k > 0 && e < run.applied[k - 1]), [], `${n.name} run ${i + 1}: BQ entries applied out of order`);
      assert.equal(run.applied.filter((e) => e <= run.loaded), [], `${n.name} run ${i + 1}: entries at or below the offset it loaded (${run.loaded}) applied again`);
    }
    const again = applied.length - new Set(applied).size;
    if (n !== victim) assert.is(again, 0, `${n.name} was not restarted: nothing applied twice`);
    report.push(`${n.name}: ${applied.length} applied${again ? `, ${again} again after its restart (decided, not yet recorded as read)` : ''}`);
  }
  console.log(`hax kill -9 on ${victim.name}: ${plan.length} events on ${nodes.length} nodes, ${ackedAtKill} acknowledged before the kill; ${report.join('; ')}`);
});

test('(6) hax kill -9 on the RC node while its node lives: its own check turns critical, another confd node takes `leader`, the node\'s processes are not declared dead', async () => {
  const live = world!.nodes.filter((n) => n.agent.running());
  const consul = world!.consul(live[0]);
  const holder = (await consul.kv.get('leader'))!;
  const rc = world!.node(holder.value);
  assert.ok(holder.entry.Session && rc.agent.running(), `positive control: a live node (${holder.value}) holds leader`);
  const check = `service:${rc.haxFidk}`;
  const own = new ConsulClient(rc.agent.url);
  assert.is((await own.agent.checks())[check]?.Status, 'passing', 'positive control: the RC\'s hax check passes while hax runs');
  const kv = () => processValues(consul, fidsOf(rc));
  const before = await kv();
  const killedAt = Date.now();
  rc.hax!.kill('SIGKILL');
  await new Promise((r) => rc.hax!.once('exit', r));
  let status = '';
  await until(`${check} critical on ${rc.name}'s agent`, 30_000, async () => (status = (await own.agent.checks())[check]?.Status ?? '') === 'critical', () => status);
  const criticalAt = Date.now();
  let heldBy = '';
  await until('another confd node holds leader', 30_000, async () => {
    const l = await consul.kv.get('leader').catch(() => undefined);
    heldBy = l?.entry.Session && l.value !== rc.name ? l.value : '';
    return heldBy !== '';
  });
  assert.ok(world!.node(heldBy).processes.some((p) => p.kind === 'confd'), `${heldBy} hosts a confd`);
  console.log(`hax kill -9 on the RC ${rc.name}: its check critical after ${((criticalAt - killedAt) / 1000).toFixed(1)} s, ${heldBy} holds leader after ${((Date.now() - killedAt) / 1000).toFixed(1)} s`);
  // the node lives: its serfHealth passes and nobody recorded its processes dead
  const node = await (await fetch(`${live[0].agent.url}/v1/health/node/${rc.name}`)).json() as { CheckID: string; Status: string }[];
  assert.is(node.find((c) => c.CheckID === 'serfHealth')?.Status, 'passing');
  assert.equal(await kv(), before, `${rc.name}'s processes/ unchanged`);
  // back: the restarted hax passes its check again, and the node's processes connect to it again
  await world!.startHax(rc);
  const old = rc.peers;
  rc.peers = [];
  for (const p of old) p.close();
  await world!.connectProcesses(rc);
  await until(`${check} passing again`, 30_000, async () => (status = (await own.agent.checks())[check]?.Status ?? '') === 'passing', () => status);
});

test('(7) a node\'s agent alone restarted (kill -9, as a Consul upgrade or crash) under running processes: their checks come back passing, nobody is told they are gone', async () => {
  const node = world!.node('srvnode-4');
  const fids = fidsOf(node);
  const others = world!.nodes.filter((n) => n !== node && n.agent.running() && n.hax?.exitCode === null);
  const kv = () => processValues(world!.consul(others[0]), fids);
  const before = await kv();
  const heardBefore = new Map(others.flatMap((n) => n.peers.map((p) => [p, p.notes().length] as const)));
  const restartedAt = Date.now();
  await node.agent.kill();
  await node.agent.restart();
  const own = new ConsulClient(node.agent.url);
  const ids = [node.haxFidk, ...node.processes.map((p) => p.fidk)].map((k) => `service:${k}`);
  let checks: Record<string, { Status: string }> = {};
  await until(`${node.name}'s checks passing after the restart`, 20_000, async () => { checks = await own.agent.checks().catch(() => ({})); return ids.every((id) => checks[id]?.Status === 'passing'); },
    () => ids.map((id) => `${id} ${checks[id]?.Status ?? 'absent'}`).join(', '));
  assert.equal(await kv(), before, 'processes/ unchanged by the restart');
  // positive control: the node's process reports again, and every other process hears it through the restarted agent's Consul
  for (const p of node.peers) await p.processEvent('DTM_RECOVERED');
  const since = (p: Peer) => p.notes().slice(heardBefore.get(p));
  const unheard = () => missingSince(others, heardBefore, fids, 'M0_NC_ONLINE');
  await until('every other process hears the node\'s processes again', 20_000, () => unheard().length === 0, () => unheard().slice(0, 6).join('; '));
  const gone = others.flatMap((n) => n.peers.flatMap((p) => since(p).filter((x) => fids.includes(x.fid) && GONE.includes(x.state)).map((x) => `${n.name}/${p.fid.key}: ${x.fid} ${x.state}`)));
  assert.equal(gone, [], 'nobody was told the node\'s processes were gone');
  console.log(`agent restart on ${node.name}: checks passing again ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the kill`);
});

test.run();
