// One translation as the live feed shows it: what came in, what hax decided
// and why, what went out, and how delivery went.

export type FeedDirection = 'motr→hax' | 'hax→motr' | 'consul→hax' | 'hax→consul' | 'hax';

export interface FeedNote { fid: string; state: string }

export interface FeedRecord {
  /** Increasing per hax process; a gap tells a client what it missed. */
  seq: number;
  time: string;
  direction: FeedDirection;
  /**
   * A core decision's kind as the core reports it (its event name, e.g.
   * EntrypointRequested, HealthReported, ConsulReplied, or the message type
   * of a MessageReceived: EVENT_PROCESS, NVEC, ...); LINK, DELIVERY,
   * PROTOCOL_ERROR, IO_ERROR for the shim's events.
   */
  kind: string;
  linkId?: number;
  /** Process fid (0x..:0x..) the record is about, when known. */
  process?: string;
  /** The fids a core decision is about, as the core names them. */
  subjects?: string[];
  summary?: string;
  notes?: FeedNote[];
  delivery?: { outcome: 'delivered' | 'not-delivered'; latencyMs?: number };
  reason?: { code: string; text: string };
  error?: { code: string; message: string };
}

export type FeedInput = Omit<FeedRecord, 'seq' | 'time'>;

/** What a client asked for in its query string: ?fid=A,B&kind=X,Y */
export interface FeedFilter { fids?: Set<string>; kinds?: Set<string> }

export function parseFilter(search: URLSearchParams): FeedFilter {
  const list = (name: string) => {
    const values = search.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
    return values.length ? new Set(values) : undefined;
  };
  return { fids: list('fid'), kinds: list('kind') };
}

export function matches(filter: FeedFilter, r: FeedRecord): boolean {
  if (filter.kinds && !filter.kinds.has(r.kind)) return false;
  if (filter.fids) {
    const about = [r.process, ...(r.subjects ?? []), ...(r.notes ?? []).map((n) => n.fid)];
    if (!about.some((f) => f !== undefined && filter.fids!.has(f))) return false;
  }
  return true;
}
