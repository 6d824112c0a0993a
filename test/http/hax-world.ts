// A running hax for the hostile-HTTP suites: a real Consul agent with the
// demo cluster seeded, and hax started in this process (startHax), as
// test/http/contract.test.ts does. `kvSnapshot` is the whole KV with each
// key's ModifyIndex, to prove that refused requests changed nothing.
import { startDevAgent, type DevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { demoCluster } from '../../src/demo/demo-cluster.ts';
import { startHax, type HaxConfig, type RunningHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';

export interface HaxWorld {
  agent: DevAgent;
  consul: ConsulClient;
  hax: RunningHax;
  port: number;
  base: string;
  logs: Record<string, unknown>[];
  kvSnapshot(): Promise<[string, string | null, number][]>;
  stop(): Promise<void>;
}

export async function startWorld(node: string, http: Partial<HaxConfig['http']> = {}): Promise<HaxWorld> {
  const agent = await startDevAgent({ nodeName: node });
  try {
    const consul = new ConsulClient(agent.url);
    await seedCluster(consul, demoCluster(node), node);
    const logs: Record<string, unknown>[] = [];
    const log = createLogger({ level: 'info', write: (line: string) => { try { logs.push(JSON.parse(line) as Record<string, unknown>); } catch { /* not JSON */ } } });
    const hax = await startHax({ consulUrl: agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: 0, ...http } }, log);
    const port = hax.httpAddress.port;
    return {
      agent, consul, hax, port, base: `http://127.0.0.1:${port}`, logs,
      kvSnapshot: async () => (await consul.kv.list('')).entries.map((e) => [e.key, e.value, e.entry.ModifyIndex] as [string, string | null, number]),
      stop: async () => { await hax.stop(); await agent.stop(); },
    };
  } catch (error) {
    await agent.stop();
    throw error;
  }
}
