// `hax demo`: everything real on one machine. --nodes N (3 by default): a
// real cluster of N agents with one hax child per node, a node killed and
// brought back, the RC moved (demo/cluster-demo.ts). --nodes 1: a Consul dev
// agent, hax in this process, simulated Motr processes, a check that fails
// and recovers (demo/single-node-demo.ts).
import { join } from 'node:path';
import { parseFlags, parsePositiveInt } from './args.ts';
import { singleNodeDemo } from '../demo/single-node-demo.ts';
import { clusterDemo } from '../demo/cluster-demo.ts';
import { DemoStopped, onStopSignals } from '../demo/demo-stop.ts';

export const MAX_DEMO_NODES = 5;
/**
 * Three nodes by default: the demo shows a cluster, and three fit a laptop
 * comfortably (bench/demo: about 0.7 GiB at the peak, 0.2 of a core on
 * average over the story and 60 s after it, against 0.2 GiB and 0.04 of a
 * core for one node; docs/cluster.md).
 */
export const DEFAULT_DEMO_NODES = 3;

export const DEMO_HELP = `Usage: hax demo [--nodes N] [--for SECONDS]

A real cluster on this machine (--nodes 3, the default; 2 to ${MAX_DEMO_NODES}): N Consul
agents (3 servers from N = 3 on, else 1; the rest clients; real gossip and
raft), \`hax bootstrap\` once, one \`hax run\` process per node on its own
HTTP port (8008, 8009, … when free), and simulated confd/ios processes on
every node, printing what hax tells them. Then the story: every process
STARTED and heard ONLINE by all; a node that is not the RC killed with -9
(agent, hax, processes) and the survivors told, with Consul's detection and
hax's share timed; the node back and its processes ONLINE again; with 3 or
more nodes, the RC node killed, the new RC named and timed, and brought
back. Each node's monitor (http://127.0.0.1:PORT/monitor) shows every node.
Logs: .cache/demo/. Ctrl-C or SIGTERM stops every process it started, by
pid. Three nodes take about 0.7 GiB of memory at the peak, half a CPU core
while the story runs and 0.05 after (docs/cluster.md, "Trying it on one
machine").

--nodes 1: a Consul dev agent (its own free ports), a one-node demo cluster
(hax, a confd, two ioservices) seeded into it, hax with the agent's service
watches pointed at it, and simulated Motr processes for the confd and the
ioservices. They fetch their entrypoint and report STARTING and STARTED
(recorded in Consul KV as processes/<fid>). Then an ioservice's Consul check
fails and recovers, and every process prints the HA state hax broadcast.

  --nodes N       how many nodes, 1 to ${MAX_DEMO_NODES} (default ${DEFAULT_DEMO_NODES})
  --for SECONDS   once the story is told, stop by itself after this long
                  (default: run until Ctrl-C)
  -h, --help      this text
`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('demo', argv, { for: { type: 'string' }, nodes: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) { process.stdout.write(DEMO_HELP); return 0; }
  const duration = values.for === undefined ? undefined : parsePositiveInt('--for', values.for, 86_400);
  const nodes = values.nodes === undefined ? DEFAULT_DEMO_NODES : parsePositiveInt('--nodes', values.nodes, MAX_DEMO_NODES);
  const workDir = join(process.cwd(), '.cache', 'demo');
  const stop = onStopSignals();
  try {
    if (nodes === 1) await singleNodeDemo({ workDir, duration, stop });
    // the children run the same `hax` this demo runs as (bin/hax.js in a source tree, the package's entry point installed)
    else await clusterDemo({ nodes, workDir, duration, stop, haxEntry: process.argv[1]! });
    return 0;
  } catch (error) {
    // Ctrl-C or SIGTERM in the middle of the story: everything was stopped, as at its end
    if (error instanceof DemoStopped) return 0;
    throw error;
  } finally {
    stop.dispose();
  }
}
