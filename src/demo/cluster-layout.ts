// The many-node cluster of `hax demo --nodes N`, the cluster tests and
// bench/cluster: every node runs hax and an ioservice (one drive); the nodes
// whose Consul agent is a server also run a confd, so that the RC can move to
// any of them. Fids follow the node's position, which makes every process
// recognisable in a log: node i has fidk 10i+1 (hax), 10i+2 (ios), 10i+3 (confd).
import { PROCESS_CONTAINER, formatFid } from '../fid.ts';

export type MotrKind = 'confd' | 'ios';

/** A Motr process of a node (hax excluded): its fid key and Motr kind. */
export interface NodeProcess { fidk: number; kind: MotrKind }

export const haxFidk = (index: number): number => index * 10 + 1;

/** The Motr processes of the node at `index` (1-based), hax excluded. */
export function nodeProcesses(index: number, server: boolean): NodeProcess[] {
  return [{ fidk: index * 10 + 2, kind: 'ios' }, ...(server ? [{ fidk: index * 10 + 3, kind: 'confd' as const }] : [])];
}

/** A process fid as Consul KV (processes/<fid>) and the HA notes write it. */
export const PROCESS_FID = (fidk: number): string => formatFid({ container: PROCESS_CONTAINER, key: BigInt(fidk) });

/** The cluster description `hax bootstrap --cluster` reads (docs/examples/cluster.yaml's format); the first `servers` nodes host a confd. */
export function clusterDescription(names: string[], servers: number): string {
  const lines = ['nodes:'];
  names.forEach((name, k) => {
    const i = k + 1;
    lines.push(`  - name: ${name}`, '    processes:', `      - { kind: hax, fidk: ${haxFidk(i)}, port: ${22000 + haxFidk(i)} }`,
      `      - { kind: ios, fidk: ${i * 10 + 2}, port: ${21000 + i * 10 + 2}, drives: [/dev/sdb] }`);
    if (i <= servers) lines.push(`      - { kind: confd, fidk: ${i * 10 + 3}, port: ${22000 + i * 10 + 3} }`);
  });
  return lines.join('\n') + '\n';
}
