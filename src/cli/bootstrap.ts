// `hax bootstrap`: writes a cluster description into Consul in the original
// hax's layout and registers the services and checks hax relies on; with
// --motr-conf, also the Motr conf (m0confgen's text) with the same fids.
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { ConsulClient } from '../consul/client.ts';
import { readClusterFile } from '../bootstrap/cluster.ts';
import { clusterLayout } from '../bootstrap/layout.ts';
import { motrConf } from '../bootstrap/motr-conf.ts';
import { seedCluster } from '../bootstrap/seed.ts';
import { ConfigError } from '../errors.ts';
import { parseConsulUrl, parseFlags } from './args.ts';

export const BOOTSTRAP_HELP = `Usage: hax bootstrap --cluster FILE [--consul URL] [--leader NODE] [--motr-conf FILE]

Writes the cluster description FILE (YAML or JSON; see docs/examples/cluster.yaml)
into Consul KV in the layout the original hax read (m0conf/ trees, sites,
pools, profiles, epochs, consul/node/<host>), registers the Consul services
hax, confd and ios with one check each (processes of the agent's own node
through the agent, other nodes as catalog-only nodes), and takes the
\`leader\` key with a session of the agent's node (the principal RM node).

  --cluster FILE    the cluster description (required)
  --consul URL      Consul agent HTTP address (default: $CONSUL_HTTP_ADDR or http://127.0.0.1:8500)
  --leader NODE     value of the leader key (default: the agent's node)
  --motr-conf FILE  also write the Motr configuration of the same cluster, with
                    the same fids, as m0confgen text; make the confd's conf.xc
                    with 'm0confgen FILE > conf.xc' (docs/operations.md). It is
                    written before Consul is touched; a description that lacks
                    what m0d needs is refused (HAX_ERR_BAD_CLUSTER, exit 1), a
                    FILE that cannot be written too (HAX_ERR_BAD_VALUE, exit 2)
  -h, --help        this text
`;

/** Writes `text` to `path` through a temporary file in the same directory, so a reader never sees half of it. */
function writeWhole(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (error) {
    try { unlinkSync(tmp); } catch { /* it was never created */ }
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--motr-conf ${path} cannot be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

export async function bootstrapCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('bootstrap', argv, {
    cluster: { type: 'string' }, consul: { type: 'string' }, leader: { type: 'string' }, 'motr-conf': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(BOOTSTRAP_HELP); return 0; }
  if (!values.cluster) throw new ConfigError('HAX_ERR_USAGE', "hax bootstrap: --cluster FILE is required; see 'hax bootstrap --help'");
  const cluster = readClusterFile(values.cluster);
  const consul = new ConsulClient(parseConsulUrl(values.consul ?? process.env.CONSUL_HTTP_ADDR ?? 'http://127.0.0.1:8500'));
  // One layout: the fids of Consul's KV and of the Motr conf are the same ones.
  const layout = clusterLayout(cluster);
  const motrConfFile = values['motr-conf'];
  let conf: ReturnType<typeof motrConf> | undefined;
  if (motrConfFile !== undefined) {
    conf = motrConf(cluster, layout);
    writeWhole(motrConfFile, conf.text);
  }
  const r = await seedCluster(consul, cluster, values.leader, layout);
  const processes = cluster.nodes.reduce((n, node) => n + node.processes.length, 0);
  process.stdout.write(`bootstrap: ${cluster.nodes.length} node(s), ${processes} process(es), ${r.kvPairs} KV pairs, ${r.checks.length} service check(s), leader session ${r.leaderSession}\n`);
  if (conf) process.stdout.write(`bootstrap: Motr conf for m0confgen in ${motrConfFile} (${conf.objects} conf objects, same fids as Consul)\n`);
  return 0;
}
