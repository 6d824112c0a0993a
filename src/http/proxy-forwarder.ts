// How hax's Consul proxy reaches the agent: http-proxy, on a dedicated agent
// of its own, apart from hax's Consul client (src/consul/transport.ts), so
// proxied reads never make hax's watches and writes wait for a socket.
//
// http-proxy is built to pass a client's request on; hax passes on none of
// it. Each event is where one part of the client's request is replaced by
// what the checks (proxy-target.ts) produced:
//  - `buffer`: the upstream request's body is an empty one of the proxy's
//    (UpstreamHandle), never the client's request stream. http-proxy pipes it
//    into the upstream request the moment it creates that request, which is
//    how the exchange learns of it before the agent gives it a socket; and
//    the request is ended (its head built and sent) only in 'proxyReq'.
//  - 'proxyReq': every header http-proxy copied from the client is taken off
//    and the fixed ones set; the request line gets the checked target.
//  - 'proxyRes' (selfHandleResponse): only PASSED_BACK of the agent's answer.
//  - 'error': the agent's failure, or the deadline's, is a coded answer.
import httpProxy from 'http-proxy';
import { Agent as HttpAgent, ClientRequest, ServerResponse, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Stream } from 'node:stream';
import { passBack, sendCoded } from './proxy-answer.ts';
import { ProxyFault, type Exchange } from './proxy-exchange.ts';

export interface Forwarder {
  /** Starts the exchange's upstream request; throws (nothing sent) when http-proxy did not start one. */
  forward(exchange: Exchange): void;
  /** Closes the proxy's connections to the agent. */
  close(): void;
}

/**
 * The body of every proxied read: none. http-proxy calls pipe() with the
 * upstream request it has just created, synchronously, inside proxy.web().
 * Nothing is written and the request is not ended here.
 */
class UpstreamHandle extends Stream {
  readonly #onUpstream: (upstream: ClientRequest) => void;
  constructor(onUpstream: (upstream: ClientRequest) => void) {
    super();
    this.#onUpstream = onUpstream;
  }
  override pipe<T extends NodeJS.WritableStream>(destination: T): T {
    if (!(destination instanceof ClientRequest)) throw new ProxyFault('http-proxy piped the body into something other than an upstream request');
    this.#onUpstream(destination);
    return destination;
  }
}

export function createForwarder(consulUrl: string, maxConnections: number, onError: (message: string) => void): Forwarder {
  const target = new URL(consulUrl);
  const basePath = target.pathname.replace(/\/+$/, '');
  /**
   * The only headers the agent gets: its own Host, hax's name, and
   * Connection: close (the socket is not reused; set here because Node adds
   * no Connection header of its own once the client's has been removed).
   * Nothing of the client's: no token, no cookie, no X-Forwarded-*.
   */
  const upstreamHeaders: Readonly<Record<string, string>> = { host: target.host, accept: 'application/json, */*', 'user-agent': 'hax-consul-proxy', connection: 'close' };
  // No keep-alive: an idle pooled socket still counts against the agent's
  // per-client limit. maxSockets is the bound the slots enforce, so the
  // agent never queues a request behind another's socket.
  const agent = target.protocol === 'https:'
    ? new HttpsAgent({ keepAlive: false, maxSockets: maxConnections })
    : new HttpAgent({ keepAlive: false, maxSockets: maxConnections });
  const proxy = httpProxy.createProxyServer({
    target: consulUrl,
    agent,
    method: 'GET',              // HEAD too: the client gets the head of a GET (its Content-Length included)
    ignorePath: true,           // the client's request target plays no part; 'proxyReq' sets the checked one
    changeOrigin: true,
    xfwd: false,
    selfHandleResponse: true,
  });
  const exchanges = new WeakMap<IncomingMessage, Exchange>();

  proxy.on('proxyReq', (upstream, req) => {
    try {
      const exchange = exchanges.get(req);
      if (!exchange || exchange.upstream !== upstream) throw new ProxyFault('http-proxy started an upstream request the proxy does not know of');
      if (upstream.headersSent) throw new ProxyFault('the upstream request was built before its headers were replaced');
      for (const name of upstream.getHeaderNames()) if (!Object.hasOwn(upstreamHeaders, name)) upstream.removeHeader(name);
      for (const [name, value] of Object.entries(upstreamHeaders)) upstream.setHeader(name, value);
      // http-proxy would join the target's path with its own urlJoin, which
      // collapses "//" and rewrites "http:/" inside a path (a KV key may hold
      // it); the request line carries exactly the target the checks built
      // (printable ASCII without spaces, as checkTarget ensured).
      upstream.path = basePath + exchange.plan.upstreamTarget;
      upstream.end();
    } catch (error) {
      // Thrown in the socket's event: a throw would take the daemon down.
      upstream.destroy(error instanceof ProxyFault ? error : new ProxyFault((error as Error).message));
    }
  });

  proxy.on('proxyRes', (answer, req, res) => passBack(answer, req.method ?? 'GET', res, onError));

  proxy.on('error', (error, req, res) => {
    const exchange = req ? exchanges.get(req) : undefined;
    if (exchange) { exchange.fail(error); return; }
    onError(`http-proxy: ${error.message}`);
    if (res instanceof ServerResponse && !res.headersSent) sendCoded(res, 500, 'HAX_ERR_INTERNAL', error.message, 'Unexpected error has happened');
  });

  return {
    forward(exchange) {
      // Node builds a request's head as soon as it is created when it
      // carries Expect (to await 100 Continue), with every header http-proxy
      // copied from the client, and http-proxy then skips 'proxyReq'. A read
      // has no body (checked), so its Expect means nothing to the agent; it
      // is dropped before http-proxy copies the headers.
      delete exchange.req.headers.expect;
      exchanges.set(exchange.req, exchange);
      proxy.web(exchange.req, exchange.res, {
        buffer: new UpstreamHandle((upstream) => {
          exchange.attach(upstream);
          if (upstream.headersSent) upstream.destroy(new ProxyFault('the upstream request was built before its headers were replaced'));
        }),
      });
      if (!exchange.upstream) throw new ProxyFault('http-proxy started no upstream request');
    },
    close() {
      agent.destroy();
      proxy.close();
    },
  };
}
