// GET /v1/cluster/status walks the whole model in the core (1.9 MB and about
// 100–200 ms of the event loop at 1,000 nodes), so hax reuses an answer while
// the core has taken no input since, and builds a new one after any input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoreHost } from '../../src/core/core-host.ts';
import { CONF, KIND } from '../../src/core/records.ts';
import { createHaxApi } from '../../src/daemon/hax-api.ts';
import { LinkTable } from '../../src/daemon/link-table.ts';
import { parseFid } from '../../src/fid.ts';

const fid = (s: string) => parseFid(s)!;
const NODE = fid('0x6e00000000000001:0x1');
const IOS = fid('0x7200000000000001:0x3');

test('the status is built again only after the core took an input', async () => {
  const core = await CoreHost.load();
  core.identitySet('srvnode-1', fid('0x7200000000000001:0x1'), false);
  core.confLoaded(10, [
    { type: CONF.node, fid: NODE, name: 'srvnode-1', key: `m0conf/nodes/${'0x6e00000000000001:0x1'}`, modifyIndex: 10 },
    { type: CONF.process, fid: IOS, parent: NODE, kind: KIND.ios, name: 'm0_server', endpoint: 'inet:tcp:10.0.0.1@22003', modifyIndex: 10 },
  ]);
  const api = createHaxApi({ core, links: new LinkTable(), apply: () => {}, node: () => 'srvnode-1' });
  const first = api.clusterStatus();
  assert.is(first.nodes[0]!.processes[0]!.event, null);
  assert.ok(api.clusterStatus() === first, 'no input since: the same answer');
  core.processesLoaded(11, [{ fid: IOS, event: 'M0_CONF_HA_PROCESS_STARTED', type: 'M0_CONF_HA_PROCESS_M0D', modifyIndex: 11 }]);
  const second = api.clusterStatus();
  assert.ok(second !== first, 'an input: a new answer');
  assert.is(second.nodes[0]!.processes[0]!.event, 'M0_CONF_HA_PROCESS_STARTED');
});

test.run();
