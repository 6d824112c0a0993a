// A TCP proxy between hax and a real Consul agent that can lose Consul's
// answers after Consul applied the request (exactly-once write tests).
import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * Forwards bytes both ways; `decide(requestLine, body)` is asked for every
 * request and, when it says 'drop-reply', the request still goes to Consul,
 * and the first byte of Consul's answer closes both sides instead of
 * reaching the client. 'hold' keeps the request (not sent to Consul) and
 * closes the client's side at once; `release()` sends the held requests later.
 */
export class ReplyProxy {
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  decide: (line: string, body: string) => 'forward' | 'drop-reply' | 'hold' = () => 'forward';
  dropped = 0;
  /** Runs after Consul answered a dropped request (or a request was held) and before the client sees its connection close. */
  meanwhile: (() => Promise<void>) | undefined;
  held: { bytes: Buffer }[] = [];
  port = 0;

  constructor(targetUrl: string) {
    const u = new URL(targetUrl);
    this.#target = { host: u.hostname, port: Number(u.port) };
    this.#server = createServer((client) => this.#pipe(client));
  }

  listen(): Promise<string> {
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', () => {
      this.port = (this.#server.address() as { port: number }).port;
      resolve(`http://127.0.0.1:${this.port}`);
    }));
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    return new Promise((r) => { this.#server.close(() => r()); });
  }

  /** Sends every held request to Consul on its own connection; resolves with Consul's answers. */
  release(): Promise<string[]> {
    const all = this.held.splice(0);
    return Promise.all(all.map((h) => new Promise<string>((resolve, reject) => {
      const up = connect(this.#target.port, this.#target.host, () => up.end(h.bytes));
      const chunks: Buffer[] = [];
      up.on('data', (c) => chunks.push(c));
      up.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      up.on('error', reject);
    })));
  }

  async #then(close: () => void): Promise<void> {
    const m = this.meanwhile;
    this.meanwhile = undefined;
    try { await m?.(); } finally { close(); }
  }

  #pipe(client: Socket): void {
    const up = connect(this.#target.port, this.#target.host);
    for (const s of [client, up]) { this.#sockets.add(s); s.on('close', () => this.#sockets.delete(s)); }
    let buf = Buffer.alloc(0);
    let mode: 'forward' | 'drop-reply' | 'hold' = 'forward';
    let cut = false;   // this proxy closes the client's side itself (after `meanwhile`)
    client.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {   // whole requests only (node's http agent never pipelines; bodies carry a Content-Length)
        const headEnd = buf.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = buf.toString('latin1', 0, headEnd);
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < headEnd + 4 + length) return;
        const request = buf.subarray(0, headEnd + 4 + length);
        buf = buf.subarray(headEnd + 4 + length);
        mode = this.decide(head.slice(0, head.indexOf('\r\n')), request.toString('utf8', headEnd + 4));
        if (mode === 'hold') {
          this.held.push({ bytes: Buffer.from(request.toString('latin1').replace(/\r\nconnection: keep-alive/i, '\r\nConnection: close'), 'latin1') });
          cut = true;
          up.destroy();
          void this.#then(() => client.destroy());
          return;
        }
        up.write(request);
      }
    });
    up.on('data', (chunk: Buffer) => {
      if (mode === 'drop-reply') { this.dropped++; cut = true; up.destroy(); void this.#then(() => client.destroy()); return; }
      client.write(chunk);
    });
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
    client.on('close', () => up.destroy());
    up.on('close', () => { if (!cut) client.destroy(); });
  }
}
