// The bounds of hax's Consul proxy. Every proxied read holds one connection
// to the agent for as long as it lasts (a blocking read: up to its wait), and
// the agent counts connections per client address (limits.
// http_max_conns_per_client, 200 by default) across everything local: hax's
// own watches and writes, the agent's watch handlers, the CLI. So the proxy
// holds at most `maxConnections` upstream requests at once and one client
// address at most `maxConnectionsPerClient` of them, well below the agent's
// limit; past either bound a read is refused at once with a coded 503 and
// Retry-After. Blocking reads wait at most `maxWaitMs` (Consul allows 10 min,
// and 5 min when no wait is given).
import { ConfigError } from '../errors.ts';

export interface ProxyLimits {
  /** Upstream requests the proxy holds at once, all clients together. */
  maxConnections: number;
  /** Upstream requests one client address may hold at once. */
  maxConnectionsPerClient: number;
  /** Longest blocking wait passed to Consul, ms: a longer ?wait= is shortened, a blocking read without one gets this. */
  maxWaitMs: number;
  /** Seconds a refused client is told to wait (Retry-After). */
  retryAfterSeconds: number;
  /** Beyond the read's wait (and Consul's jitter of wait/16), how long a proxied exchange may take in all, ms. */
  exchangeMarginMs: number;
}

export const DEFAULT_PROXY_LIMITS: Readonly<ProxyLimits> = Object.freeze({
  maxConnections: 32,
  maxConnectionsPerClient: 8,
  maxWaitMs: 60_000,
  retryAfterSeconds: 5,
  exchangeMarginMs: 30_000,
});

const configured: Partial<ProxyLimits> = {};

/**
 * Process-wide settings (hax run's flags, handed over before the daemon
 * starts, as configureHttp() does for the HTTP layer); later calls override
 * the fields they name. Checked at once: a bad value is a ConfigError.
 */
export function configureConsulProxy(settings: Partial<ProxyLimits>): void {
  proxyLimits(settings);
  for (const [k, v] of Object.entries(settings)) if (v !== undefined) (configured as Record<string, number>)[k] = v;
}

/** `given`, over the configured settings, over the defaults, each checked; a bad value is a ConfigError naming the setting. */
export function proxyLimits(given: Partial<ProxyLimits> = {}): ProxyLimits {
  const defined = (o: Partial<ProxyLimits>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const l = { ...DEFAULT_PROXY_LIMITS, ...defined(configured), ...defined(given) } as ProxyLimits;
  const int = (name: string, v: number, min: number, max: number) => {
    if (!Number.isSafeInteger(v) || v < min || v > max) throw new ConfigError('HAX_ERR_BAD_VALUE', `Consul proxy ${name} must be a whole number from ${min} to ${max}, got ${v}`);
  };
  int('maxConnections', l.maxConnections, 1, 10_000);
  int('maxConnectionsPerClient', l.maxConnectionsPerClient, 1, l.maxConnections);
  int('maxWaitMs', l.maxWaitMs, 1000, 600_000);
  int('retryAfterSeconds', l.retryAfterSeconds, 1, 3600);
  int('exchangeMarginMs', l.exchangeMarginMs, 1000, 600_000);
  return l;
}

export type SlotRefusal = 'HAX_ERR_PROXY_CLIENT_BUSY' | 'HAX_ERR_PROXY_BUSY';

/** Counts what the proxy holds, in all and per client address. */
export class ProxySlots {
  readonly #limits: ProxyLimits;
  readonly #byClient = new Map<string, number>();
  #total = 0;
  constructor(limits: ProxyLimits) { this.#limits = limits; }

  get inUse(): number { return this.#total; }
  get clients(): number { return this.#byClient.size; }

  /** A slot for `client` (released exactly once, however often `release` is called), or which bound is full. */
  take(client: string): { release(): void } | SlotRefusal {
    const mine = this.#byClient.get(client) ?? 0;
    if (mine >= this.#limits.maxConnectionsPerClient) return 'HAX_ERR_PROXY_CLIENT_BUSY';
    if (this.#total >= this.#limits.maxConnections) return 'HAX_ERR_PROXY_BUSY';
    this.#total += 1;
    this.#byClient.set(client, mine + 1);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.#total -= 1;
        const left = (this.#byClient.get(client) ?? 1) - 1;
        if (left > 0) this.#byClient.set(client, left); else this.#byClient.delete(client);
      },
    };
  }
}
