// hax on a real Consul cluster, one machine: a Consul cluster
// (consul/cluster.ts: S servers, C clients, real gossip and raft), `hax
// bootstrap` run once, and one `hax run` child process per node talking only
// to its own agent, with that agent's service watches pointed at it. A node
// can be killed with -9 (its hax and agent at once) and brought back.
// `hax demo --nodes N` tells its story on this; test/cluster/_world.ts and
// bench/cluster add simulated Motr processes of their own on top.
//
// Everything is stopped by pid. Once stop() has begun nothing new is
// spawned (startHax and reviveNode refuse), so a stop that races a step in
// progress leaves no process behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startConsulCluster, type ClusterAgent, type ConsulCluster } from '../consul/cluster.ts';
import { freePort } from '../consul/dev-agent.ts';
import { watchConfig } from '../consul/watch-config.ts';
import { clusterDescription, haxFidk, nodeProcesses, type NodeProcess } from './cluster-layout.ts';

export interface HaxNode {
  readonly name: string;
  /** 1-based position: the fids of its processes derive from it (cluster-layout.ts). */
  readonly index: number;
  readonly agent: ClusterAgent;
  readonly server: boolean;
  /** Motr processes of this node, hax excluded. */
  readonly processes: NodeProcess[];
  readonly haxFidk: number;
  /** hax's HTTP port (0 until its first start; kept across restarts). */
  httpPort: number;
  /** hax's HA-link port (0 until its first start; kept across restarts). */
  haPort: number;
  /** The running (or last) `hax run` child. */
  hax?: ChildProcess;
}

export interface HaxCluster {
  readonly consul: ConsulCluster;
  readonly nodes: HaxNode[];
  /** Holds each node's hax log (<node>.hax.log), the cluster description, and is hax's working directory. */
  readonly dir: string;
  node(name: string): HaxNode;
  /** Starts hax on the node (waits for GET /), then points its agent's watches at it. */
  startHax(node: HaxNode): Promise<void>;
  /** kill -9 of the node's hax, then `alsoKill` (its processes), then kill -9 of its agent. */
  killNode(node: HaxNode, alsoKill?: () => void): Promise<void>;
  /** The node's agent again (with the same name, data and ports): resolves once it is an alive member. */
  reviveAgent(node: HaxNode): Promise<void>;
  /** reviveAgent, then startHax. */
  reviveNode(node: HaxNode): Promise<void>;
  /** The log of a node's hax. */
  haxLog(node: HaxNode): string;
  /** Every hax (SIGTERM, SIGKILL after 10 s), then every agent, by pid. Safe to call twice. */
  stop(): Promise<void>;
}

export interface HaxClusterOptions {
  servers: number;
  clients: number;
  /** Node names are `${prefix}-1` …, servers first. */
  prefix: string;
  dir: string;
  /** The `hax` entry script the children run with this Node (bin/hax.js in a source tree). */
  haxEntry: string;
  /** The HTTP port of a node's hax at its first start (default: a free one). */
  httpPortFor?(node: HaxNode): Promise<number>;
  /** Extra flags for every `hax run`. */
  haxArgs?: string[];
}

const isRunning = (c: ChildProcess | undefined): boolean => c !== undefined && c.exitCode === null && c.signalCode === null;

/** Starts the Consul cluster and bootstraps it; hax is started per node by the caller (startHax). */
export async function startHaxCluster(options: HaxClusterOptions): Promise<HaxCluster> {
  mkdirSync(options.dir, { recursive: true });
  const consul = await startConsulCluster({ servers: options.servers, clients: options.clients, prefix: options.prefix });
  const nodes: HaxNode[] = consul.agents.map((agent, k) => ({
    name: agent.name, index: k + 1, agent, server: agent.server, processes: nodeProcesses(k + 1, agent.server),
    haxFidk: haxFidk(k + 1), httpPort: 0, haPort: 0,
  }));
  const file = join(options.dir, 'cluster.yaml');
  writeFileSync(file, clusterDescription(nodes.map((n) => n.name), options.servers));
  const boot = await runChild(options.haxEntry, ['bootstrap', '--consul', nodes[0]!.agent.url, '--cluster', file, '--leader', nodes[0]!.name], options.dir);
  if (boot.status !== 0) { await consul.stop(); throw new Error(`hax bootstrap failed: ${boot.output.slice(-2000)}`); }

  let stopping: Promise<void> | undefined;
  const refuseIfStopping = (what: string) => { if (stopping) throw new Error(`not ${what}: the cluster is stopping`); };
  const self: HaxCluster = {
    consul, nodes, dir: options.dir,
    node: (name) => nodes.find((n) => n.name === name) ?? (() => { throw new Error(`no node ${name}`); })(),
    async startHax(node) {
      refuseIfStopping(`starting hax on ${node.name}`);
      node.httpPort ||= await (options.httpPortFor?.(node) ?? freePort());
      node.haPort ||= await freePort();
      refuseIfStopping(`starting hax on ${node.name}`);
      const logFd = openSync(join(options.dir, `${node.name}.hax.log`), 'a');
      const hax = spawn(process.execPath, [options.haxEntry, 'run', '--consul', node.agent.url, '--listen', `tcp:127.0.0.1:${node.haPort}`,
        '--http', `127.0.0.1:${node.httpPort}`, ...(options.haxArgs ?? [])], { cwd: options.dir, stdio: ['ignore', logFd, logFd] });
      closeSync(logFd);
      node.hax = hax;
      const deadline = Date.now() + 60_000;
      for (;;) {
        try { if ((await fetch(`http://127.0.0.1:${node.httpPort}/`)).ok) break; } catch { /* not yet */ }
        if (!isRunning(hax)) throw new Error(`hax on ${node.name} exited with ${hax.exitCode ?? hax.signalCode}: ${self.haxLog(node).slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`hax on ${node.name} did not answer GET / within 60 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      refuseIfStopping(`pointing ${node.name}'s watches at its hax`);
      writeFileSync(join(node.agent.configDir, 'hax-watches.json'),
        JSON.stringify(watchConfig({ haxUrl: `http://127.0.0.1:${node.httpPort}`, services: ['hax', 'confd', 'ios'] })));
      await node.agent.reload();
    },
    async killNode(node, alsoKill) {
      const hax = node.hax;
      const exited = isRunning(hax) ? new Promise((r) => hax!.once('exit', r)) : undefined;
      hax?.kill('SIGKILL');
      alsoKill?.();
      await node.agent.kill();
      await exited;
    },
    async reviveAgent(node) {
      refuseIfStopping(`reviving ${node.name}`);
      // restart() spawns before its first await: a stop() from here on stops the new agent
      await node.agent.restart();
    },
    async reviveNode(node) {
      await self.reviveAgent(node);
      await self.startHax(node);
    },
    haxLog: (node) => { try { return readFileSync(join(options.dir, `${node.name}.hax.log`), 'utf8'); } catch { return ''; } },
    stop: () => stopping ??= (async () => {
      await Promise.all(nodes.map((n) => stopChild(n.hax)));
      await consul.stop();
    })(),
  };
  return self;
}

/** SIGTERM, SIGKILL after 10 s; resolves when it has exited. */
function stopChild(child: ChildProcess | undefined): Promise<void> | undefined {
  if (!child || !isRunning(child)) return undefined;
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    killer.unref();
    child.once('exit', () => { clearTimeout(killer); resolve(); });
    child.kill('SIGTERM');
  });
}

/** Runs `hax ARGS` to its end, with its output collected. */
function runChild(entry: string, args: string[], cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [entry, ...args], { cwd });
    let output = '';
    c.stdout.on('data', (d) => { output += d; });
    c.stderr.on('data', (d) => { output += d; });
    c.on('close', (status) => resolve({ status, output }));
  });
}
