// What `hax run` (src/cli/run.ts), the demo and the tests configure a daemon
// with. Defaults are applied where each value is used.
import type { LinkLimits } from '../native/binding.ts';
import type { WriteMode } from './consul-writer.ts';
import type { MotrFlags } from './motr-options.ts';

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
  /** TTL of hax's own Consul check, which it passes every third of it while it runs (default 10 s, hax-check.ts). */
  checkTtlSec?: number;
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
  /**
   * How long a link handed more than max-unconfirmed messages since its last
   * confirmation may confirm nothing before it is dropped (default 10 s,
   * performer.ts LINK_STALL_MS; tests shorten it).
   */
  linkStallMs?: number;
}
