// bench/hare-layout's hax, in its own process as in production (the bench's
// client work must not share hax's event loop). The real daemon via
// startHax; a line protocol on stdin/stdout for what the bench reads back:
//   start → {"haLink","http"}        once hax is ready
//   "status\n" → local processes and their events (as GET /v1/cluster/status)
//   "acks <from>\n" → hax's own socket → durable → acknowledged latencies (ms)
//   "rss\n" → the process's resident set, bytes (after a full GC)
//   "until <fid> <state>\n" → once hax's model answers <state> for <fid>: the
//     wall-clock time it first did (ms, performance.timeOrigin-based, so the
//     bench compares it with its own clock on the same machine)
// start-up: startHax → ready (model loaded, links accepted), in ms.
// Usage: node --expose-gc --import tsx bench/hare-layout/hax-child.ts <consul url> <http port>
import { createInterface } from 'node:readline';
import { startHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { parseFid } from '../../src/fid.ts';

const [consulUrl, httpPort] = process.argv.slice(2);
const t0 = performance.now();
const hax = await startHax({ consulUrl: consulUrl!, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: Number(httpPort) } },
  createLogger({ level: 'error', write: (l) => process.stderr.write(l + '\n') }));
const startupMs = performance.now() - t0;
const say = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n');
const wallNow = () => performance.timeOrigin + performance.now();
say({ haLink: hax.haLinkAddresses[0], http: Number(httpPort), startupMs });
createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg, arg2] = line.trim().split(' ');
  if (cmd === 'status') say(hax.api.clusterStatus().nodes[0]!.processes.map((p) => ({ fid: p.fid, event: p.event })));
  else if (cmd === 'acks') say(hax.ackLatencyMs.slice(Number(arg)));
  else if (cmd === 'count') say(hax.ackLatencyMs.length);
  else if (cmd === 'rss') { (globalThis as { gc?: () => void }).gc?.(); say(process.memoryUsage().rss); }
  else if (cmd === 'until') {
    const fid = parseFid(arg ?? '');
    if (!fid) { say(null); return; }
    // polled every millisecond: hax's model changes on its own event loop, so
    // the poll runs between its callbacks and sees a change within one turn
    const poll = () => { if (hax.api.states([fid])[0]?.state === arg2) say(wallNow()); else setTimeout(poll, 1); };
    poll();
  }
});
const stop = () => { void hax.stop().then(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
