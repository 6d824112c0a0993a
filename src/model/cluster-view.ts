// The part of Consul an entrypoint reply is made of, kept current with
// blocking queries instead of being read per request: the confds (catalog
// service `confd`) and the principal RM (the node holding the `leader`
// session, its confd's endpoint and its `rms` service fid).
import type { ConsulClient } from '../consul/client.ts';
import type { CatalogService } from '../consul/catalog.ts';
import { BlockingWatch, watchLogHooks } from '../consul/blocking.ts';
import { fidFromKey, PROCESS_CONTAINER, SERVICE_CONTAINER, type Fid } from '../fid.ts';

export interface Endpointed { fid: Fid; endpoint: string }
export interface ClusterView { confds: Endpointed[]; rm: Endpointed | null; /** the leader key's value is this node: it is the RC */ isRc?: boolean }

export interface ClusterViewEvents {
  onView(view: ClusterView, why: string): void;
  /** What the `leader` key holds now (the RC election's input): its value and the session holding it ('' none). */
  onLeader?(value: string, session: string): void;
  onLog(level: 'info' | 'warn' | 'debug', msg: string, fields?: Record<string, unknown>): void;
}

/** Motr endpoint of a catalog service: addr@port, or addr:port for lnet (hare's rule). */
export function serviceEndpoint(s: CatalogService): string {
  const sep = s.ServiceMeta?.transport_type === 'lnet' ? ':' : '@';
  return `${s.ServiceAddress || s.Address}${sep}${s.ServicePort}`;
}

/** Consul node names in hare's layout may carry ":<machine id>"; compare the part before. */
const hostOf = (node: string) => node.split(':')[0];

export class ClusterViewSource {
  readonly #consul: ConsulClient;
  readonly #events: ClusterViewEvents;
  #confds: CatalogService[] = [];
  #leaderSession: string | undefined;
  #leaderValue = '';
  readonly #node: string | undefined;
  readonly #watches: BlockingWatch<unknown>[] = [];
  /** Why the view must be published again (set while a publish is running). */
  #dirty: string | undefined;
  #publishing: Promise<void> | undefined;

  constructor(consul: ConsulClient, events: ClusterViewEvents, node?: string) {
    this.#consul = consul;
    this.#node = node;
    this.#events = events;
  }

  /** Starts both watches; resolves once each has delivered its first result. */
  async start(): Promise<void> {
    const { onError, onSkip } = watchLogHooks((level, msg, fields) => this.#events.onLog(level, msg, fields));
    const confd = new BlockingWatch<CatalogService[]>({
      name: 'catalog confd', onError: onError('catalog confd'), onSkip,
      fetch: async (index, wait, signal) => { const r = await this.#consul.catalog.service('confd', { index, wait, signal }); return { value: r.services, index: r.index }; },
      onChange: async (services) => { this.#confds = services; await this.#publish('catalog service confd changed'); },
    });
    const leader = new BlockingWatch<{ session?: string; value: string }>({
      name: 'kv leader', onError: onError('kv leader'), onSkip,
      fetch: async (index, wait, signal) => {
        const r = await this.#consul.kv.list('leader', { index, wait, signal });
        const entry = r.entries.find((e) => e.key === 'leader');
        return { value: { session: entry?.entry.Session || undefined, value: entry?.value ?? '' }, index: r.index };
      },
      onChange: async (v) => {
        this.#leaderSession = v.session; this.#leaderValue = v.value;
        this.#events.onLeader?.(v.value, v.session ?? '');
        await this.#publish('leader session changed');
      },
    });
    this.#watches.push(confd as BlockingWatch<unknown>, leader as BlockingWatch<unknown>);
    confd.start(); leader.start();
    await Promise.all([confd.ready(), leader.ready()]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.#watches.map((w) => w.stop()));
  }

  /**
   * One publish at a time, and the last one always sees the newest state.
   * Two overlapping publishes (both watches' first results arrive together)
   * used to finish out of order: a view with no confd, computed before the
   * catalog answered, landed after the good one and hax answered QUERY for ever.
   */
  #publish(why: string): Promise<void> {
    this.#dirty = this.#dirty ? `${this.#dirty}; ${why}` : why;
    this.#publishing ??= (async () => {
      try {
        while (this.#dirty !== undefined) {
          const reason = this.#dirty;
          this.#dirty = undefined;
          const rm = await this.#principalRm();
          this.#events.onView({ ...this.#current(), rm }, reason);
        }
      } finally { this.#publishing = undefined; }
    })();
    return this.#publishing;
  }

  /** The confds and the RC flag as the watches last saw them. */
  #current(): { confds: Endpointed[]; isRc: boolean } {
    const confds: Endpointed[] = [];
    for (const s of this.#confds) {
      const fid = fidFromKey(PROCESS_CONTAINER, s.ServiceID);
      if (!fid) { this.#events.onLog('warn', 'confd ServiceID is not a decimal process fid key; ignored', { serviceId: s.ServiceID, node: s.Node }); continue; }
      confds.push({ fid, endpoint: serviceEndpoint(s) });
    }
    const isRc = this.#node !== undefined && hostOf(this.#leaderValue.trim()) === hostOf(this.#node);
    return { confds, isRc };
  }

  /** The RM: the confd on the leader's node, with its `rms` service fid from KV. */
  async #principalRm(): Promise<Endpointed | null> {
    if (!this.#leaderSession) return null;
    try {
      const session = await this.#consul.session.info(this.#leaderSession);
      if (!session) return null;
      const host = hostOf(session.Node);
      const confd = this.#confds.find((s) => hostOf(s.Node) === host);
      if (!confd) return null;
      const rms = await this.#consul.kv.get(`m0conf/nodes/${host}/processes/${confd.ServiceID}/services/rms`);
      const fid = rms ? fidFromKey(SERVICE_CONTAINER, rms.value.trim()) : undefined;
      if (!fid) { this.#events.onLog('warn', 'no rms service recorded for the leader node\'s confd', { node: host, confd: confd.ServiceID }); return null; }
      return { fid, endpoint: serviceEndpoint(confd) };
    } catch (error) {
      this.#events.onLog('warn', 'could not resolve the principal RM; replying without it', { error: (error as Error).message });
      return null;
    }
  }
}
