// bench/shim: the native shim against a pure node:net HA (net-baseline.ts)
// in the same run. Peers live in a child process (peers.ts).
//   frames/s into JS      peers write LINK_MSGs (104-byte events) as fast as the
//                         socket takes them; counted when the HA's JS got them
//   frames/s out          the HA's JS send()s events; stop-and-wait, so each
//                         needs the peer's reply; counted at 'delivered'
//   NVEC broadcast        one 20,592-byte NVEC SET to each of 100 links per
//                         round, next round when all were delivered
// Run: node --import tsx bench/shim/run.ts   (prints a table, writes
// bench/results/shim.json)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Shim, type ShimEvent } from '../../src/native/binding.ts';
import { NetBaselineHa, type BaselineEvent } from './net-baseline.ts';
import { CoreLinks } from '../../test/helpers/core-links.ts';
import { printTable, writeResult } from '../lib/report.ts';

const fx = (n: string): Buffer => Buffer.from(JSON.parse(fs.readFileSync(`/work/shared/fixtures/motr-xcode/${n}.json`, 'utf8')).hex, 'hex');
const EVENT = fx('msg_07_event_process');
const NVEC = fx('msg_02_nvec_set_2notes');
const CONFD = { fid: { container: 0x7300000000000001n, key: 3n }, endpoint: 'inet:tcp:127.0.0.1@22012' };
const RM = { container: 0x7300000000000001n, key: 2n };

const LINKS = [1, 10, 100];
const IN_TOTAL = 200_000;
const OUT_TOTAL: Record<number, number> = { 1: 15_000, 10: 60_000, 100: 100_000 };
const NVEC_LINKS = 100;
const NVEC_ROUNDS = 100;

// ---- the peers' process ------------------------------------------------------

const peers = spawn(process.execPath, ['--import', 'tsx', new URL('./peers.ts', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
let peerBuf = '';
const peerWaiters: ((l: any) => void)[] = [];
peers.stdout!.on('data', (d: Buffer) => {
  peerBuf += d.toString();
  let i;
  while ((i = peerBuf.indexOf('\n')) >= 0) { const l = JSON.parse(peerBuf.slice(0, i)); peerBuf = peerBuf.slice(i + 1); peerWaiters.shift()?.(l); }
});
const peerCmd = (cmd: object): Promise<any> => new Promise((r) => { peerWaiters.push(r); peers.stdin!.write(JSON.stringify(cmd) + '\n'); });

// ---- one HA implementation behind a common face ------------------------------

interface Ha { address: string; send(link: number, msg: Uint8Array): number; delivered(link: number, tag: number): void; stop(): Promise<void> }
type Ev = ShimEvent | BaselineEvent;
interface Impl { name: string; start(on: (batch: Ev[]) => void): Promise<Ha> }

const shimImpl: Impl = {
  name: 'native shim',
  start: (on) => CoreLinks.load([CONFD], { fid: RM, endpoint: 'inet:tcp:127.0.0.1@22011' }).then((links) => new Promise((resolve) => {
    let started = false;
    const shim: Shim = Shim.start({ listen: ['tcp:127.0.0.1:0'] }, (batch) => {
      for (const e of batch) {
        links.see(e);
        if (e.type === 'entrypoint') links.answer(shim, e);
        if (e.type === 'listening' && !started) {
          started = true;
          resolve({ address: e.address, send: (l, m) => shim.send(l, m), delivered: (l, t) => shim.delivered(l, t), stop: () => shim.stop() });
        }
      }
      on(batch);
    });
  })),
};

const netImpl: Impl = {
  name: 'node:net',
  start: async (on) => {
    let address = '';
    const ha = await NetBaselineHa.start((batch) => { for (const e of batch) if (e.type === 'listening') address = e.address; on(batch); });
    return { address, send: (l, m) => ha.send(l, m), delivered: (l, t) => ha.delivered(l, t), stop: () => ha.stop() };
  },
};

// ---- the measurements --------------------------------------------------------

interface Row { impl: string; test: string; links: number; messages: number; seconds: number; perSecond: number; mbPerSecond?: number }

async function measure(impl: Impl): Promise<Row[]> {
  const rows: Row[] = [];
  let received = 0, delivered = 0;
  let links: number[] = [];
  let wake: (() => void) | undefined;
  let until = (): boolean => false;
  const ha = await impl.start((batch) => {
    for (const e of batch) {
      if (e.type === 'link-connected') links.push(e.linkId);
      else if (e.type === 'received') { received++; ha.delivered(e.linkId, e.tag); }
      else if (e.type === 'delivered') delivered++;
    }
    if (wake && until()) { const w = wake; wake = undefined; w(); }
  });
  const waitUntil = (cond: () => boolean): Promise<void> => cond() ? Promise.resolve() : new Promise((r) => { until = cond; wake = r; });
  const connect = async (n: number): Promise<void> => {
    links = [];
    await peerCmd({ cmd: 'connect', address: ha.address, links: n });
    await waitUntil(() => links.length === n);
  };

  for (const n of LINKS) {
    await connect(n);
    // into JS
    const perLink = Math.floor(IN_TOTAL / n);
    received = 0;
    let t0 = process.hrtime.bigint();
    await peerCmd({ cmd: 'flood', perLink });
    await waitUntil(() => received === perLink * n);
    let s = Number(process.hrtime.bigint() - t0) / 1e9;
    rows.push({ impl: impl.name, test: 'frames into JS', links: n, messages: perLink * n, seconds: s, perSecond: (perLink * n) / s });
    // out to sockets
    const outPer = Math.floor(OUT_TOTAL[n]! / n);
    delivered = 0;
    t0 = process.hrtime.bigint();
    for (const l of links) for (let i = 0; i < outPer; i++) ha.send(l, EVENT);
    await waitUntil(() => delivered === outPer * n);
    s = Number(process.hrtime.bigint() - t0) / 1e9;
    rows.push({ impl: impl.name, test: 'frames out (stop-and-wait)', links: n, messages: outPer * n, seconds: s, perSecond: (outPer * n) / s });
    await peerCmd({ cmd: 'close' });
  }

  await connect(NVEC_LINKS);
  delivered = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 1; r <= NVEC_ROUNDS; r++) {
    for (const l of links) ha.send(l, NVEC);
    await waitUntil(() => delivered === r * NVEC_LINKS);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const msgs = NVEC_ROUNDS * NVEC_LINKS;
  rows.push({ impl: impl.name, test: 'NVEC broadcast 20592 B', links: NVEC_LINKS, messages: msgs, seconds: s, perSecond: msgs / s, mbPerSecond: (msgs * NVEC.length) / s / 1e6 });
  await peerCmd({ cmd: 'close' });
  await ha.stop();
  return rows;
}

// Two rounds, alternating, best of two per row: this box is shared and noisy.
const ROUNDS = 2;
const all: Row[] = [];
for (let round = 0; round < ROUNDS; round++) for (const impl of [shimImpl, netImpl]) all.push(...await measure(impl));
peers.stdin!.end();
const rows: Row[] = [];
for (const r of all) {
  const i = rows.findIndex((x) => x.impl === r.impl && x.test === r.test && x.links === r.links);
  if (i < 0) rows.push(r); else if (r.perSecond > rows[i]!.perSecond) rows[i] = r;
}

const tests = [...new Set(rows.map((r) => `${r.test}|${r.links}`))];
printTable(`HA link: native shim vs node:net (messages per second, best of ${ROUNDS}; higher is better)`,
  ['test', 'links', 'messages', 'shim msg/s', 'node:net msg/s', 'shim / net', 'shim MB/s', 'net MB/s'],
  tests.map((key) => {
    const [test, links] = key.split('|');
    const a = rows.find((r) => r.impl === 'native shim' && `${r.test}|${r.links}` === key)!;
    const b = rows.find((r) => r.impl === 'node:net' && `${r.test}|${r.links}` === key)!;
    return [test!, links!, a.messages, a.perSecond, b.perSecond, a.perSecond / b.perSecond, a.mbPerSecond ?? '-', b.mbPerSecond ?? '-'];
  }));
const path = writeResult('shim', { rounds: ROUNDS, best: rows, runs: all });
console.log(`\nwritten ${path}`);
