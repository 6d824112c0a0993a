// The monitor and operators may read Consul through hax: GETs (and HEADs) on
// an allow-list of /v1/... paths are forwarded to the agent. Everything else
// under /v1/ that hax does not serve itself is refused, and nothing of the
// client's credentials travels on (no header of the client's, no token in
// any spelling): the agent sees hax, not the browser.
//
// What reaches Consul is a request the proxy builds from what it checked
// (proxy-target.ts), never the client's bytes, sent with http-proxy
// (proxy-forwarder.ts); and it is bounded (proxy-limits.ts): the proxy has
// its own connections to the agent, at most `maxConnections` at once and
// `maxConnectionsPerClient` per client address, apart from hax's own
// (src/consul/transport.ts), so proxied reads can neither use up the agent's
// per-client limit nor make hax's watches and writes wait. Past a bound the
// answer is a coded 503 with Retry-After, at once. A client that goes away
// takes its upstream request with it (proxy-exchange.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkQuery, checkTarget, upstreamQuery, type Refusal } from './proxy-target.ts';
import { ProxySlots, proxyLimits, type ProxyLimits } from './proxy-limits.ts';
import { refuse, sendCoded } from './proxy-answer.ts';
import { Exchange } from './proxy-exchange.ts';
import { createForwarder } from './proxy-forwarder.ts';

export { DEFAULT_PROXY_LIMITS, configureConsulProxy, type ProxyLimits } from './proxy-limits.ts';

/** Read-only Consul endpoints the monitor may use. */
export const CONSUL_READ_ALLOW_LIST: RegExp[] = [
  /^\/v1\/kv\/[^?]*$/,
  /^\/v1\/catalog\/(services|nodes|service\/[^/]+|node\/[^/]+)$/,
  /^\/v1\/health\/(service|checks|node|state)\/[^/]+$/,
  /^\/v1\/status\/(leader|peers)$/,
  /^\/v1\/session\/(list|info\/[^/]+|node\/[^/]+)$/,
];

export type ProxyVerdict = { allowed: true } | { allowed: false; status: number; code: string; message: string };

/**
 * The checks that need only the parsed URL, in order: the path (404), the
 * method (405), the query (400). `forward` repeats them on the raw request
 * and adds the ones that need it (request-target form, body, bounds).
 */
export function proxyVerdict(method: string, url: URL): ProxyVerdict {
  const r = urlRefusal(method, url);
  return r ? { allowed: false, status: r.status, code: r.code, message: r.message } : { allowed: true };
}

function urlRefusal(method: string, url: URL): Refusal | undefined {
  if (!CONSUL_READ_ALLOW_LIST.some((re) => re.test(url.pathname))) {
    return { status: 404, code: 'HAX_ERR_NOT_FOUND', message: `${url.pathname.slice(0, 200)} is neither a hax route nor an allowed Consul read`, reason: 'Not found' };
  }
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, code: 'HAX_ERR_METHOD', message: 'the Consul proxy is read-only (GET, HEAD)', reason: 'Method not allowed' };
  const q = checkQuery(url.search);
  return 'params' in q ? undefined : q;
}

export interface ConsulProxy {
  forward(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
  /** Upstream requests held now (all clients), and by how many client addresses. */
  stats(): { inUse: number; clients: number };
}

export function createConsulProxy(consulUrl: string, onError: (message: string) => void, limits: Partial<ProxyLimits> = {}): ConsulProxy {
  const bounds = proxyLimits(limits);
  const agentOrigin = new URL(consulUrl).origin;
  const forwarder = createForwarder(consulUrl, bounds.maxConnections, onError);
  const slots = new ProxySlots(bounds);
  const inflight = new Set<Exchange>();
  let refusedSinceLog = 0;
  let lastBusyLog = 0;

  const noteBusy = (code: string) => {
    refusedSinceLog += 1;
    const now = Date.now();
    if (now - lastBusyLog < 60_000) return;
    lastBusyLog = now;
    onError(`${code}: refused ${refusedSinceLog} proxied read(s) in the last minute; ${slots.inUse} of ${bounds.maxConnections} upstream connections in use (at most ${bounds.maxConnectionsPerClient} per client)`);
    refusedSinceLog = 0;
  };

  function forward(req: IncomingMessage, res: ServerResponse): void {
    const raw = req.url ?? '/';
    const method = req.method ?? 'GET';
    let url: URL;
    try { url = new URL(raw, 'http://hax'); } catch {
      refuse(req, res, { status: 400, code: 'HAX_ERR_BAD_TARGET', message: 'the request target is not a URL path', reason: 'Consul proxy refused' });
      return;
    }
    const early = urlRefusal(method, url) ?? checkTarget(raw, url.pathname);
    if (early) { refuse(req, res, early); return; }
    if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0) {
      refuse(req, res, { status: 400, code: 'HAX_ERR_BAD_HEADER', message: 'a read through the Consul proxy carries no body', reason: 'Bad request' });
      return;
    }
    const { params } = checkQuery(url.search) as { params: [string, string][] };
    const client = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    const slot = slots.take(client);
    if (typeof slot === 'string') {
      noteBusy(slot);
      const message = slot === 'HAX_ERR_PROXY_CLIENT_BUSY'
        ? `this client already holds ${bounds.maxConnectionsPerClient} reads through the Consul proxy (the per-client bound); retry after ${bounds.retryAfterSeconds} s or end a blocking read`
        : `all ${bounds.maxConnections} upstream connections of the Consul proxy are in use; retry after ${bounds.retryAfterSeconds} s`;
      refuse(req, res, { status: 503, code: slot, message, reason: 'Service unavailable' }, { 'Retry-After': String(bounds.retryAfterSeconds) });
      return;
    }
    const { query, blocking, waitMs } = upstreamQuery(params, bounds.maxWaitMs);
    const plan = { upstreamTarget: url.pathname + query, lifetimeMs: (blocking ? waitMs + waitMs / 16 : 0) + bounds.exchangeMarginMs, agentOrigin };
    let exchange: Exchange | undefined;
    try {
      exchange = new Exchange(req, res, plan, () => { slot.release(); inflight.delete(exchange!); }, onError);
      inflight.add(exchange);
      forwarder.forward(exchange);
    } catch (error) {
      if (exchange) exchange.abandon(); else slot.release();
      throw error;
    }
  }

  return {
    forward(req, res) {
      try { forward(req, res); } catch (error) {
        // Never let a request take the daemon down; this is a bug in hax.
        onError((error as Error).message);
        if (!res.headersSent) sendCoded(res, 500, 'HAX_ERR_INTERNAL', (error as Error).message, 'Unexpected error has happened');
        else res.destroy();
      }
    },
    close() {
      // Each client still waiting gets the coded 502 as its upstream request fails.
      for (const exchange of inflight) exchange.cancel();
      forwarder.close();
    },
    stats: () => ({ inUse: slots.inUse, clients: slots.clients }),
  };
}
