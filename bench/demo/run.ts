// What `hax demo --nodes N` costs a laptop: peak RSS of all its processes
// (the demo itself, the Consul agents, the hax children) and their CPU use,
// sampled from /proc every 250 ms, during the story and while it then runs
// on (--for). The one-node demo, measured in the same run, is the baseline.
// The question it answers: may the default be --nodes 3 (comfortable: under
// 1.5 GiB and under one core on average)?
//   node --import tsx bench/demo/run.ts [--nodes 1,3] [--for 60] [--rounds 1]
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { printTable, writeResult } from '../lib/report.ts';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1]! : dflt; };
const SIZES = arg('--nodes', '1,3').split(',').map(Number);
const FOR = Number(arg('--for', '60'));
const ROUNDS = Number(arg('--rounds', '1'));
const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
const TICK = 100;   // USER_HZ

interface Proc { ppid: number; ticks: number; rssKiB: number; comm: string }

function snapshot(): Map<number, Proc> {
  const all = new Map<number, Proc>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const rssPages = Number(readFileSync(`/proc/${name}/statm`, 'utf8').split(' ')[1]);
      all.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), rssKiB: rssPages * 4, comm });
    } catch { /* gone meanwhile */ }
  }
  return all;
}

function tree(root: number, all: Map<number, Proc>): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, p] of all) if (p.ppid === out[i]) out.push(pid);
  return out.filter((p) => all.has(p));
}

interface Row { nodes: number; round: number; storyS: number; peakRssMiB: number; peakConsulMiB: number; peakHaxMiB: number; peakDemoMiB: number;
  cpuStory: number; cpuRest: number; cpuAll: number; processes: number }

async function measure(nodes: number, round: number): Promise<Row> {
  const child = spawn(process.execPath, [BIN, 'demo', '--nodes', String(nodes), '--for', String(FOR)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let storyEnd = 0;
  child.stdout.on('data', (d) => { out += d; if (!storyEnd && /running for \d+ s/.test(out)) storyEnd = Date.now(); });
  child.stderr.on('data', (d) => { out += d; });
  const t0 = Date.now();
  // per pid: the last CPU ticks seen, and at the story's end (processes that exit keep what was last seen)
  const ticks = new Map<number, number>();
  let ticksAtStoryEnd = -1;
  const peak = { all: 0, consul: 0, hax: 0, demo: 0 };
  const seen = new Set<number>();
  const closed = new Promise<number | null>((r) => child.on('close', r));
  let done = false;
  void closed.then(() => { done = true; });
  while (!done) {
    const all = snapshot();
    const pids = tree(child.pid!, all);
    let sum = 0, consul = 0, hax = 0;
    for (const pid of pids) {
      const p = all.get(pid)!;
      seen.add(pid);
      ticks.set(pid, Math.max(ticks.get(pid) ?? 0, p.ticks));
      sum += p.rssKiB;
      if (p.comm === 'consul') consul += p.rssKiB; else if (pid !== child.pid) hax += p.rssKiB;
    }
    peak.all = Math.max(peak.all, sum); peak.consul = Math.max(peak.consul, consul); peak.hax = Math.max(peak.hax, hax);
    peak.demo = Math.max(peak.demo, all.get(child.pid!)?.rssKiB ?? 0);
    if (storyEnd && ticksAtStoryEnd < 0) ticksAtStoryEnd = [...ticks.values()].reduce((a, b) => a + b, 0);
    await new Promise((r) => setTimeout(r, 250));
  }
  const status = await closed;
  if (status !== 0 || !storyEnd) throw new Error(`hax demo --nodes ${nodes} failed (${status}): ${out.slice(-2000)}`);
  const end = Date.now();
  const total = [...ticks.values()].reduce((a, b) => a + b, 0);
  const cores = (t: number, ms: number) => (t / TICK) / (ms / 1000);
  const mib = (k: number) => k / 1024;
  return {
    nodes, round, storyS: (storyEnd - t0) / 1000, processes: seen.size,
    peakRssMiB: mib(peak.all), peakConsulMiB: mib(peak.consul), peakHaxMiB: mib(peak.hax), peakDemoMiB: mib(peak.demo),
    cpuStory: cores(ticksAtStoryEnd, storyEnd - t0), cpuRest: cores(total - ticksAtStoryEnd, end - storyEnd), cpuAll: cores(total, end - t0),
  };
}

const rows: Row[] = [];
for (let round = 1; round <= ROUNDS; round++) for (const n of SIZES) rows.push(await measure(n, round));

printTable(`hax demo: memory and CPU of all its processes (RSS summed over the process tree, sampled every 250 ms; CPU in cores; --for ${FOR})`,
  ['nodes', 'round', 'story s', 'peak RSS MiB', 'consul MiB', 'hax and other children MiB', 'demo process MiB', 'CPU story', `CPU next ${FOR} s`, 'CPU overall', 'processes'],
  rows.map((r) => [String(r.nodes), String(r.round), r.storyS, r.peakRssMiB, r.peakConsulMiB, r.peakHaxMiB, r.peakDemoMiB, r.cpuStory.toFixed(2), r.cpuRest.toFixed(2), r.cpuAll.toFixed(2), String(r.processes)]));
const three = rows.filter((r) => r.nodes === 3);
if (three.length) {
  const rss = Math.max(...three.map((r) => r.peakRssMiB)), cpu = Math.max(...three.map((r) => r.cpuAll));
  console.log(`\n--nodes 3 on a laptop (< 1.5 GiB, < 1 core on average): peak ${rss.toFixed(0)} MiB, ${cpu.toFixed(2)} cores overall → ${rss < 1536 && cpu < 1 ? 'comfortable' : 'NOT comfortable'}`);
}
console.log(`results: ${writeResult('demo', { for: FOR, rows })}`);
