// The demo's cluster: bootstrap's example file (docs/examples/cluster.yaml:
// one node with hax, a confd and two ioservices with their drives, one pool),
// with its node renamed to the demo agent's node.
import { fileURLToPath } from 'node:url';
import { readClusterFile, type Cluster } from '../bootstrap/cluster.ts';

export const EXAMPLE_CLUSTER = fileURLToPath(new URL('../../docs/examples/cluster.yaml', import.meta.url));

export function demoCluster(nodeName: string): Cluster {
  const cluster = readClusterFile(EXAMPLE_CLUSTER);
  const from = cluster.nodes[0]!.name;
  cluster.nodes[0]!.name = nodeName;
  cluster.pools = cluster.pools?.map((p) => ({ ...p, drives: p.drives?.map((d) => d.replace(`${from}:`, `${nodeName}:`)) }));
  return cluster;
}
