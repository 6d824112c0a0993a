// What every request (and every websocket upgrade) passes before any route
// sees it: a canonical request target, a Host that names this hax, an Origin
// that is this hax's own page (or none), no repeated single-valued headers,
// and the token where one is required.
//
// Host: a browser sends the name it resolved. DNS rebinding points an
// attacker's name at 127.0.0.1, so its requests carry that name; hax answers
// only IP literals (a page loaded from an address can only name that
// address), localhost, the host it listens on, and the names an operator
// adds (--http-allowed-host).
// Origin: browsers send it on cross-origin requests, websockets and POSTs; a
// page of another origin (another port of localhost too) must not drive hax.
// Consul, curl and Prometheus send none.
import { isIP } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RequestError } from '../errors.ts';

export interface GuardOptions {
  /** The host hax listens on (its --http HOST). */
  listenHost?: string;
  /** Extra names, each `name` (any port) or `name:port`, lower case. */
  allowedHosts: readonly string[];
  token?: Buffer;
}

const SINGLE_HEADERS = ['authorization', 'content-type', 'content-encoding', 'origin', 'x-consul-index', 'expect'];

/**
 * HTTP/1.x only, and the request target must be origin-form and already
 * canonical: what is routed is what was sent.
 */
export function checkTarget(req: IncomingMessage): RequestError | undefined {
  if (req.httpVersionMajor !== 1) return new RequestError(505, 'HAX_ERR_HTTP_VERSION', `HTTP/${req.httpVersion} is not served: hax speaks HTTP/1.1`, 'HTTP version not supported');
  const raw = req.url ?? '';
  const bad = (why: string) => new RequestError(400, 'HAX_ERR_BAD_TARGET', `the request target ${why}; send /path?query`, 'Bad request');
  if (!raw.startsWith('/') || raw.startsWith('//')) return bad('is not an absolute path (origin-form)');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  if (raw.includes('#')) return bad('has a fragment');
  if (/\\|%2f|%5c|%2e|%00/i.test(path)) return bad('has an encoded slash, backslash, dot or NUL in its path');
  if (/(^|\/)\.\.?(\/|$)/.test(path)) return bad('has a . or .. segment');
  let parsed: URL;
  try { parsed = new URL(raw, 'http://hax'); } catch { return bad('does not parse'); }
  if (parsed.pathname !== path) return bad('is not in canonical form');
  return undefined;
}

interface HostParts { hostname: string; port?: number }

/** "name", "name:port", "[v6]:port" → parts, lower case, without a trailing dot; undefined when malformed. */
export function parseHostHeader(value: string): HostParts | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})?)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && port > 65535) return undefined;
  return { hostname: m[1].toLowerCase().replace(/\.$/, ''), port };
}

function nameAllowed(h: HostParts, options: GuardOptions): boolean {
  const bare = h.hostname.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0 || bare === 'localhost') return true;
  if (options.listenHost && bare === options.listenHost.toLowerCase().replace(/^\[|\]$/g, '')) return true;
  return extraAllowed(h, options);
}

function extraAllowed(h: HostParts, options: GuardOptions): boolean {
  for (const entry of options.allowedHosts) {
    const e = parseHostHeader(entry);
    if (e && e.hostname === h.hostname && (e.port === undefined || e.port === h.port)) return true;
  }
  return false;
}

function count(req: IncomingMessage, name: string): number {
  let n = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === name) n++;
  return n;
}

/** Host, repeated headers and Origin; undefined when the request may go on. */
export function checkOrigin(req: IncomingMessage, options: GuardOptions): RequestError | undefined {
  const hostCount = count(req, 'host');
  const hostValue = req.headers.host ?? '';
  if (hostCount !== 1 || hostValue === '') {
    return new RequestError(400, 'HAX_ERR_BAD_HOST', hostCount > 1 ? 'the request has more than one Host header' : 'the request has no Host header', 'Bad request');
  }
  const host = parseHostHeader(hostValue);
  if (!host) return new RequestError(400, 'HAX_ERR_BAD_HOST', 'the Host header is not HOST[:PORT]', 'Bad request');
  if (!nameAllowed(host, options)) {
    return new RequestError(403, 'HAX_ERR_HOST', `Host "${host.hostname.slice(0, 100)}" is not a name of this hax (an IP address, localhost or its listen host); an operator who reaches hax by a DNS name adds it with --http-allowed-host`, 'Forbidden');
  }
  for (const name of SINGLE_HEADERS) {
    if (count(req, name) > 1) return new RequestError(400, 'HAX_ERR_BAD_HEADER', `the request has more than one ${name} header`, 'Bad request');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !originAllowed(origin, hostValue, options)) {
    return new RequestError(403, 'HAX_ERR_ORIGIN', 'a page of another origin may not call hax (the Origin header is neither this hax\'s own page nor a name given with --http-allowed-host)', 'Forbidden');
  }
  return undefined;
}

/** Same origin as the request's Host (scheme http or https), or a name the operator allowed. */
function originAllowed(origin: string, hostHeader: string, options: GuardOptions): boolean {
  let url: URL;
  try { url = new URL(origin); } catch { return false; }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin.toLowerCase().replace(/\/$/, '')) return false;
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  const own = parseHostHeader(hostHeader);
  const hostname = url.hostname.toLowerCase().replace(/\.$/, '');
  if (own && own.hostname === hostname && (own.port ?? 80) === port) return true;
  return extraAllowed({ hostname, port }, options);
}

/** `Authorization: Bearer <token>`, compared in constant time. */
export function tokenMatches(header: string | undefined, token: Buffer): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1].trim());
  return given.length === token.length && timingSafeEqual(given, token);
}

export const unauthorized = () => new RequestError(401, 'HAX_ERR_UNAUTHORIZED', 'this route needs Authorization: Bearer <token> (see hax consul-config)', 'Unauthorized');
