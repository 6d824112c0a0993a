// The one place `hax bootstrap` checks its input before writing anything:
// the cluster file (bootstrap/cluster.ts: the file, the schema, the
// cross-references, what a running cluster needs), its fids
// (bootstrap/layout.ts), and with --motr-conf what m0d needs on top
// (bootstrap/motr-conf.ts, then Motr's own rules in motr-conf-check.ts).
// Every refusal is one HAX_ERR_BAD_CLUSTER (exit status 2) naming the file
// and the first problems; nothing reaches Consul or a file before this
// returns.
import { ConfigError } from '../errors.ts';
import { readClusterFile, show, type Cluster } from './cluster.ts';
import { clusterLayout, type ClusterLayout } from './layout.ts';
import { motrConf, type MotrConf } from './motr-conf.ts';

export interface CheckedCluster { cluster: Cluster; layout: ClusterLayout; conf?: MotrConf }

export function loadCluster(path: string, options: { motrConf?: boolean } = {}): CheckedCluster {
  const cluster = readClusterFile(path);
  // One layout: the fids of Consul's KV and of the Motr conf are the same ones.
  const layout = clusterLayout(cluster);
  if (!options.motrConf) return { cluster, layout };
  try {
    return { cluster, layout, conf: motrConf(cluster, layout) };
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.code, `cluster file ${show(path)}: ${error.message}`, { cause: error });
    throw error;
  }
}
