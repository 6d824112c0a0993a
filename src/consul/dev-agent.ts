// Starts and stops a real Consul agent in -dev mode on loopback, for the demo
// and the tests. Every port the agent opens (HTTP, DNS, gRPC, serf LAN/WAN,
// server RPC) is chosen free, so two agents never collide, and the agent is
// stopped by its pid (agent-process.ts). Several agents that form one real
// cluster: cluster.ts.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnAgent } from './agent-process.ts';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ConsulError } from '../errors.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DevAgent {
  readonly url: string;          // http://127.0.0.1:PORT
  readonly pid: number;
  readonly nodeName: string;
  readonly configDir: string;
  /** SIGTERM by pid, wait for exit; SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** `consul reload` against this agent (re-reads configDir). */
  reload(): Promise<void>;
  log(): string;
}

export interface DevAgentOptions {
  nodeName?: string;
  /** JSON config files to place in the agent's -config-dir before start. */
  config?: Record<string, unknown>[];
  /** Fixed HTTP port (the demo uses one); others are always free ports. */
  httpPort?: number;
}

/** Path of a Consul >= 1.8 binary; installs it into the project cache when missing. */
export async function consulBinary(): Promise<string> {
  const script = join(ROOT, 'scripts', 'ensure-consul.sh');
  // The Debian package carries no scripts/ and installs nothing at run time:
  // there, only a consul the operator has will do.
  if (!existsSync(script)) return installedConsul();
  const { stdout } = await promisify(execFile)('bash', [join(ROOT, 'scripts', 'ensure-consul.sh')], { maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').pop()!;
}

/** $CONSUL_BIN, else `consul` on PATH; else a coded error that says what to do. */
function installedConsul(): string {
  const candidates = [process.env.CONSUL_BIN, ...(process.env.PATH ?? '').split(':').filter((d) => d !== '').map((d) => join(d, 'consul'))];
  for (const c of candidates) {
    if (!c) continue;
    try { accessSync(c, constants.X_OK); return c; } catch { /* not this one */ }
  }
  throw new ConsulError('HAX_ERR_CONSUL_BINARY', 'no Consul agent binary: set CONSUL_BIN to a consul 1.8 or newer, or put one on PATH (the package carries none)');
}

/**
 * The kernel's range of ephemeral ports, which outgoing connections take
 * their local ports from (/proc/sys/net/ipv4/ip_local_port_range).
 */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo! > 0 && hi! >= lo!) return [lo!, hi!];
  } catch { /* not Linux */ }
  return [32768, 60999];
}

/** Ports this process has handed out: never twice. */
const handedOut = new Set<number>();

const tcpFree = (port: number) => new Promise<boolean>((resolve) => {
  const s = createServer();
  s.once('error', () => resolve(false));
  s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
});
const udpFree = (port: number) => new Promise<boolean>((resolve) => {
  const u = createSocket('udp4');
  u.once('error', () => resolve(false));
  u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
});

/**
 * A loopback port free for both TCP and UDP (serf uses both on one port),
 * chosen below the ephemeral range: between this check and the agent's (or
 * hax's) bind, and again while a killed agent is down before its restart on
 * the same ports, an outgoing connection could otherwise take the port as
 * its local one. Ports are drawn at random from 10000 up to the range's
 * start, so that test processes running side by side seldom try the same.
 */
export async function freePort(): Promise<number> {
  const [lo] = ephemeralRange();
  const base = 10000;
  for (let tries = 0; lo - base > 1000 && tries < 200; tries++) {
    const port = base + Math.floor(Math.random() * (lo - base));
    if (handedOut.has(port)) continue;
    if (await tcpFree(port) && await udpFree(port)) { handedOut.add(port); return port; }
  }
  // no room below the ephemeral range: the kernel's choice, as free as it is now
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
    });
    if (!handedOut.has(port) && await udpFree(port)) { handedOut.add(port); return port; }
  }
}

/**
 * A port chosen free can be taken by another process before the agent binds
 * it (tests run side by side): an agent that exits with "address already in
 * use" is started again on fresh ports, up to three times.
 */
export async function startDevAgent(options: DevAgentOptions = {}): Promise<DevAgent> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevAgentOnce(options);
    } catch (error) {
      const collided = /address already in use/.test((error as Error).message);
      if (!collided || attempt >= 3) throw error;
    }
  }
}

async function startDevAgentOnce(options: DevAgentOptions): Promise<DevAgent> {
  const bin = await consulBinary();
  const dataDir = mkdtempSync(join(tmpdir(), 'hax-consul-'));
  const configDir = join(dataDir, 'config.d');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(configDir);
  (options.config ?? []).forEach((c, i) => writeFileSync(join(configDir, `${i}.json`), JSON.stringify(c)));
  const ports = { http: options.httpPort ?? await freePort(), serfLan: await freePort(), serfWan: await freePort(), server: await freePort() };
  const nodeName = options.nodeName ?? 'hax-test';
  const args = ['agent', '-dev', '-bind', '127.0.0.1', '-client', '127.0.0.1', '-node', nodeName,
    '-http-port', String(ports.http), '-dns-port', '-1', '-grpc-port', '-1',
    '-serf-lan-port', String(ports.serfLan), '-serf-wan-port', String(ports.serfWan), '-server-port', String(ports.server),
    '-data-dir', join(dataDir, 'data'), '-config-dir', configDir];
  const agent = spawnAgent(bin, args, join(dataDir, 'agent.log'));
  let finalLog: string | undefined;
  const output = (): string => finalLog ?? agent.log();
  const url = `http://127.0.0.1:${ports.http}`;

  const stop = async (): Promise<void> => {
    await agent.stop();
    finalLog ??= output();
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (agent.exited()) { const log = output(); await stop(); throw new Error(`consul agent exited early (code ${agent.exitCode()}):\n${log.slice(-4000)}`); }
    try {
      const res = await fetch(`${url}/v1/status/leader`);
      const body = await res.text();
      if (res.ok && body.includes(':')) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) { await stop(); throw new Error(`consul agent at ${url} elected no leader in 20 s:\n${output().slice(-4000)}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, pid: agent.pid, nodeName, configDir, stop, log: output,
    reload: async () => { await promisify(execFile)(bin, ['reload', `-http-addr=${url}`]); },
  };
}
