// The shim inside a worker_threads Worker: started and stopped cleanly, and a
// worker terminated while its shim runs ends the I/O thread and frees the port.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { LinkClient } from '../../src/sim/link-client.ts';
import { PROCESS_FID, eventMsg, startShim } from './_harness.ts';

const SCRIPT = new URL('./_worker-boot.mjs', import.meta.url);

function startWorker(): { worker: Worker; next(kind: string): Promise<any>; exit: Promise<number> } {
  const worker = new Worker(SCRIPT);
  const seen: any[] = [];
  const waiters: { kind: string; resolve: (m: any) => void }[] = [];
  worker.on('message', (m) => {
    const w = waiters.find((x) => x.kind === m.kind);
    if (w) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); } else seen.push(m);
  });
  const exit = new Promise<number>((r) => worker.on('exit', r));
  return {
    worker, exit,
    next: (kind) => new Promise((resolve) => {
      const i = seen.findIndex((m) => m.kind === kind);
      if (i >= 0) resolve(seen.splice(i, 1)[0]); else waiters.push({ kind, resolve });
    }),
  };
}

test('a shim started inside a worker thread takes messages and stops cleanly; the worker exits 0', async () => {
  const w = startWorker();
  const { address } = await w.next('listening');
  const client = new LinkClient({ address, processFid: PROCESS_FID, reconnect: false });
  await client.connect();
  const acked: number[] = [];
  client.on('delivered', (t) => acked.push(t));
  client.send(eventMsg(1));
  client.send(eventMsg(2));
  await w.next('received');
  await w.next('received');
  w.worker.postMessage('stop');
  const stopped = await w.next('stopped');
  assert.is(stopped.received, 2);
  assert.is(await w.exit, 0);
  client.close();
});

test('terminating a worker whose shim is running ends its I/O thread and frees the port', async () => {
  const w = startWorker();
  const { address } = await w.next('listening');
  const client = new LinkClient({ address, processFid: PROCESS_FID, reconnect: false });
  await client.connect();
  client.send(eventMsg(1));
  await w.next('received');
  const closed = new Promise<void>((r) => client.once('connection-closed', () => r()));
  await w.worker.terminate();
  await w.exit;
  await closed; // the I/O thread closed its connections
  client.close();
  // The same port can be listened on again at once.
  const h = await startShim({ listen: [address] });
  assert.is(h.address, address);
  await h.stop();
});

test.run();
