// `hax bootstrap`: writes a cluster description into Consul in the original
// hax's layout and registers the services and checks hax relies on.
import { ConsulClient } from '../consul/client.ts';
import { readClusterFile } from '../bootstrap/cluster.ts';
import { seedCluster } from '../bootstrap/seed.ts';
import { ConfigError } from '../errors.ts';
import { parseConsulUrl, parseFlags } from './args.ts';

export const BOOTSTRAP_HELP = `Usage: hax bootstrap --cluster FILE [--consul URL] [--leader NODE]

Writes the cluster description FILE (YAML or JSON; see docs/examples/cluster.yaml)
into Consul KV in the layout the original hax read (m0conf/ trees, sites,
pools, profiles, epochs, consul/node/<host>), registers the Consul services
hax, confd and ios with one check each (processes of the agent's own node
through the agent, other nodes as catalog-only nodes), and takes the
\`leader\` key with a session of the agent's node (the principal RM node).

  --cluster FILE   the cluster description (required)
  --consul URL     Consul agent HTTP address (default: $CONSUL_HTTP_ADDR or http://127.0.0.1:8500)
  --leader NODE    value of the leader key (default: the agent's node)
  -h, --help       this text
`;

export async function bootstrapCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('bootstrap', argv, {
    cluster: { type: 'string' }, consul: { type: 'string' }, leader: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(BOOTSTRAP_HELP); return 0; }
  if (!values.cluster) throw new ConfigError('HAX_ERR_USAGE', "hax bootstrap: --cluster FILE is required; see 'hax bootstrap --help'");
  const cluster = readClusterFile(values.cluster);
  const consul = new ConsulClient(parseConsulUrl(values.consul ?? process.env.CONSUL_HTTP_ADDR ?? 'http://127.0.0.1:8500'));
  const r = await seedCluster(consul, cluster, values.leader);
  const processes = cluster.nodes.reduce((n, node) => n + node.processes.length, 0);
  process.stdout.write(`bootstrap: ${cluster.nodes.length} node(s), ${processes} process(es), ${r.kvPairs} KV pairs, ${r.checks.length} service check(s), leader session ${r.leaderSession}\n`);
  return 0;
}
