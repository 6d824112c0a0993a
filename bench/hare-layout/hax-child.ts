// bench/hare-layout's hax, in its own process as in production (the bench's
// client work must not share hax's event loop). The real daemon via
// startHax; a line protocol on stdin/stdout for what the bench reads back:
//   start → {"haLink","http"}        once hax is ready
//   "status\n" → local processes and their events (as GET /v1/cluster/status)
//   "acks <from>\n" → hax's own socket → durable → acknowledged latencies (ms)
// Usage: node --import tsx bench/hare-layout/hax-child.ts <consul url> <http port>
import { createInterface } from 'node:readline';
import { startHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';

const [consulUrl, httpPort] = process.argv.slice(2);
const hax = await startHax({ consulUrl: consulUrl!, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: Number(httpPort) } },
  createLogger({ level: 'error', write: (l) => process.stderr.write(l + '\n') }));
const say = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n');
say({ haLink: hax.haLinkAddresses[0], http: Number(httpPort) });
createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(' ');
  if (cmd === 'status') say(hax.api.clusterStatus().nodes[0]!.processes.map((p) => ({ fid: p.fid, event: p.event })));
  else if (cmd === 'acks') say(hax.ackLatencyMs.slice(Number(arg)));
  else if (cmd === 'count') say(hax.ackLatencyMs.length);
});
const stop = () => { void hax.stop().then(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
