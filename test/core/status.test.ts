// The cluster status is the core's model, read back: a conf tree from the
// KV layout bootstrap writes, through the host's parser into the core, and
// out as GET /v1/cluster/status shows it. No Consul: the KV pairs are built
// in memory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoreHost } from '../../src/core/core-host.ts';
import type { CoreStatus } from '../../src/core/status-record.ts';
import { Codec } from '../../src/core/codec.ts';
import { clusterKv } from '../../src/bootstrap/seed.ts';
import { demoCluster } from '../../src/demo/demo-cluster.ts';
import { parseConfTree } from '../../src/model/conf-tree.ts';
import { parseFid } from '../../src/fid.ts';

const IOS = '0x7200000000000001:0x3';

function status(h: CoreHost): CoreStatus {
  const d = h.statusQueried();
  assert.is(d.reason.code, 'STATUS_ANSWERED', d.reason.text);
  const a = d.actions[0];
  assert.ok(a?.kind === 'status', 'one status action');
  return a.status;
}

async function loaded(): Promise<CoreHost> {
  const h = await CoreHost.load({ debug: true });
  h.identitySet('n1', parseFid('0x7200000000000001:0x1')!, false);
  const kv = clusterKv(demoCluster('n1'), (host) => host);
  const items = kv.filter(([k]) => k.startsWith('m0conf/')).map(([key, value], i) => ({ key, value, modifyIndex: 10 + i }));
  const clientTypes = kv.find(([k]) => k === 'm0_client_types')![1];
  assert.is(h.confLoaded(100, parseConfTree(items, clientTypes)).reason.code, 'CONF_LOADED');
  return h;
}

test('before any conf tree the status has no nodes and says why', async () => {
  const h = await CoreHost.load({ debug: true });
  const d = h.statusQueried();
  assert.is(d.reason.code, 'STATUS_ANSWERED');
  assert.match(d.reason.text, 'no conf tree loaded yet');
  assert.equal(status(h).nodes, []);
});

test('shows every node, process, service and drive of the conf tree with its kind, endpoint and type', async () => {
  const s = status(await loaded());
  assert.equal(s.nodes.map((n) => n.name), ['n1']);
  const procs = s.nodes[0]!.processes;
  assert.equal(procs.map((p) => p.kind), ['hax', 'confd', 'ios', 'ios']);
  assert.equal(procs.map((p) => p.endpoint.split('@')[1]), ['22001', '22002', '21001', '21002']);
  const ios = procs.find((p) => p.fid === IOS)!;
  assert.equal(ios.services.map((x) => x.type).sort(), ['ios', 'rms']);
  assert.is(ios.drives.length, 2);
  for (const d of ios.drives) {
    assert.ok(d.fid.startsWith('0x6b'), `drive fid ${d.fid} is a drive's (k), not the sdev's`);
    assert.ok(d.sdev.startsWith('0x64'), `sdev fid ${d.sdev}`);
  }
  assert.is(ios.event, null);
});

test('a process event made durable, with a passing check, shows as the process event and its state', async () => {
  const h = await loaded();
  const codec = await Codec.load();
  const msg = codec.encodeMsg({ fid: IOS, sourceProcess: '0:0', sourceService: '0:0', time: 0n, epoch: 0n, tag: 0n, type: 'EVENT_PROCESS', body: { chp_event: 'M0_CONF_HA_PROCESS_STARTED', chp_type: 'M0_CONF_HA_PROCESS_M0D', chp_pid: 1n } });
  h.healthViewed(101, 'ios', [{ serviceId: '3', node: 'n1', nodeStatus: 'passing', serviceStatus: 'passing' }]);
  const d = h.messageReceived(1, 1, msg);
  const txn = d.actions.find((a) => a.kind === 'consul-txn');
  assert.ok(txn?.kind === 'consul-txn', d.reason.code);
  h.consulReplied(txn.opId, true, 500);
  const ios = status(h).nodes[0]!.processes.find((p) => p.fid === IOS)!;
  assert.is(ios.event, 'M0_CONF_HA_PROCESS_STARTED');
  assert.is(ios.state, 'M0_NC_DTM_RECOVERING');   // STARTED, recovery not yet done (hax-reference.md §4)
});

test('the core\'s counters come with the status', async () => {
  const h = await loaded();
  assert.is(status(h).counters.undecodable, undefined);
  h.messageReceived(1, 1, new Uint8Array([1, 2, 3]));
  assert.is(status(h).counters.undecodable, 1);
});

test.run();
