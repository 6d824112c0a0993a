// `hax status`: the cluster as the local hax sees it (GET /v1/cluster/status),
// as a table for people or as JSON for scripts.
import type { ClusterStatus } from '../daemon/api.ts';
import { HaxError } from '../errors.ts';
import { parseFlags, parseHostPort } from './args.ts';

export const STATUS_HELP = `Usage: hax status [--http HOST:PORT] [--json]

Prints the nodes, processes, services and drives of the cluster with the HA
state the local hax holds for each (GET /v1/cluster/status).

  --http HOST:PORT   hax's HTTP address (env HAX_HTTP; default 127.0.0.1:8008)
  --json             print the JSON document instead of a table
  -h, --help         this text
`;

export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('status', argv, { http: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) { process.stdout.write(STATUS_HELP); return 0; }
  const { host, port } = parseHostPort('--http', values.http ?? process.env.HAX_HTTP ?? '127.0.0.1:8008');
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1/cluster/status`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new HaxError('HAX_ERR_HAX_UNREACHABLE', `cannot reach hax at ${url}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}; is 'hax run' up (--http)?`);
  }
  if (!res.ok) throw new HaxError('HAX_ERR_HAX_UNREACHABLE', `hax answered ${res.status} to ${url}: ${(await res.text()).slice(0, 300)}`);
  const status = await res.json() as ClusterStatus;
  process.stdout.write(values.json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status));
  return 0;
}

/** The table: one line per node, process, service and drive, indented by depth. */
export function formatStatus(status: ClusterStatus): string {
  const rows: string[][] = [];
  for (const node of status.nodes) {
    rows.push([`node ${node.name}${node.name === status.node ? ' (this hax)' : ''}`, node.fid ?? '', '', node.state ?? '', '']);
    for (const p of node.processes) {
      rows.push([`  ${p.kind}`, p.fid, p.endpoint, p.state, shortEvent(p.event)]);
      for (const s of p.services) rows.push([`    ${s.type}`, s.fid, '', s.state, '']);
      for (const d of p.drives ?? []) rows.push(['    drive', d.fid, d.sdev ? `sdev ${d.sdev}` : '', d.state, '']);
    }
  }
  const header = ['OBJECT', 'FID', 'ENDPOINT', 'HA STATE', 'LAST EVENT'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const shortEvent = (e: string | null | undefined) => (e ?? '').replace(/^M0_CONF_HA_PROCESS_/, '');
