// A world for the behaviour tests: a real Consul agent seeded by `hax
// bootstrap`'s code with a small cluster (one node: hax, a confd, two ios
// with three drives, one pool; plus a catalog-only remote node), hax with
// its real native shim and core, and Motr peers on real sockets that can
// send any m0_ha_msg and see everything hax sends them.
import { startDevAgent, freePort, type DevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { normaliseCluster, type Cluster } from '../../src/bootstrap/cluster.ts';
import { watchConfig } from '../../src/consul/watch-config.ts';
import { startHax, type RunningHax, type HaxConfig } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { Codec, type HaMsg } from '../../src/core/codec.ts';
import { LinkClient, CONTROL_CONSUME, type EntrypointRep } from '../../src/sim/link-client.ts';
import { PROCESS_CONTAINER, formatFid, type Fid } from '../../src/fid.ts';

export const NODE = 'bt-node-1';
export const REMOTE = 'bt-remote-2';
export const pfid = (k: number): Fid => ({ container: PROCESS_CONTAINER, key: BigInt(k) });
export const F = {
  hax: '0x7200000000000001:0x1', confd: '0x7200000000000001:0x2', ios3: '0x7200000000000001:0x3', ios4: '0x7200000000000001:0x4',
  remoteIos: '0x7200000000000001:0x6',
  svcIos3: '0x7300000000000001:0x5', svcRms3: '0x7300000000000001:0x6', svcConfd: '0x7300000000000001:0x3',
  sdev1: '0x6400000000000001:0x1', sdev2: '0x6400000000000001:0x2', sdev3: '0x6400000000000001:0x3',
  drive1: '0x6b00000000000001:0x1', drive2: '0x6b00000000000001:0x2', drive3: '0x6b00000000000001:0x3',
  node: '0x6e00000000000001:0x1', encl: '0x6500000000000001:0x1', ctrl: '0x6300000000000001:0x1',
  pool: '0x6f00000000000001:0x1', site: '0x5300000000000001:0x1', profile: '0x7000000000000001:0x1',
} as const;

export function testCluster(): Cluster {
  return normaliseCluster({
    nodes: [
      { name: NODE, processes: [
        { kind: 'hax', fidk: 1, port: 22001 }, { kind: 'confd', fidk: 2, port: 22002 },
        { kind: 'ios', fidk: 3, port: 21001, drives: ['/dev/sda', '/dev/sdb'] }, { kind: 'ios', fidk: 4, port: 21002, drives: ['/dev/sdc'] },
      ] },
      { name: REMOTE, processes: [{ kind: 'confd', fidk: 5, port: 22002, address: 'inet:tcp:127.0.0.2' }, { kind: 'ios', fidk: 6, port: 21001, address: 'inet:tcp:127.0.0.2', drives: ['/dev/sda'] }] },
    ],
    pools: [{ name: 'the pool' }],
  });
}

export interface World {
  agent: DevAgent; consul: ConsulClient; hax: RunningHax; codec: Codec; logs: string[]; httpPort: number;
  peer(fidk: number, type?: string): Promise<Peer>;
  reasons(code: string): number;
  stop(): Promise<void>;
}

export async function startWorld(options: { watches?: boolean; cluster?: Cluster; hax?: Partial<HaxConfig> } = {}): Promise<World> {
  const httpPort = await freePort();
  const config = options.watches ? [watchConfig({ haxUrl: `http://127.0.0.1:${httpPort}`, services: ['hax', 'confd', 'ios'] })] : [];
  const agent = await startDevAgent({ nodeName: NODE, config });
  const consul = new ConsulClient(agent.url);
  await seedCluster(consul, options.cluster ?? testCluster(), NODE);
  const logs: string[] = [];
  const hax = await startHax({ consulUrl: agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: httpPort }, deliveryTimeoutMs: 1500, ...options.hax },
    createLogger({ level: 'debug', write: (l) => { logs.push(l); if (logs.length > 50_000) logs.splice(0, 25_000); } }));
  const codec = await Codec.load();
  const peers: Peer[] = [];
  return {
    agent, consul, hax, codec, logs, httpPort,
    async peer(fidk, type = 'M0_CONF_HA_PROCESS_M0D') {
      const p = new Peer(hax.haLinkAddresses[0]!, codec, pfid(fidk), type);
      peers.push(p);
      await p.connect();
      await until('the link in hax', () => hax.links.active().some((l) => l.processFid.key === BigInt(fidk)) ? true : undefined);
      return p;
    },
    reasons: (code) => hax.reasons.filter((r) => r === code).length,
    async stop() {
      for (const p of peers) p.close();
      await hax.stop();
      await agent.stop();
    },
  };
}

/** A Motr process's side of one HA link. */
export class Peer {
  readonly link: LinkClient;
  /** Raw messages as they came; decoded on first read (decoding is slow, and benches time the link's other side). */
  readonly #raw: Uint8Array[] = [];
  /** Date.now() when each raw message came (benches time notes without polling fast). */
  readonly #rawAt: number[] = [];
  readonly #decoded: HaMsg[] = [];
  readonly replies: EntrypointRep[] = [];
  readonly #waiting = new Map<number, () => void>();
  readonly fid: Fid;
  readonly #codec: Codec;
  readonly #type: string;

  constructor(address: string, codec: Codec, fid: Fid, type: string) {
    this.fid = fid;
    this.#codec = codec;
    this.#type = type;
    this.link = new LinkClient({ address, processFid: fid });
    this.link.on('message', (tag, msg) => { this.#raw.push(msg.slice()); this.#rawAt.push(Date.now()); this.link.delivered(tag); });
    this.link.on('delivered', (tag) => { this.#waiting.get(tag)?.(); this.#waiting.delete(tag); });
    this.link.on('entrypoint-reply', (rep) => this.replies.push(rep));
    this.link.on('error', () => {});
  }

  /** Every message hax sent on this link, decoded. */
  get received(): HaMsg[] {
    while (this.#decoded.length < this.#raw.length) this.#decoded.push(this.#codec.decodeMsg(this.#raw[this.#decoded.length]!));
    return this.#decoded;
  }

  connect(timeoutMs = 20_000): Promise<EntrypointRep> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no CONSUME entrypoint reply')), timeoutMs);
      const on = (rep: EntrypointRep) => { if (rep.control !== CONTROL_CONSUME) return; clearTimeout(t); this.link.off('entrypoint-reply', on); resolve(rep); };
      this.link.on('entrypoint-reply', on);
      this.link.connect().catch((e) => { clearTimeout(t); reject(e); });
    });
  }

  /** Sends one message; resolves when hax acknowledged (delivered) it. */
  send(type: string, body: Record<string, unknown>, fid = formatFid(this.fid), timeoutMs = 20_000): Promise<void> {
    const msg = this.#codec.encodeMsg({ fid, sourceProcess: '0:0', sourceService: '0:0', time: 0n, epoch: 0n, tag: 0n, type, body });
    const tag = this.link.send(msg);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.#waiting.delete(tag); reject(new Error(`hax did not acknowledge ${type} (tag ${tag})`)); }, timeoutMs);
      this.#waiting.set(tag, () => { clearTimeout(t); resolve(); });
    });
  }

  processEvent(event: string, type = this.#type, fid = formatFid(this.fid)): Promise<void> {
    return this.send('EVENT_PROCESS', { chp_event: `M0_CONF_HA_PROCESS_${event}`, chp_type: type, chp_pid: 4242n }, fid);
  }

  /** Every note of every NVEC SET received so far. */
  notes(): { fid: string; state: string }[] {
    return this.received.filter((m) => m.type === 'NVEC' && (m.body as { hmnv_id_of_get: bigint }).hmnv_id_of_get === 0n)
      .flatMap((m) => (m.body as { hmnv_arr: { no_id: string; no_state: string }[] }).hmnv_arr.map((n) => ({ fid: n.no_id, state: n.no_state })));
  }

  noteOf(fid: string, state: string): boolean { return this.notes().some((n) => n.fid === fid && n.state === state); }

  /** How many messages came at or after `since` (Date.now()), without decoding any. */
  messagesSince(since: number): number {
    let n = 0;
    for (let i = this.#rawAt.length - 1; i >= 0 && this.#rawAt[i]! >= since; i--) n++;
    return n;
  }

  /** When the first NVEC SET with a note of `fid` in one of `states` came (Date.now()), at or after `since`; undefined if none yet. */
  noteTime(fid: string, states: string[], since = 0): number | undefined {
    const msgs = this.received;
    for (let i = 0; i < msgs.length; i++) {
      if (this.#rawAt[i]! < since) continue;
      const m = msgs[i]!;
      if (m.type !== 'NVEC' || (m.body as { hmnv_id_of_get: bigint }).hmnv_id_of_get !== 0n) continue;
      if ((m.body as { hmnv_arr: { no_id: string; no_state: string }[] }).hmnv_arr.some((n) => n.no_id === fid && states.includes(n.no_state))) return this.#rawAt[i];
    }
    return undefined;
  }

  close(): void { this.link.close(); }
}

export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The positive control for "hax broadcast nothing": the observer itself
 * reports DTM_RECOVERED, whose ONLINE broadcast goes to every link, and we
 * wait until it arrives. Hax sends on one link in order, so every broadcast
 * it made before the marker has arrived by then: what is missing was never
 * sent. Returns the notes that came since `from` (the observer's
 * notes().length taken before the inputs under test), the marker's included.
 */
export async function notesUntilMarker(observer: Peer, from: number): Promise<{ fid: string; state: string }[]> {
  const marker = formatFid(observer.fid);
  const markers = () => observer.notes().filter((n) => n.fid === marker && n.state === 'M0_NC_ONLINE').length;
  const had = markers();
  await observer.processEvent('DTM_RECOVERED');
  await until(`the marker broadcast (${marker} ONLINE)`, () => markers() > had || undefined);
  return observer.notes().slice(from);
}

/** Publishes on the broadcast queue as every hax does (hax-reference.md §6.4): CAS on epoch and bq/<next> in one txn. */
export async function publishBq(consul: ConsulClient, payload: unknown, type = 'PROCESS-STATE-UPDATE'): Promise<number> {
  for (;;) {
    const e = (await consul.kv.get('epoch'))!;
    const next = Number(e.value) + 1;
    const res = await consul.txn.apply([{ verb: 'cas', key: 'epoch', value: String(next), index: e.entry.ModifyIndex },
      { verb: 'set', key: `bq/${next}`, value: JSON.stringify({ timestamp: '1', message_type: type, payload }) }]);
    if (res.ok) return next;
  }
}
