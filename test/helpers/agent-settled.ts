// A fresh Consul agent registers itself (its node, the `consul` service) in
// the catalog shortly after start; tests that compare the catalog before and
// after a command wait for that first, or the agent's own change shows up as
// theirs.
import type { DevAgent } from '../../src/consul/dev-agent.ts';
import { waitFor } from './wait.ts';

export async function agentSettled(agent: DevAgent): Promise<void> {
  await waitFor(`agent ${agent.nodeName} registered in its own catalog`, async () => {
    const nodes = await (await fetch(`${agent.url}/v1/catalog/nodes`)).json() as { Node: string }[];
    const services = await (await fetch(`${agent.url}/v1/catalog/services`)).json() as Record<string, unknown>;
    return nodes.some((n) => n.Node === agent.nodeName) && 'consul' in services;
  }, 20_000, 100);
}
