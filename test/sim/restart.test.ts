// hax restart mid-stream: the HA runs in a child process, is killed with
// SIGKILL while a simulated process streams events, and a new HA starts on
// the same port. The process reconnects (do_reconnect) and re-sends what the
// dead HA had not confirmed; the new HA gets each such message exactly once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readJsonLines } from '../helpers/json-lines.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { Codec } from '../../src/core/codec.ts';
import { SimProcess } from '../../src/sim/sim-process.ts';

const CHILD = new URL('./_ha-child.ts', import.meta.url).pathname;
const TARGET = { container: 0x7300000000000001n, key: 5n };

interface ChildHa { child: ChildProcess; records: any[]; waitFor(pred: (r: any) => boolean): Promise<any>; exited: Promise<void> }

function startChildHa(listen: string, holdFrom?: number): ChildHa {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, listen, ...(holdFrom === undefined ? [] : [String(holdFrom)])],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const reader = readJsonLines(child.stdout!);
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return { child, records: reader.lines, exited, waitFor: reader.next };
}

test('after kill -9 of the HA mid-stream, every unconfirmed message reaches the new HA exactly once', async () => {
  const codec = await Codec.load();
  const ha1 = startChildHa('tcp:127.0.0.1:0', 11); // delivers events 1..10, holds 11..
  let ha2: ChildHa | undefined;
  const reconnects: string[] = [];
  try {
    const { address } = await ha1.waitFor((r) => r.kind === 'listening');
    const sim = new SimProcess({
      address, codec, type: 'M0_CONF_HA_PROCESS_M0D', processFid: { container: 0x7200000000000001n, key: 2n },
      replyTimeoutMs: 0, onReconnected: (how) => reconnects.push(how),
    });
    await sim.connect();
    // A stream of 20 events (hmr_attempts = sequence number), not waiting for each.
    const acks: Promise<number>[] = [];
    for (let i = 1; i <= 20; i++) acks.push(sim.rpcEvent(TARGET, 'M0_NC_TRANSIENT', i));
    await ha1.waitFor((r) => r.kind === 'received' && r.attempts === 20);
    await Promise.all(acks.slice(0, 10)); // 1..10 confirmed to the process
    ha1.child.kill('SIGKILL');
    await ha1.exited;
    // The stream goes on while no HA listens.
    for (let i = 21; i <= 30; i++) acks.push(sim.rpcEvent(TARGET, 'M0_NC_TRANSIENT', i));

    ha2 = startChildHa(address);
    await ha2.waitFor((r) => r.kind === 'listening');
    await Promise.all(acks); // 11..30 confirmed by the new HA

    const at1 = ha1.records.filter((r) => r.kind === 'received').map((r) => r.attempts);
    const at2 = ha2.records.filter((r) => r.kind === 'received').map((r) => r.attempts);
    console.log(`HA #1 received ${at1.length} (delivered 10), HA #2 received ${at2.length}; reconnects: ${reconnects.join(',')}`);
    assert.equal(at1, Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal(at2, Array.from({ length: 20 }, (_, i) => i + 11), 'each of 11..30 exactly once, in order, none of 1..10');
    const count11 = at2.filter((a) => a === 11).length;
    assert.is(count11, 1);
    // The new HA saw a not-first entrypoint and made a new (reconnected) link.
    const kinds = ha2.records.map((r) => r.kind);
    assert.equal(kinds.slice(0, 3), ['listening', 'entrypoint', 'link-connected']);
    assert.is(ha2.records[1].first, false);
    assert.equal(reconnects, ['reconnected']);
    await sim.close();
  } finally {
    ha1.child.kill('SIGKILL');
    if (ha2) { ha2.child.kill('SIGTERM'); await ha2.exited; }
  }
});

test.run();
