// start/stop, options, unix sockets, protocol errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Shim, type ShimEvent } from '../../src/native/binding.ts';
import { LinkClient, OP_ENTRYPOINT_REQ, OP_LINK_MSG, encodeLinkMsg } from '../../src/sim/link-client.ts';
import { PROCESS_FID, RawPeer, eventMsg, fixtureBytes, startShim } from './_harness.ts';

// Narrow by type; members like 'link-connected' | 'link-reused' share one variant.
type Ev<T extends ShimEvent['type']> = ShimEvent & { type: T };
const codeOf = (f: () => unknown): string => {
  try { f(); return 'none'; } catch (e) { return (e as { code?: string }).code ?? 'no-code'; }
};

test('listening on port 0 reports the real bound port', async () => {
  const h = await startShim();
  try {
    assert.match(h.address, /^tcp:127\.0\.0\.1:[1-9]\d*$/);
  } finally {
    await h.stop();
  }
});

test('bad options and a busy port throw errors with HAX_ERR codes', async () => {
  const noop = (): void => {};
  assert.is(codeOf(() => Shim.start({ listen: [] }, noop)), 'HAX_ERR_BAD_OPTIONS');
  assert.is(codeOf(() => Shim.start({ listen: ['udp:1.2.3.4:5'] }, noop)), 'HAX_ERR_BAD_OPTIONS');
  assert.is(codeOf(() => Shim.start({ listen: ['tcp:127.0.0.1:99999'] }, noop)), 'HAX_ERR_BAD_OPTIONS');
  assert.is(codeOf(() => Shim.start({ listen: ['tcp:127.0.0.1:0'], queueLimit: 0 }, noop)), 'HAX_ERR_BAD_OPTIONS');
  const h = await startShim();
  try {
    assert.is(codeOf(() => Shim.start({ listen: [h.address] }, noop)), 'HAX_ERR_LISTEN');
  } finally {
    await h.stop();
  }
});

test('send() checks the link and the message length', async () => {
  const h = await startShim();
  try {
    assert.is(codeOf(() => h.shim.send(42, eventMsg())), 'HAX_ERR_UNKNOWN_LINK');
    assert.is(codeOf(() => h.shim.send(1, new Uint8Array(10))), 'HAX_ERR_BAD_MESSAGE');
    const bad = eventMsg();
    bad.writeBigUInt64LE(99n, 64);
    assert.is(codeOf(() => h.shim.send(1, bad)), 'HAX_ERR_UNKNOWN_MSG_TYPE');
  } finally {
    await h.stop();
  }
});

test('stop() reports unconfirmed messages not-delivered, joins, and a second start works', async () => {
  const h = await startShim();
  const client = new LinkClient({ address: h.address, processFid: PROCESS_FID, reconnect: false });
  await client.connect();
  const lc = await h.waitFor<Ev<'link-connected'>>((e) => e.type === 'link-connected');
  const t1 = h.shim.send(lc.linkId, eventMsg(1)); // received but never delivered by the peer
  const t2 = h.shim.send(lc.linkId, eventMsg(2)); // still queued behind t1
  await new Promise<void>((r) => client.once('message', () => r()));
  const from = h.events.length;
  await h.stop();
  const tail = h.events.slice(from).map((e) => ('tag' in e ? `${e.type}:${e.tag}` : e.type));
  assert.equal(tail, ['disconnecting', `not-delivered:${t1}`, `not-delivered:${t2}`, 'disconnected']);
  assert.is(h.shim.stats().connections, 0);
  assert.is(codeOf(() => h.shim.send(lc.linkId, eventMsg())), 'HAX_ERR_STOPPED');
  await h.shim.stop(); // idempotent
  client.close();

  const h2 = await startShim();
  try {
    const c2 = new LinkClient({ address: h2.address, processFid: PROCESS_FID, reconnect: false });
    await c2.connect();
    await h2.waitFor((e) => e.type === 'link-connected');
    c2.close();
  } finally {
    await h2.stop();
  }
});

test('a unix socket listener has mode 0660, replaces a stale file, carries a link and is removed on stop', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hax-shim-'));
  const sock = path.join(dir, 'ha.sock');
  // A stale socket file left by a process that exited without cleaning up.
  execFileSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.exit(0))`]);
  assert.ok(fs.statSync(sock).isSocket());
  const h = await startShim({ listen: [`unix:${sock}`] });
  try {
    assert.is(h.address, `unix:${sock}`);
    assert.is(fs.statSync(sock).mode & 0o777, 0o660);
    const client = new LinkClient({ address: h.address, processFid: PROCESS_FID, reconnect: false });
    await client.connect();
    client.send(eventMsg());
    await h.waitFor((e) => e.type === 'received');
    // an unnamed unix peer is told apart by its pid (here: this test process)
    const ep = await h.waitFor<Ev<'entrypoint'>>((e) => e.type === 'entrypoint');
    assert.is(ep.remote, `unix:${sock}#pid${process.pid}`);
    client.close();
  } finally {
    await h.stop();
  }
  assert.not.ok(fs.existsSync(sock));
  fs.rmSync(dir, { recursive: true });
});

const badFrames: [string, (p: RawPeer) => void, string][] = [
  ['too long', (p) => { const b = Buffer.alloc(16); b.writeUInt32LE(131073, 0); b.writeUInt32LE(207, 4); p.raw(b); }, 'HAX_ERR_FRAME_TOO_LONG'],
  ['unknown opcode', (p) => { const b = Buffer.alloc(16); b.writeUInt32LE(0, 0); b.writeUInt32LE(119, 4); p.raw(b); }, 'HAX_ERR_UNKNOWN_OPCODE'],
  ['bad fop', (p) => { p.send(OP_ENTRYPOINT_REQ, fixtureBytes('ep_req_first').subarray(0, 100)); }, 'HAX_ERR_BAD_FOP'],
  ['unknown hed_type', (p) => {
    const body = Buffer.from(fixtureBytes('link_msg_fop_0msg'));
    body.writeBigUInt64LE(99n, 8 + 64);
    p.send(OP_LINK_MSG, body);
  }, 'HAX_ERR_UNKNOWN_MSG_TYPE'],
  ['reply opcode sent to hax', (p) => { p.send(118, Buffer.alloc(0)); }, 'HAX_ERR_UNEXPECTED_OPCODE'],
];

for (const [name, write, code] of badFrames) {
  test(`a frame that is ${name} closes only its connection while another link keeps working`, async () => {
    const h = await startShim();
    try {
      const good = new LinkClient({ address: h.address, processFid: PROCESS_FID, reconnect: false });
      await good.connect();
      const lc = await h.waitFor<Ev<'link-connected'>>((e) => e.type === 'link-connected');
      const bad = await RawPeer.connect(h.address);
      write(bad);
      await bad.closed;
      const pe = await h.waitFor<Ev<'protocol-error'>>((e) => e.type === 'protocol-error');
      assert.is(pe.code, code);
      assert.match(pe.remote, /^tcp:127\.0\.0\.1:\d+$/);
      assert.ok(pe.message.length > 0);
      assert.is(h.shim.stats().protocolErrors, 1);
      // The good link still works both ways.
      const tag = good.send(eventMsg());
      await h.waitFor((e) => e.type === 'received' && e.tag === tag);
      const t = h.shim.send(lc.linkId, eventMsg());
      const [m] = await new Promise<[number]>((r) => good.once('message', (x) => r([x])));
      assert.is(m, t);
      assert.is(h.shim.stats().connections, 1);
      good.close();
    } finally {
      await h.stop();
    }
  });
}

test.run();
