// `hax demo` for real, as README's first command runs it (three nodes by
// default): three Consul agents, three `hax run` children, simulated
// processes on every node. Its story's facts are read
// from its output, and no process it started may outlive it — after its
// end, after SIGTERM in the middle of the story, after Ctrl-C (SIGINT)
// during the start-up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { waitFor } from '../helpers/wait.ts';

const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
const NODES = ['demo-node-1', 'demo-node-2', 'demo-node-3'];
const PROCESSES = NODES.flatMap((n) => [`${n}/ios`, `${n}/confd`]);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

interface Run { stdout: string; stderr: string; status: number | null; signal: NodeJS.Signals | null; descendants: Set<number> }

/** Every process below `root` now (from /proc's parent links). */
function descendantsOf(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try { parent.set(Number(name), Number(readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])); } catch { /* gone */ }
  }
  const out: number[] = [];
  const walk = (p: number) => { for (const [c, pp] of parent) if (pp === p) { out.push(c); walk(c); } };
  walk(root);
  return out;
}

/** A process that exists and is not a zombie (a zombie is dead; only its exit status waits to be read). */
function alive(pid: number): boolean {
  try { return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z'; } catch { return false; }
}

/**
 * Runs `hax demo ARGS`, noting every process below it once a second (the
 * agents and hax children it starts, restarted ones included); `whenSeen`
 * sends `signal` once the output matches it.
 */
function runDemo(args: string[], interrupt?: { whenSeen: RegExp; signal: NodeJS.Signals | 'close-output' }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = { stdout: '', stderr: '', status: null, signal: null, descendants: new Set() };
    const note = () => { for (const p of descendantsOf(child.pid!)) run.descendants.add(p); };
    const sampler = setInterval(note, 1000);
    let sent = false;
    child.stdout.on('data', (d) => {
      run.stdout += d;
      if (interrupt && !sent && interrupt.whenSeen.test(run.stdout)) {
        sent = true; note();
        // as `hax demo | head` does: the reading end goes away, and the demo's next write fails with EPIPE
        if (interrupt.signal === 'close-output') child.stdout.destroy();
        else child.kill(interrupt.signal);
      }
    });
    child.stderr.on('data', (d) => { run.stderr += d; });
    // a give-up point (the story takes about a minute here), not a measurement
    const killer = setTimeout(() => child.kill('SIGKILL'), 400_000);
    child.on('close', (status, signal) => { clearInterval(sampler); clearTimeout(killer); Object.assign(run, { status, signal }); resolve(run); });
  });
}

/** The lines between the line matching `from` and the next line matching `to` (or the end). */
function section(stdout: string, from: RegExp, to?: RegExp): string {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => from.test(l));
  assert.ok(start >= 0, `no line matching ${from}`);
  const end = to ? lines.findIndex((l, i) => i > start && to.test(l)) : -1;
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** What `listeners` must each have printed in `text`: hearing each of `about` in one of `states`. */
function unheard(text: string, listeners: string[], about: string[], states: string): string[] {
  return listeners.flatMap((l) => about.filter((a) => !new RegExp(`^demo:   ${esc(l)} heard from hax: .*${esc(a)} (${states})\\b`, 'm').test(text))
    .map((a) => `${l} never printed ${a} ${states}`));
}

async function noneLeft(run: Run): Promise<void> {
  const printed = [...run.stdout.matchAll(/\bpid (\d+)/g)].map((m) => Number(m[1]));
  const all = [...new Set([...printed, ...run.descendants])];
  await waitFor('every process the demo started to be gone', () => all.every((p) => !alive(p)), 10_000, 100,
    () => all.filter(alive).map((p) => `${p} (${readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 120)})`).join('; '));
}

test('hax demo (three nodes by default) tells the story: all STARTED, a node killed and heard gone, back ONLINE, a new RC; then nothing is left', async () => {
  const run = await runDemo(['--for', '1']);
  const out = run.stdout;
  assert.is(run.status, 0, run.stderr + out.slice(-3000));
  for (const n of NODES) assert.match(out, new RegExp(`^demo: ${n}: Consul server http://127\\.0\\.0\\.1:\\d+ \\(pid \\d+\\)$`, 'm'));
  for (const n of NODES) assert.match(out, new RegExp(`^demo: ${n}: hax pid \\d+, HA links on tcp:127\\.0\\.0\\.1:\\d+, monitor http://127\\.0\\.0\\.1:\\d+/monitor`, 'm'));

  // 1. every process STARTED; each heard every other ONLINE
  const one = section(out, /── 1\./, /── 2\./);
  for (const p of PROCESSES) assert.match(one, new RegExp(`^demo: ${esc(p)} 0x7200000000000001:0x[0-9a-f]+ STARTED`, 'm'), p);
  assert.equal(PROCESSES.flatMap((l) => unheard(one, [l], PROCESSES.filter((p) => p !== l), 'ONLINE')), []);
  assert.match(one, /every process STARTED, and every process on every node has heard every other ONLINE \(6 processes on 3 nodes/);
  // every node's monitor shows every node, all processes ONLINE
  for (const n of NODES) {
    const m = new RegExp(`^demo: monitor of ${n} \\(http://127\\.0\\.0\\.1:\\d+/monitor\\) shows 3 nodes: (.*)$`, 'm').exec(one);
    assert.ok(m, `${n}'s monitor line`);
    for (const other of NODES) assert.match(m![1]!, new RegExp(`${other}: hax \\w+, ios ONLINE, confd ONLINE`), `${n}'s monitor on ${other}`);
  }

  // 2. demo-node-3 killed: every survivor process prints its processes gone
  const two = section(out, /── 2\. kill -9 of demo-node-3 \(not the RC\)/, /── 3\./);
  const dead = ['demo-node-3/ios', 'demo-node-3/confd'];
  const survivors = PROCESSES.filter((p) => !dead.includes(p));
  assert.equal(unheard(two, survivors, dead, 'TRANSIENT|FAILED'), []);
  assert.match(two, /Consul found demo-node-3 failed \d+\.\d s after the kill .*hax's share, .* took \d+ ms/);
  assert.match(two, /processes\/0x7200000000000001:0x20 = \{"state": "M0_CONF_HA_PROCESS_(STOPPED|FAILED)"/);
  assert.match(two, /monitor of demo-node-1 .* demo-node-3: hax \w+, ios (TRANSIENT|FAILED), confd (TRANSIENT|FAILED)/);

  // 3. back: its processes restart and every survivor hears them ONLINE
  const three = section(out, /── 3\. demo-node-3 comes back/, /── 4\./);
  for (const p of dead) assert.match(three, new RegExp(`^demo: ${esc(p)} 0x7200000000000001:0x[0-9a-f]+ STARTED`, 'm'), p);
  assert.equal(unheard(three, survivors, dead, 'ONLINE'), []);
  assert.match(three, /every other process heard demo-node-3\/ios and demo-node-3\/confd ONLINE again/);

  // 4. the RC killed: another confd node takes over
  const four = section(out, /── 4\. kill -9 of the RC, demo-node-1/);
  assert.match(four, /^demo: demo-node-[23] is the new RC: it holds leader \d+\.\d s after the kill/m);
  assert.equal(unheard(section(out, /── 4\./, /comes back \(/), PROCESSES.filter((p) => !p.startsWith('demo-node-1/')), ['demo-node-1/ios', 'demo-node-1/confd'], 'TRANSIENT|FAILED'), []);
  assert.match(four, /every other process heard demo-node-1\/ios and demo-node-1\/confd ONLINE again/);

  assert.match(out, /^demo: stopping$/m);
  assert.match(out, /^demo: stopped 3 hax and 3 Consul agents by pid/m);
  // 3 agents and 3 hax, and again for the 2 nodes brought back
  assert.ok(new Set(out.match(/\bpid \d+/g)).size >= 10, 'the pids of every agent and hax it started are printed');
  await noneLeft(run);
});

test('SIGTERM in the middle of the story stops every process the demo started, by pid', async () => {
  const run = await runDemo(['--nodes', '3'], { whenSeen: /── 2\. kill -9/, signal: 'SIGTERM' });
  assert.is(run.status, 0, run.stderr + run.stdout.slice(-3000));
  assert.match(run.stdout, /^demo: stopping$/m);
  assert.not.match(run.stdout, /── 3\./);
  assert.ok(run.descendants.size >= 6, `the demo's agents and hax were seen running (${run.descendants.size} processes)`);
  await noneLeft(run);
});

test('Ctrl-C (SIGINT) during the start-up stops every process the demo started, by pid', async () => {
  const run = await runDemo(['--nodes', '3'], { whenSeen: /bootstrapped once/, signal: 'SIGINT' });
  assert.is(run.status, 0, run.stderr + run.stdout.slice(-3000));
  assert.match(run.stdout, /^demo: stopping$/m);
  assert.not.match(run.stdout, /── 1\./);
  assert.ok(run.descendants.size >= 3, `the demo's agents were seen running (${run.descendants.size} processes)`);
  await noneLeft(run);
});

test('its output closing (hax demo | head) or SIGHUP (the terminal closing) stops every process the demo started, by pid', async () => {
  const closed = await runDemo(['--nodes', '2'], { whenSeen: /── 1\./, signal: 'close-output' });
  assert.is(closed.status, 0, closed.stderr);
  assert.ok(closed.descendants.size >= 2, `the demo's agents and hax were seen running (${closed.descendants.size} processes)`);
  await noneLeft(closed);
  const hup = await runDemo(['--nodes', '2'], { whenSeen: /── 1\./, signal: 'SIGHUP' });
  assert.is(hup.status, 0, hup.stderr);
  assert.match(hup.stdout, /^demo: stopping$/m);
  assert.ok(hup.descendants.size >= 2, `the demo's agents and hax were seen running (${hup.descendants.size} processes)`);
  await noneLeft(hup);
});

test('hax demo --nodes refuses what it cannot show, with the code and a clear message, and starts nothing', async () => {
  for (const bad of ['0', '6', 'three', '-1']) {
    const run = await runDemo([`--nodes=${bad}`, '--for', '1']);
    assert.is(run.status, 2, bad);
    assert.match(run.stderr, /^hax demo: --nodes ".*" must be a whole number from 1 to 5 \[HAX_ERR_BAD_VALUE\]$/m, run.stderr);
    assert.is(run.stdout, '', bad);
    assert.is(run.descendants.size, 0, bad);
  }
});

test.run();
