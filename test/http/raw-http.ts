// Raw HTTP/1.1 over node:net for hostile-input tests: fetch() normalises or
// refuses much of what these tests must send (Host, bad chunking, two
// Content-Lengths, unknown methods), so requests are written byte for byte
// and the answer is read until the server closes or the response is whole.
import { connect, type Socket } from 'node:net';

export interface RawReply {
  /** 0 when the server closed without a status line. */
  status: number;
  /** Interim 1xx status lines seen before the final one (e.g. 100). */
  interim: number[];
  headers: Record<string, string>;
  /** Every header line of the final response, lower-cased names (repeats kept). */
  headerLines: [string, string][];
  body: string;
  /** The parsed JSON body when it is JSON, else undefined. */
  json?: Record<string, unknown>;
  /** The server closed the connection (rather than the reply being complete on an open one). */
  closedByServer: boolean;
  /** A socket error seen while writing or reading (EPIPE, ECONNRESET), if any. */
  error?: string;
}

export interface RawOptions {
  /** Half-close our side after writing (the server sees EOF). Default false. */
  end?: boolean;
}

/** Sends `bytes` on a fresh connection and resolves with the final response. */
export function rawRequest(port: number, bytes: string | Buffer | (string | Buffer)[], options: RawOptions = {}): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const reader = replyReader(socket, resolve);
    socket.on('connect', () => {
      for (const part of Array.isArray(bytes) ? bytes : [bytes]) socket.write(part);
      if (options.end) socket.end();
    });
    void reader;
  });
}

/**
 * Reads one final response from `socket` (skipping interim 1xx ones, which it
 * records), resolving once it is complete (Content-Length) or the socket closes.
 */
export function replyReader(socket: Socket, done: (r: RawReply) => void, onInterim?: (status: number) => void): void {
  let buf = Buffer.alloc(0);
  let settled = false;
  let error: string | undefined;
  const interim: number[] = [];
  const finish = (closed: boolean) => {
    if (settled) return;
    const r = parse(buf, interim, closed, error);
    if (!r) return;
    settled = true;
    done(r);
    socket.destroy();
  };
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    // strip complete interim responses
    for (;;) {
      const m = /^HTTP\/1\.[01] (1\d\d)[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n/.exec(buf.toString('latin1'));
      if (!m) break;
      interim.push(Number(m[1]));
      onInterim?.(Number(m[1]));
      buf = buf.subarray(Buffer.byteLength(m[0], 'latin1'));
    }
    finish(false);
  });
  socket.on('error', (e: NodeJS.ErrnoException) => { error ??= e.code ?? e.message; });
  socket.on('close', () => finish(true));
}

function parse(buf: Buffer, interim: number[], closed: boolean, error: string | undefined): RawReply | undefined {
  const text = buf.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) {
    if (!closed) return undefined;
    return { status: 0, interim, headers: {}, headerLines: [], body: text, closedByServer: true, error };
  }
  const [statusLine, ...lines] = text.slice(0, headEnd).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headerLines: [string, string][] = lines.map((l) => { const i = l.indexOf(':'); return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()]; });
  const headers = Object.fromEntries(headerLines);
  const rawBody = buf.subarray(Buffer.byteLength(text.slice(0, headEnd + 4), 'latin1'));
  const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  if (length !== undefined && rawBody.length < length && !closed) return undefined;
  if (length === undefined && !closed) return undefined;
  const body = (length === undefined ? rawBody : rawBody.subarray(0, length)).toString('utf8');
  let json: Record<string, unknown> | undefined;
  try { json = JSON.parse(body) as Record<string, unknown>; } catch { /* not JSON */ }
  return { status, interim, headers, headerLines, body, json, closedByServer: closed, error };
}

/** A request's bytes: request line, headers (in order, repeats allowed), blank line, body. */
export function rawBytes(method: string, target: string, headers: [string, string | number][], body: string | Buffer = ''): Buffer {
  const head = `${method} ${target} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}

/** Chunked encoding of `parts`, with the final zero chunk unless `open`. */
export function chunked(parts: (string | Buffer)[], open = false): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p) : p;
    out.push(Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n'));
  }
  if (!open) out.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(out);
}
