// `hax sim`: N simulated Motr processes in this one Node process, each with
// its own process fid and its own HA link over the socket transport, playing
// the recorded m0d or m0mkfs conversation (src/sim/scenarios.ts), then
// leaving as m0d does (waiting for hax to confirm delivery of the last
// message). Logs are JSON lines on stdout, each with its code.
import { connect as netConnect, type Socket } from 'node:net';
import { Codec, type HaMsg } from '../core/codec.ts';
import { ConfigError, HaxError } from '../errors.ts';
import { formatFid, parseFid, type Fid } from '../fid.ts';
import { createLogger } from '../log.ts';
import { FLUSH_TIMEOUT_MS } from '../sim/link-client.ts';
import { SimProcess } from '../sim/sim-process.ts';
import { SCENARIO_NAMES, scenario, type ScenarioName } from '../sim/scenarios.ts';
import { parseFlags, parsePositiveInt, quote } from './args.ts';

export const SIM_HELP = `Usage: hax sim [--connect ADDR] [--processes N] [--first-fid FID]
               [--scenario m0d|m0mkfs] [--pool FID] [--flush-timeout S] [--stay]

Simulates Motr processes talking to hax over the HA-link socket transport,
message for message as a real m0d (or m0mkfs) does: entrypoint (asked again
on QUERY), process and service events, FAILURE_VEC_REQ and NVEC GET (waiting
for, and checking, hax's replies), EVENT_RPC; then the shutdown events, and
then, as m0_ha_flush does, it waits until hax has confirmed delivery of the
last message before exiting. Each process reconnects after a hax restart and
re-sends what hax had not confirmed; a process that gets
disconnected_previously exits, as m0d does. A failure vector listing an
ONLINE device kills the process, as it panics a real m0d.

  --connect ADDR     hax's HA-link address: tcp:HOST:PORT or unix:PATH
                     (default tcp:127.0.0.1:22001). hax must accept a
                     connection there within 10 s (tried once a second while
                     it is refused), else HAX_ERR_HAX_UNREACHABLE, exit status 1
  --processes N      how many processes (default 1, at most 10000)
  --first-fid FID    the first process fid (default 0x7200000000000001:0x10);
                     the others follow by key, the last at most
                     0xffffffffffffffff
  --scenario NAME    m0d (trace b: start-up, then shutdown) or m0mkfs (trace a)
                     (default m0d)
  --pool FID         the pool of m0d's FAILURE_VEC_REQ (its md pool; default
                     the traces' 0x6f00000000000001:0x0)
  --flush-timeout S  how long a leaving process waits for hax to confirm
                     delivery of its last message (default 30, at most 3600);
                     a real m0d waits forever
  --stay             after start-up keep running, acknowledge and log what
                     hax broadcasts, until SIGINT/SIGTERM; then shut down
  -h, --help         this text

Output: JSON lines on stdout (time, level, component "sim", msg, code,
process). Codes: SIM_ENTRYPOINT, SIM_STARTED, SIM_RECEIVED (--stay),
SIM_RECONNECTED, SIM_SIGNAL, SIM_FAILVEC_APPLIED, SIM_FLUSH_WAIT,
SIM_FLUSH_DONE, SIM_EXIT (with exitStatus), SIM_SUMMARY, SIM_FAILED (an
uncoded failure), and the HAX_ERR_SIM_* errors of docs/errors.md.

Exit status: 0 when every process ran its scenario and hax confirmed delivery
of its last message, 1 when one failed (an ONLINE device in a failure vector,
the link dropped before delivery, flush timeout, NVEC reply mismatch,
disconnected_previously, no answer) or hax could not be reached at all
(one line on stderr), 2 on bad options.
`;

function parseAddress(text: string): string {
  if (/^tcp:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(text) && Number(text.slice(text.lastIndexOf(':') + 1)) <= 65535) return text;
  if (/^unix:.+/.test(text)) return text;
  throw new ConfigError('HAX_ERR_BAD_VALUE', `--connect ${quote(text)} is neither tcp:HOST:PORT nor unix:PATH`);
}

function parseProcessFid(text: string): Fid {
  const fid = parseFid(text);
  if (!fid || fid.container >> 56n !== 0x72n) throw new ConfigError('HAX_ERR_BAD_VALUE', `--first-fid ${quote(text)} is not a process fid like 0x7200000000000001:0x10`);
  return fid;
}

function parsePoolFid(text: string): Fid {
  const fid = parseFid(text);
  if (!fid || fid.container >> 56n !== 0x6fn) throw new ConfigError('HAX_ERR_BAD_VALUE', `--pool ${quote(text)} is not a pool fid like 0x6f00000000000001:0x1`);
  return fid;
}

const U64_MAX = (1n << 64n) - 1n;

/** How long `hax sim` waits for hax to accept a connection before it gives up (HAX_ERR_HAX_UNREACHABLE). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Errors that mean "nothing listens there yet": tried again until the bound. */
const NOT_YET = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EAGAIN']);

/**
 * Waits until `address` accepts a connection (closed at once), for at most
 * timeoutMs: a refused connection is tried again once a second (hax may be
 * starting), anything else (no route, no such host, not a socket) fails at
 * once. The simulated processes themselves would retry for their whole
 * entrypoint wait, silently.
 */
async function reachable(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const unreachable = (why: string) => new HaxError('HAX_ERR_HAX_UNREACHABLE',
    `cannot connect to hax at ${quote(address)}: ${why}; is 'hax run' up and listening there (--listen)?`);
  for (;;) {
    const left = deadline - Date.now();
    const error = await new Promise<NodeJS.ErrnoException | 'timeout' | undefined>((resolve) => {
      let sock: Socket;
      if (address.startsWith('unix:')) sock = netConnect({ path: address.slice(5) });
      else {
        const rest = address.slice(4), i = rest.lastIndexOf(':');
        sock = netConnect({ host: rest.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(rest.slice(i + 1)) });
      }
      const timer = setTimeout(() => { sock.destroy(); resolve('timeout'); }, Math.max(left, 1));
      sock.once('connect', () => { clearTimeout(timer); sock.destroy(); resolve(undefined); });
      sock.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(timer); sock.destroy(); resolve(e); });
    });
    if (error === undefined) return;
    if (error === 'timeout') throw unreachable(`no connection within ${timeoutMs / 1000} s`);
    const code = error.code ?? error.message;
    if (!NOT_YET.has(code)) throw unreachable(code);
    if (Date.now() + 1000 >= deadline) throw unreachable(`${code} for ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function describe(msg: HaMsg): string {
  if (msg.type === 'NVEC') {
    const b = msg.body as { hmnv_type: string; hmnv_id_of_get: bigint; hmnv_arr: { no_id: string; no_state: string }[] };
    return `${b.hmnv_type} id=${b.hmnv_id_of_get} ${b.hmnv_arr.map((n) => `${n.no_id}=${n.no_state.replace('M0_NC_', '')}`).join(' ')}`;
  }
  return `${msg.type} fid=${msg.fid}`;
}

export async function simCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('sim', argv, {
    connect: { type: 'string' }, processes: { type: 'string' }, 'first-fid': { type: 'string' },
    scenario: { type: 'string' }, pool: { type: 'string' }, 'flush-timeout': { type: 'string' },
    stay: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(SIM_HELP); return 0; }
  const address = parseAddress(values.connect ?? 'tcp:127.0.0.1:22001');
  const count = values.processes === undefined ? 1 : parsePositiveInt('--processes', values.processes, 10_000);
  const first = parseProcessFid(values['first-fid'] ?? '0x7200000000000001:0x10');
  if (first.key + BigInt(count - 1) > U64_MAX) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--first-fid ${quote(values['first-fid']!)} with --processes ${count}: the last process's key would be 0x${(first.key + BigInt(count - 1)).toString(16)}, past 0xffffffffffffffff; give a smaller key or fewer processes`);
  }
  const name = (values.scenario ?? 'm0d') as ScenarioName;
  if (!SCENARIO_NAMES.includes(name)) throw new ConfigError('HAX_ERR_BAD_VALUE', `--scenario ${quote(name)} must be one of ${SCENARIO_NAMES.join(', ')}`);
  const pool = values.pool === undefined ? undefined : parsePoolFid(values.pool);
  const flushTimeoutMs = values['flush-timeout'] === undefined ? FLUSH_TIMEOUT_MS : parsePositiveInt('--flush-timeout', values['flush-timeout'], 3600) * 1000;

  await reachable(address, CONNECT_TIMEOUT_MS);

  const log = createLogger({ component: 'sim' });
  const say = (code: string, msg: string, fields: Record<string, unknown> = {}): void => log.log('info', msg, { code, ...fields });
  const codec = await Codec.load();
  let stopRequested!: () => void;
  const stopSignal = new Promise<void>((r) => { stopRequested = r; });
  const onSignal = (sig: string) => () => { say('SIM_SIGNAL', `${sig}: shutting down`); stopRequested(); };
  const onInt = onSignal('SIGINT'), onTerm = onSignal('SIGTERM');
  if (values.stay) { process.on('SIGINT', onInt); process.on('SIGTERM', onTerm); }

  const runOne = async (i: number): Promise<boolean> => {
    const processFid = { container: first.container, key: first.key + BigInt(i) };
    const me = formatFid(processFid);
    const sc = scenario(name, processFid, { pool });
    let dead!: () => void;
    const died = new Promise<void>((r) => { dead = r; });
    const sim = new SimProcess({
      address, codec, processFid, type: sc.processType, replyTimeoutMs: 0, entrypointTimeoutMs: 60_000, flushTimeoutMs, log,
      onMessage: values.stay ? (msg, tag) => say('SIM_RECEIVED', `got tag ${tag} ${describe(msg)}`, { process: me, tag }) : undefined,
      onReconnected: (how) => say('SIM_RECONNECTED', `link ${how} after the connection dropped; re-sending what hax had not confirmed`, { process: me, how }),
      onDisconnectedPreviously: () => dead(),
    });
    try {
      const ep = await sim.connect();
      say('SIM_ENTRYPOINT', `entrypoint ${ep.control}: confd ${ep.confds.join(',') || '-'} quorum ${ep.quorum}, RM ${ep.rm}`, { process: me, confds: ep.confds, quorum: ep.quorum, rm: ep.rm });
      await sim.runSteps(sc.startup);
      say('SIM_STARTED', `${name} started (${sc.startup.length} messages)`, { process: me, messages: sc.startup.length });
      if (values.stay) await Promise.race([stopSignal, died]);
      if (sim.dead) throw sim.dead;
      const { flush } = await sim.shutdown(sc.shutdown, flushTimeoutMs);
      say('SIM_EXIT', `${name} stopped (${sc.shutdown.length} messages), delivery of tag ${flush.lastTag} confirmed: exit status 0`,
        { process: me, messages: sc.shutdown.length, lastTag: flush.lastTag, exitStatus: 0 });
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      // SimProcess has logged its own death with the details; anything else is logged here.
      if (!sim.dead) log.log('error', `FAILED: ${(error as Error).message}`, { code: code ?? 'SIM_FAILED', process: me });
      say('SIM_EXIT', `${name} failed${code ? ` [${code}]` : ''}: exit status 1`, { process: me, failure: code, exitStatus: 1 });
      return false;
    } finally {
      await sim.close();
    }
  };

  try {
    const results = await Promise.all(Array.from({ length: count }, (_, i) => runOne(i)));
    const failed = results.filter((ok) => !ok).length;
    log.log(failed ? 'error' : 'info', `${count - failed} of ${count} processes ran the ${name} scenario${failed ? `; ${failed} failed` : ''}`,
      { code: 'SIM_SUMMARY', processes: count, failed });
    return failed ? 1 : 0;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
