// What the daemon offers the HTTP layer: one method per thing an HTTP route
// asks of hax. Handlers validate and translate; the daemon (and its core)
// decides. Types come from openapi/openapi.yaml.
import type { components, operations } from '../generated/api.d.ts';
import type { Fid } from '../fid.ts';

type S = components['schemas'];
export type BroadcastResult = S['BroadcastResult'];
export type QueueResult = S['QueueResult'];
export type ClusterStatus = S['ClusterStatus'];
/** The RC and its principal RM as the daemon's Consul watches last saw them (ClusterStatus.rc). */
export type RcSeen = NonNullable<ClusterStatus['rc']>;
export type Note = S['Note'];
export type LinkView = S['Link'];
export type KvWatchEntry = S['KvWatchEntry'];
export type ServiceHealthPayload = operations['postServiceHealth']['requestBody']['content']['application/json'];

export interface HaxApi {
  /** POST / — a Consul service (or checks) watch payload; null when the service has no instances. */
  serviceHealth(payload: ServiceHealthPayload, consulIndex: number | undefined): Promise<BroadcastResult>;
  /** POST /watcher/bq — every key under bq/ (keyprefix watch payload). */
  broadcastQueue(entries: KvWatchEntry[] | null, consulIndex: number | undefined): Promise<QueueResult>;
  /** POST /watcher/processes — one processes/<fid> key (key watch payload). */
  processKey(entry: KvWatchEntry | null, consulIndex: number | undefined): Promise<BroadcastResult>;
  /** GET /v1/cluster/status */
  clusterStatus(): ClusterStatus;
  /** GET /api/v1/states — the states hax would answer an NVEC GET with, in order. */
  states(fids: Fid[]): Note[];
  /** GET /api/v1/links */
  links(): LinkView[];
}
