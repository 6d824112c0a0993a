// The live feed over real websockets: records in order, filters, many
// clients, read-only, and a slow client that loses records (counted and
// told) instead of being buffered without end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { Feed } from '../../src/debug/feed.ts';
import type { FeedInput } from '../../src/debug/feed-record.ts';

async function serve(feed: Feed): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => { res.writeHead(404).end(); });
  feed.attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/debug/feed` };
}

function client(url: string): Promise<{ ws: WebSocket; messages: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const messages: Record<string, unknown>[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('error', reject);
  });
}

const until = async (what: string, cond: () => boolean) => {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
};

const rec = (i: number, extra: Partial<FeedInput> = {}): FeedInput => ({ direction: 'motr→hax', kind: 'EVENT_PROCESS', process: `0x7200000000000001:0x${(i % 3) + 1}`, summary: `event ${i}`, ...extra });

test('a client gets a hello, then every record as JSON in order', async () => {
  const feed = new Feed();
  const { server, url } = await serve(feed);
  const c = await client(url);
  for (let i = 0; i < 100; i++) feed.publish(rec(i));
  await until('100 records arrive', () => c.messages.length === 101);
  assert.is(c.messages[0].type, 'hello');
  const seqs = c.messages.slice(1).map((m) => m.seq as number);
  assert.equal(seqs, Array.from({ length: 100 }, (_, i) => i + 1));
  c.ws.close(); await feed.close(); server.close();
});

test('filters by process fid and by kind, including fids in notes', async () => {
  const feed = new Feed();
  const { server, url } = await serve(feed);
  const byFid = await client(`${url}?fid=0x7200000000000001:0x2`);
  const byKind = await client(`${url}?kind=NVEC,ENTRYPOINT`);
  for (let i = 0; i < 9; i++) feed.publish(rec(i));
  feed.publish({ direction: 'hax→motr', kind: 'NVEC', notes: [{ fid: '0x7200000000000001:0x2', state: 'M0_NC_ONLINE' }] });
  feed.publish({ direction: 'motr→hax', kind: 'ENTRYPOINT', process: '0x7200000000000001:0x9' });
  await until('filtered records arrive', () => byFid.messages.length === 5 && byKind.messages.length === 3);
  assert.equal(byFid.messages.slice(1).map((m) => m.summary ?? m.kind), ['event 1', 'event 4', 'event 7', 'NVEC']);
  assert.equal(byKind.messages.slice(1).map((m) => m.kind), ['NVEC', 'ENTRYPOINT']);
  byFid.ws.close(); byKind.ws.close(); await feed.close(); server.close();
});

test('fifty clients at once all receive every record', async () => {
  const feed = new Feed();
  const { server, url } = await serve(feed);
  const clients = await Promise.all(Array.from({ length: 50 }, () => client(url)));
  for (let i = 0; i < 200; i++) feed.publish(rec(i));
  await until('every client has 200 records', () => clients.every((c) => c.messages.length === 201));
  assert.is(feed.stats().clients, 50);
  for (const c of clients) c.ws.close();
  await feed.close(); server.close();
});

test('a slow client loses records, counted and reported to it, while a fast one gets all', async () => {
  const feed = new Feed({ maxBufferedBytes: 64 * 1024, stallMs: 60_000 });
  const { server, url } = await serve(feed);
  const fast = await client(url);
  const slow = await client(url);
  const raw = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  raw.pause();   // stops reading: the server's send buffer for it fills up
  const big = 'x'.repeat(8 * 1024);
  const N = 2000;
  for (let i = 0; i < N; i++) { feed.publish(rec(i, { summary: big })); await new Promise((r) => setImmediate(r)); }   // as hax does: between events the loop turns
  await until('the fast client got everything', () => fast.messages.length === N + 1);
  const lost = feed.stats().lost;
  assert.ok(lost > 0, 'records were dropped for the slow client');
  raw.resume();
  // keep publishing (as a live hax does) until the drained client is told what it missed
  let extra = 0;
  for (let i = 0; i < 500 && !slow.messages.some((m) => m.type === 'lost'); i++) { feed.publish(rec(N + extra++)); await new Promise((r) => setTimeout(r, 10)); }
  const reports = slow.messages.filter((m) => m.type === 'lost');
  assert.ok(reports.length > 0, 'the slow client was told it lost records');
  const totalLost = feed.stats().lost;
  const published = N + extra;
  await until('the slow client caught up with what was not lost', () =>
    slow.messages.filter((m) => typeof m.seq === 'number' && m.type === undefined).length + totalLost === published);
  const received = slow.messages.filter((m) => typeof m.seq === 'number' && m.type === undefined).length;
  assert.ok((reports[0].count as number) >= lost, 'the first report counts at least what was lost while it was stalled');
  console.log(`feed: slow client received ${received}, lost ${totalLost} of ${published} (told in ${reports.length} report(s)); fast client received all`);
  fast.ws.close(); slow.ws.close(); await feed.close(); server.close();
});

test('the feed is read-only: a client that sends is closed with 1003', async () => {
  const feed = new Feed();
  const { server, url } = await serve(feed);
  const c = await client(url);
  const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
  c.ws.send('hello?');
  assert.is(await closed, 1003);
  await feed.close(); server.close();
});

test('an upgrade on another path is refused with 404', async () => {
  const feed = new Feed();
  const { server, url } = await serve(feed);
  const err = await new Promise<Error>((resolve) => { const ws = new WebSocket(url.replace('/debug/feed', '/elsewhere')); ws.once('error', resolve); });
  assert.match(err.message, /404/);
  await feed.close(); server.close();
});

test.run();
