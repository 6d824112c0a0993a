// The live translation feed at /debug/feed: a websocket (ws in noServer
// mode) that streams every FeedRecord as one JSON text message.
//
// Back-pressure: each record is serialised once. A client whose socket
// already buffers more than `maxBufferedBytes` does not get it: the record
// is counted as lost for that client, and when its buffer has drained it
// first receives {"type":"lost","count":N,"since":seq} — a slow client costs
// bounded memory and never slows hax or the other clients. A client that
// stays over the limit for `stallMs` is closed (1013, try again later).
// The feed is read-only: anything a client sends closes it (1003).
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { matches, parseFilter, type FeedFilter, type FeedInput, type FeedRecord } from './feed-record.ts';

export const FEED_PATH = '/debug/feed';

export interface FeedOptions {
  maxBufferedBytes?: number;
  stallMs?: number;
  maxClients?: number;
  /** Records kept for a new client's first screen. */
  backlog?: number;
}

interface Client { ws: WebSocket; filter: FeedFilter; lost: number; lostSince: number; overSince?: number }

export interface FeedStats { clients: number; published: number; lost: number; closedSlow: number }

export class Feed {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  readonly #clients = new Set<Client>();
  readonly #backlog: { rec: FeedRecord; text: string }[] = [];
  readonly #opts: Required<FeedOptions>;
  #seq = 0;
  #stats: FeedStats = { clients: 0, published: 0, lost: 0, closedSlow: 0 };

  constructor(options: FeedOptions = {}) {
    this.#opts = { maxBufferedBytes: 1 << 20, stallMs: 30_000, maxClients: 64, backlog: 200, ...options };
  }

  /**
   * Serves upgrades of `path` on `server`; other upgrade paths are refused.
   * `admit` (the HTTP layer's Host, Origin and token checks) may refuse an
   * upgrade first, with a status and a JSON error body.
   */
  attach(server: Server, path = FEED_PATH, admit?: (req: IncomingMessage) => { status: number; body: string } | undefined): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const refusal = admit?.(req);
      if (refusal) { refuse(socket, refusal.status, refusal.body); return; }
      let url: URL;
      try { url = new URL(req.url ?? '/', 'http://hax'); } catch { refuse(socket, 400, errorBody(400, 'HAX_ERR_BAD_TARGET', 'the request target does not parse', 'Bad request')); return; }
      if (url.pathname !== path) { refuse(socket, 404, errorBody(404, 'HAX_ERR_NOT_FOUND', `no websocket at ${url.pathname}`, 'Not found')); return; }
      if (this.#clients.size >= this.#opts.maxClients) { refuse(socket, 503, errorBody(503, 'HAX_ERR_FEED_FULL', `the feed has its ${this.#opts.maxClients} clients already; close one or retry later`, 'Service unavailable')); return; }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, parseFilter(url.searchParams)));
    });
  }

  /** Adds one record; sends it to every matching client that keeps up. */
  publish(input: FeedInput): void {
    const rec: FeedRecord = { seq: ++this.#seq, time: new Date().toISOString(), ...input };
    const text = JSON.stringify(rec);
    this.#stats.published += 1;
    this.#backlog.push({ rec, text });
    if (this.#backlog.length > this.#opts.backlog) this.#backlog.shift();
    if (this.#clients.size === 0) return;
    const now = Date.now();
    for (const c of this.#clients) {
      if (!matches(c.filter, rec)) continue;
      if (c.ws.bufferedAmount > this.#opts.maxBufferedBytes) {
        if (c.lost === 0) c.lostSince = rec.seq;
        c.lost += 1;
        this.#stats.lost += 1;
        c.overSince ??= now;
        if (now - c.overSince > this.#opts.stallMs) { this.#stats.closedSlow += 1; c.ws.close(1013, 'too slow: records were being lost'); }
        continue;
      }
      c.overSince = undefined;
      if (c.lost > 0) { c.ws.send(JSON.stringify({ type: 'lost', count: c.lost, since: c.lostSince })); c.lost = 0; }
      c.ws.send(text);
    }
  }

  stats(): FeedStats { return { ...this.#stats, clients: this.#clients.size }; }

  async close(): Promise<void> {
    for (const c of this.#clients) c.ws.terminate();
    this.#clients.clear();
    await new Promise<void>((r) => this.#wss.close(() => r()));
  }

  #accept(ws: WebSocket, filter: FeedFilter): void {
    const client: Client = { ws, filter, lost: 0, lostSince: 0 };
    this.#clients.add(client);
    ws.on('message', () => ws.close(1003, 'the feed is read-only'));
    ws.on('close', () => this.#clients.delete(client));
    ws.on('error', () => this.#clients.delete(client));
    ws.send(JSON.stringify({ type: 'hello', seq: this.#seq, filter: { fid: [...(filter.fids ?? [])], kind: [...(filter.kinds ?? [])] } }));
    for (const { rec, text } of this.#backlog) if (matches(filter, rec)) ws.send(text);
  }
}

/** The HTTP error envelope (docs/errors.md). */
function errorBody(status: number, code: string, message: string, reason: string): string {
  return JSON.stringify({ status_code: status, error_message: message, error_type: code, reason });
}

function refuse(socket: Duplex, status: number, body: string): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
