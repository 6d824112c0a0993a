// The one place that speaks HTTP to the Consul agent: timeouts, error
// mapping, and the X-Consul-Index of blocking queries. The endpoint modules
// (kv.ts, catalog.ts, ...) build on it.
import { ConsulError } from '../errors.ts';

export interface ConsulResponse<T> {
  status: number;
  body: T;
  /** X-Consul-Index, when the endpoint returns one (reads, not writes). */
  index?: number;
}

export interface RequestOptions {
  method?: 'GET' | 'PUT' | 'DELETE';
  query?: Record<string, string | number | boolean | undefined>;
  body?: string;
  /** Whole-request deadline; blocking queries pass their wait plus a margin. */
  timeoutMs?: number;
  /** Statuses returned to the caller instead of thrown (e.g. 404 for a missing key). */
  accept?: number[];
  signal?: AbortSignal;
}

/**
 * Told about every finished request (metrics). `endpoint` is the path's
 * first two segments after /v1 (kv, catalog/service, ...), so keys and
 * names never become label values. Blocking reads are reported as such:
 * their duration is the wait, not a latency.
 */
export type RequestObserver = (endpoint: string, method: string, ms: number, outcome: 'ok' | 'status' | 'unreachable', blocking: boolean) => void;

export class ConsulTransport {
  readonly baseUrl: string;
  readonly #observe?: RequestObserver;
  constructor(baseUrl: string, observe?: RequestObserver) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#observe = observe;
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<ConsulResponse<T | undefined>> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v === undefined || v === false) continue;
      url.searchParams.set(k, v === true ? '' : String(v));
    }
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    const method = options.method ?? 'GET';
    const segments = url.pathname.split('/');
    const endpoint = segments[2] === 'kv' ? 'kv' : segments.slice(2, 4).join('/');
    const blocking = options.query?.index !== undefined && options.query.index !== 0;
    const started = performance.now();
    const observe = (outcome: 'ok' | 'status' | 'unreachable') => this.#observe?.(endpoint, method, performance.now() - started, outcome, blocking);
    let res: Response;
    try {
      res = await fetch(url, { method: options.method ?? 'GET', body: options.body, signal });
    } catch (cause) {
      observe('unreachable');
      const what = timeout.aborted ? 'timed out' : 'failed';
      throw new ConsulError('HAX_ERR_CONSUL_UNREACHABLE', `Consul request ${options.method ?? 'GET'} ${url.pathname} ${what}: ${(cause as Error).message}; is the agent at ${this.baseUrl} running?`, { cause });
    }
    const text = await res.text();
    const indexHeader = res.headers.get('x-consul-index');
    const index = indexHeader !== null && /^\d+$/.test(indexHeader) ? Number(indexHeader) : undefined;
    observe(res.ok || (options.accept ?? []).includes(res.status) ? 'ok' : 'status');
    if (!res.ok && !(options.accept ?? []).includes(res.status)) {
      throw new ConsulError('HAX_ERR_CONSUL_STATUS', `Consul answered ${res.status} to ${options.method ?? 'GET'} ${url.pathname}: ${text.trim().slice(0, 300)}`, { status: res.status });
    }
    let body: T | undefined;
    if (text.length > 0 && (res.headers.get('content-type') ?? '').includes('json')) {
      try { body = JSON.parse(text) as T; } catch (cause) {
        throw new ConsulError('HAX_ERR_CONSUL_BAD_REPLY', `Consul sent invalid JSON for ${url.pathname}`, { cause, status: res.status });
      }
    }
    return { status: res.status, body, index };
  }
}
