// A cluster world: hax on a real Consul cluster (src/demo/hax-cluster.ts: S
// servers, C clients, real gossip and raft, `hax bootstrap` once, one `hax
// run` process per node with its agent's watches pointed at it, the same
// cluster `hax demo --nodes N` shows), plus simulated Motr processes on every
// node talking only to their node's hax over real sockets. Nodes can be
// killed with -9 (agent, hax and processes at once) and brought back. Used by
// test/cluster and bench/cluster.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConsulCluster } from '../../src/consul/cluster.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { Codec } from '../../src/core/codec.ts';
import { startHaxCluster, type HaxNode } from '../../src/demo/hax-cluster.ts';
import { HAX_BIN } from '../helpers/cli.ts';
import { Peer, pfid } from '../behaviour/_world.ts';

export { PROCESS_FID, clusterDescription } from '../../src/demo/cluster-layout.ts';

export interface ClusterNode extends HaxNode {
  peers: Peer[];
}

export interface ClusterWorld {
  readonly cluster: ConsulCluster;
  readonly nodes: ClusterNode[];
  readonly codec: Codec;
  readonly dir: string;
  node(name: string): ClusterNode;
  /** A Consul client of a running node's agent. */
  consul(node?: ClusterNode): ConsulClient;
  /** Starts hax on the node (waits for GET /), then its watches. */
  startHax(node: ClusterNode): Promise<void>;
  /** Connects every Motr process of the node to its hax (entrypoint, link). */
  connectProcesses(node: ClusterNode): Promise<void>;
  /** Connects them if not yet, and sends STARTING, STARTED, DTM_RECOVERED for each (what m0d says up to "Started"). */
  startProcesses(node: ClusterNode): Promise<void>;
  /** kill -9 of the node's hax, its processes (their sockets reset) and its Consul agent. */
  killNode(node: ClusterNode): Promise<void>;
  /** Agent, then hax, then processes (restarting) again. */
  reviveNode(node: ClusterNode): Promise<void>;
  /** The log of a node's hax. */
  haxLog(node: ClusterNode): string;
  stop(): Promise<void>;
}

export interface ClusterWorldOptions { servers?: number; clients?: number }

export async function startClusterWorld(options: ClusterWorldOptions = {}): Promise<ClusterWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'hax-cluster-world-'));
  const hc = await startHaxCluster({ servers: options.servers ?? 3, clients: options.clients ?? 2, prefix: 'srvnode', dir, haxEntry: HAX_BIN,
    haxArgs: ['--log-level', 'info', '--delivery-timeout', '3'] });
  const codec = await Codec.load();
  // the same objects as hc.nodes: what hc sets on a node (hax, ports) is seen here
  const nodes: ClusterNode[] = hc.nodes.map((n) => Object.assign(n, { peers: [] as Peer[] }));

  const world: ClusterWorld = {
    cluster: hc.consul, nodes, codec, dir,
    node: (name) => hc.node(name) as ClusterNode,
    consul: (node) => new ConsulClient((node ?? nodes.find((n) => n.agent.running())!).agent.url),
    startHax: (node) => hc.startHax(node),
    async connectProcesses(node) {
      for (const p of node.processes) {
        if (node.peers.some((x) => x.fid.key === BigInt(p.fidk))) continue;
        const peer = new Peer(`tcp:127.0.0.1:${node.haPort}`, codec, pfid(p.fidk), 'M0_CONF_HA_PROCESS_M0D');
        node.peers.push(peer);
        await peer.connect();
      }
    },
    async startProcesses(node) {
      await world.connectProcesses(node);
      for (const peer of node.peers) {
        await peer.processEvent('STARTING');
        await peer.processEvent('STARTED');
        await peer.processEvent('DTM_RECOVERED');
      }
    },
    killNode: (node) => hc.killNode(node, () => {
      for (const p of node.peers) p.close();
      node.peers = [];
    }),
    async reviveNode(node) {
      await hc.reviveNode(node);
      await world.startProcesses(node);
    },
    haxLog: (node) => hc.haxLog(node),
    async stop() {
      for (const n of nodes) for (const p of n.peers) p.close();
      await hc.stop();
    },
  };
  return world;
}
