// Issue 13, defect 8: the feed and the POST routes were open to other web
// pages. hax answers only requests whose Host names it (an IP address,
// localhost, its listen host, or a name given with --http-allowed-host), so
// DNS rebinding cannot reach it, and refuses any request whose Origin is
// not its own page (the feed's websocket included), each with a coded 403.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { startWorld, type HaxWorld } from '../http/hax-world.ts';
import { rawRequest, rawBytes, type RawReply } from '../http/raw-http.ts';

let world: HaxWorld | undefined;
const up = async () => (world ??= await startWorld('origin-node'));

const request = (port: number, method: string, path: string, headers: [string, string | number][], body = '') =>
  rawRequest(port, rawBytes(method, path, [...headers, ['Connection', 'close'], ...(method === 'POST' ? [['Content-Type', 'application/json'], ['Content-Length', Buffer.byteLength(body)]] as [string, string | number][] : [])], body));

function refused(r: RawReply, status: number, code: string, what: string): void {
  assert.is(r.status, status, `${what}: ${r.body.slice(0, 200)}`);
  assert.is(r.json?.status_code, status, what);
  assert.is(r.json?.error_type, code, what);
}

/** Opens the feed with these headers; resolves 'open' or the refusal's status and body. */
function feed(port: number, headers: Record<string, string>, origin?: string): Promise<{ open: true } | { open: false; status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/debug/feed`, { headers, ...(origin ? { origin } : {}) });
    ws.once('open', () => { ws.close(); resolve({ open: true }); });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d; });
      res.on('end', () => resolve({ open: false, status: res.statusCode ?? 0, body }));
    });
    ws.once('error', () => { /* after unexpected-response */ });
  });
}

test('DNS rebinding: a foreign Host is refused on POST /, the status route and the Consul proxy', async () => {
  const w = await up();
  for (const host of ['evil.example', `evil.example:${w.port}`, `localhost.evil.example:${w.port}`, `127.0.0.1.nip.io:${w.port}`]) {
    refused(await request(w.port, 'POST', '/', [['Host', host]], '[]'), 403, 'HAX_ERR_HOST', `POST / Host ${host}`);
    refused(await request(w.port, 'GET', '/v1/cluster/status', [['Host', host]]), 403, 'HAX_ERR_HOST', `GET status Host ${host}`);
    refused(await request(w.port, 'GET', '/v1/kv/leader', [['Host', host]]), 403, 'HAX_ERR_HOST', `proxy Host ${host}`);
  }
});

test('hax\'s own names pass the Host check', async () => {
  const w = await up();
  for (const host of [`127.0.0.1:${w.port}`, `localhost:${w.port}`, `LOCALHOST:${w.port}`, `[::1]:${w.port}`, 'localhost']) {
    const r = await request(w.port, 'GET', '/v1/kv/leader', [['Host', host]]);
    assert.is(r.status, 200, `Host ${host}: ${r.body.slice(0, 200)}`);
  }
});

test('a POST from another page (Origin) is refused; hax\'s own page and Origin-less clients pass', async () => {
  const w = await up();
  const host: [string, string] = ['Host', `127.0.0.1:${w.port}`];
  for (const origin of ['http://evil.example', `http://evil.example:${w.port}`, 'null', `http://localhost:${w.port + 1}`, `http://127.0.0.1:${w.port + 1}`, 'file://', `ftp://127.0.0.1:${w.port}`]) {
    refused(await request(w.port, 'POST', '/', [host, ['Origin', origin]], '[]'), 403, 'HAX_ERR_ORIGIN', `Origin ${origin}`);
  }
  assert.is((await request(w.port, 'POST', '/', [host, ['Origin', `http://127.0.0.1:${w.port}`]], '[]')).status, 200, 'own origin');
  assert.is((await request(w.port, 'POST', '/', [host], '[]')).status, 200, 'no Origin (Consul, curl)');
});

test('the feed refuses a websocket from another page with a coded JSON 403', async () => {
  const w = await up();
  for (const origin of ['http://evil.example', `http://localhost:${w.port + 1}`, 'null']) {
    const r = await feed(w.port, {}, origin);
    assert.is(r.open, false, `Origin ${origin} was let in`);
    if (!r.open) {
      assert.is(r.status, 403, origin);
      assert.is((JSON.parse(r.body) as { error_type: string }).error_type, 'HAX_ERR_ORIGIN', origin);
    }
  }
  const rebound = await feed(w.port, { Host: `evil.example:${w.port}` });
  assert.is(rebound.open, false, 'a rebound Host was let in');
  if (!rebound.open) assert.is((JSON.parse(rebound.body) as { error_type: string }).error_type, 'HAX_ERR_HOST');
  assert.equal(await feed(w.port, {}, `http://127.0.0.1:${w.port}`), { open: true }, 'the monitor page itself');
  assert.equal(await feed(w.port, {}), { open: true }, 'a tool without Origin');
});

test('a name given by the operator (--http-allowed-host) passes, others still do not', async () => {
  const { configureHttp } = await import('../../src/http/limits.ts');
  configureHttp({ allowedHosts: ['hax.cluster.example'] });
  const w2 = await startWorld('origin-node-2');
  try {
    const ok = await request(w2.port, 'GET', '/v1/cluster/status', [['Host', `hax.cluster.example:${w2.port}`]]);
    assert.is(ok.status, 200, ok.body.slice(0, 200));
    const viaProxy = await request(w2.port, 'POST', '/', [['Host', 'hax.cluster.example'], ['Origin', 'https://hax.cluster.example']], '[]');
    assert.is(viaProxy.status, 200, viaProxy.body.slice(0, 200));
    refused(await request(w2.port, 'GET', '/', [['Host', 'other.cluster.example']]), 403, 'HAX_ERR_HOST', 'unlisted name');
  } finally {
    configureHttp({ allowedHosts: [] });
    await w2.stop();
  }
});

test('the refusals changed nothing in Consul', async () => {
  const w = await up();
  const before = await w.kvSnapshot();
  await request(w.port, 'POST', '/watcher/processes', [['Host', 'evil.example']], JSON.stringify({ Key: 'processes/0x7200000000000001:0x3', Value: Buffer.from('{"state":"M0_CONF_HA_PROCESS_STOPPED"}').toString('base64') }));
  assert.equal(await w.kvSnapshot(), before);
});

// Teardown, not a test: it runs even when a test failed, and is not counted.
test.after(async () => { await world?.stop(); world = undefined; });

test.run();
