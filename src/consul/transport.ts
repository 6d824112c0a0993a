// The one place that speaks HTTP to the Consul agent: timeouts, error
// mapping, and the X-Consul-Index of blocking queries. The endpoint modules
// (kv.ts, catalog.ts, ...) build on it.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

/** What one exchange with the agent produced, before error mapping. */
interface RawReply { status: number; text: string; contentType: string; index: string | undefined }

/**
 * Keep-alive sockets to the agent, as many as hax needs at once (each
 * blocking query holds one). node:http rather than fetch: against a dev
 * agent a one-op /v1/txn took 0.55–0.63 ms median through node:http and
 * 1.9–2.8 ms through fetch, and every acknowledgement to Motr waits for a txn.
 */
const agents = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 16 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 16 }) };

function exchange(url: URL, method: string, body: string | undefined, signal: AbortSignal): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) { reject(signal.reason as Error); return; }
    const https = url.protocol === 'https:';
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = (https ? httpsRequest : httpRequest)(url, {
      method, agent: agents[https ? 'https:' : 'http:'], signal,
      headers: payload ? { 'Content-Length': payload.length } : {},
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), contentType: res.headers['content-type'] ?? '', index: res.headers['x-consul-index'] as string | undefined }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setNoDelay(true);
    req.end(payload);
  });
}

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
    let res: RawReply;
    try {
      res = await exchange(url, method, options.body, signal);
    } catch (cause) {
      observe('unreachable');
      const what = timeout.aborted ? 'timed out' : 'failed';
      throw new ConsulError('HAX_ERR_CONSUL_UNREACHABLE', `Consul request ${options.method ?? 'GET'} ${url.pathname} ${what}: ${(cause as Error).message}; is the agent at ${this.baseUrl} running?`, { cause });
    }
    const { text } = res;
    const index = res.index !== undefined && /^\d+$/.test(res.index) ? Number(res.index) : undefined;
    const ok = res.status >= 200 && res.status < 300;
    observe(ok || (options.accept ?? []).includes(res.status) ? 'ok' : 'status');
    if (!ok && !(options.accept ?? []).includes(res.status)) {
      throw new ConsulError('HAX_ERR_CONSUL_STATUS', `Consul answered ${res.status} to ${options.method ?? 'GET'} ${url.pathname}: ${text.trim().slice(0, 300)}`, { status: res.status });
    }
    let body: T | undefined;
    if (text.length > 0 && res.contentType.includes('json')) {
      try { body = JSON.parse(text) as T; } catch (cause) {
        throw new ConsulError('HAX_ERR_CONSUL_BAD_REPLY', `Consul sent invalid JSON for ${url.pathname}`, { cause, status: res.status });
      }
    }
    return { status: res.status, body, index };
  }
}
