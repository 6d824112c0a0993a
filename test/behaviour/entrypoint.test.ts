// hax-reference.md §4.1 on a real agent: confds from the catalog, quorum
// floor(n/2)+1, the RM of the leader's node, QUERY after 1 s when no RM is
// known, and restart detection (FAILED for the restarted process to every
// other link before its reply, its own link skipped).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startWorld, until, F, type World } from './_world.ts';
import { formatFid } from '../../src/fid.ts';

let w: World | undefined;
const world = async () => (w ??= await startWorld());

test('an entrypoint reply carries every catalog confd, quorum floor(n/2)+1 and the RM of the leader node', async () => {
  await world();
  const p = await w!.peer(3);
  const rep = p.replies.at(-1)!;
  assert.equal(rep.confds.map((c) => formatFid(c.fid)).sort(), [F.confd, '0x7200000000000001:0x5']);
  assert.equal(rep.confds.map((c) => c.endpoint).sort(), ['inet:tcp:127.0.0.1@22002', 'inet:tcp:127.0.0.2@22002']);
  assert.is(rep.quorum, 2);
  assert.is(formatFid(rep.rmFid), '0x7300000000000001:0x4');   // the rms of the leader node's confd
  assert.is(rep.rmEndpoint, 'inet:tcp:127.0.0.1@22002');
  p.close();
});

test('the leader key lost: hax\'s RC election takes it again with a session of its own, and entrypoints get CONSUME with the RM', async () => {
  await world();
  const session = (await w!.consul.kv.get('leader'))!.entry.Session!;
  const won = w!.reasons('ELECTION_WON');
  await w!.consul.kv.delete('leader');
  // (QUERY while no RM is known, ENTRYPOINT_DEFERRED → ENTRYPOINT_QUERY_SENT, is the core's rule: test/core/scenarios/entrypoint.yaml)
  await until('hax holds leader again', async () => {
    const l = await w!.consul.kv.get('leader');
    return l?.entry.Session && l.entry.Session !== session ? l : undefined;
  });
  assert.is(w!.reasons('ELECTION_WON'), won + 1);
  assert.is((await w!.consul.kv.get('leader'))!.value, 'bt-node-1');
  const p = await w!.peer(4);
  assert.is(p.replies.at(-1)!.control, 0);
  assert.is(p.replies.at(-1)!.rmFid.key, 4n, 'the RM is the rms service of the new RC\'s confd (confd 2: confd 3, rms 4)');
  p.close();
});

test('a restarted process gets FAILED broadcast to the other links before its reply, and its counter is stored', async () => {
  await world();
  const observer = await w!.peer(2);
  const second = await w!.peer(3); second.close();   // the first test connected once: mkfs and m0d make two first requests, which is normal
  assert.is(w!.reasons('ENTRYPOINT_RESTART_DETECTED'), 0);
  const failedBefore = observer.notes().filter((n) => n.fid === F.ios3 && n.state === 'M0_NC_FAILED').length;
  const restarted = await w!.peer(3);
  // the FAILED note reached the observer no later than the restarted process's reply
  const failed = observer.notes().filter((n) => n.fid === F.ios3 && n.state === 'M0_NC_FAILED').length;
  assert.ok(failed > failedBefore, 'FAILED broadcast before the reply');
  assert.ok(observer.noteOf(F.drive1, 'M0_NC_TRANSIENT'), 'its drives go TRANSIENT');
  assert.ok(!restarted.noteOf(F.ios3, 'M0_NC_FAILED'), 'its own link is skipped');
  assert.ok(w!.reasons('ENTRYPOINT_RESTART_DETECTED') >= 1);
  assert.is((await w!.consul.kv.get(`processes/${F.ios3}`))?.value, '{"state": "M0_CONF_HA_PROCESS_STOPPED", "type": "M0_CONF_HA_PROCESS_M0D"}');
  await until('the counter', async () => (await w!.consul.kv.get(`bt-node-1/process_restarts/${F.ios3}`))?.value === '3' || undefined);
  restarted.close();
  observer.close();
});

test('hax itself and clients are never counted as restarted', async () => {
  await world();
  for (let i = 0; i < 3; i++) { const p = await w!.peer(1); p.close(); }
  assert.is(await w!.consul.kv.get(`bt-node-1/process_restarts/${F.hax}`), undefined);
});

// Teardown, not a test: it runs even when a test failed, and is not counted.
test.after(async () => {
  if (w) await w.stop();
  w = undefined;
});

test.run();
