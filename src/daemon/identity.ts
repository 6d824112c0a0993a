// Who this hax is (hax-reference.md §8): its node name (config, env
// HARE_HAX_NODE_NAME, or the agent's NodeName before any ':'), its Consul
// node (KV consul/node/<node>, else the agent's), and its process fid from
// the catalog service `hax` on that node: 0x7200000000000001:<ServiceID>; the
// HA service fid is 0x7300000000000001:<ServiceID+1>.
import type { ConsulClient } from '../consul/client.ts';
import { fidFromKey, parseFid, PROCESS_CONTAINER, SERVICE_CONTAINER, ZERO_FID, type Fid } from '../fid.ts';

export interface Identity { node: string; consulNode: string; processFid: Fid; haServiceFid: Fid; found: boolean }

const hostOf = (n: string) => n.split(':')[0]!;

/** This hax's node name: configured, else $HARE_HAX_NODE_NAME, else the agent's NodeName before any ':'. */
export function nodeNameOf(agentNode: string, override?: string): string {
  return override ?? process.env.HARE_HAX_NODE_NAME ?? hostOf(agentNode);
}

export async function resolveIdentity(consul: ConsulClient, overrides: { node?: string; processFid?: string }, attempts = 20, delayMs = 500): Promise<Identity> {
  const agentNode = await consul.agent.nodeName();
  const node = nodeNameOf(agentNode, overrides.node);
  const consulNode = (await consul.kv.get(`consul/node/${node}`))?.value.trim() || agentNode;
  if (overrides.processFid) {
    const f = parseFid(overrides.processFid);
    if (f) return { node, consulNode, processFid: f, haServiceFid: { container: SERVICE_CONTAINER, key: f.key + 1n }, found: true };
  }
  for (let i = 0; i < attempts; i++) {
    const { services } = await consul.catalog.service('hax');
    const mine = services.find((s) => s.Node === consulNode) ?? services.find((s) => hostOf(s.Node) === hostOf(node));
    const fid = mine ? fidFromKey(PROCESS_CONTAINER, mine.ServiceID) : undefined;
    if (fid) return { node, consulNode, processFid: fid, haServiceFid: { container: SERVICE_CONTAINER, key: fid.key + 1n }, found: true };
    await new Promise((r) => setTimeout(r, delayMs));
  }
  return { node, consulNode, processFid: ZERO_FID, haServiceFid: ZERO_FID, found: false };
}
