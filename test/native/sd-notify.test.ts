// sdNotify(): one datagram to $NOTIFY_SOCKET, received by a real AF_UNIX
// SOCK_DGRAM socket (Node cannot bind one, so a python3 child does).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAddon, sdNotify } from '../../src/native/binding.ts';

// Binds the datagram socket, prints "bound", then prints each datagram as one
// line until it has read `count` of them.
const RECEIVER = `
import socket, sys
name, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(('\\0' + name[1:]) if name.startswith('@') else name)
print('bound', flush=True)
for _ in range(count):
    print('got ' + s.recv(4096).decode().replace('\\n', '|'), flush=True)
`;

function receiver(name: string, count: number): { child: ChildProcess; bound: Promise<void>; lines: Promise<string[]> } {
  const child = spawn('python3', ['-c', RECEIVER, name, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let onBound!: () => void;
  const bound = new Promise<void>((r) => { onBound = r; });
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('bound\n')) onBound(); });
  const lines = new Promise<string[]>((resolve) => child.on('close', () =>
    resolve(out.split('\n').filter((l) => l.startsWith('got ')).map((l) => l.slice(4)))));
  return { child, bound, lines };
}

const withEnv = async (value: string | undefined, f: () => Promise<void>): Promise<void> => {
  const old = process.env.NOTIFY_SOCKET;
  if (value === undefined) delete process.env.NOTIFY_SOCKET; else process.env.NOTIFY_SOCKET = value;
  try { await f(); } finally { if (old === undefined) delete process.env.NOTIFY_SOCKET; else process.env.NOTIFY_SOCKET = old; }
};

test('sdNotify returns false when NOTIFY_SOCKET is unset', async () => {
  await withEnv(undefined, async () => {
    assert.is(sdNotify('READY=1'), false);
    assert.is(loadAddon().notify('READY=1'), false);
  });
});

test('sdNotify sends READY=1 as one datagram to a path socket', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hax-notify-'));
  const sock = path.join(dir, 'notify');
  const r = receiver(sock, 2);
  await r.bound;
  await withEnv(sock, async () => {
    assert.is(sdNotify('READY=1'), true);
    assert.is(sdNotify('STATUS=links 3\nSTOPPING=1'), true);
  });
  assert.equal(await r.lines, ['READY=1', 'STATUS=links 3|STOPPING=1']); // newlines shown as |
  fs.rmSync(dir, { recursive: true, force: true });
});

test('sdNotify reaches an abstract socket named with a leading @', async () => {
  const name = `@hax-notify-test-${process.pid}`;
  const r = receiver(name, 1);
  await r.bound;
  await withEnv(name, async () => { assert.is(sdNotify('READY=1'), true); });
  assert.equal(await r.lines, ['READY=1']);
});

test('the native notify reads NOTIFY_SOCKET from the C environment when no path is given', async () => {
  const name = `@hax-notify-env-${process.pid}`;
  const r = receiver(name, 1);
  await r.bound;
  await withEnv(name, async () => { assert.is(loadAddon().notify('READY=1'), true); });
  assert.equal(await r.lines, ['READY=1']);
});

test('a malformed NOTIFY_SOCKET or a socket nobody binds throws HAX_ERR_NOTIFY', async () => {
  const codeOf = (f: () => unknown): string => { try { f(); return 'none'; } catch (e) { return (e as { code?: string }).code ?? '?'; } };
  await withEnv('relative/path', async () => { assert.is(codeOf(() => sdNotify('READY=1')), 'HAX_ERR_NOTIFY'); });
  await withEnv('/nonexistent-dir-hax/notify', async () => { assert.is(codeOf(() => sdNotify('READY=1')), 'HAX_ERR_NOTIFY'); });
});

test.run();
