// Issue 13, defect 2, on the running daemon with a real agent: HA-link peers
// that connect and vanish, and peers that never confirm what hax sends,
// cannot make hax hold links or messages without bound. Next to each, a
// well-behaved peer keeps its link and gets its broadcasts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startWorld, until, F, type World, type Peer } from '../behaviour/_world.ts';
import { RawPeer } from '../native/_harness.ts';

let w: World | undefined;
let observer: Peer;
const world = async () => {
  if (!w) {
    w = await startWorld({ hax: { haLimits: { orphanGraceMs: 500, maxUnconfirmed: 64 } } });
    observer = await w.peer(2);
  }
  return w;
};


test('300 connect + entrypoint + close: every link is reaped, the live peer keeps its own', async () => {
  const { hax } = await world();
  const address = hax.haLinkAddresses[0]!;
  for (let i = 0; i < 300; i++) (await RawPeer.entrypoint(address, 1000 + (i % 50), 'hostile')).close();
  const left = await until('storm links reaped', () => {
    const storm = hax.links.all().filter((l) => l.processFid.key >= 1000n);
    return storm.length === 0 ? hax.links.all() : undefined;
  }, 30_000);
  assert.ok(left.some((l) => l.processFid.key === 2n && l.active), 'the observer\'s link is still there');
  const before = observer.notes().length;
  await observer.send('NVEC', { hmnv_type: 'M0_HA_NVEC_SET', hmnv_id_of_get: 0n, hmnv_ignore_same_state: 1, hmnv_arr: [{ no_id: F.drive1, no_state: 'M0_NC_ONLINE' }] });
  await until('the observer still gets broadcasts', () => observer.notes().length > before || undefined);
  // the shim dropped the orphaned links itself: disconnecting them after is no failure worth a warning
  assert.not.ok(w!.logs.some((l) => l.includes('"level":"warn"') && l.includes('disconnect failed')), 'no "disconnect failed" warning for links the shim dropped');
  console.log(`storm: 300 entrypoints, ${left.length} link(s) left afterwards`);
});

test('peers that never confirm lose their links at the bound; memory of their backlog is freed; the observer is served', async () => {
  const { hax } = await world();
  const address = hax.haLinkAddresses[0]!;
  const silent: RawPeer[] = [];
  for (let i = 0; i < 5; i++) silent.push(await RawPeer.entrypoint(address, 2000 + i, 'hostile'));   // they never answer LINK_MSG
  await until('5 silent links', () => hax.links.all().filter((l) => l.processFid.key >= 2000n).length === 5 || undefined);
  const rss0 = process.memoryUsage().rss;
  // 100 re-broadcasts: NVEC SET from the observer goes to every active link
  for (let i = 0; i < 100; i++) {
    await observer.send('NVEC', { hmnv_type: 'M0_HA_NVEC_SET', hmnv_id_of_get: 0n, hmnv_ignore_same_state: 0, hmnv_arr: [{ no_id: F.drive1, no_state: i % 2 ? 'M0_NC_ONLINE' : 'M0_NC_REPAIRED' }] });
  }
  await until('silent links dropped', () => hax.links.all().every((l) => l.processFid.key < 2000n) || undefined, 30_000);
  const dropped = w!.logs.filter((l) => l.includes('link dropped by a limit') && l.includes('HAX_ERR_LINK_BACKLOG')).length;
  assert.is(dropped, 5, 'each silent peer\'s link was dropped for its backlog');
  const pending = hax.links.all().reduce((n, l) => n + l.pending.size, 0);
  assert.ok(pending < 64, `no backlog left behind: ${pending} pending`);
  assert.ok(hax.links.all().some((l) => l.processFid.key === 2n && l.active), 'the observer keeps its link');
  console.log(`never-confirming peers: 5 dropped after the bound; RSS ${Math.round(rss0 / 2 ** 20)} → ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);
  for (const p of silent) p.close();
});

test.after(async () => { await w?.stop(); });
test.run();

