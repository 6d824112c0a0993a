// Feed records of core decisions carry what the core reported — its kind,
// reason and subject fids — and the host adds nothing it had to guess.
// Against the real core; no Consul.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoreHost } from '../../src/core/core-host.ts';
import { Codec } from '../../src/core/codec.ts';
import { CONF, KIND } from '../../src/core/records.ts';
import { feedOfDecision } from '../../src/debug/daemon-feed.ts';
import { parseFid, type Fid } from '../../src/fid.ts';
import { vector } from '../core/helpers.ts';

const f = (t: string): Fid => parseFid(t)!;
const NODE = '0x6e00000000000001:0x1', P3 = '0x7200000000000001:0x3', S5 = '0x7300000000000001:0x5';

async function loaded(): Promise<CoreHost> {
  const h = await CoreHost.load({ debug: true });
  h.identitySet('n1', f('0x7200000000000001:0x1'), false);
  h.confLoaded(10, [
    { type: CONF.node, fid: f(NODE), name: 'n1', key: `m0conf/nodes/${NODE}` },
    { type: CONF.process, fid: f(P3), parent: f(NODE), kind: KIND.ios, name: 'm0_server', key: `m0conf/nodes/${NODE}/processes/${P3}` },
    { type: CONF.service, fid: f(S5), parent: f(P3), name: 'ios' },
  ]);
  return h;
}

test('a process event decision is of kind EVENT_PROCESS, about its process, and its feed record says so', async () => {
  const h = await loaded();
  const codec = await Codec.load();
  const msg = codec.encodeMsg({ fid: P3, sourceProcess: '0:0', sourceService: '0:0', time: 0n, epoch: 0n, tag: 0n, type: 'EVENT_PROCESS', body: { chp_event: 'M0_CONF_HA_PROCESS_STARTED', chp_type: 'M0_CONF_HA_PROCESS_M0D', chp_pid: 1n } });
  const d = h.messageReceived(1, 2, msg);
  assert.is(d.kind, 'EVENT_PROCESS');
  assert.equal(d.subjects, [P3]);
  const rec = feedOfDecision(d);
  assert.is(rec.direction, 'motr→hax');
  assert.is(rec.kind, 'EVENT_PROCESS');
  assert.is(rec.process, P3);
  assert.is(rec.reason?.code, d.reason.code);
  assert.ok(rec.notes?.some((n) => n.fid === S5), 'the broadcast notes come along');
});

test('an entrypoint decision names the requesting process; a Consul reply is hax→consul', async () => {
  const h = await loaded();
  h.viewUpdated({ confds: [{ fid: f('0x7200000000000001:0x2'), endpoint: 'inet:tcp:127.0.0.1@22002' }], rm: null });
  const ep = h.entrypointRequested(7, vector('ep_req_first').bytes, 1000);
  assert.is(ep.kind, 'EntrypointRequested');
  assert.is(ep.subjects.length, 1, ep.reason.text);
  assert.is(feedOfDecision(ep).direction, 'motr→hax');
  const reply = h.consulReplied(12345, true);
  assert.is(reply.kind, 'ConsulReplied');
  assert.equal(reply.subjects, []);
  assert.is(feedOfDecision(reply).direction, 'hax→consul');
  assert.is(feedOfDecision(h.statusQueried()).direction, 'hax');
});

test('a process key posted by Consul is about that process, consul→hax', async () => {
  const h = await loaded();
  const d = h.processKeyPosted({ key: `processes/${P3}`, value: '{"state": "M0_CONF_HA_PROCESS_STARTED", "type": "M0_CONF_HA_PROCESS_M0D"}' }, 50);
  assert.is(d.kind, 'ProcessKeyPosted');
  assert.equal(d.subjects, [P3]);
  const rec = feedOfDecision(d);
  assert.is(rec.direction, 'consul→hax');
  assert.is(rec.process, P3);
});

test.run();
