// Issue 13, defect 3: one body inside the limit froze hax. The body limit is
// sized from what Consul really sends (a 1,000-node health payload is about
// 3.6 MiB compact; the default is 16 MiB), a body over it is refused with 413
// as soon as that is known (Content-Length, or the running size of a chunked
// body), at most a few bodies are read and parsed at once (503 with
// Retry-After beyond), and a big body is decoded, checked and validated in a
// worker thread, never by one long JSON.parse on the event loop (on the loop:
// an ASCII body up to 6 MiB in one pass that builds only what the schema
// declares, bounded in values too; else up to 2 MiB and 100,000 values).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type Socket } from 'node:net';
import { startWorld, type HaxWorld } from '../http/hax-world.ts';
import { rawRequest, rawBytes, chunked, replyReader, type RawReply } from '../http/raw-http.ts';
import { healthEntry } from '../../bench/http/payload.ts';

const MiB = 1024 * 1024;
const DEFAULT_LIMIT = 16 * MiB;      // docs/operations.md, Limits
const DEFAULT_MAX_BODIES = 8;

let world: HaxWorld | undefined;
const up = async () => (world ??= await startWorld('limits-node'));

const json = (port: number, path: string, body: string | Buffer, extra: [string, string | number][] = []) =>
  rawRequest(port, rawBytes('POST', path, [['Host', `127.0.0.1:${port}`], ['Content-Type', 'application/json'], ['Content-Length', Buffer.byteLength(body)], ['Connection', 'close'], ...extra], body));

function envelope(r: RawReply, status: number, code: string, what: string): void {
  assert.is(r.status, status, `${what}: status (body ${r.body.slice(0, 200)})`);
  assert.ok(r.json, `${what}: a JSON envelope`);
  assert.equal(Object.keys(r.json!).sort(), ['error_message', 'error_type', 'reason', 'status_code'], what);
  assert.is(r.json!.status_code, status, what);
  assert.is(r.json!.error_type, code, what);
}

test('the 1,000-node health payload (4,000 entries, ~4 MiB) is accepted at the default limit', async () => {
  const w = await up();
  const entries = Array.from({ length: 4000 }, (_, i) => healthEntry(i, i % 10 === 0));
  const body = JSON.stringify(entries) + '\n';
  assert.ok(body.length > 3 * MiB && body.length < DEFAULT_LIMIT, `payload is ${body.length} bytes`);
  const r = await json(w.port, '/', body);
  assert.is(r.status, 200, r.body.slice(0, 300));
  assert.ok(Array.isArray((r.json as { notes?: unknown[] }).notes), 'a BroadcastResult');
});

test('a valid payload past the one-pass bound on the loop (8,000 entries, ~10 MiB) is accepted through the body worker', async () => {
  const w = await up();
  const entries = Array.from({ length: 8000 }, (_, i) => healthEntry(i, i % 10 === 0));
  const body = JSON.stringify(entries) + '\n';
  assert.ok(body.length > 6 * MiB, `payload is ${body.length} bytes`);
  const original = JSON.parse;
  const parsed: number[] = [];
  JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    if (typeof text === 'string' && text.length > 1000) parsed.push(text.length);
    return original(text, reviver);
  }) as typeof JSON.parse;
  let r: RawReply;
  try { r = await json(w.port, '/', body); } finally { JSON.parse = original; }
  assert.is(r.status, 200, r.body.slice(0, 300));
  assert.ok(Array.isArray((r.json as { notes?: unknown[] }).notes), 'a BroadcastResult');
  // the worker's answer: the projected value in parts, each parsed on the loop on its own
  assert.ok(parsed.length > 1, `the loop parsed ${parsed.length} part(s)`);
  assert.ok(Math.max(...parsed) <= 2 * MiB, `the event loop parsed ${Math.max(...parsed)} bytes of JSON in one call`);
});

test('a body announced over the default limit (17 MiB) is answered 413 before any of it is read', async () => {
  const w = await up();
  // headers and 1 KiB of the 17 MiB body, then EOF: hax must not wait for the rest
  const head = rawBytes('POST', '/', [['Host', `127.0.0.1:${w.port}`], ['Content-Type', 'application/json'], ['Content-Length', 17 * MiB]], '[' + ' '.repeat(1023));
  const r = await rawRequest(w.port, head, { end: true });
  envelope(r, 413, 'HAX_ERR_BODY_TOO_LARGE', '17 MiB announced');
  assert.match(String(r.json!.error_message), String(DEFAULT_LIMIT));
  assert.is(r.headers.connection, 'close');
});

test('a chunked body is cut at the limit: 413 as soon as its running size passes it', async () => {
  const w = await up();
  const piece = Buffer.alloc(MiB, 0x20);
  const parts = [Buffer.from('['), ...Array.from({ length: 17 }, () => piece)];
  // no terminating chunk and EOF after it: only a running size check can answer 413 here
  const r = await rawRequest(w.port, [rawBytes('POST', '/', [['Host', `127.0.0.1:${w.port}`], ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']]), chunked(parts, true)], { end: true });
  envelope(r, 413, 'HAX_ERR_BODY_TOO_LARGE', 'chunked past the limit');
});

test(`more than ${DEFAULT_MAX_BODIES} bodies at once: the next gets 503 with Retry-After, and the slots come back`, async () => {
  const w = await up();
  const body = '[' + ' '.repeat(998) + ']';
  const held: { socket: Socket; reply: Promise<RawReply> }[] = [];
  // each holder announces its body, waits for 100 Continue (hax admitted it), sends half
  for (let i = 0; i < DEFAULT_MAX_BODIES; i++) {
    const socket = connect({ host: '127.0.0.1', port: w.port });
    let continued!: () => void;
    const admitted = new Promise<void>((r) => { continued = r; });
    const reply = new Promise<RawReply>((resolve) => replyReader(socket, resolve, (s) => { if (s === 100) continued(); }));
    socket.write(rawBytes('POST', '/', [['Host', `127.0.0.1:${w.port}`], ['Content-Type', 'application/json'], ['Content-Length', body.length], ['Expect', '100-continue']]));
    await Promise.race([admitted, reply.then((r) => assert.unreachable(`holder ${i} answered ${r.status} before its body: ${r.body}`))]);
    socket.write(body.slice(0, 500));
    held.push({ socket, reply });
  }
  const busy = await json(w.port, '/', '[]');
  envelope(busy, 503, 'HAX_ERR_BUSY', 'one body too many');
  assert.match(busy.headers['retry-after'] ?? '', /^\d+$/, 'Retry-After');
  // the holders finish their bodies and are answered; then a new body is admitted again
  for (const h of held) h.socket.write(body.slice(500));
  for (const h of held) assert.is((await h.reply).status, 200);
  const again = await json(w.port, '/', '[]');
  assert.is(again.status, 200, again.body);
});

test('a 15 MiB body of tiny values is refused without one long JSON.parse on the event loop', async () => {
  const w = await up();
  const body = '[' + '{},'.repeat(5 * MiB - 1) + '{}]';      // 15 MiB, 5 M objects
  assert.ok(body.length < DEFAULT_LIMIT);
  const original = JSON.parse;
  let largest = 0;
  JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    largest = Math.max(largest, typeof text === 'string' ? text.length : 0);
    return original(text, reviver);
  }) as typeof JSON.parse;
  let r: RawReply;
  try { r = await json(w.port, '/', body); } finally { JSON.parse = original; }
  // the event loop parses at most the inline bound (2 MiB of few values, docs/operations.md); this body is 15 MiB
  assert.ok(largest <= 2 * MiB, `the event loop parsed ${largest} bytes of JSON in one call`);
  assert.is(r.status, 413, r.body.slice(0, 300));
  assert.is(r.json?.error_type, 'HAX_ERR_BODY_TOO_COMPLEX');
});

test('none of it changed Consul, and hax still answers', async () => {
  const w = await up();
  const before = await w.kvSnapshot();
  await json(w.port, '/', '[' + '1,'.repeat(MiB) + '1]');
  assert.equal(await w.kvSnapshot(), before);
  assert.is((await fetch(`${w.base}/`)).status, 200);
});

// Teardown, not a test: it runs even when a test failed, and is not counted.
test.after(async () => { await world?.stop(); world = undefined; });

test.run();
