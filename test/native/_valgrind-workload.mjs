// The shim's whole life, small enough to run under valgrind: start, an
// entrypoint, messages both ways, delivered, a pure ack, disconnect, a
// protocol error, stop, a second start on a unix socket, the codec helpers
// and notify, and finally leaving Node with a shim still running. Plain
// JavaScript on purpose (no tsx: a transpiler under memcheck costs minutes). The process ends by itself when all is done;
// it exits 3 if the workload itself went wrong.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const addon = require(new URL('../../build/native/Release/shim.node', import.meta.url).pathname);
// plain node (no tsx) under valgrind: the fixtures directory as test/helpers/fixtures.ts finds it
const beside = new URL('../../../shared/fixtures/', import.meta.url).pathname;
const FIXTURES_DIR = process.env.HAX_FIXTURES ? process.env.HAX_FIXTURES.replace(/\/?$/, '/') : fs.existsSync(beside) ? beside : '/work/shared/fixtures/';
const fx = (name) => Buffer.from(JSON.parse(fs.readFileSync(`${FIXTURES_DIR}motr-xcode/${name}.json`, 'utf8')).hex, 'hex');
const EP_REQ = fx('ep_req_first');
const EVENT = fx('msg_07_event_process');
const CONFD = { fid: { container: 0x7300000000000001n, key: 3n }, endpoint: 'inet:tcp:127.0.0.1@22012' };
const RM = { container: 0x7300000000000001n, key: 2n };
// The link plan the core gives a first entrypoint request (a new link), with
// the request's words read at their fixed offsets. This peer only ever sends
// first requests, so the plan is scripted here; the daemon asks the core.
const newLinkPlan = (fop) => {
  const v = new DataView(fop.buffer, fop.byteOffset, fop.byteLength);
  return { control: 'consume', mode: 'new', linkId: 0, generation: v.getBigUint64(4, true),
    processFid: { container: v.getBigUint64(12, true), key: v.getBigUint64(20, true) }, params: Array(14).fill(0n), note: '' };
};

const frame = (opcode, xid, body) => {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(body.length, 0); h.writeUInt32LE(opcode, 4); h.writeBigUInt64LE(BigInt(xid), 8);
  return Buffer.concat([h, body]);
};
const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
const withTag = (msg, tag) => { const b = Buffer.from(msg); b.writeBigUInt64LE(BigInt(tag), b.length - 8); return b; };

// Reads the link params (112 bytes after control) out of an ENTRYPOINT_REP.
function repParams(b) {
  let o = 4; const n = b.readUInt32LE(o); o += 4 + 16 * n; o += 4;
  for (let i = 0; i < n; i++) o += 8 + Number(b.readBigUInt64LE(o));
  o += 16; o += 8 + Number(b.readBigUInt64LE(o)); o += 4;
  return { idLocal: b.subarray(o, o + 16), idRemote: b.subarray(o + 16, o + 32), idConn: b.subarray(o + 32, o + 48) };
}
const linkMsg = (p, msg, outNext, inDelivered, seq) =>
  Buffer.concat([u64(msg ? 1 : 0), msg ?? Buffer.alloc(80), p.idLocal, p.idRemote, p.idConn, u64(outNext), u64(inDelivered), u64(seq)]);

function fail(why) { console.error('workload failed:', why); process.exit(3); }
const guard = setTimeout(() => fail('hang'), 120_000);

function startShim(listen) {
  const waiters = [];
  const events = [];
  const shim = new addon.Shim({ listen: [listen], queueLimit: 8 }, (batch) => {
    for (const e of batch) {
      events.push(e);
      if (e.type === 'entrypoint') shim.entrypointReply(e.reqId, 0, [CONFD], 1, RM, 'inet:tcp:127.0.0.1@22011', newLinkPlan(e.fop));
      if (e.type === 'received') shim.delivered(e.linkId, e.tag);
    }
    for (const w of [...waiters]) { const e = events.find(w.pred); if (e) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); } }
  });
  const wait = (pred) => new Promise((resolve) => { const e = events.find(pred); if (e) resolve(e); else waiters.push({ pred, resolve }); });
  return { shim, wait, events };
}

function peer(address) {
  const sock = address.startsWith('unix:') ? net.connect({ path: address.slice(5) })
    : net.connect({ host: '127.0.0.1', port: Number(address.slice(address.lastIndexOf(':') + 1)) });
  const frames = [];
  const waiters = [];
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 16 && buf.length >= 16 + buf.readUInt32LE(0)) {
      const len = buf.readUInt32LE(0);
      frames.push({ opcode: buf.readUInt32LE(4), xid: buf.readBigUInt64LE(8), body: buf.subarray(16, 16 + len) });
      buf = buf.subarray(16 + len);
    }
    for (const w of [...waiters]) { const f = frames.find(w.pred); if (f) { waiters.splice(waiters.indexOf(w), 1); w.resolve(f); } }
  });
  sock.on('error', () => {});
  const next = (pred) => new Promise((resolve) => { const f = frames.find(pred); if (f) resolve(f); else waiters.push({ pred, resolve }); });
  return { sock, next, frames };
}

// ---- 1: TCP, messages both ways, disconnect, a protocol error, stop ----
{
  const h = startShim('tcp:127.0.0.1:0');
  const { address } = await h.wait((e) => e.type === 'listening');
  const p = peer(address);
  await new Promise((r) => p.sock.once('connect', r));
  p.sock.write(frame(117, 1, EP_REQ));
  const rep = await p.next((f) => f.opcode === 118);
  const lp = repParams(rep.body);
  const lc = await h.wait((e) => e.type === 'link-connected');
  // peer -> hax: tags 2 and 4 (stop-and-wait: second after the first reply)
  p.sock.write(frame(207, 2, linkMsg(lp, withTag(EVENT, 2), 4, 1, 1)));
  await p.next((f) => f.opcode === 208 && f.xid === 2n);
  p.sock.write(frame(207, 3, linkMsg(lp, withTag(EVENT, 4), 6, 1, 2)));
  await h.wait((e) => e.type === 'received' && e.tag === 4);
  // hax -> peer: tag 1; the peer confirms it in its reply
  const tag = h.shim.send(lc.linkId, Buffer.from(EVENT));
  const m = await p.next((f) => f.opcode === 207 && f.body.readBigUInt64LE(0) === 1n);
  p.sock.write(frame(208, m.xid, Buffer.concat([Buffer.alloc(4), u64(6), u64(tag + 2)])));
  await h.wait((e) => e.type === 'delivered' && e.tag === tag);
  // a message left unconfirmed, then disconnect: not-delivered, disconnected
  h.shim.send(lc.linkId, Buffer.from(EVENT));
  await p.next((f) => f.opcode === 207 && f.body.readBigUInt64LE(0) === 1n && f.xid !== m.xid);
  h.shim.disconnect(lc.linkId);
  await h.wait((e) => e.type === 'disconnected');
  // a protocol error on a second connection
  const bad = peer(address);
  await new Promise((r) => bad.sock.once('connect', r));
  bad.sock.write(frame(999, 1, Buffer.alloc(8)));
  await h.wait((e) => e.type === 'protocol-error');
  const st = h.shim.stats();
  if (st.protocolErrors !== 1) fail('stats');
  await h.shim.stop();
  p.sock.destroy(); bad.sock.destroy();
}

// ---- 2: a unix socket, a link left open at stop ----
{
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hax-vg-'));
  const h = startShim(`unix:${dir}/ha.sock`);
  const { address } = await h.wait((e) => e.type === 'listening');
  const p = peer(address);
  await new Promise((r) => p.sock.once('connect', r));
  p.sock.write(frame(117, 1, EP_REQ));
  const lc = await h.wait((e) => e.type === 'link-connected');
  h.shim.send(lc.linkId, Buffer.from(EVENT)); // never confirmed: not-delivered at stop
  await p.next((f) => f.opcode === 207);
  await h.shim.stop();
  if (!h.events.some((e) => e.type === 'not-delivered')) fail('not-delivered at stop');
  p.sock.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---- 3: pure helpers ----
addon.haMsgWireSize(7);
addon.notify('READY=1', '');

// ---- 4: leave with a shim still running (env teardown joins the thread) ----
{
  const h = startShim('tcp:127.0.0.1:0');
  const { address } = await h.wait((e) => e.type === 'listening');
  const p = peer(address);
  await new Promise((r) => p.sock.once('connect', r));
  p.sock.write(frame(117, 1, EP_REQ));
  await h.wait((e) => e.type === 'link-connected');
  p.sock.destroy();
  h.shim.unref();
}

clearTimeout(guard);
console.log('workload done');
