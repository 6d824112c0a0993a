// The daemon's composition: builds the parts and wires them into one loop —
// an event in (from the native shim, Consul's watches, hax's own timer),
// core.handle, the decision's actions performed (decision-loop.ts). The core
// decides; the Performer carries out its actions and their results come back
// as events (a Consul txn finished → "acknowledge message N"). The model comes
// from Consul blocking queries (model/model-source.ts, model/cluster-view.ts),
// never from per-request reads. Start-up and shutdown order: lifecycle.ts.
import type { AddressInfo } from 'node:net';
import { ConsulClient } from '../consul/client.ts';
import { CoreHost } from '../core/core-host.ts';
import { ClusterViewSource } from '../model/cluster-view.ts';
import { ModelSource } from '../model/model-source.ts';
import { OwnWrites } from '../consul/own-writes.ts';
import { createHttpApp, type HttpApp } from '../http/server.ts';
import { createHandlers } from '../http/handlers/index.ts';
import { formatFid, type Fid } from '../fid.ts';
import type { Logger } from '../log.ts';
import { HaxError } from '../errors.ts';
import type { Shim } from '../native/binding.ts';
import { haxMetrics } from '../metrics.ts';
import { Feed } from '../debug/feed.ts';
import { LinkTable } from './link-table.ts';
import type { HaxApi } from './api.ts';
import { createHaxApi } from './hax-api.ts';
import { ConsulWriter } from './consul-writer.ts';
import { Performer } from './performer.ts';
import { BqConsumer } from './bq-consumer.ts';
import { nodeNameOf, resolveIdentity, type Identity } from './identity.ts';
import { recordHttpPort, registerOwnServices } from './own-services.ts';
import { HAX_CHECK_TTL_SEC, startCheckHeartbeat, type CheckHeartbeat } from './hax-check.ts';
import { ElectionPerformer, electionRandom } from './election-performer.ts';
import type { HaxConfig } from './hax-config.ts';
import type { RcSeen } from './api.ts';
import { startShim } from './shim-start.ts';
import { DecisionLoop } from './decision-loop.ts';
import { CoreTimer } from './core-timer.ts';
import { AckLatency } from './ack-latency.ts';
import { shimRouter } from './shim-router.ts';
import { abortion, untilConsul, drainWrites, undo } from './lifecycle.ts';
import { passCheck } from './pass-check.ts';

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
  /** Notes held for a link that is behind, not yet sent (performer.ts, link-outbox.ts); 0 for one that is not. */
  heldNotes(linkId: number): number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Aborting gives up a start-up that still waits (e.g. for Consul); startHax then rejects. */
  signal?: AbortSignal;
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
  const core = await CoreHost.load();
  const links = new LinkTable();
  const feed = new Feed();
  const latency = new AckLatency();
  metrics.registry.gauge('hax_links', 'HA links held, by whether hax still sends on them', () => [
    { labels: { active: 'true' }, value: links.active().length },
    { labels: { active: 'false' }, value: links.all().length - links.active().length },
  ]);
  // read at scrape time only, once the performer below exists
  metrics.registry.gauge('hax_held_notes', 'Notes of broadcasts held for links that are behind, to be sent merged as they confirm', () => performer.heldNotes());
  const identity = await Promise.race([untilConsul(async () => {
    // this node's services on its own agent first: the hax service names this hax's process fid
    await registerOwnServices(consul, nodeNameOf(await consul.agent.nodeName(), config.node), (level, msg, fields) => log.log(level, msg, fields));
    return resolveIdentity(consul, { node: config.node, processFid: config.processFid });
  }, log, options.signal), aborted]);
  if (!identity.found) log.log('warn', 'no catalog service `hax` on this node; running without a process fid of its own', { node: identity.node });

  // the loop and what performs its actions
  const ownWrites = new OwnWrites(() => writer.backlog > 0);   // the model watches skip re-reads that only hax's own writes caused
  const writer = new ConsulWriter(consul, {
    onDone: (job, ok, index) => { if (ok && index !== undefined) ownWrites.record(index); loop.handle({ type: 'consul-replied', opId: job.opId, ok, index }, { opId: job.opId }); },
    onRetry: (error, retryInMs, backlog) => log.log('warn', 'Consul write failed; retrying', { error: error.message, retryInMs, backlog }),
    onRefused: (job, error) => log.log('error', error.message, { code: error.code, opId: job.opId }),
  }, config.writeMode ?? 'txn');
  const timer = new CoreTimer((nowMs) => loop.handle({ type: 'timer-fired', nowMs }));
  let shim: Shim | undefined;
  const startedShim = (): Shim => {
    if (!shim) throw new HaxError('HAX_ERR_SHIM_NOT_STARTED', 'a link action came before the HA-link shim started (the core acts on links only after they exist: a bug)');
    return shim;
  };
  const performer = new Performer({
    shim: startedShim, links, writer, log, metrics, haxFid: () => identity.processFid, deliveryTimeoutMs: config.deliveryTimeoutMs,
    onTimer: (dueMs) => timer.arm(dueMs),
    onElection: (action) => election.perform(action),
    onPassCheck: (checkId, note) => passCheck(consul, checkId, note, log),
    onAck: (linkId, tag) => latency.acknowledged(linkId, tag),
    encodeNvecSet: (notes) => core.encodeNvecSet(notes),
    maxUnconfirmed: config.haLimits?.maxUnconfirmed, linkStallMs: config.linkStallMs,
  });
  const election = new ElectionPerformer(consul, (event) => loop.handle(event), log.child('election'));
  const loop = new DecisionLoop({ core, performer, feed, metrics, log: log.child('core') });
  const perform = (decision: Parameters<DecisionLoop['perform']>[0], fields?: Record<string, unknown>) => loop.perform(decision, fields);

  loop.handle({ type: 'identity-set', node: identity.node, process: identity.processFid, stopping: false },
    { identity: { node: identity.node, consulNode: identity.consulNode, process: formatFid(identity.processFid) } });

  // Consul → core: the model and the view
  const consulLog = log.child('consul');
  const model = new ModelSource(consul, identity.node, {
    onConf: (index, rows) => loop.handle({ type: 'conf-loaded', index, rows }, { index, rows: rows.length }),
    onConfChanged: (index, rows) => perform(core.confChanged(index, rows), { index, rows: rows.length }),
    onProcesses: (index, rows, restarts) => loop.handle({ type: 'processes-loaded', index, rows, restarts }, { index, rows: rows.length }),
    onHealth: (index, service, rows) => loop.handle({ type: 'health-viewed', index, service, rows }, { index, service, rows: rows.length }),
    onLog: (level, msg, fields) => consulLog.log(level, msg, fields),
  }, ownWrites);
  // the RC as last seen, for GET /v1/cluster/status (set before the core's input: the status is cached per input)
  const rc: RcSeen = { node: null, rm: null };
  const view = new ClusterViewSource(consul, {
    onView: (v, why) => {
      rc.rm = v.rm ? { fid: formatFid(v.rm.fid), endpoint: v.rm.endpoint } : null;
      loop.handle({ type: 'view-updated', view: v }, { why, confds: v.confds.length, rm: rc.rm?.fid ?? null });
    },
    onLeader: (value, session) => {
      rc.node = session ? value.trim() || null : null;
      loop.handle({ type: 'leader-observed', value, session, nowMs: Date.now(), random: electionRandom() });
    },
    onLog: (level, msg, fields) => consulLog.log(level, msg, fields),
  }, identity.node);
  const bqLog = log.child('bq');
  const bq = new BqConsumer({ consul, core, apply: perform, written: () => writer.drained(), log: (level, msg, fields) => bqLog.log(level, msg, fields) });
  const api: HaxApi = createHaxApi({ core, links, apply: perform, bq, node: () => identity.node, rc: () => rc, heldNotes: (linkId) => performer.heldNotes(linkId) });

  // Motr → core: the shim
  const addresses: string[] = [];
  const wanted = config.backend === 'motr' ? 1 : config.listen.length;
  let listeningResolve!: () => void;
  const listening = new Promise<void>((r) => { listeningResolve = r; });
  const onShimEvents = shimRouter({
    loop, links, performer, latency, feed, metrics, log,
    onListening: (address) => { addresses.push(address); if (addresses.length === wanted) listeningResolve(); },
  });

  let http: HttpApp | undefined;
  let heartbeat: CheckHeartbeat | undefined;
  try {
    // The model first, then the links: the core answers no entrypoint before
    // it knows the conf tree (until then it answers QUERY, as for an empty
    // cluster), and nothing depends on which comes first.
    await Promise.race([Promise.all([model.start(), view.start(), untilConsul(() => bq.load(), log, options.signal)]), aborted]);
    shim = await startShim(config, consul, identity, log, onShimEvents);
    await Promise.race([listening, aborted]);
    http = createHttpApp({
      handlers: createHandlers({ api, metrics, openapiText: () => http!.openapiText }),
      token: config.http.token, consulUrl: consul.url, bodyLimit: config.http.bodyLimit, feed,
      onResponse: (route, status) => metrics.httpRequests.inc({ route, status: String(status) }),
      onLog: (level, msg, fields) => log.child('http').log(level, msg, fields),
    });
    const httpAddress = await http.listen(config.http.host, config.http.port);
    const checkTtlSec = config.checkTtlSec ?? HAX_CHECK_TTL_SEC;
    const ownCheck = await untilConsul(() => recordHttpPort(consul, identity.node, identity.found ? String(identity.processFid.key) : undefined, httpAddress.port, checkTtlSec),
      log, options.signal);
    heartbeat = ownCheck ? startCheckHeartbeat(consul, ownCheck, checkTtlSec, log) : undefined;
    log.log('info', 'hax ready', { consul: consul.url, node: identity.node, process: formatFid(identity.processFid), haLink: addresses, http: `${httpAddress.address}:${httpAddress.port}` });
    return {
      haLinkAddresses: addresses, httpAddress, links, api, identity, writer, reasons: loop.reasons, ackLatencyMs: latency.samplesMs,
      heldNotes: (linkId: number) => performer.heldNotes(linkId),
      async stop() {
        // in order: stop taking work, finish what is in flight, tell Motr, stop the shim
        log.log('info', 'hax stopping');
        heartbeat?.stop();
        loop.handle({ type: 'identity-set', node: identity.node, process: identity.processFid, stopping: true });   // entrypoints now get the empty reply
        await http?.close();
        await feed.close().catch(() => {});
        await Promise.all([view.stop(), model.stop(), election.stop()]);
        await drainWrites(writer, log);
        timer.stop();
        await shim?.stop();
        log.log('info', 'hax stopped');
      },
    };
  } catch (error) {
    heartbeat?.stop();
    await undo([() => http?.close(), () => view.stop(), () => model.stop(), () => election.stop(), () => shim?.stop()]);
    timer.stop();
    throw error;
  }
}

export type { Fid, HaxConfig };
