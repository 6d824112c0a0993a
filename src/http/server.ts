// The HTTP layer: routes built from openapi/openapi.yaml, handlers found by
// operationId (a missing or an extra handler stops start-up), bodies checked
// against the document's schemas before a handler sees them, and every
// refusal answered with the original hax's JSON envelope plus a stable code —
// malformed HTTP that Node's parser refuses included.
//
// Before any route: the target must be canonical, Host must name this hax
// and Origin (when sent) must be its own page (guard.ts); the token is
// checked before a body is read. A body is read only up to the limit (413
// from Content-Length or as soon as the running size passes it), at most
// `maxBodies` at once (503 with Retry-After beyond), and decoded strictly
// (body-projector.ts, one pass that builds only what the schema declares,
// else body-json.ts): small bodies on the event loop, large ones in the body
// worker thread (body-pool.ts), so that no body stalls the loop for long.
// docs/operations.md, "Limits", lists every bound.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { RequestError, HaxError } from '../errors.ts';
import { loadOpenApi, type Operation } from './openapi.ts';
import { createConsulProxy, proxyVerdict } from './consul-proxy.ts';
import { FEED_PATH, type Feed } from '../debug/feed.ts';
import { HTTP_LIMITS, httpSettings, isLoopbackHost } from './limits.ts';
import { checkOrigin, checkTarget, tokenMatches, unauthorized, type GuardOptions } from './guard.ts';
import { decodeUtf8, emptyBody, parseScanned, scanJson, type BodyRoute, type BodyVerdict, type JsonBounds } from './body-json.ts';
import { BodyWorkerPool } from './body-pool.ts';
import { projectBody } from './body-projector.ts';
import { isAscii } from 'node:buffer';

export interface HandlerRequest {
  body: unknown;
  headers: IncomingMessage['headers'];
  query: URLSearchParams;
}
export interface HandlerResponse {
  status?: number;
  contentType?: string;
  body: unknown;        // JSON-serialised unless contentType is given and body is a string
}
export type Handler = (req: HandlerRequest) => HandlerResponse | Promise<HandlerResponse>;

export interface HttpAppOptions {
  handlers: Record<string, Handler>;
  /** Largest request body accepted, in bytes (413 above). Default: hax run's --http-body-limit, else 16 MiB. */
  bodyLimit?: number;
  /** Bodies read or decoded at once (503 beyond). Default: --http-max-bodies, else 8. */
  maxBodies?: number;
  /** Bodies up to this many bytes are decoded on the event loop the usual way, larger ones in the body worker (ASCII ones up to HTTP_LIMITS.projectOnLoopLimit are first tried in one pass there). */
  inlineBodyLimit?: number;
  /** Names besides IP addresses, localhost and the listen host that Host/Origin may carry. Default: --http-allowed-host. */
  allowedHosts?: string[];
  /** With a token, require it on reads too (all but GET /). Default: --token-on-reads. */
  tokenOnReads?: boolean;
  onLog?: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
  /** When set, every POST must carry `Authorization: Bearer <token>` (Consul's http_handler_config can send it). */
  token?: string;
  /** Consul agent URL for the monitor's read-only proxy; no proxy when absent. */
  consulUrl?: string;
  /** The live feed, served as a websocket at /debug/feed. Without it, upgrades are refused. */
  feed?: Feed;
  /** Called once per answered request (metrics). */
  onResponse?: (route: string, status: number) => void;
}

export const DEFAULT_BODY_LIMIT = HTTP_LIMITS.bodyLimit;
/** Largest body a route without a request body may carry (it is read and dropped). */
const STRAY_BODY_LIMIT = 64 * 1024;

export interface HttpApp {
  readonly server: Server;
  readonly openapiText: string;
  listen(host: string, port: number): Promise<AddressInfo>;
  close(): Promise<void>;
}

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { text, operations } = loadOpenApi();
  const declared = new Set(operations.map((o) => o.operationId));
  const missing = [...declared].filter((id) => !options.handlers[id]);
  const extra = Object.keys(options.handlers).filter((id) => !declared.has(id));
  if (missing.length || extra.length) {
    throw new HaxError('HAX_ERR_HANDLERS', `openapi.yaml and the handlers disagree: missing handlers [${missing.join(', ')}], handlers without an operation [${extra.join(', ')}]`);
  }
  const byPath = new Map<string, Map<string, Operation>>();
  for (const op of operations) {
    if (!byPath.has(op.path)) byPath.set(op.path, new Map());
    byPath.get(op.path)!.set(op.method, op);
  }
  const settings = httpSettings();
  const limit = options.bodyLimit ?? settings.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const maxBodies = options.maxBodies ?? settings.maxBodies ?? HTTP_LIMITS.maxBodies;
  const inlineLimit = options.inlineBodyLimit ?? HTTP_LIMITS.inlineBodyLimit;
  const tokenOnReads = options.token !== undefined && (options.tokenOnReads ?? settings.tokenOnReads ?? false);
  const bounds: JsonBounds = { maxDepth: HTTP_LIMITS.maxDepth, maxValues: Math.max(1024, Math.floor(limit / HTTP_LIMITS.bytesPerValue)) };
  const loopBounds = { maxDepth: bounds.maxDepth, maxValues: Math.min(bounds.maxValues, HTTP_LIMITS.projectOnLoopValues), maxBuilt: HTTP_LIMITS.projectOnLoopBuilt };
  const proxy = options.consulUrl ? createConsulProxy(options.consulUrl, (m) => options.onLog?.('warn', 'Consul proxy failed', { error: m })) : undefined;
  const token = options.token ? Buffer.from(options.token) : undefined;
  const guard: GuardOptions = { allowedHosts: (options.allowedHosts ?? settings.allowedHosts ?? []).map((h) => h.toLowerCase()), token };
  const pool = new BodyWorkerPool((msg, fields) => options.onLog?.('warn', msg, fields));
  let bodiesInFlight = 0;
  // Large bodies (over the inline bound, or chunked) are read and decoded one
  // at a time, in arrival order: the others wait unread (TCP holds them), so
  // memory holds one large body's decoding, not `maxBodies` of them.
  const largeTurn = new Turn();

  /** Route label for metrics: hax's own paths, else one fixed label (a client cannot grow the label set). */
  const routeOf = (req: IncomingMessage): string => {
    let path = '';
    try { path = new URL(req.url ?? '/', 'http://hax').pathname; } catch { /* unparsable */ }
    return byPath.has(path) ? path : path.startsWith('/v1/') ? 'consul-proxy' : 'unmatched';
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse, expectsContinue = false) => {
    res.on('finish', () => options.onResponse?.(routeOf(req), res.statusCode));
    handle(req, res, expectsContinue).catch((error) => {
      if (req.socket.destroyed) return;     // the client went away or sent malformed HTTP (answered by onClientError)
      options.onLog?.('warn', 'HTTP handler failed', { method: req.method, route: routeOf(req), error: (error as Error).message });
      if (!res.headersSent) sendError(res, new RequestError(500, 'HAX_ERR_INTERNAL', (error as Error).message, 'Unexpected error has happened'), true);
      else res.destroy();
    });
  };

  const server = createServer({
    maxHeaderSize: HTTP_LIMITS.maxHeaderSize,
    requireHostHeader: false,                 // refused by guard.ts, with the envelope
    requestTimeout: HTTP_LIMITS.requestTimeoutMs,
    headersTimeout: HTTP_LIMITS.headersTimeoutMs,
  }, (req, res) => onRequest(req, res));
  // Expect: 100-continue: the checks run first, and a refused body is never invited.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, true));
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    res.on('finish', () => options.onResponse?.(routeOf(req), res.statusCode));
    sendError(res, new RequestError(417, 'HAX_ERR_EXPECTATION', 'the only Expect hax understands is 100-continue', 'Expectation failed'), true);
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    options.onResponse?.('unmatched', 405);
    writeRaw(socket, new RequestError(405, 'HAX_ERR_METHOD', 'CONNECT is not served: hax is not a proxy', 'Method not allowed'));
  });
  server.on('clientError', (error: NodeJS.ErrnoException & { reason?: string }, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (!socket.writable || inFlight?.headersSent || error.code === 'ECONNRESET' || error.code === 'EPIPE') { socket.destroy(); return; }
    const refusal = error.code === 'HPE_HEADER_OVERFLOW'
      ? new RequestError(431, 'HAX_ERR_HEADERS_TOO_LARGE', `the request line and headers exceed ${HTTP_LIMITS.maxHeaderSize} bytes`, 'Request header fields too large')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new RequestError(408, 'HAX_ERR_REQUEST_TIMEOUT', `the request did not arrive whole within ${HTTP_LIMITS.requestTimeoutMs / 1000} s`, 'Request timeout')
        : new RequestError(400, 'HAX_ERR_BAD_HTTP', `malformed HTTP request (${error.code ?? 'parse error'}: ${error.reason ?? 'unparsable'})`, 'Bad request');
    options.onResponse?.('malformed', refusal.status);
    writeRaw(socket, refusal);
  });

  /** Answers `error` and, when the request has an unread body, closes the connection instead of reading it. */
  const refuse = (req: IncomingMessage, res: ServerResponse, error: RequestError): void => {
    const unread = hasBody(req);
    if (unread) lingerOnClose(req.socket);
    sendError(res, error, unread);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    const guarded = checkTarget(req) ?? checkOrigin(req, guard);
    if (guarded) return refuse(req, res, guarded);
    const url = new URL(req.url!, 'http://hax');
    const methods = byPath.get(url.pathname);
    const readsNeedToken = token !== undefined && tokenOnReads;
    if (!methods && proxy && url.pathname.startsWith('/v1/')) {
      const verdict = proxyVerdict(req.method ?? 'GET', url);
      if (!verdict.allowed) return refuse(req, res, new RequestError(verdict.status, verdict.code, verdict.message, 'Consul proxy refused'));
      if (readsNeedToken && !tokenMatches(req.headers.authorization, token!)) return refuse(req, res, unauthorized());
      proxy.forward(req, res);
      return;
    }
    if (!methods) return refuse(req, res, new RequestError(404, 'HAX_ERR_NOT_FOUND', `no route ${url.pathname}`, 'Not found'));
    const op = methods.get(req.method ?? 'GET');
    if (!op) {
      res.setHeader('Allow', [...methods.keys()].join(', '));
      return refuse(req, res, new RequestError(405, 'HAX_ERR_METHOD', `${req.method} is not allowed on ${url.pathname}`, 'Method not allowed'));
    }
    const liveness = op.method === 'GET' && op.path === '/';
    if (token && (op.method === 'POST' || (readsNeedToken && !liveness)) && !tokenMatches(req.headers.authorization, token)) {
      // Never echo or log what the client sent: it may be a near-miss secret.
      return refuse(req, res, unauthorized());
    }
    for (const p of op.headerParams) {
      const v = req.headers[p.name];
      if (v === undefined ? p.required : !p.validate(v)) {
        return refuse(req, res, new RequestError(400, 'HAX_ERR_BAD_HEADER', `header ${p.name} ${v === undefined ? 'is required' : `must match ${p.pattern ?? 'its schema in openapi.yaml'}`}`, 'Bad request'));
      }
    }
    let body: unknown;
    if (op.validateBody) {
      const announced = bodyPreflight(req, limit);
      if (announced instanceof RequestError) return refuse(req, res, announced);
      if (bodiesInFlight >= maxBodies) {
        res.setHeader('Retry-After', String(HTTP_LIMITS.retryAfterSec));
        return refuse(req, res, new RequestError(503, 'HAX_ERR_BUSY', `${maxBodies} request bodies are being read already; retry in ${HTTP_LIMITS.retryAfterSec} s`, 'Service unavailable'));
      }
      bodiesInFlight += 1;
      const large = announced > inlineLimit || req.headers['transfer-encoding'] !== undefined;
      let release: (() => void) | undefined;
      try {
        if (large) release = await largeTurn.take();
        if (req.socket.destroyed) return;
        if (expectsContinue) res.writeContinue();
        const raw = await readBody(req, announced, limit);
        body = await decode(raw, op);
      } catch (error) {
        if (error instanceof RequestError) {
          if (error.status === 413) lingerOnClose(req.socket);
          return sendError(res, error, error.status === 413);
        }
        throw error;
      } finally {
        release?.();
        bodiesInFlight -= 1;
      }
    } else if (hasBody(req)) {
      if (expectsContinue) res.writeContinue();
      try { await readBody(req, 0, STRAY_BODY_LIMIT); } catch (error) {
        if (error instanceof RequestError) { lingerOnClose(req.socket); return sendError(res, error, true); }
        throw error;
      }
    }
    let out: HandlerResponse;
    try {
      out = await options.handlers[op.operationId]({ body, headers: req.headers, query: url.searchParams });
    } catch (error) {
      if (error instanceof RequestError) return sendError(res, error);
      throw error;
    }
    const raw = out.contentType && typeof out.body === 'string';
    const payload = raw ? (out.body as string) : JSON.stringify(out.body);
    res.writeHead(out.status ?? 200, { 'Content-Type': out.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) });
    res.end(payload);
  }

  /**
   * An ASCII body up to the projection bound is read here in one pass that
   * builds only what the schema declares (body-projector.ts); that declined,
   * a body small in bytes and in values, without a wide object, is decoded
   * here the usual way (its scan says how many values JSON.parse would
   * build, and the parse costs about that); any other goes to the body worker.
   */
  async function decode(raw: Buffer, op: Operation): Promise<unknown> {
    const route = { validateBody: op.validateBody!, projectBody: op.projectBody, bodyRequired: op.bodyRequired, maxTopItems: op.maxTopItems };
    let text: string | undefined;
    if (op.projectionPlan && raw.length <= HTTP_LIMITS.projectOnLoopLimit && isAscii(raw)) {
      text = raw.toString('latin1');
      const fast = projectBody(raw, text, op.projectionPlan, loopBounds, op.validateBody!);
      if (fast) return fast.value;
    }
    if (raw.length <= inlineLimit) {
      const v = decodeInline(raw, route, text);
      if (v !== 'worker') {
        if (!v.ok) throw new RequestError(v.status, v.code, v.message, v.reason);
        return v.value;
      }
    }
    const v = await pool.decode(op.operationId, raw, bounds);
    if (!v.ok) throw new RequestError(v.status, v.code, v.message, v.reason);
    // the worker validated and projected it: what is left is the handler's
    // share of the bytes, an array in parts parsed one per turn of the loop
    if (!v.parts) return v.text === undefined ? undefined : JSON.parse(v.text);
    const items: unknown[] = [];
    for (const part of v.parts) {
      for (const item of JSON.parse(part) as unknown[]) items.push(item);
      await new Promise<void>((r) => setImmediate(r));
    }
    return items;
  }

  function decodeInline(raw: Buffer, route: BodyRoute, ascii?: string): BodyVerdict | 'worker' {
    const text = ascii ?? decodeUtf8(raw);
    if (typeof text !== 'string') return text;
    if (text.trim() === '') return emptyBody(route);
    const scan = scanJson(text, bounds);
    if (scan.refusal) return scan.refusal;
    const costly = scan.values > HTTP_LIMITS.inlineValues || scan.widest > HTTP_LIMITS.inlineWidestObject;
    return costly ? 'worker' : parseScanned(text, scan, route, bounds);
  }

  /** Websocket upgrades: the same guard as requests, the token on reads, and a well-formed handshake. */
  const admit = (req: IncomingMessage): RequestError | undefined => {
    const guarded = checkTarget(req) ?? checkOrigin(req, guard);
    if (guarded) return guarded;
    const url = new URL(req.url!, 'http://hax');
    if (url.pathname !== FEED_PATH) return new RequestError(404, 'HAX_ERR_NOT_FOUND', `no websocket at ${url.pathname} (the feed is at ${FEED_PATH})`, 'Not found');
    if (token && tokenOnReads && !tokenMatches(req.headers.authorization, token)) return unauthorized();
    if (req.method !== 'GET') return new RequestError(405, 'HAX_ERR_METHOD', `${req.method} is not allowed on ${FEED_PATH}`, 'Method not allowed');
    const key = req.headers['sec-websocket-key'];
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || req.headers['sec-websocket-version'] !== '13'
      || typeof key !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(key)) {
      return new RequestError(400, 'HAX_ERR_BAD_UPGRADE', `${FEED_PATH} takes a websocket handshake (Upgrade: websocket, Sec-WebSocket-Version: 13, a Sec-WebSocket-Key of 16 bytes)`, 'Bad request');
    }
    if (hasBody(req)) return new RequestError(400, 'HAX_ERR_BAD_UPGRADE', 'a websocket handshake carries no body', 'Bad request');
    return undefined;
  };
  if (options.feed) options.feed.attach(server, FEED_PATH, (req) => { const e = admit(req); return e && { status: e.status, body: envelope(e) }; });
  else server.on('upgrade', (req: IncomingMessage, socket: Duplex) => writeRaw(socket, admit(req) ?? new RequestError(404, 'HAX_ERR_NOT_FOUND', 'this hax serves no websocket feed', 'Not found')));

  return {
    server, openapiText: text,
    listen: (host, port) => new Promise((resolve, reject) => {
      guard.listenHost = host;
      if (!token && !isLoopbackHost(host)) {
        options.onLog?.('warn', 'the HTTP API listens on a non-loopback address without a token: anyone who reaches it can post watch payloads (set a token: --token-file)', { host, code: 'HAX_ERR_HTTP_EXPOSED' });
      }
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(server.address() as AddressInfo); });
    }),
    close: () => new Promise((resolve) => { proxy?.close(); void pool.close(); server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

/** One holder at a time, the others served in the order they asked. */
class Turn {
  #busy = false;
  readonly #waiting: (() => void)[] = [];
  take(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => { this.#busy = true; resolve(() => this.#next()); };
      if (this.#busy) this.#waiting.push(grant); else grant();
    });
  }
  #next(): void {
    const n = this.#waiting.shift();
    if (n) n(); else this.#busy = false;
  }
}

/**
 * A connection closed right after refusing a body it did not read: if the
 * client is still sending, closing at once would reset the connection and
 * could destroy the answer before the client read it. So hax closes its
 * side (FIN) after the answer and keeps reading and dropping what comes,
 * for at most LINGER_MS or LINGER_BYTES, then closes.
 */
const LINGER_MS = 2000;
const LINGER_BYTES = 4 * 1024 * 1024;
function lingerOnClose(socket: Socket): void {
  const s = socket as Socket & { destroySoon?: () => void };
  s.destroySoon = () => {
    if (s.writable) s.end();
    let dropped = 0;
    const stop = () => { clearTimeout(timer); s.destroy(); };
    const timer = setTimeout(stop, LINGER_MS);
    timer.unref();
    s.on('data', (d: Buffer) => { dropped += d.length; if (dropped > LINGER_BYTES) stop(); });
    s.once('end', stop);
    s.once('close', () => clearTimeout(timer));
    s.resume();
  };
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** Content type, encoding and announced size of a JSON body, before any of it is read; the announced length. */
function bodyPreflight(req: IncomingMessage, limit: number): number | RequestError {
  const [media, ...params] = (req.headers['content-type'] ?? '').split(';');
  const type = media.trim().toLowerCase();
  if (type !== 'application/json') {
    return new RequestError(415, 'HAX_ERR_CONTENT_TYPE', `expected Content-Type application/json, got "${type.slice(0, 100) || 'none'}"`, 'Unsupported media type');
  }
  for (const p of params) {
    const [k, v = ''] = p.split('=');
    if (k.trim().toLowerCase() === 'charset' && !/^"?utf-?8"?$/i.test(v.trim())) {
      return new RequestError(415, 'HAX_ERR_CONTENT_TYPE', `JSON bodies are UTF-8; charset "${v.trim().slice(0, 40)}" is not taken`, 'Unsupported media type');
    }
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    return new RequestError(415, 'HAX_ERR_CONTENT_ENCODING', `Content-Encoding "${encoding.slice(0, 40)}" is not taken: send the JSON uncompressed`, 'Unsupported media type');
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return tooLarge(limit);
  return declared;
}

/**
 * The whole body, from 'data' events (an async iterator costs a few promises
 * per 64 KiB chunk, and a 1 MB payload has twenty). With a Content-Length
 * (Consul always sends one) the chunks are copied once into a buffer of the
 * announced size instead of concatenated at the end. Past `limit` it rejects
 * with 413 and stops reading; a client that goes away mid-body rejects too.
 */
function readBody(req: IncomingMessage, declared: number, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const exact = Number.isSafeInteger(declared) && declared > 0 ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      req.off('data', onData); req.off('end', onEnd); req.off('error', onFail); req.off('close', onClose);
      fn();
    };
    const onData = (c: Buffer) => {
      if (size + c.length > limit) { settle(() => { req.pause(); reject(tooLarge(limit)); }); return; }
      if (exact && size + c.length <= exact.length) c.copy(exact, size);
      else chunks.push(c);
      size += c.length;
    };
    const onEnd = () => settle(() => resolve(exact && size === exact.length && chunks.length === 0 ? exact
      : Buffer.concat(exact ? [exact.subarray(0, Math.min(size, exact.length)), ...chunks] : chunks)));
    const onFail = (error: Error) => settle(() => reject(error));
    const onClose = () => settle(() => reject(new Error('the client closed the connection before the body ended')));
    req.on('data', onData); req.on('end', onEnd); req.on('error', onFail); req.on('close', onClose);
  });
}

const tooLarge = (limit: number) => new RequestError(413, 'HAX_ERR_BODY_TOO_LARGE', `the request body exceeds ${limit} bytes`, 'Payload too large');

function envelope(error: RequestError): string {
  return JSON.stringify({ status_code: error.status, error_message: error.message, error_type: error.code, reason: error.reason });
}

function sendError(res: ServerResponse, error: RequestError, close = false): void {
  const payload = envelope(error);
  res.writeHead(error.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...(close ? { Connection: 'close' } : {}) });
  res.end(payload);
}

/** A whole HTTP/1.1 response written on a socket that has no ServerResponse (parser errors, CONNECT, upgrades); then closed. */
function writeRaw(socket: Duplex, error: RequestError): void {
  const payload = envelope(error);
  socket.end(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`);
}
