// `hax sim`: N simulated Motr processes in this one Node process, each with
// its own process fid and its own HA link over the socket transport, playing
// the recorded m0d or m0mkfs conversation (src/sim/scenarios.ts).
import { Codec, type HaMsg } from '../core/codec.ts';
import { ConfigError } from '../errors.ts';
import { formatFid, parseFid, type Fid } from '../fid.ts';
import { SimProcess } from '../sim/sim-process.ts';
import { SCENARIO_NAMES, scenario, type ScenarioName } from '../sim/scenarios.ts';
import { parseFlags, parsePositiveInt } from './args.ts';

export const SIM_HELP = `Usage: hax sim [--connect ADDR] [--processes N] [--first-fid FID] [--scenario m0d|m0mkfs] [--stay]

Simulates Motr processes talking to hax over the HA-link socket transport,
message for message as a real m0d (or m0mkfs) does: entrypoint (asked again
on QUERY), process and service events, FAILURE_VEC_REQ and NVEC GET (waiting
for, and checking, hax's replies), EVENT_RPC; then the shutdown events. Each
process reconnects after a hax restart and re-sends what hax had not
confirmed; a process that gets disconnected_previously exits, as m0d does.

  --connect ADDR     hax's HA-link address: tcp:HOST:PORT or unix:PATH
                     (default tcp:127.0.0.1:22001)
  --processes N      how many processes (default 1, at most 10000)
  --first-fid FID    the first process fid (default 0x7200000000000001:0x10);
                     the others follow by key
  --scenario NAME    m0d (trace b: start-up, then shutdown) or m0mkfs (trace a)
                     (default m0d)
  --stay             after start-up keep running, acknowledge and print what
                     hax broadcasts, until SIGINT/SIGTERM; then shut down
  -h, --help         this text

Exit status: 0 when every process ran its scenario, 1 when one failed
(NVEC reply mismatch, disconnected_previously, no answer), 2 on bad options.
`;

const say = (msg: string): void => { process.stdout.write(`sim: ${msg}\n`); };
const shout = (msg: string): void => { process.stderr.write(`sim: ${msg}\n`); };

function parseAddress(text: string): string {
  if (/^tcp:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(text) && Number(text.slice(text.lastIndexOf(':') + 1)) <= 65535) return text;
  if (/^unix:.+/.test(text)) return text;
  throw new ConfigError('HAX_ERR_BAD_VALUE', `--connect "${text}" is neither tcp:HOST:PORT nor unix:PATH`);
}

function parseProcessFid(text: string): Fid {
  const fid = parseFid(text);
  if (!fid || fid.container >> 56n !== 0x72n) throw new ConfigError('HAX_ERR_BAD_VALUE', `--first-fid "${text}" is not a process fid like 0x7200000000000001:0x10`);
  return fid;
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
    scenario: { type: 'string' }, stay: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(SIM_HELP); return 0; }
  const address = parseAddress(values.connect ?? 'tcp:127.0.0.1:22001');
  const count = values.processes === undefined ? 1 : parsePositiveInt('--processes', values.processes, 10_000);
  const first = parseProcessFid(values['first-fid'] ?? '0x7200000000000001:0x10');
  const name = (values.scenario ?? 'm0d') as ScenarioName;
  if (!SCENARIO_NAMES.includes(name)) throw new ConfigError('HAX_ERR_BAD_VALUE', `--scenario "${values.scenario}" must be one of ${SCENARIO_NAMES.join(', ')}`);

  const codec = await Codec.load();
  let stopRequested!: () => void;
  const stopSignal = new Promise<void>((r) => { stopRequested = r; });
  const onSignal = (sig: string) => () => { say(`${sig}: shutting down`); stopRequested(); };
  const onInt = onSignal('SIGINT'), onTerm = onSignal('SIGTERM');
  if (values.stay) { process.on('SIGINT', onInt); process.on('SIGTERM', onTerm); }

  const runOne = async (i: number): Promise<boolean> => {
    const processFid = { container: first.container, key: first.key + BigInt(i) };
    const me = formatFid(processFid);
    const sc = scenario(name, processFid);
    let dead!: () => void;
    const died = new Promise<void>((r) => { dead = r; });
    const sim = new SimProcess({
      address, codec, processFid, type: sc.processType, replyTimeoutMs: 0, entrypointTimeoutMs: 60_000,
      onMessage: values.stay ? (msg, tag) => say(`${me}: got tag ${tag} ${describe(msg)}`) : undefined,
      onReconnected: (how) => say(`${me}: link ${how} after the connection dropped; re-sending what hax had not confirmed`),
      onDisconnectedPreviously: () => { shout(`${me}: hax answered disconnected_previously: declared dead, exiting`); dead(); },
    });
    try {
      const ep = await sim.connect();
      say(`${me}: entrypoint ${ep.control}: confd ${ep.confds.join(',') || '-'} quorum ${ep.quorum}, RM ${ep.rm}`);
      await sim.runSteps(sc.startup);
      say(`${me}: ${name} started (${sc.startup.length} messages)`);
      if (values.stay) await Promise.race([stopSignal, died]);
      if (sim.dead) throw sim.dead;
      await sim.runSteps(sc.shutdown);
      say(`${me}: ${name} stopped (${sc.shutdown.length} messages)`);
      return true;
    } catch (error) {
      shout(`${me}: FAILED: ${(error as Error).message}${(error as { code?: string }).code ? ` [${(error as { code?: string }).code}]` : ''}`);
      return false;
    } finally {
      await sim.close();
    }
  };

  try {
    const results = await Promise.all(Array.from({ length: count }, (_, i) => runOne(i)));
    const failed = results.filter((ok) => !ok).length;
    say(`${count - failed} of ${count} processes ran the ${name} scenario${failed ? `; ${failed} failed` : ''}`);
    return failed ? 1 : 0;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
