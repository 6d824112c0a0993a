// A process that exits while its shim runs leaves cleanly: exit status as
// asked, no abort, no signal, whatever the I/O thread was doing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { LinkClient, OP_ENTRYPOINT_REQ } from '../../src/sim/link-client.ts';
import { PROCESS_FID, RawPeer, eventMsg, fixtureBytes } from './_harness.ts';

const CHILD = new URL('./_exit-child.ts', import.meta.url).pathname;

function run(mode: string): { address: Promise<string>; done: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', stderr = '';
  let gotAddress!: (a: string) => void;
  const address = new Promise<string>((r) => { gotAddress = r; });
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); const m = /listening (\S+)/.exec(out); if (m) gotAddress(m[1]!); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((r) =>
    child.on('close', (code, signal) => r({ code, signal, stderr })));
  return { address, done };
}

const noAbort = (stderr: string): void => {
  assert.not.match(stderr, /Aborted|FATAL ERROR|terminate called|Assertion|core dumped/);
};
/** The child ended by itself with `code`, not by a signal, and nothing aborted on the way out. */
const exitedCleanly = (r: { code: number | null; signal: string | null; stderr: string }, code: number): void => {
  assert.is(r.signal, null);
  assert.is(r.code, code, r.stderr);
  noAbort(r.stderr);
};

test('process.exit() while a link is live and messages flow exits 0 without an abort', async () => {
  const c = run('exit-running');
  const client = new LinkClient({ address: await c.address, processFid: PROCESS_FID, reconnect: false });
  await client.connect();
  client.send(eventMsg(1));
  const r = await c.done;
  client.close();
  exitedCleanly(r, 0);
});

test('process.exit() while the I/O thread is blocked on a full queue exits 0 without an abort', async () => {
  const c = run('exit-blocked');
  const peer = await RawPeer.connect(await c.address);
  const req = fixtureBytes('ep_req_first');
  for (let i = 0; i < 200; i++) peer.send(OP_ENTRYPOINT_REQ, req);
  const r = await c.done;
  peer.close();
  exitedCleanly(r, 0);
});

test('an unref()d shim lets Node exit on its own without stop()', async () => {
  const c = run('unref-idle');
  await c.address;
  const r = await c.done;
  exitedCleanly(r, 0);
});

test('an event handler that throws ends the process with that error (exit 1), not an abort', async () => {
  const c = run('throw');
  const client = new LinkClient({ address: await c.address, processFid: PROCESS_FID, reconnect: false });
  await client.connect();
  client.send(eventMsg(1));
  const r = await c.done;
  client.close();
  assert.is(r.signal, null);
  assert.is(r.code, 1);
  assert.match(r.stderr, /handler failed on purpose/);
  noAbort(r.stderr);
});

test.run();
