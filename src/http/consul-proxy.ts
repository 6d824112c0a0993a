// The monitor reaches Consul only through hax: read-only GETs on an
// allow-list of /v1/... paths are forwarded to the agent with http-proxy.
// Everything else under /v1/ that hax does not serve itself is refused, and
// nothing of the client's credentials travels on (no Authorization, no
// ?token=): the agent sees hax, not the browser.
import httpProxy from 'http-proxy';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Read-only Consul endpoints the monitor may use. */
export const CONSUL_READ_ALLOW_LIST: RegExp[] = [
  /^\/v1\/kv\/[^?]*$/,
  /^\/v1\/catalog\/(services|nodes|service\/[^/]+|node\/[^/]+)$/,
  /^\/v1\/health\/(service|checks|node|state)\/[^/]+$/,
  /^\/v1\/status\/(leader|peers)$/,
  /^\/v1\/session\/(list|info\/[^/]+|node\/[^/]+)$/,
];

/** Query parameters a read may carry; anything else (token, ...) is refused. */
const ALLOWED_QUERY = new Set(['recurse', 'keys', 'separator', 'raw', 'index', 'wait', 'passing', 'stale', 'consistent', 'dc']);

export type ProxyVerdict = { allowed: true } | { allowed: false; status: number; code: string; message: string };

export function proxyVerdict(method: string, url: URL): ProxyVerdict {
  if (!CONSUL_READ_ALLOW_LIST.some((re) => re.test(url.pathname))) {
    return { allowed: false, status: 404, code: 'HAX_ERR_NOT_FOUND', message: `${url.pathname} is neither a hax route nor an allowed Consul read` };
  }
  if (method !== 'GET' && method !== 'HEAD') return { allowed: false, status: 405, code: 'HAX_ERR_METHOD', message: 'the Consul proxy is read-only (GET)' };
  for (const k of url.searchParams.keys()) {
    if (!ALLOWED_QUERY.has(k)) return { allowed: false, status: 400, code: 'HAX_ERR_BAD_QUERY', message: `query parameter "${k}" is not allowed through the Consul proxy` };
  }
  return { allowed: true };
}

export interface ConsulProxy {
  forward(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
}

export function createConsulProxy(consulUrl: string, onError: (message: string) => void): ConsulProxy {
  const proxy = httpProxy.createProxyServer({ target: consulUrl, changeOrigin: true, xfwd: false, proxyTimeout: 15 * 60_000 });
  proxy.on('proxyReq', (proxyReq) => { proxyReq.removeHeader('authorization'); proxyReq.removeHeader('x-consul-token'); proxyReq.removeHeader('cookie'); });
  proxy.on('error', (error, _req, res) => {
    onError(error.message);
    const r = res as ServerResponse;
    if (!r.headersSent && typeof r.writeHead === 'function') {
      const body = JSON.stringify({ status_code: 502, error_message: `Consul agent unreachable: ${error.message}`, error_type: 'HAX_ERR_CONSUL_UNREACHABLE', reason: 'Bad gateway' });
      r.writeHead(502, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      r.end(body);
    }
  });
  return { forward: (req, res) => proxy.web(req, res), close: () => proxy.close() };
}
