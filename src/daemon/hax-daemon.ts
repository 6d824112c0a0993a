// The daemon: wires the native shim, the wasm core, Consul and the HTTP
// layer together. The core decides; this file performs its actions and feeds
// their results back (a Consul write finished → "acknowledge message N").
import type { AddressInfo } from 'node:net';
import { ConsulClient } from '../consul/client.ts';
import { CoreHost, type CoreAction, type Decision } from '../core/core-host.ts';
import { Shim, type ShimEvent } from '../native/binding.ts';
import { ClusterViewSource } from '../model/cluster-view.ts';
import { createHttpApp, type HttpApp } from '../http/server.ts';
import { createHandlers } from '../http/handlers/index.ts';
import { formatFid } from '../fid.ts';
import type { Logger } from '../log.ts';
import { HaxError } from '../errors.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { LinkTable } from './link-table.ts';
import { backoffMs } from '../consul/blocking.ts';
import { haxMetrics } from '../metrics.ts';
import type { HaxApi } from './api.ts';
import { createHaxApi } from './hax-api.ts';

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
}

export interface RunningHax {
  readonly haLinkAddresses: string[];
  readonly httpAddress: AddressInfo;
  readonly links: LinkTable;
  readonly api: HaxApi;
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
  const core = await CoreHost.load();
  const links = new LinkTable();
  const writes = new KeyedQueue();
  let stopping = false;
  const addresses: string[] = [];
  let listeningResolve!: () => void;
  const listening = new Promise<void>((r) => { listeningResolve = r; });
  const coreLog = log.child('core');
  metrics.registry.gauge('hax_links', 'HA links held, by whether hax still sends on them', () => [
    { labels: { active: 'true' }, value: links.active().length },
    { labels: { active: 'false' }, value: links.all().length - links.active().length },
  ]);

  /** Performs the actions of one core decision and logs its reason. */
  function apply(decision: Decision, context: Record<string, unknown> = {}): void {
    coreLog.log('info', decision.reason.text, { reason: decision.reason.code, ...context, actions: decision.actions.map((a) => a.kind) });
    for (const action of decision.actions) perform(action);
  }

  function perform(action: CoreAction): void {
    switch (action.kind) {
      case 'reply-entrypoint': {
        links.requestAnswered(action.reqId);
        shim.entrypointReply(action.reqId, action.rc, action.confds, action.quorum, action.rmFid, action.rmEndpoint);
        return;
      }
      case 'acknowledge':
        shim.delivered(action.linkId, action.tag);
        return;
      case 'broadcast': {
        metrics.broadcastNotes.inc({}, action.notes.length);
        for (const link of links.active()) {
          try {
            const tag = shim.send(link.linkId, action.msg);
            links.sent(link.linkId, tag, Date.now());
            metrics.broadcasts.inc();
          } catch (error) {
            log.log('warn', 'broadcast to a link failed', { linkId: link.linkId, process: formatFid(link.processFid), error: (error as Error).message });
          }
        }
        return;
      }
      case 'consul-put': {
        void writes.run(action.key, () => putDurably(action.opId, action.key, action.value));
        return;
      }
    }
  }

  /** Retries a KV write with backoff until it lands or hax stops; then tells the core. */
  async function putDurably(opId: number, key: string, value: string): Promise<void> {
    for (let failures = 1; ; failures++) {
      try {
        const ok = await consul.kv.put(key, value);
        apply(core.consulReplied(opId, ok), { opId, key });
        return;
      } catch (error) {
        if (stopping) { apply(core.consulReplied(opId, false), { opId, key }); return; }
        const delay = backoffMs(failures, Math.random);
        log.log('warn', 'Consul write failed; retrying', { key, error: (error as Error).message, retryInMs: delay });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  function onShimEvents(events: ShimEvent[]): void {
    for (const ev of events) {
      try { onShimEvent(ev); } catch (error) {
        log.log('error', 'handling a shim event failed', { event: ev.type, error: (error as Error).message });
      }
    }
  }

  function onShimEvent(ev: ShimEvent): void {
    switch (ev.type) {
      case 'listening': addresses.push(ev.address); log.log('info', 'HA link listener ready', { address: ev.address }); if (addresses.length === config.listen.length) listeningResolve(); return;
      case 'entrypoint': links.requestArrived(ev.reqId, ev.remote); apply(core.entrypointRequested(ev.reqId, ev.fop), { reqId: ev.reqId, remote: ev.remote, first: ev.first }); return;
      case 'link-connected': case 'link-reused': {
        const remote = links.requestAnswered(ev.reqId) ?? 'unknown';
        links.connected(ev.linkId, ev.processFid, remote);
        log.log('info', ev.type === 'link-connected' ? 'link connected' : 'link reused', { linkId: ev.linkId, process: formatFid(ev.processFid), remote });
        return;
      }
      case 'link-absent': log.log('info', 'link absent: the process was declared dead before; it must restart', { reqId: ev.reqId }); return;
      case 'received': metrics.messages.inc({ type: msgType(ev.msg) }); apply(core.messageReceived(ev.linkId, ev.tag, ev.msg), { linkId: ev.linkId, tag: ev.tag }); return;
      case 'delivered': case 'not-delivered': {
        const latency = links.confirmed(ev.linkId, ev.tag, ev.type === 'delivered', Date.now());
        if (latency !== undefined) metrics.deliveryLatency.observe(latency / 1000);
        log.log('debug', ev.type, { linkId: ev.linkId, tag: ev.tag, latencyMs: latency });
        return;
      }
      case 'disconnecting': links.disconnecting(ev.linkId); shim.disconnect(ev.linkId); log.log('info', 'link disconnecting', { linkId: ev.linkId }); return;
      case 'disconnected': links.disconnected(ev.linkId); log.log('info', 'link disconnected', { linkId: ev.linkId }); return;
      case 'protocol-error': metrics.errors.inc({ code: ev.code }); log.log('warn', 'HA link protocol error; connection closed', { remote: ev.remote, code: ev.code, error: ev.message }); return;
      case 'io-error': log.log('error', 'HA link I/O error', { code: ev.code, errno: ev.errno, error: ev.message }); return;
    }
  }

  const shim = Shim.start({ listen: config.listen }, onShimEvents);

  const view = new ClusterViewSource(consul, {
    onView: (v, why) => apply(core.viewUpdated(v), { why, confds: v.confds.length, rm: v.rm ? formatFid(v.rm.fid) : null }),
    onLog: (level, msg, fields) => log.child('consul').log(level, msg, fields),
  });

  const api = createHaxApi({ core, links, apply });

  let http: HttpApp | undefined;
  try {
    const aborted = abortion(options.signal);
    aborted.catch(() => {});
    await Promise.race([view.start(), aborted]);
    await Promise.race([listening, aborted]);
    http = createHttpApp({
      handlers: createHandlers({ api, metrics, openapiText: () => http!.openapiText }),
      token: config.http.token, consulUrl: consul.url, bodyLimit: config.http.bodyLimit,
      onResponse: (route, status) => metrics.httpRequests.inc({ route, status: String(status) }),
      onLog: (level, msg, fields) => log.child('http').log(level, msg, fields),
    });
    const httpAddress = await http.listen(config.http.host, config.http.port);
    log.log('info', 'hax ready', { consul: consul.url, haLink: addresses, http: `${httpAddress.address}:${httpAddress.port}` });
    return {
      haLinkAddresses: addresses, httpAddress, links, api,
      async stop() {
        stopping = true;
        log.log('info', 'hax stopping');
        await http?.close();
        await view.stop();
        await writes.idle();
        await shim.stop();
        log.log('info', 'hax stopped');
      },
    };
  } catch (error) {
    stopping = true;
    await http?.close().catch(() => {});
    await view.stop().catch(() => {});
    await shim.stop().catch(() => {});
    throw error;
  }
}

const MSG_TYPE_NAMES = ['INVALID', 'STOB_IOQ', 'NVEC', 'FAILURE_VEC_REQ', 'FAILURE_VEC_REP', 'KEEPALIVE_REQ', 'KEEPALIVE_REP',
  'EVENT_PROCESS', 'EVENT_SERVICE', 'EVENT_RPC', 'BE_IO_ERR', 'SNS_ERR'];

/** Name of an m0_ha_msg's hed_type (u64 at byte 64), for counting; the core does the real decoding. */
function msgType(msg: Uint8Array): string {
  const t = msg.length >= 72 ? new DataView(msg.buffer, msg.byteOffset, msg.byteLength).getUint32(64, true) : -1;
  return MSG_TYPE_NAMES[t] ?? 'UNKNOWN';
}
