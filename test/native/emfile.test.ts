// accept() failing for lack of descriptors (EMFILE) must not spin the
// level-triggered listener: the shim pauses that listener for 100 ms per
// failure (one io-error each) and accepts again once descriptors are free.
// The shim runs in a child started under `ulimit -n 32`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readJsonLines } from '../helpers/json-lines.ts';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { LinkClient } from '../../src/sim/link-client.ts';
import { PROCESS_FID } from './_harness.ts';

const CHILD = new URL('./_emfile-child.mjs', import.meta.url).pathname;
const PAUSE_MS = 100;

test('EMFILE on accept pauses the listener instead of spinning, and accepting resumes when descriptors free up', async () => {
  const proc = spawn('bash', ['-c', `ulimit -n 32 && exec "${process.execPath}" "${CHILD}"`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const { lines, next } = readJsonLines(proc.stdout!);
  const report = async (): Promise<any> => { proc.stdin!.write('report\n'); const n = lines.length; return next((l) => l.kind === 'report' && lines.indexOf(l) >= n); };
  const hogs: net.Socket[] = [];
  try {
    const { address } = await next((l) => l.kind === 'listening');
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    for (let i = 0; i < 40; i++) {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('error', () => {});
      hogs.push(s);
    }
    const first = await next((l) => l.kind === 'first-error');
    assert.is(first.code, 'HAX_ERR_ACCEPT');
    assert.is(first.errno, 24);
    // Let it fail a few more times.
    let r = await report();
    while (r.acceptPauses < 4 && r.ioErrors < 1000) { await new Promise((res) => setTimeout(res, PAUSE_MS)); r = await report(); }
    console.log(`out of descriptors for ${r.sinceFirstErrorMs} ms: ${r.acceptPauses} pauses, ${r.ioErrors} io-errors (${r.emfile} EMFILE), ${r.connections} connections, child CPU ${r.cpuMs.toFixed(0)} ms in all`);
    assert.is(r.ioErrors, r.acceptPauses, 'one io-error per pause');
    assert.is(r.emfile, r.ioErrors);
    // Each pause lasts 100 ms, so there cannot be more pauses than that allows.
    assert.ok(r.acceptPauses <= Math.floor(r.sinceFirstErrorMs / PAUSE_MS) + 1, `${r.acceptPauses} pauses in ${r.sinceFirstErrorMs} ms`);

    // A process dialling now is accepted once descriptors are free again.
    const client = new LinkClient({ address, processFid: PROCESS_FID, reconnect: false });
    const connected = client.connect();
    for (const s of hogs) s.destroy();
    const rep = await connected;
    assert.is(rep.control, 0);
    client.close();
  } finally {
    for (const s of hogs) s.destroy();
    proc.stdin!.end();
    await new Promise((r) => proc.once('exit', r));
  }
});

test.run();
