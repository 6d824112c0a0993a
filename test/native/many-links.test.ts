// 1,000 simultaneous links held for 60 s: all connect, all stay, every event
// is delivered, and the shim process's RSS stays flat. Both sides run in
// child processes started with a raised open-file limit (ulimit -n 8192).
// HAX_MANY_LINKS_HOLD_S shortens the hold for quick local runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readJsonLines } from '../helpers/json-lines.ts';
import { spawn, type ChildProcess } from 'node:child_process';

const N = 1000;
const HOLD_S = Number(process.env.HAX_MANY_LINKS_HOLD_S ?? 60);
const RSS_GROWTH_LIMIT = 50 * 1024 * 1024;
const here = (f: string): string => new URL(f, import.meta.url).pathname;

function child(script: string, args: string[]): { proc: ChildProcess; next(kind: string): Promise<any>; lines: any[] } {
  const cmd = `ulimit -n 8192 && exec "${process.execPath}" --import tsx "${here(script)}" ${args.map((a) => `'${a}'`).join(' ')}`;
  const proc = spawn('bash', ['-c', cmd], { stdio: ['pipe', 'pipe', 'inherit'] });
  const reader = readJsonLines(proc.stdout!);
  return { proc, lines: reader.lines, next: (kind) => reader.next((l) => l.kind === kind) };
}

test(`1,000 links connect, stay for ${HOLD_S} s with events flowing, and the shim's RSS stays flat`, async () => {
  const ha = child('_many-links-ha.ts', []);
  let peers: ReturnType<typeof child> | undefined;
  try {
    const { address } = await ha.next('listening');
    peers = child('_many-links-peers.ts', [address, String(N), String(HOLD_S)]);
    const connected = await peers.next('connected');
    assert.is(connected.n, N);
    ha.proc.stdin!.write('go\n');
    const done = await peers.next('done');
    ha.proc.stdin!.write('final\n');
    await ha.next('final');
    const samples = ha.lines.filter((l) => l.kind === 'sample' || l.kind === 'final');
    const mib = (b: number): string => (b / 1048576).toFixed(1);
    console.log(`peers: ${done.sent} events sent, ${done.delivered} delivered, ${done.closed} connections closed`);
    console.log('t(s)  RSS(MiB)  links  connections  received');
    for (const s of samples) console.log(`${String(s.t).padStart(4)}  ${mib(s.rss).padStart(8)}  ${String(s.links).padStart(5)}  ${String(s.connections).padStart(11)}  ${String(s.received).padStart(8)}`);

    assert.is(done.closed, 0, 'no connection dropped');
    assert.is(done.delivered, done.sent, 'every event delivered');
    assert.ok(done.sent >= N, 'every link sent at least one event');
    assert.ok(samples.length >= 3, `${samples.length} samples`);
    for (const s of samples) {
      assert.is(s.links, N, `links at ${s.t} s`);
      assert.is(s.connections, N, `connections at ${s.t} s`);
    }
    const at10 = samples.find((s) => s.t >= 10) ?? samples[0];
    const last = samples.at(-1);
    const growth = last.rss - at10.rss;
    console.log(`RSS growth from ${at10.t} s to ${last.t} s: ${mib(growth)} MiB`);
    assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew ${mib(growth)} MiB`);
  } finally {
    peers?.proc.stdin!.end();
    peers?.proc.kill('SIGKILL');
    ha.proc.stdin!.end();
    await new Promise((r) => ha.proc.once('exit', r));
  }
});

test.run();
