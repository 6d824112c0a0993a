// The entrypoint view (confds, principal RM) from a real Consul agent, and
// the race that once left hax answering QUERY for ever: when both watches'
// first results arrive together, the view published last must be built from
// the newest state. The test forces the bad interleaving with gates around
// the real client's calls: the leader's publish starts first (no confd known
// yet) and its RM lookup is held until the catalog's publish went past it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { ClusterViewSource, type ClusterView } from '../../src/model/cluster-view.ts';
import { waitFor } from '../helpers/wait.ts';

const NODE = 'view-node';
const CONFD_FIDK = 4;
const RMS_FIDK = '9';      // hare writes the rms service's fid key in decimal

test('the last view published carries the confd even when the leader watch answered first', async () => {
  const agent = await startDevAgent({ nodeName: NODE });
  const consul = new ConsulClient(agent.url);
  try {
    await consul.agent.registerService({ ID: String(CONFD_FIDK), Name: 'confd', Address: 'inet:tcp:127.0.0.1', Port: 21001 } as never);
    await consul.kv.put(`m0conf/nodes/${NODE}/processes/${CONFD_FIDK}/services/rms`, RMS_FIDK);
    const sid = await consul.session.create({ Name: 'leader', Node: NODE, Checks: ['serfHealth'] });
    await consul.kv.acquire('leader', NODE, sid);
    await waitFor('the confd service in the catalog', async () => (await consul.catalog.service('confd')).services.length > 0);

    // gates on the real client: the catalog answers only after the leader key
    // did; the first session lookup waits for a second one to finish (or 300 ms)
    const gated = new ConsulClient(agent.url);
    let leaderSeen!: () => void;
    const leaderAnswered = new Promise<void>((r) => { leaderSeen = r; });
    const list = gated.kv.list.bind(gated.kv);
    gated.kv.list = (async (...a: Parameters<typeof list>) => { const r = await list(...a); if (a[0] === 'leader') leaderSeen(); return r; }) as typeof list;
    const service = gated.catalog.service.bind(gated.catalog);
    gated.catalog.service = (async (...a: Parameters<typeof service>) => { await leaderAnswered; return service(...a); }) as typeof service;
    const info = gated.session.info.bind(gated.session);
    let calls = 0;
    let secondDone!: () => void;
    const second = new Promise<void>((r) => { secondDone = r; });
    // lookups in flight, so the test can wait until the held one has returned
    let inflight = 0, firstReturned = false;
    gated.session.info = (async (id: string) => {
      const n = ++calls;
      inflight++;
      try {
        if (n === 1) await Promise.race([second, new Promise((r) => setTimeout(r, 300))]);
        const r = await info(id);
        if (n === 2) secondDone();
        return r;
      } finally { inflight--; if (n === 1) firstReturned = true; }
    }) as typeof info;
    const get = gated.kv.get.bind(gated.kv);
    gated.kv.get = (async (...a: Parameters<typeof get>) => { inflight++; try { return await get(...a); } finally { inflight--; } }) as typeof get;

    const views: { view: ClusterView; why: string }[] = [];
    const source = new ClusterViewSource(gated, { onView: (view, why) => views.push({ view, why }), onLog: () => {} }, NODE);
    await source.start();
    await waitFor('a view with the confd', () => views.some((v) => v.view.confds.length === 1));
    // The positive control for "no stale view lands late": the held first
    // lookup and every lookup after it have returned, and the turn after them
    // (where a view would be published) has run.
    await waitFor('every session and rms lookup of the source to return', () => firstReturned && inflight === 0);
    await new Promise((r) => setImmediate(r));
    await source.stop();
    console.log(views.map((v) => `${v.why}: ${v.view.confds.length} confd(s), rm ${v.view.rm ? 'known' : 'none'}`).join('\n'));
    const last = views.at(-1)!;
    assert.is(last.view.confds.length, 1, 'the newest view has the confd');
    assert.is(last.view.confds[0]!.endpoint, 'inet:tcp:127.0.0.1@21001');
    assert.is(last.view.rm?.fid.key, 9n, 'and the RM on the leader node');
    assert.is(last.view.isRc, true);
  } finally {
    await agent.stop();
  }
});

test.run();
