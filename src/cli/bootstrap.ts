// `hax bootstrap`: writes a cluster description into Consul in the original
// hax's layout and registers the services and checks hax relies on; with
// --motr-conf, also the Motr conf (m0confgen's text) with the same fids.
//
// Order: flags; the whole description (bootstrap/validate.ts, with what
// --motr-conf needs); the --motr-conf target; what Consul holds (read
// only); then the Motr conf file; then Consul. A refusal at any step before
// the writes leaves Consul and the file system as they were.
import { lstatSync, openSync, closeSync, realpathSync, renameSync, unlinkSync, writeSync, fsyncSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConsulClient } from '../consul/client.ts';
import { isNodeName, show } from '../bootstrap/cluster.ts';
import { bootstrapCluster } from '../bootstrap/seed.ts';
import { loadCluster } from '../bootstrap/validate.ts';
import { ConfigError, HaxError } from '../errors.ts';
import { parseConsulUrl, parseFlags } from './args.ts';

export const BOOTSTRAP_HELP = `Usage: hax bootstrap --cluster FILE [--consul URL] [--leader NODE] [--motr-conf FILE]

Writes the cluster description FILE (YAML or JSON; see docs/examples/cluster.yaml)
into Consul KV in the layout the original hax read (m0conf/ trees, sites,
pools, profiles, epochs, consul/node/<host>) and every node's Consul
services (hax, confd, ios, with one check each) under hax/services/<node>/.
It registers the agent's own node's services on the agent; each other
node's hax registers its node's on its own agent when it starts (a service
lives on its node's agent, where Consul's health judges it). It takes the
\`leader\` key with a session of the agent's node (the principal RM node).
Run it once, from any node.

The whole description is checked before anything is written: every field's
type and range, unknown keys, unique node names, fids and endpoints, drive
paths, pool drives, at least one confd and one hax per node with processes.
A bad description is refused with one line naming the field
(HAX_ERR_BAD_CLUSTER, exit status 2).

Run again on a Consul that holds the same description, it writes only what
is missing (an interrupted run) and leaves everything else, the epoch, the
checks and the leader's session included, as it is (exit status 0). A Consul
that holds another description is refused and left as it is
(HAX_ERR_CLUSTER_EXISTS, exit status 1).

  --cluster FILE    the cluster description (required)
  --consul URL      Consul agent HTTP address (default: $CONSUL_HTTP_ADDR or http://127.0.0.1:8500)
  --leader NODE     value of the leader key: the agent's node (the default), by
                    the name the description gives it
  --motr-conf FILE  also write the Motr configuration of the same cluster, with
                    the same fids, as m0confgen text; make the confd's conf.xc
                    with 'm0confgen FILE > conf.xc' (docs/operations.md). It is
                    written (whole, through a temporary file) after the checks
                    and before Consul is touched; a description that lacks what
                    m0d needs is refused (HAX_ERR_BAD_CLUSTER, exit 2), a FILE
                    that is a symlink or a directory or cannot be written too
                    (HAX_ERR_BAD_VALUE, exit 2)
  -h, --help        this text

Exit status: 0 written (or already there), 1 Consul unreachable or holding
another cluster, 2 bad flags or a bad description.
`;

const OPTIONS = {
  cluster: { type: 'string' }, consul: { type: 'string' }, leader: { type: 'string' }, 'motr-conf': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Refuses a flag given twice: the last one silently winning hides a mistake. */
export function refuseRepeatedFlags(command: string, argv: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options']): void {
  const { tokens } = parseArgs({ args: argv, options, strict: true, allowPositionals: false, tokens: true });
  const seen = new Set<string>();
  for (const t of (tokens ?? []) as { kind: string; name?: string }[]) {
    if (t.kind !== 'option' || t.name === undefined) continue;
    if (seen.has(t.name)) throw new ConfigError('HAX_ERR_USAGE', `--${t.name} is given more than once; see 'hax ${command} --help'`);
    seen.add(t.name);
  }
}

/** Where --motr-conf may write: a regular file or nothing yet, not the cluster file, in a directory that exists. */
function checkMotrConfTarget(path: string, clusterFile: string): void {
  const bad = (why: string) => new ConfigError('HAX_ERR_BAD_VALUE', `--motr-conf ${show(path)} ${why}`);
  if (path === '') throw bad('is empty');
  let st;
  try { st = lstatSync(path); } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw bad(`cannot be written: ${(error as NodeJS.ErrnoException).code}`);
  }
  if (st?.isSymbolicLink()) throw bad('is a symbolic link; give the path of the file itself (it is replaced, not written through)');
  if (st?.isDirectory()) throw bad('is a directory');
  if (st && !st.isFile()) throw bad('is not a regular file');
  let same = false;
  try { same = realpathSync(path) === realpathSync(clusterFile); } catch { /* the target does not exist yet */ }
  if (same) throw bad('is the cluster file itself');
  try { lstatSync(dirname(path)); } catch (error) {
    throw bad(`cannot be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Writes `text` to `path` through a new temporary file in the same directory, so a reader never sees half of it. */
function writeWhole(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  let fd: number | undefined;
  try {
    // 'wx': never follows or reuses something already at the temporary name.
    fd = openSync(tmp, 'wx', 0o644);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* it was never created */ }
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--motr-conf ${show(path)} cannot be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

export async function bootstrapCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('bootstrap', argv, OPTIONS);
  if (values.help) { process.stdout.write(BOOTSTRAP_HELP); return 0; }
  refuseRepeatedFlags('bootstrap', argv, OPTIONS);
  if (values.cluster === undefined) throw new ConfigError('HAX_ERR_USAGE', "hax bootstrap: --cluster FILE is required; see 'hax bootstrap --help'");
  const consul = new ConsulClient(parseConsulUrl(values.consul ?? process.env.CONSUL_HTTP_ADDR ?? 'http://127.0.0.1:8500'));
  if (values.leader !== undefined && !isNodeName(values.leader)) throw new ConfigError('HAX_ERR_BAD_VALUE', `--leader ${show(values.leader)} is not a node name`);
  const motrConfFile = values['motr-conf'];

  let checked;
  try {
    checked = loadCluster(values.cluster, { motrConf: motrConfFile !== undefined });
  } catch (error) {
    // A bad description is bad input, like a bad flag: exit status 2 (main.ts maps only its own codes).
    if (!(error instanceof HaxError) || error.code !== 'HAX_ERR_BAD_CLUSTER') throw error;
    process.stderr.write(`hax bootstrap: ${error.message} [${error.code}]\n`);
    return 2;
  }
  const { cluster, layout, conf } = checked;
  if (values.leader !== undefined && !cluster.nodes.some((n) => n.name === values.leader)) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--leader ${show(values.leader)} is not a node of the description (${cluster.nodes.slice(0, 5).map((n) => n.name).join(', ')}${cluster.nodes.length > 5 ? ', …' : ''})`);
  }
  if (motrConfFile !== undefined) checkMotrConfTarget(motrConfFile, values.cluster);
  if (values.leader !== undefined) {
    const agentNode = await consul.agent.nodeName();
    if (values.leader.split(':')[0] !== agentNode.split(':')[0]) {
      throw new ConfigError('HAX_ERR_BAD_VALUE', `--leader ${show(values.leader)} is not the node of the Consul agent at ${consul.url} (${show(agentNode)}): the leader key is held by a session of the agent's node, so bootstrap through that node's agent`);
    }
  }

  const r = await bootstrapCluster(consul, cluster, { leaderNode: values.leader, layout, beforeWrite: () => {
    if (conf && motrConfFile !== undefined) writeWhole(motrConfFile, conf.text);
  } });
  const processes = cluster.nodes.reduce((n, node) => n + node.processes.length, 0);
  const leader = `leader ${r.leader.holder} (session ${r.leader.session}${r.leader.taken ? '' : ', kept'})`;
  if (r.outcome === 'seeded') {
    process.stdout.write(`bootstrap: ${cluster.nodes.length} node(s), ${processes} process(es), ${r.kvPairs} KV pairs, ${r.checks.length} service check(s), leader session ${r.leaderSession}\n`);
  } else if (r.outcome === 'completed') {
    process.stdout.write(`bootstrap: Consul already held this description in part; wrote the ${r.written} missing KV pair(s) of ${r.kvPairs}, registered ${r.registered} missing service(s), ${leader}; nothing else was changed\n`);
  } else {
    process.stdout.write(`bootstrap: Consul already holds this description (${cluster.nodes.length} node(s), ${processes} process(es), ${r.kvPairs} KV pairs); nothing written, ${leader}\n`);
  }
  if (conf) process.stdout.write(`bootstrap: Motr conf for m0confgen in ${motrConfFile} (${conf.objects} conf objects, same fids as Consul)\n`);
  return 0;
}
