// bench/events' first floor: what the Consul agent itself takes. A plain
// client (ConsulClient, no hax) sends the ops hax sends per process event —
// processes/<fid>, the bq/<epoch> entry and epoch: 3 ops — in /v1/txn to the
// same agent: one event per txn from one client (sequential, as a write that
// must be durable before its ack), and 21 events per txn (63 ops, under
// Consul's cap of 64) from 16 clients at once (the batching hax's writer does).
import { ConsulClient } from '../../src/consul/client.ts';

export interface FloorResult { name: string; events: number; seconds: number; perSecond: number }

function eventOps(i: number, fidk: number): { verb: 'set'; key: string; value: string }[] {
  const fid = `0x7200000000000001:0x${fidk.toString(16)}`;
  return [
    { verb: 'set', key: `processes/${fid}`, value: `{"state": "M0_CONF_HA_PROCESS_STARTED", "type": "M0_CONF_HA_PROCESS_M0D"}` },
    { verb: 'set', key: `floor-bq/${i}`, value: `{"message_type": "PROCESS-STATE-UPDATE", "payload": {"fid": "${fid}", "state": "M0_CONF_HA_PROCESS_STARTED"}}` },
    { verb: 'set', key: 'floor-epoch', value: String(i) },
  ];
}

export async function consulFloors(agentUrl: string, events: number, clients: number): Promise<FloorResult[]> {
  const consul = new ConsulClient(agentUrl);
  const out: FloorResult[] = [];
  // one event per txn, one client
  const single = Math.min(events, 2000);
  let t0 = performance.now();
  for (let i = 0; i < single; i++) {
    const r = await consul.txn.apply(eventOps(i, 10 + (i % 16)));
    if (!r.ok) throw new Error('floor txn failed');
  }
  let s = (performance.now() - t0) / 1000;
  out.push({ name: 'Consul: 1 client, 1 event per txn', events: single, seconds: s, perSecond: single / s });
  // 21 events per txn, `clients` clients at once
  const PER_TXN = 21;
  let next = 0;
  t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < events) {
      const from = next;
      next = Math.min(events, next + PER_TXN);
      const ops = [];
      for (let i = from; i < next; i++) ops.push(...eventOps(i, 10 + (i % 16)));
      const r = await consul.txn.apply(ops);
      if (!r.ok) throw new Error('floor txn failed');
    }
  }));
  s = (performance.now() - t0) / 1000;
  out.push({ name: `Consul: ${clients} clients, ${PER_TXN} events per txn`, events, seconds: s, perSecond: events / s });
  await consul.kv.delete('floor-bq/', { recurse: true });
  await consul.kv.delete('floor-epoch');
  return out;
}
