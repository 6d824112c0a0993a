// A cluster world: a real Consul cluster (cluster.ts: S servers, C clients,
// real gossip and raft), `hax bootstrap` run once, one `hax run` process per
// node talking only to its own agent (with that agent's watches pointed at
// it), and simulated Motr processes on every node talking only to their
// node's hax over real sockets. Nodes can be killed with -9 (agent, hax and
// processes at once) and brought back. Used by test/cluster and bench/cluster.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsulCluster, type ClusterAgent, type ConsulCluster } from '../../src/consul/cluster.ts';
import { freePort } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { watchConfig } from '../../src/consul/watch-config.ts';
import { Codec } from '../../src/core/codec.ts';
import { HAX_BIN, runHax } from '../helpers/cli.ts';
import { Peer, pfid } from '../behaviour/_world.ts';

export const PROCESS_FID = (fidk: number) => `0x7200000000000001:0x${fidk.toString(16)}`;

export interface ClusterNode {
  readonly name: string;
  readonly index: number;
  readonly agent: ClusterAgent;
  readonly server: boolean;
  /** Motr processes of this node (fidk → Motr process type), hax excluded. */
  readonly processes: { fidk: number; kind: 'confd' | 'ios' }[];
  haxFidk: number;
  httpPort: number;
  haPort: number;
  hax?: ChildProcess;
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

/** Every node: hax and an ios (one drive); the servers also a confd. Fidks: node i has 10i+1 (hax), 10i+2 (ios), 10i+3 (confd). */
export function clusterDescription(names: string[], servers: number): string {
  const lines = ['nodes:'];
  names.forEach((name, k) => {
    const i = k + 1;
    lines.push(`  - name: ${name}`, '    processes:', `      - { kind: hax, fidk: ${i * 10 + 1}, port: ${22000 + i * 10 + 1} }`,
      `      - { kind: ios, fidk: ${i * 10 + 2}, port: ${21000 + i * 10 + 2}, drives: [/dev/sdb] }`);
    if (i <= servers) lines.push(`      - { kind: confd, fidk: ${i * 10 + 3}, port: ${22000 + i * 10 + 3} }`);
  });
  return lines.join('\n') + '\n';
}

export async function startClusterWorld(options: ClusterWorldOptions = {}): Promise<ClusterWorld> {
  const servers = options.servers ?? 3;
  const clients = options.clients ?? 2;
  const cluster = await startConsulCluster({ servers, clients, prefix: 'srvnode' });
  const dir = mkdtempSync(join(tmpdir(), 'hax-cluster-world-'));
  const codec = await Codec.load();
  const nodes: ClusterNode[] = cluster.agents.map((agent, k) => ({
    name: agent.name, index: k + 1, agent, server: agent.server,
    processes: [{ fidk: (k + 1) * 10 + 2, kind: 'ios' as const }, ...(agent.server ? [{ fidk: (k + 1) * 10 + 3, kind: 'confd' as const }] : [])],
    haxFidk: (k + 1) * 10 + 1, httpPort: 0, haPort: 0, peers: [],
  }));
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, clusterDescription(nodes.map((n) => n.name), servers));
  const boot = await runHax('bootstrap', '--consul', nodes[0].agent.url, '--cluster', file, '--leader', nodes[0].name);
  if (boot.status !== 0) { await cluster.stop(); throw new Error(`hax bootstrap failed: ${boot.stderr}`); }

  const world: ClusterWorld = {
    cluster, nodes, codec, dir,
    node: (name) => nodes.find((n) => n.name === name) ?? (() => { throw new Error(`no node ${name}`); })(),
    consul: (node) => new ConsulClient((node ?? nodes.find((n) => n.agent.running())!).agent.url),
    async startHax(node) {
      node.httpPort ||= await freePort();
      node.haPort ||= await freePort();
      const logFd = openSync(join(dir, `${node.name}.hax.log`), 'a');
      node.hax = spawn(process.execPath, [HAX_BIN, 'run', '--consul', node.agent.url, '--listen', `tcp:127.0.0.1:${node.haPort}`,
        '--http', `127.0.0.1:${node.httpPort}`, '--log-level', 'info', '--delivery-timeout', '3'], { cwd: dir, stdio: ['ignore', logFd, logFd] });
      closeSync(logFd);
      const deadline = Date.now() + 60_000;
      for (;;) {
        try { if ((await fetch(`http://127.0.0.1:${node.httpPort}/`)).ok) break; } catch { /* not yet */ }
        if (node.hax.exitCode !== null) throw new Error(`hax on ${node.name} exited with ${node.hax.exitCode}: ${world.haxLog(node).slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`hax on ${node.name} did not answer GET / within 60 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      writeFileSync(join(node.agent.configDir, 'hax-watches.json'),
        JSON.stringify(watchConfig({ haxUrl: `http://127.0.0.1:${node.httpPort}`, services: ['hax', 'confd', 'ios'] })));
      await node.agent.reload();
    },
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
    async killNode(node) {
      node.hax?.kill('SIGKILL');
      for (const p of node.peers) p.close();
      node.peers = [];
      await node.agent.kill();
      if (node.hax && node.hax.exitCode === null && node.hax.signalCode === null) await new Promise((r) => node.hax!.once('exit', r));
    },
    async reviveNode(node) {
      await node.agent.restart();
      await world.startHax(node);
      await world.startProcesses(node);
    },
    haxLog: (node) => { try { return readFileSync(join(dir, `${node.name}.hax.log`), 'utf8'); } catch { return ''; } },
    async stop() {
      for (const n of nodes) for (const p of n.peers) p.close();
      await Promise.all(nodes.map((n) => n.hax && n.hax.exitCode === null && n.hax.signalCode === null
        ? new Promise((r) => { n.hax!.once('exit', r); n.hax!.kill('SIGTERM'); setTimeout(() => n.hax!.kill('SIGKILL'), 10_000).unref(); }) : undefined));
      await cluster.stop();
    },
  };
  return world;
}
