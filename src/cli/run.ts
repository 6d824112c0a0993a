// `hax run`: the daemon. Flags win over the environment, which wins over
// the configuration file (--config, src/config/), which wins over the
// defaults; what Consul knows of this node (identity) comes last, inside
// the daemon. The effective configuration is logged once at start.
import { startHax, type HaxConfig } from '../daemon/hax-daemon.ts';
import { createLogger, LEVELS, type Level } from '../log.ts';
import { sdNotify } from '../native/binding.ts';
import { ConfigError } from '../errors.ts';
import { parseConsulUrl, parseFlags, parseHostPort, parseListen, parsePositiveInt } from './args.ts';
import { readToken } from './token.ts';
import { applyConfigFile } from '../config/config-file.ts';
import type { LinkLimits } from '../native/binding.ts';
import { formatFid, parseFid } from '../fid.ts';
import { configureConsulProxy, DEFAULT_PROXY_LIMITS, type ProxyLimits } from '../http/consul-proxy.ts';
import { configureHttp, HTTP_LIMITS, isLoopbackHost, parseAllowedHost, parseByteSize, type HttpSettings } from '../http/limits.ts';

export const RUN_HELP = `Usage: hax run [--consul URL] [--listen ADDR]... [--http HOST:PORT] [options]

Runs hax: accepts HA links from the Motr processes of this node, answers them
from Consul, records their events in Consul, and serves Consul's watch
handlers over HTTP. Stops in order on SIGTERM or SIGINT.

  --consul URL          Consul agent HTTP address        env CONSUL_HTTP_ADDR  (default http://127.0.0.1:8500)
  --backend NAME        HA-link transport: socket (hax's own, --listen) or motr
                        (libmotr's halon interface; needs a shim built with it)
                                                         env HAX_BACKEND (default socket)
  --listen ADDR         backend socket: HA-link listener, tcp:HOST:PORT or unix:/path; repeatable
                                                         env HAX_LISTEN (comma-separated) (default tcp:127.0.0.1:22001)
  --motr-endpoint EP    backend motr: hax's RPC endpoint, inet:tcp:HOST@PORT
                                                         (default: m0conf/nodes/<node>/processes/<hax>/endpoint)
  --motr-ha-fid FID     backend motr: hax's HA service fid (default: its 'ha' service in m0conf)
  --motr-rm-fid FID     backend motr: the RM service of hax's own Motr instance
                                                         (default: its 'rms' service in m0conf)
  --ha-limit NAME=N     backend socket: one bound of what HA-link peers may make hax
                        hold; repeatable. NAME: max-links, max-unconfirmed,
                        max-unconfirmed-bytes, max-unconfirmed-bytes-total,
                        orphan-grace-ms, partial-frame-ms, max-output-bytes
                        (defaults and what a peer sees: docs/operations.md, "Limits")
  --http HOST:PORT      HTTP listener for Consul's watches and operators
                                                         env HAX_HTTP  (default 127.0.0.1:8008)
  --token-file FILE     require 'Authorization: Bearer <token>' on every POST
                                                         env HAX_HTTP_TOKEN (the token itself)
  --token-on-reads      with a token, require it on reads too (every route but GET /,
                        the Consul proxy and the feed included)
  --http-open           allow --http on a non-loopback address without a token
                        (refused otherwise)
  --http-allowed-host NAME[:PORT]  a name besides IP addresses and localhost that
                        Host and Origin may carry (a DNS name, a reverse proxy); repeatable
  --http-body-limit SIZE  largest request body, e.g. 16MiB (default 16MiB, at most 64MiB)
  --http-max-bodies N   request bodies read and parsed at once; more get 503 (default 8)
  --consul-proxy-max-conns N  Consul proxy: reads held at the agent at once, all clients
                        together; more get 503 (default 32)
  --consul-proxy-max-conns-per-client N  Consul proxy: reads one client address may hold
                        at once (default 8, at most --consul-proxy-max-conns)
  --consul-proxy-max-wait SEC  Consul proxy: longest wait of a blocking read (default 60, at most 600)
  --node NAME           this node's name in Consul's layout   env HARE_HAX_NODE_NAME (default: the agent's node name before ':')
  --process-fid FID     hax's own process fid               (default: the catalog service 'hax' on this node)
  --delivery-timeout SEC  longest wait for a broadcast's delivery before a held reply goes out (default 30)
  --link-stall SEC      drop a link handed more than 1024 messages it has not confirmed once it
                        confirms nothing for this long (default 10); its held notes are in
                        GET /api/v1/links
  --check-ttl SEC       TTL of hax's own Consul check, passed every third of it while hax runs;
                        a dead or hung hax fails it this long after its last pass, and an RC
                        session tied to it ends (default 10, from 3 to 3600)
  --config FILE         settings from a YAML file whose keys are these flags' long
                        names (flags and environment win over it); check one
                        with 'hax config check FILE'             env HAX_CONFIG
  --log-level LEVEL     debug | info | warn | error      env HAX_LOG_LEVEL (default info)
  --stop-timeout SEC    longest orderly shutdown before hax gives up waiting (default 20)
  -h, --help            this text

Under systemd (Type=notify) hax sends READY=1 once it serves, WATCHDOG=1 while
its event loop runs, and STOPPING=1 when it begins to shut down.
`;

export interface RunOptions { config: HaxConfig; logLevel: Level; stopTimeoutMs: number; http: HttpSettings; proxy: Partial<ProxyLimits>; configFile?: string }

/** `hax run`'s flags; a configuration file's keys are the same names (but config and help). */
export const RUN_FLAGS = {
  consul: { type: 'string' }, listen: { type: 'string', multiple: true }, http: { type: 'string' },
  'token-file': { type: 'string' }, 'log-level': { type: 'string' }, 'stop-timeout': { type: 'string' },
  node: { type: 'string' }, 'process-fid': { type: 'string' }, 'delivery-timeout': { type: 'string' }, 'check-ttl': { type: 'string' }, 'link-stall': { type: 'string' },
  backend: { type: 'string' }, 'ha-limit': { type: 'string', multiple: true }, 'motr-endpoint': { type: 'string' }, 'motr-ha-fid': { type: 'string' }, 'motr-rm-fid': { type: 'string' },
  'token-on-reads': { type: 'boolean' }, 'http-open': { type: 'boolean' }, 'http-allowed-host': { type: 'string', multiple: true },
  'http-body-limit': { type: 'string' }, 'http-max-bodies': { type: 'string' },
  'consul-proxy-max-conns': { type: 'string' }, 'consul-proxy-max-conns-per-client': { type: 'string' }, 'consul-proxy-max-wait': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Flags over environment over the configuration file over defaults; every bad value is refused with the flag's (or the file's key's) name. */
export function runOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): RunOptions | 'help' {
  const withFile = applyConfigFile(argv, env, RUN_FLAGS);
  try {
    const options = flagOptions(withFile.argv, env);
    return options === 'help' ? options : { ...options, configFile: withFile.path };
  } catch (error) {
    throw withFile.explain(error);
  }
}

function flagOptions(argv: string[], env: NodeJS.ProcessEnv): RunOptions | 'help' {
  const { values } = parseFlags('run', argv, RUN_FLAGS);
  if (values.help) return 'help';
  const logLevel = values['log-level'] ?? env.HAX_LOG_LEVEL ?? 'info';
  if (!(LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError('HAX_ERR_BAD_VALUE', `--log-level "${logLevel}" must be one of ${LEVELS.join(', ')}`);
  const listen = values.listen ?? (env.HAX_LISTEN ? env.HAX_LISTEN.split(',').map((s) => s.trim()) : ['tcp:127.0.0.1:22001']);
  const backend = values.backend ?? env.HAX_BACKEND ?? 'socket';
  if (backend !== 'socket' && backend !== 'motr') throw new ConfigError('HAX_ERR_BAD_VALUE', `--backend "${backend}" must be socket or motr`);
  const motrFlags = ['motr-endpoint', 'motr-ha-fid', 'motr-rm-fid'] as const;
  const stray = motrFlags.find((f) => values[f] !== undefined && backend !== 'motr');
  if (stray) throw new ConfigError('HAX_ERR_BAD_VALUE', `--${stray} applies only to --backend motr`);
  const httpAddress = parseHostPort('--http', values.http ?? env.HAX_HTTP ?? '127.0.0.1:8008');
  const token = readToken(values['token-file'], env);
  if (!token && !values['http-open'] && !isLoopbackHost(httpAddress.host)) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--http "${httpAddress.host}" is not a loopback address and no token is set: anyone who reaches it could post watch payloads; set --token-file (or HAX_HTTP_TOKEN), or pass --http-open to serve it open`);
  }
  if (values['token-on-reads'] && !token) throw new ConfigError('HAX_ERR_BAD_VALUE', '--token-on-reads needs a token (--token-file or HAX_HTTP_TOKEN)');
  const http: HttpSettings = {
    bodyLimit: values['http-body-limit'] === undefined ? undefined : parseByteSize('--http-body-limit', values['http-body-limit'], HTTP_LIMITS.bodyLimitMax),
    maxBodies: values['http-max-bodies'] === undefined ? undefined : parsePositiveInt('--http-max-bodies', values['http-max-bodies'], 1024),
    allowedHosts: (values['http-allowed-host'] ?? []).map(parseAllowedHost),
    tokenOnReads: values['token-on-reads'] ?? false,
  };
  const int = (flag: string, max: number) => (values[flag as keyof typeof values] === undefined ? undefined : parsePositiveInt(`--${flag}`, String(values[flag as keyof typeof values]), max));
  const proxy: Partial<ProxyLimits> = {
    maxConnections: int('consul-proxy-max-conns', 10_000),
    maxConnectionsPerClient: int('consul-proxy-max-conns-per-client', 10_000),
    maxWaitMs: values['consul-proxy-max-wait'] === undefined ? undefined : int('consul-proxy-max-wait', 600)! * 1000,
  };
  if ((proxy.maxConnectionsPerClient ?? DEFAULT_PROXY_LIMITS.maxConnectionsPerClient) > (proxy.maxConnections ?? DEFAULT_PROXY_LIMITS.maxConnections)) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', '--consul-proxy-max-conns-per-client must not exceed --consul-proxy-max-conns');
  }
  return {
    http,
    proxy,
    config: {
      consulUrl: parseConsulUrl(values.consul ?? env.CONSUL_HTTP_ADDR ?? 'http://127.0.0.1:8500'),
      listen: listen.map(parseListen),
      http: { ...httpAddress, token, bodyLimit: http.bodyLimit },
      node: parseNode(values.node ?? env.HARE_HAX_NODE_NAME),
      processFid: values['process-fid'] === undefined ? undefined : parseProcessFid(values['process-fid']),
      deliveryTimeoutMs: values['delivery-timeout'] === undefined ? undefined : parsePositiveInt('--delivery-timeout', values['delivery-timeout'], 3600) * 1000,
      checkTtlSec: values['check-ttl'] === undefined ? undefined : parseCheckTtl(values['check-ttl']),
      linkStallMs: values['link-stall'] === undefined ? undefined : parsePositiveInt('--link-stall', values['link-stall'], 3600) * 1000,
      backend,
      haLimits: parseHaLimits(values['ha-limit'] ?? []),
      motr: backend === 'motr' ? { endpoint: values['motr-endpoint'], haServiceFid: values['motr-ha-fid'], rmServiceFid: values['motr-rm-fid'] } : undefined,
    },
    logLevel: logLevel as Level,
    stopTimeoutMs: parsePositiveInt('--stop-timeout', values['stop-timeout'] ?? '20', 3600) * 1000,
  };
}

/** --check-ttl: at least 3 s, so that the pass every third of it comes each second or less often. */
function parseCheckTtl(text: string): number {
  const ttl = parsePositiveInt('--check-ttl', text, 3600);
  if (ttl < 3) throw new ConfigError('HAX_ERR_BAD_VALUE', `--check-ttl ${text} is too short: hax passes its check every third of the TTL; give 3 s or more`);
  return ttl;
}

export async function runCommand(argv: string[]): Promise<number> {
  const options = runOptions(argv);
  if (options === 'help') { process.stdout.write(RUN_HELP); return 0; }
  configureHttp(options.http);
  configureConsulProxy(options.proxy);
  const { config, logLevel, stopTimeoutMs } = options;
  const log = createLogger({ component: 'hax', level: logLevel });
  log.log('info', 'starting', { pid: process.pid, logLevel, stopTimeoutMs, configFile: options.configFile ?? '(none)', config: { ...config, http: { ...config.http, token: config.http.token ? '(set)' : '(none)' } } });

  // A signal during start-up (Consul still down, say) must stop hax too.
  let signalled: string | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (signal: string) => { if (signalled) return; signalled = signal; log.log('info', 'signal received; shutting down', { signal }); wake?.(); };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  const abort = new AbortController();
  const starting = startHax(config, log, { signal: abort.signal });
  const started = await Promise.race([starting, new Promise<'signal'>((r) => { wake = () => r('signal'); if (signalled) r('signal'); })]);
  if (started === 'signal') {
    abort.abort();
    const hax = await starting.catch(() => undefined);   // start-up gives up on abort
    await hax?.stop();
    log.log('info', 'stopped before start-up completed', { signal: signalled });
    return 0;
  }
  const hax = started;
  sdNotify(`READY=1\nSTATUS=serving ${hax.haLinkAddresses.join(' ')} and http ${hax.httpAddress.address}:${hax.httpAddress.port}\nMAINPID=${process.pid}`);
  const watchdog = startWatchdog(process.env.WATCHDOG_USEC, process.env.WATCHDOG_PID);

  await new Promise<void>((resolve) => { wake = resolve; if (signalled) resolve(); });
  sdNotify('STOPPING=1');
  clearInterval(watchdog);
  const bounded = await Promise.race([
    hax.stop().then(() => 'stopped' as const),
    new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), stopTimeoutMs).unref()),
  ]);
  if (bounded === 'timeout') {
    log.log('error', 'orderly shutdown did not finish in time; exiting anyway', { stopTimeoutMs });
    return 1;
  }
  return 0;
}

const HA_LIMITS: Record<string, keyof LinkLimits> = {
  'max-links': 'maxLinks', 'max-unconfirmed': 'maxUnconfirmed', 'max-unconfirmed-bytes': 'maxUnconfirmedBytes',
  'max-unconfirmed-bytes-total': 'maxUnconfirmedBytesTotal', 'orphan-grace-ms': 'orphanGraceMs',
  'partial-frame-ms': 'partialFrameMs', 'max-output-bytes': 'maxOutputBytes',
};

/** `--ha-limit NAME=N`, repeatable; the shim checks each value's range when it starts. */
function parseHaLimits(items: string[]): Partial<LinkLimits> | undefined {
  if (items.length === 0) return undefined;
  const out: Partial<LinkLimits> = {};
  for (const item of items) {
    const m = /^([a-z-]+)=(\d{1,13})$/.exec(item);
    const key = m ? HA_LIMITS[m[1]!] : undefined;
    if (!m || !key) throw new ConfigError('HAX_ERR_BAD_VALUE', `--ha-limit "${item}" must be NAME=N with NAME one of ${Object.keys(HA_LIMITS).join(', ')}`);
    out[key] = Number(m[2]);
  }
  return out;
}

function parseNode(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/.test(name)) throw new ConfigError('HAX_ERR_BAD_VALUE', `--node "${name}" is not a node name`);
  return name;
}

function parseProcessFid(text: string): string {
  const fid = parseFid(text);
  if (!fid || fid.container >> 56n !== 0x72n) throw new ConfigError('HAX_ERR_BAD_VALUE', `--process-fid "${text}" is not a process fid (0x72...:0x..)`);
  return formatFid(fid);
}

/** Feeds systemd's watchdog at half its interval, from the event loop (a wedged loop stops feeding it). */
function startWatchdog(usec: string | undefined, pid: string | undefined): NodeJS.Timeout | undefined {
  if (!usec || !/^\d+$/.test(usec) || (pid && Number(pid) !== process.pid)) return undefined;
  const every = Math.max(500, Math.floor(Number(usec) / 2000));
  const t = setInterval(() => sdNotify('WATCHDOG=1'), every);
  t.unref();
  return t;
}
