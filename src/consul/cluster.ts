// A real Consul cluster on one machine, for the cluster tests, the demo and
// bench/cluster: S server agents (-server -bootstrap-expect S) and C client
// agents, each with its own node name, data dir, config dir and ports, all
// bound to 127.0.0.1 and joined by -retry-join to the servers' serf ports.
// Gossip, raft, sessions and health are Consul's own: a node killed here
// (SIGKILL) is found failed by its peers as it would be across hosts.
//
// Facts this relies on (consul-facts.md §B): agents on one host need
// -disable-host-node-id (else they derive the same node ID and collide);
// raft_multiplier 1 makes elections fast; a leader and all members alive
// come within seconds.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consulBinary, freePort } from './dev-agent.ts';
import { spawnAgent, type AgentProcess } from './agent-process.ts';

export interface ClusterOptions {
  /** Server agents (default 3): raft needs a majority of them alive. */
  servers?: number;
  /** Client agents (default 2). */
  clients?: number;
  /** Node names are `${prefix}-1` … (default 'srvnode'), servers first. */
  prefix?: string;
  /** Extra JSON config files for every agent's -config-dir. */
  config?: Record<string, unknown>[];
  /** How long to wait for a leader and every member alive (default 60 s). */
  readyTimeoutMs?: number;
}

export interface AgentPorts { http: number; serfLan: number; serfWan: number; server: number }

export interface ClusterAgent {
  readonly name: string;
  readonly server: boolean;
  readonly url: string;
  readonly ports: AgentPorts;
  readonly configDir: string;
  /** The current process's pid (a restart gives a new one). */
  pid(): number;
  running(): boolean;
  /** kill -9: the node dies without leaving; its peers must detect it. */
  kill(): Promise<void>;
  /** Starts the agent again with the same name, data and ports; resolves when it is an alive member again. */
  restart(): Promise<void>;
  /** `consul reload` against this agent: it re-reads its config dir (watches dropped there start). */
  reload(): Promise<void>;
  log(): string;
}

export interface ConsulCluster {
  readonly agents: ClusterAgent[];
  agent(name: string): ClusterAgent;
  /** Resolves when a leader is known and every running agent is an alive member (as `from` sees it). */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Stops every agent by pid (SIGTERM, SIGKILL after 5 s) and removes their data. */
  stop(): Promise<void>;
}

interface Member { Name: string; Status: number }

/** Serf member status "alive" (/v1/agent/members). */
const ALIVE = 1;

export async function startConsulCluster(options: ClusterOptions = {}): Promise<ConsulCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      // a port chosen free was taken meanwhile by another test: start again on fresh ports
      if (!/address already in use/.test((error as Error).message) || attempt >= 3) throw error;
    }
  }
}

async function startOnce(options: ClusterOptions): Promise<ConsulCluster> {
  const servers = options.servers ?? 3;
  const clients = options.clients ?? 2;
  if (!Number.isInteger(servers) || servers < 1 || !Number.isInteger(clients) || clients < 0) {
    throw new Error(`a cluster needs at least 1 server and 0 or more clients (got ${servers} servers, ${clients} clients)`);
  }
  const prefix = options.prefix ?? 'srvnode';
  const bin = await consulBinary();
  const root = mkdtempSync(join(tmpdir(), 'hax-cluster-'));
  const specs: { name: string; server: boolean; ports: AgentPorts }[] = [];
  for (let i = 1; i <= servers + clients; i++) {
    specs.push({ name: `${prefix}-${i}`, server: i <= servers, ports: { http: await freePort(), serfLan: await freePort(), serfWan: await freePort(), server: await freePort() } });
  }
  const joins = specs.filter((s) => s.server).flatMap((s) => ['-retry-join', `127.0.0.1:${s.ports.serfLan}`]);
  const agents: ManagedAgent[] = [];
  for (const spec of specs) agents.push(makeAgent(bin, root, spec, servers, joins, options.config ?? [], () => agents));
  const cluster: ConsulCluster = {
    agents,
    agent: (name) => {
      const a = agents.find((x) => x.name === name);
      if (!a) throw new Error(`no agent named ${name} in this cluster (${agents.map((x) => x.name).join(', ')})`);
      return a;
    },
    waitReady: (timeoutMs = options.readyTimeoutMs ?? 60_000) => waitReady(agents, timeoutMs),
    stop: async () => {
      await Promise.all(agents.map((a) => a.stop()));
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await cluster.waitReady();
  } catch (error) {
    const logs = agents.map((a) => `── ${a.name}\n${a.log().slice(-1500)}`).join('\n');
    await cluster.stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return cluster;
}

interface ManagedAgent extends ClusterAgent { stop(): Promise<void> }

function makeAgent(bin: string, root: string, spec: { name: string; server: boolean; ports: AgentPorts }, servers: number,
  joins: string[], config: Record<string, unknown>[], peers: () => ClusterAgent[]): ManagedAgent {
  const dir = join(root, spec.name);
  const configDir = join(dir, 'config.d');
  mkdirSync(configDir, { recursive: true });
  // fast raft elections on one machine; the values are Consul's own recommendation for production
  writeFileSync(join(configDir, '00-performance.json'), JSON.stringify({ performance: { raft_multiplier: 1 } }));
  config.forEach((c, i) => writeFileSync(join(configDir, `${String(i + 1).padStart(2, '0')}-extra.json`), JSON.stringify(c)));
  const { ports } = spec;
  const args = ['agent', '-node', spec.name, '-bind', '127.0.0.1', '-advertise', '127.0.0.1', '-client', '127.0.0.1', '-disable-host-node-id',
    '-http-port', String(ports.http), '-dns-port', '-1', '-grpc-port', '-1',
    '-serf-lan-port', String(ports.serfLan), '-serf-wan-port', String(ports.serfWan), '-server-port', String(ports.server),
    '-data-dir', join(dir, 'data'), '-config-dir', configDir, ...joins, '-retry-interval', '1s',
    ...(spec.server ? ['-server', '-bootstrap-expect', String(servers)] : [])];
  const logPath = join(dir, 'agent.log');
  let proc: AgentProcess = spawnAgent(bin, args, logPath);
  const url = `http://127.0.0.1:${ports.http}`;
  const self: ManagedAgent = {
    name: spec.name, server: spec.server, url, ports, configDir,
    pid: () => proc.pid,
    running: () => !proc.exited(),
    log: () => proc.log(),
    kill: () => proc.kill(),
    reload: async () => { await promisify(execFile)(bin, ['reload', `-http-addr=${url}`]); },
    stop: () => proc.stop(),
    restart: async () => {
      if (!proc.exited()) throw new Error(`${spec.name} is still running (pid ${proc.pid}); kill it first`);
      proc = spawnAgent(bin, args, logPath);
      await waitReady(peers(), 60_000);
    },
  };
  return self;
}

async function json<T>(url: string): Promise<T | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.json() as T : undefined;
  } catch { return undefined; }
}

/** Every running agent of `agents` knows a leader and sees every running agent of `agents` alive. */
async function waitReady(agents: ClusterAgent[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const live = agents.filter((a) => a.running());
    const dead = agents.find((a) => !a.running() && /address already in use/.test(a.log()));
    if (dead) throw new Error(`consul agent ${dead.name} could not bind its ports: address already in use`);
    const checks = await Promise.all(live.map(async (a) => {
      const leader = await json<string>(`${a.url}/v1/status/leader`);
      if (!leader) return `${a.name}: no leader yet`;
      const members = await json<Member[]>(`${a.url}/v1/agent/members`);
      const missing = live.filter((b) => members?.find((m) => m.Name === b.name)?.Status !== ALIVE).map((b) => b.name);
      return missing.length > 0 ? `${a.name}: not yet alive: ${missing.join(', ')}` : '';
    }));
    // A server back from kill -9 is a raft voter again only after autopilot's
    // stabilisation time: until then losing another server loses the quorum,
    // and no failure would ever be marked (seen once in the demo's RC kill).
    if (!checks.some(Boolean) && live.length > 0) {
      const raft = await json<{ Servers: { Node: string; Voter: boolean }[] }>(`${live[0]!.url}/v1/operator/raft/configuration`);
      const notVoting = live.filter((a) => a.server && !raft?.Servers.some((s) => s.Node === a.name && s.Voter)).map((a) => a.name);
      if (notVoting.length > 0) checks.push(`not yet raft voters: ${notVoting.join(', ')}`);
    }
    last = checks.filter(Boolean).join('; ');
    if (last === '') return;
    if (Date.now() > deadline) throw new Error(`the Consul cluster was not ready within ${timeoutMs / 1000} s: ${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
