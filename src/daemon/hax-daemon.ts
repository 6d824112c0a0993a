// The daemon: wires the native shim, the wasm core, Consul and the HTTP
// layer together. The core decides; the Performer carries out its actions
// and this file feeds their results back (a Consul txn finished →
// "acknowledge message N"). The model comes from Consul blocking queries
// (model/model-source.ts, model/cluster-view.ts), never from per-request reads.
import type { AddressInfo } from 'node:net';
import { ConsulClient } from '../consul/client.ts';
import { CoreHost, type Decision } from '../core/core-host.ts';
import { Shim, addonLoadWarnings, type LinkLimits, type ShimEvent } from '../native/binding.ts';
import { ClusterViewSource } from '../model/cluster-view.ts';
import { ModelSource } from '../model/model-source.ts';
import { OwnWrites } from '../consul/own-writes.ts';
import type { ConfIndex } from '../model/conf-tree.ts';
import { createHttpApp, type HttpApp } from '../http/server.ts';
import { createHandlers } from '../http/handlers/index.ts';
import { formatFid, type Fid } from '../fid.ts';
import type { Logger } from '../log.ts';
import { HaxError } from '../errors.ts';
import { LinkTable } from './link-table.ts';
import { backoffMs } from '../consul/blocking.ts';
import { haxMetrics } from '../metrics.ts';
import type { HaxApi } from './api.ts';
import { createHaxApi } from './hax-api.ts';
import { ConsulWriter, type WriteMode } from './consul-writer.ts';
import { Performer } from './performer.ts';
import { BqConsumer } from './bq-consumer.ts';
import { resolveIdentity, type Identity } from './identity.ts';
import { resolveMotrOptions, describeMotrOptions, type MotrFlags } from './motr-options.ts';
import { Feed } from '../debug/feed.ts';
import { feedOfDecision, feedOfShimEvent } from '../debug/daemon-feed.ts';

export interface HaxConfig {
  consulUrl: string;
  listen: string[];            // HA-link listeners: tcp:HOST:PORT | unix:PATH
  http: {
    host: string;
    port: number;
    /** Shared secret every POST must carry as `Authorization: Bearer <token>`. */
    token?: string;
    /** Largest request body, bytes. */
    bodyLimit?: number;
  };
  /** This hax's node name (default: $HARE_HAX_NODE_NAME, else the agent's NodeName before ':'). */
  node?: string;
  /** This hax's process fid (default: the catalog `hax` service on this node). */
  processFid?: string;
  /** Longest wait for a broadcast's delivery before a held reply goes out anyway (default 30 s, as the original). */
  deliveryTimeoutMs?: number;
  /** Consul writes: one /v1/txn per batch (default) or one PUT per key (benchmark comparison). */
  writeMode?: WriteMode;
  /** HA-link transport: 'socket' (default, `listen`) or 'motr' (libmotr's halon interface; `listen` unused). */
  backend?: 'socket' | 'motr';
  /** backend motr: what is not given comes from Consul's description of hax's process (motr-options.ts). */
  motr?: MotrFlags;
  /** backend socket: what peers may make hax hold (defaults in native/src/link_limits.h). */
  haLimits?: Partial<LinkLimits>;
}

export interface RunningHax {
  readonly haLinkAddresses: string[];
  readonly httpAddress: AddressInfo;
  readonly links: LinkTable;
  readonly api: HaxApi;
  readonly identity: Identity;
  readonly writer: ConsulWriter;
  /** Socket → durable → acknowledged, in ms, of the last messages (bounded; benchmarks read it). */
  readonly ackLatencyMs: number[];
  /** Decisions taken, for tests: every reason code seen, in order (bounded). */
  readonly reasons: string[];
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Aborting gives up a start-up that still waits (e.g. for Consul); startHax then rejects. */
  signal?: AbortSignal;
}

/** Rejects when the signal aborts; never resolves otherwise. */
function abortion(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new HaxError('HAX_ERR_START_ABORTED', 'start-up was abandoned (signal)'));
    if (signal?.aborted) fail(); else signal?.addEventListener('abort', fail, { once: true });
  });
}

export async function startHax(config: HaxConfig, log: Logger, options: StartOptions = {}): Promise<RunningHax> {
  const metrics = haxMetrics();
  const consul = new ConsulClient(config.consulUrl, {
    observe: (endpoint, method, ms, outcome, blocking) => {
      if (!blocking) metrics.consulLatency.observe(ms / 1000, { endpoint, method });
      if (outcome !== 'ok') metrics.errors.inc({ code: outcome === 'unreachable' ? 'HAX_ERR_CONSUL_UNREACHABLE' : 'HAX_ERR_CONSUL_STATUS' });
    },
  });
  const aborted = abortion(options.signal);
  aborted.catch(() => {});
  const core = await CoreHost.load();
  const links = new LinkTable();
  const addresses: string[] = [];
  let listeningResolve!: () => void;
  const listening = new Promise<void>((r) => { listeningResolve = r; });
  const coreLog = log.child('core');
  const reasons: string[] = [];
  let confIndex: ConfIndex | undefined;
  const feed = new Feed();
  const receivedAt = new Map<string, number>();
  const ackLatencyMs: number[] = [];
  metrics.registry.gauge('hax_links', 'HA links held, by whether hax still sends on them', () => [
    { labels: { active: 'true' }, value: links.active().length },
    { labels: { active: 'false' }, value: links.all().length - links.active().length },
  ]);
  const identity = await Promise.race([untilConsul(() => resolveIdentity(consul, { node: config.node, processFid: config.processFid }), log, options.signal), aborted]);
  if (!identity.found) log.log('warn', 'no catalog service `hax` on this node; running without a process fid of its own', { node: identity.node });

  const ownWrites = new OwnWrites(() => writer.backlog > 0);   // issue 17: the model watches skip re-reads that only hax's own writes caused
  const writer = new ConsulWriter(consul, {
    onDone: (job, ok, index) => { if (ok && index !== undefined) ownWrites.record(index); apply(core.consulReplied(job.opId, ok, index), { opId: job.opId }); },
    onRetry: (error, retryInMs, backlog) => log.log('warn', 'Consul write failed; retrying', { error: error.message, retryInMs, backlog }),
  }, config.writeMode ?? 'txn');

  let timer: NodeJS.Timeout | undefined;
  let timerDue = Infinity;
  const performer = new Performer({
    shim: () => shim, links, writer, log, metrics, haxFid: () => identity.processFid, deliveryTimeoutMs: config.deliveryTimeoutMs,
    onTimer: (dueMs) => {
      if (dueMs >= timerDue && timer) return;
      clearTimeout(timer);
      timerDue = dueMs;
      timer = setTimeout(() => { timer = undefined; timerDue = Infinity; apply(core.timerFired(Date.now())); }, Math.max(0, dueMs - Date.now()));
    },
    onAck: (linkId, tag) => {
      const k = `${linkId}:${tag}`;
      const t0 = receivedAt.get(k);
      if (t0 === undefined) return;
      receivedAt.delete(k);
      ackLatencyMs.push(performance.now() - t0);
      if (ackLatencyMs.length > 100_000) ackLatencyMs.splice(0, 50_000);
    },
  });

  /** Performs the actions of one core decision and logs its reason. */
  function apply(decision: Decision, context: Record<string, unknown> = {}): void {
    reasons.push(decision.reason.code);
    try { feed.publish(feedOfDecision(decision, context, links)); } catch { /* the feed never changes what hax does */ }
    if (reasons.length > 20_000) reasons.splice(0, 10_000);
    performer.apply(decision, context, coreLog);
  }

  function onShimEvents(events: ShimEvent[]): void {
    for (const ev of events) {
      try { onShimEvent(ev); } catch (error) {
        log.log('error', 'handling a shim event failed', { event: ev.type, error: (error as Error).message });
      }
    }
  }

  function onShimEvent(ev: ShimEvent): void {
    if (ev.type !== 'received' && ev.type !== 'entrypoint') {
      try {
        const sentAt = ev.type === 'delivered' ? links.get(ev.linkId)?.pending.get(ev.tag) : undefined;   // before the table forgets it
        const rec = feedOfShimEvent(ev, links, sentAt === undefined ? undefined : Date.now() - sentAt);
        if (rec) feed.publish(rec);
      } catch { /* read-only */ }
    }
    switch (ev.type) {
      case 'listening': addresses.push(ev.address); log.log('info', 'HA link listener ready', { address: ev.address }); if (addresses.length === (config.backend === 'motr' ? 1 : config.listen.length)) listeningResolve(); return;
      case 'entrypoint': links.requestArrived(ev.reqId, ev.remote); apply(core.entrypointRequested(ev.reqId, ev.fop, Date.now()), { reqId: ev.reqId, remote: ev.remote, first: ev.first }); return;
      case 'link-connected': case 'link-reused': {
        const remote = links.requestAnswered(ev.reqId) ?? 'unknown';
        links.connected(ev.linkId, ev.processFid, remote);
        log.log('info', ev.type === 'link-connected' ? 'link connected' : 'link reused', { linkId: ev.linkId, process: formatFid(ev.processFid), remote });
        return;
      }
      case 'link-absent': log.log('info', 'link absent: the process was declared dead before; it must restart', { reqId: ev.reqId, remote: links.requestAnswered(ev.reqId) }); return;
      case 'received': if (receivedAt.size < 100_000) receivedAt.set(`${ev.linkId}:${ev.tag}`, performance.now()); metrics.messages.inc({ type: msgType(ev.msg) }); apply(core.messageReceived(ev.linkId, ev.tag, ev.msg), { linkId: ev.linkId, tag: ev.tag, type: msgType(ev.msg) }); return;
      case 'delivered': case 'not-delivered': {
        const latency = links.confirmed(ev.linkId, ev.tag, ev.type === 'delivered', Date.now());
        if (latency !== undefined) metrics.deliveryLatency.observe(latency / 1000);
        performer.confirmed(ev.linkId, ev.tag);
        log.log('debug', ev.type, { linkId: ev.linkId, tag: ev.tag, latencyMs: latency });
        return;
      }
      case 'disconnecting': {
        links.stopSending(ev.linkId);
        performer.disconnect(ev.linkId);   // no-op when hax asked already; libmotr waits for it otherwise
        performer.linkGone(ev.linkId);
        if (ev.code) {   // dropped by a limit: the peer is not keeping up, or is gone
          metrics.errors.inc({ code: ev.code });
          log.log('warn', 'link dropped by a limit', { linkId: ev.linkId, process: formatFid(links.get(ev.linkId)?.processFid ?? { container: 0n, key: 0n }), code: ev.code, error: ev.message });
        } else {
          log.log('info', 'link disconnecting', { linkId: ev.linkId });
        }
        return;
      }
      case 'disconnected': links.disconnected(ev.linkId); performer.linkGone(ev.linkId); log.log('info', 'link disconnected', { linkId: ev.linkId }); return;
      case 'protocol-error': metrics.errors.inc({ code: ev.code }); log.log('warn', 'HA link protocol error; connection closed', { remote: ev.remote, code: ev.code, error: ev.message }); return;
      case 'io-error': log.log('error', 'HA link I/O error', { code: ev.code, errno: ev.errno, error: ev.message }); return;
    }
  }

  apply(core.identitySet(identity.node, identity.processFid, false), { identity: { node: identity.node, consulNode: identity.consulNode, process: formatFid(identity.processFid) } });

  const consulLog = log.child('consul');
  const model = new ModelSource(consul, identity.node, {
    onConf: (index, rows, ci) => { confIndex = ci; apply(core.confLoaded(index, rows), { index, rows: rows.length }); },
    onConfChanged: (index, rows) => apply(core.confChanged(index, rows), { index, rows: rows.length }),
    onProcesses: (index, rows, restarts) => apply(core.processesLoaded(index, rows, restarts), { index, rows: rows.length }),
    onHealth: (index, service, rows) => apply(core.healthViewed(index, service, rows), { index, service, rows: rows.length }),
    onLog: (level, msg, fields) => consulLog.log(level, msg, fields),
  }, ownWrites);
  const view = new ClusterViewSource(consul, {
    onView: (v, why) => apply(core.viewUpdated(v), { why, confds: v.confds.length, rm: v.rm ? formatFid(v.rm.fid) : null }),
    onLog: (level, msg, fields) => consulLog.log(level, msg, fields),
  }, identity.node);
  const bqLog = log.child('bq');
  const bq = new BqConsumer({ consul, core, node: () => identity.node, nodes: () => (confIndex?.nodes ?? []).map((n) => n.name), apply, log: (level, msg, fields) => bqLog.log(level, msg, fields) });

  async function startShim(): Promise<Shim> {
    if (config.backend !== 'motr') return Shim.start({ listen: config.listen, limits: config.haLimits }, onShimEvents);
    if (!Shim.motrAvailable) {
      throw new HaxError('HAX_ERR_MOTR_UNAVAILABLE', 'backend motr: this build of the native shim has no motr backend (build it against libmotr: docs/motr.md)');
    }
    const motr = await resolveMotrOptions(consul, identity, config.motr ?? {});
    log.log('info', 'starting the motr backend (libmotr halon interface); ready once hax\'s own entrypoint is answered', describeMotrOptions(motr));
    return Shim.start({ backend: 'motr', motr }, onShimEvents);
  }

  const api = createHaxApi({ core, links, apply, bq, conf: () => confIndex, node: () => identity.node });
  const shim = await startShim();
  for (const w of addonLoadWarnings()) log.log('warn', w.msg, w.fields); // a library of shim.node replaced signal handlers, or the guard was missing (docs/native.md)

  let http: HttpApp | undefined;
  try {
    await Promise.race([Promise.all([model.start(), view.start(), untilConsul(() => bq.load(), log, options.signal)]), aborted]);
    await Promise.race([listening, aborted]);
    http = createHttpApp({
      handlers: createHandlers({ api, metrics, openapiText: () => http!.openapiText }),
      token: config.http.token, consulUrl: consul.url, bodyLimit: config.http.bodyLimit, feed,
      onResponse: (route, status) => metrics.httpRequests.inc({ route, status: String(status) }),
      onLog: (level, msg, fields) => log.child('http').log(level, msg, fields),
    });
    const httpAddress = await http.listen(config.http.host, config.http.port);
    log.log('info', 'hax ready', { consul: consul.url, node: identity.node, process: formatFid(identity.processFid), haLink: addresses, http: `${httpAddress.address}:${httpAddress.port}` });
    return {
      haLinkAddresses: addresses, httpAddress, links, api, identity, writer, reasons, ackLatencyMs,
      async stop() {
        log.log('info', 'hax stopping');
        apply(core.identitySet(identity.node, identity.processFid, true));   // entrypoints now get the empty reply
        await http?.close();
        await feed.close().catch(() => {});
        await Promise.all([view.stop(), model.stop()]);
        // finish in-flight writes, but never hang on a Consul that is gone
        const drained = await Promise.race([writer.drained().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
        if (!drained) log.log('warn', 'Consul writes still pending at shutdown; their messages stay unacknowledged (Motr re-sends them)', { backlog: writer.backlog });
        await writer.stop();
        clearTimeout(timer);
        await shim.stop();
        log.log('info', 'hax stopped');
      },
    };
  } catch (error) {
    await http?.close().catch(() => {});
    await view.stop().catch(() => {});
    await model.stop().catch(() => {});
    await shim.stop().catch(() => {});
    throw error;
  }
}

/** Retries a start-up read while Consul is unreachable (hax waits for its agent, as the original did). */
async function untilConsul<T>(read: () => Promise<T>, log: Logger, signal: AbortSignal | undefined): Promise<T> {
  for (let failures = 1; ; failures++) {
    try { return await read(); } catch (error) {
      if (signal?.aborted) throw error;
      const delay = backoffMs(failures, Math.random);
      log.log('warn', 'Consul not answering at start-up; retrying', { error: (error as Error).message, retryInMs: delay });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

const MSG_TYPE_NAMES = ['INVALID', 'STOB_IOQ', 'NVEC', 'FAILURE_VEC_REQ', 'FAILURE_VEC_REP', 'KEEPALIVE_REQ', 'KEEPALIVE_REP',
  'EVENT_PROCESS', 'EVENT_SERVICE', 'EVENT_RPC', 'BE_IO_ERR', 'SNS_ERR'];

/** Name of an m0_ha_msg's hed_type (u64 at byte 64), for counting; the core does the real decoding. */
function msgType(msg: Uint8Array): string {
  const t = msg.length >= 72 ? new DataView(msg.buffer, msg.byteOffset, msg.byteLength).getUint32(64, true) : -1;
  return MSG_TYPE_NAMES[t] ?? 'UNKNOWN';
}

export type { Fid };
