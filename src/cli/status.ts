// `hax status`: the cluster as the local hax sees it (GET /v1/cluster/status),
// as a table for people or as JSON for scripts.
//
// node:http, not fetch: fetch refuses the ports of its "bad ports" list
// (1, 6000, 10080, …) with "bad port", though hax can serve on any of them.
// The whole exchange is bounded in time and in size.
import { request } from 'node:http';
import type { ClusterStatus } from '../daemon/api.ts';
import { HaxError } from '../errors.ts';
import { oneLine, parseFlags, parseHostPort, quote } from './args.ts';
import { readToken } from './token.ts';

export const STATUS_HELP = `Usage: hax status [--http HOST:PORT] [--token-file FILE] [--json]

Prints the nodes, processes, services and drives of the cluster with the HA
state the local hax holds for each (GET /v1/cluster/status).

  --http HOST:PORT   hax's HTTP address (env HAX_HTTP; default 127.0.0.1:8008)
  --token-file FILE  send the token hax requires (when it runs with
                     --token-on-reads); env HAX_HTTP_TOKEN (the token itself)
  --json             print the JSON document instead of a table
  -h, --help         this text

Exit status: 0 printed; 1 hax did not answer within 10 s, answered an
error, or answered something that is not a cluster status
(HAX_ERR_HAX_UNREACHABLE); 2 bad flags.
`;

/** How long the whole exchange with hax may take. */
export const STATUS_TIMEOUT_MS = 10_000;
/** The largest answer read (a status of 10000 nodes is well below it). */
export const STATUS_MAX_BYTES = 64 << 20;

/** GET url → status and body; rejects with a short reason. */
function get(host: string, port: number, path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request({ host, port, path, method: 'GET', headers, agent: false });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${STATUS_TIMEOUT_MS / 1000} s`)), STATUS_TIMEOUT_MS);
    req.on('error', (error: NodeJS.ErrnoException) => { clearTimeout(timer); reject(error); });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > STATUS_MAX_BYTES) req.destroy(new Error(`the answer is larger than ${STATUS_MAX_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', (error) => { clearTimeout(timer); reject(error); });
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }); });
    });
    req.end();
  });
}

/** Just enough of the shape for formatStatus: anything else is not hax's answer. */
function isClusterStatus(v: unknown): v is ClusterStatus {
  const obj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  return obj(v) && Array.isArray(v.nodes) && v.nodes.every((n) => obj(n) && typeof n.name === 'string' && Array.isArray(n.processes)
    && n.processes.every((p) => obj(p) && typeof p.fid === 'string' && Array.isArray(p.services) && p.services.every(obj)
      && (p.drives === undefined || p.drives === null || (Array.isArray(p.drives) && p.drives.every(obj)))));
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('status', argv, { http: { type: 'string' }, 'token-file': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) { process.stdout.write(STATUS_HELP); return 0; }
  const token = readToken(values['token-file']);
  const { host, port } = parseHostPort('--http', values.http ?? process.env.HAX_HTTP ?? '127.0.0.1:8008');
  const path = '/v1/cluster/status';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  let res: { status: number; body: string };
  try {
    res = await get(host, port, path, token);
  } catch (error) {
    throw new HaxError('HAX_ERR_HAX_UNREACHABLE', `cannot reach hax at ${url}: ${(error as Error).message}; is 'hax run' up (--http)?`);
  }
  if (res.status === 401) throw new HaxError('HAX_ERR_HAX_UNREACHABLE', `hax at ${url} requires its token (it runs with --token-on-reads): pass --token-file or set HAX_HTTP_TOKEN; it answered ${quote(res.body, 300)}`);
  if (res.status < 200 || res.status > 299) throw new HaxError('HAX_ERR_HAX_UNREACHABLE', `hax answered ${res.status} to ${url}: ${quote(res.body, 300)}`);
  let status: unknown;
  try { status = JSON.parse(res.body); } catch { status = undefined; }
  if (!isClusterStatus(status)) {
    throw new HaxError('HAX_ERR_HAX_UNREACHABLE', `${url} answered ${res.status} with something that is not hax's cluster status (${quote(res.body, 100)}); is --http the address of 'hax run'?`);
  }
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
  const rc = status.rc;
  const rcLine = !rc ? '' : oneLine(rc.node
    ? `RC: ${rc.node}${rc.node.split(':')[0] === status.node.split(':')[0] ? ' (this hax)' : ''}; principal RM ${rc.rm ? `${rc.rm.fid} at ${rc.rm.endpoint}` : 'not known yet'}`
    : 'RC: none (no session holds the leader key: an election is under way, and entrypoints are answered QUERY meanwhile)', 300) + '\n';
  for (const r of rows) for (let i = 0; i < r.length; i++) r[i] = oneLine(String(r[i] ?? ''), 300);   // one line per row, whatever Consul held
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, r[i].length), h.length));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return rcLine + [line(header), ...rows.map(line)].join('\n') + '\n';
}

const shortEvent = (e: string | null | undefined) => String(e ?? '').replace(/^M0_CONF_HA_PROCESS_/, '');
