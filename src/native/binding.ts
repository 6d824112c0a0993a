// The only file that touches the native addon (build/native/Release/shim.node).
// It declares the whole addon surface and wraps it in a typed class. The
// addon is loaded lazily so that importing this module (typecheck, tools)
// does not require a build, and through signal-guard.ts, which keeps the
// signal handlers of its libraries from replacing Node's.
import { fileURLToPath } from 'node:url';
import type { Fid } from '../fid.ts';
import type { LinkPlan, LinkIds } from '../core/core-host.ts';
import { guardWarnings, loadGuarded, type GuardReport } from './signal-guard.ts';
import { NativeError } from '../errors.ts';

export interface ShimOptions {
  /** socket backend: tcp:HOST:PORT / unix:PATH addresses to listen on. */
  listen?: string[];
  queueLimit?: number; /* events, default 1024 */
  /** 'socket' (default): the shim's own transport; 'motr': libmotr's halon interface (only if motrAvailable). */
  backend?: 'socket' | 'motr';
  /** backend 'motr': what m0_halon_interface_init/start need (motr-ha-wire.md §1.2). */
  motr?: MotrOptions;
  /** backend 'socket': what peers may make hax hold (native/src/link_limits.h; docs/operations.md, "Limits"). */
  limits?: Partial<LinkLimits>;
}

export interface LinkLimits {
  /** Links held at once; beyond it an entrypoint is answered QUERY without a link. Default 4096. */
  maxLinks: number;
  /** Unconfirmed messages hax sent on one link; beyond it the link is dropped. Default 1024. */
  maxUnconfirmed: number;
  /** Their bytes, per link. Default 8 MiB. */
  maxUnconfirmedBytes: number;
  /** Unconfirmed bytes over all links; beyond it the link holding most is dropped. Default 128 MiB. */
  maxUnconfirmedBytesTotal: number;
  /** How long a link whose peer has no connection open is kept. Default 60000. */
  orphanGraceMs: number;
  /** How long a half-received frame may wait for the rest before its connection is closed. Default 10000. */
  partialFrameMs: number;
  /** Reply bytes a peer may leave unread before its connection is closed. Default 4 MiB. */
  maxOutputBytes: number;
}

export interface MotrOptions {
  endpoint: string;      // local RPC endpoint, e.g. inet:tcp:127.0.0.1@22001
  processFid: Fid;       // hax's own process fid
  haServiceFid: Fid;
  rmServiceFid: Fid;
  nodeUuid?: string;
}

export type ShimEvent =
  /** cookie: the shim's cookie, 40 bytes (socket backend; empty with motr), for the core's link decision. */
  | { type: 'listening'; address: string; cookie: Uint8Array }
  /** fop: the request exactly as received; the core decodes it. */
  | { type: 'entrypoint'; reqId: number; remote: string; fop: Uint8Array }
  /** ids: hax's side of the link's ids (socket backend; zero with motr). */
  | { type: 'link-connected' | 'link-reused'; reqId: number; linkId: number; processFid: Fid; ids: LinkIds }
  | { type: 'link-absent'; reqId: number }
  | { type: 'received'; linkId: number; tag: number; msg: Uint8Array }
  | { type: 'delivered' | 'not-delivered'; linkId: number; tag: number }
  /** code/message: the link was dropped by a limit (LinkLimits), and why. */
  | { type: 'disconnecting' | 'disconnected'; linkId: number; code?: string; message?: string }
  | { type: 'protocol-error'; remote: string; code: string; message: string }
  | { type: 'io-error'; code: string; errno: number; message: string };

export interface Confd {
  fid: Fid;
  endpoint: string;
}

export interface ShimStats {
  connections: number;
  links: number;
  queuedEvents: number;
  protocolErrors: number;
  /** Times accept() failed (e.g. EMFILE) and the listener paused for 100 ms instead of spinning. */
  acceptPauses: number;
}

// ---- raw addon surface -------------------------------------------------

export interface U128 { hi: bigint; lo: bigint }
export interface LinkTags { confirmed: bigint; delivered: bigint; next: bigint; assign: bigint }
export interface LinkParams {
  idLocal: U128; idRemote: U128; idConnection: U128; tagsLocal: LinkTags; tagsRemote: LinkTags;
}
export interface HaCookie { pid: bigint; timeStart: bigint; uptime: bigint; uuid: U128 }
export interface EntrypointRepFields {
  quorum: number;
  confds: Confd[];
  rmFid: Fid;
  rmEndpoint: string;
  control: number;
  linkParams: LinkParams;
  doReconnect: bigint | number;
  disconnectedPreviously: number;
  cookie: HaCookie;
}

interface NativeShim {
  entrypointReply(reqId: number, rc: number, confds: Confd[], quorum: number, rmFid: Fid, rmEndpoint: string, link: LinkPlan): void;
  send(linkId: number, msg: Uint8Array): number;
  delivered(linkId: number, tag: number): void;
  disconnect(linkId: number): void;
  stats(): ShimStats;
  stop(): Promise<void>;
  ref(): void;
  unref(): void;
}

export interface NativeAddon {
  Shim: new (options: ShimOptions, onEvents: (events: ShimEvent[]) => void) => NativeShim;
  /** Codec helpers (pure): the shim's own encoders, for tests against golden bytes. */
  encodeEntrypointRep(fields: EntrypointRepFields): Uint8Array;
  haMsgWireSize(hedType: number | bigint): number | null;
  /** sd_notify(3): one datagram to socketPath (default: the C environment's NOTIFY_SOCKET). */
  notify(state: string, socketPath?: string): boolean;
  napiVersion: number;
  /** True when this build has the motr backend (CMake found libmotr; HAX_WITH_MOTR). */
  motrAvailable: boolean;
}

export const ADDON_PATH = fileURLToPath(new URL('../../build/native/Release/shim.node', import.meta.url));

let addon: NativeAddon | undefined;
let loadReport: GuardReport | undefined;

/**
 * Loads the addon once, through the signal guard (signal-guard.ts: libraries
 * it pulls in, e.g. libmotr's libinfinipath, may replace Node's signal
 * handlers); throws an Error with code HAX_ERR_NATIVE_LOAD when it is missing.
 */
export function loadAddon(): NativeAddon {
  if (addon) return addon;
  try {
    const { module, ...report } = loadGuarded<NativeAddon>(ADDON_PATH);
    addon = module;
    loadReport = report;
  } catch (cause) {
    throw new NativeError('HAX_ERR_NATIVE_LOAD', `cannot load native shim ${ADDON_PATH} (run npm run build:native)`, { cause });
  }
  return addon;
}

/** What loading the addon did to signal handlers; undefined until loadAddon() succeeded. */
export function addonLoadReport(): GuardReport | undefined {
  return loadReport;
}

/** Log lines (level warn) about that load: none when the guard ran and no handler was replaced. */
export function addonLoadWarnings(): { msg: string; fields: Record<string, unknown> }[] {
  return loadReport ? guardWarnings(loadReport) : [];
}

/**
 * systemd notification (sd_notify(3)): sends `state` (e.g. "READY=1",
 * "STOPPING=1", "STATUS=...") as one datagram to $NOTIFY_SOCKET (a path, or
 * an abstract socket when it starts with '@'). Returns false when
 * NOTIFY_SOCKET is unset (not started by systemd); throws an Error with code
 * HAX_ERR_NOTIFY when it is set but malformed or the send fails. Reads
 * process.env, so a worker thread's env is honoured too.
 */
export function sdNotify(state: string): boolean {
  const socket = process.env.NOTIFY_SOCKET;
  if (!socket) return false;
  return native(() => loadAddon().notify(state, socket));
}

/**
 * Runs an addon call; an Error it throws (with `.code`, native/src/js_values.cc)
 * becomes a NativeError with the same code. HAX_ERR_NATIVE is the code of a
 * throw that carries none (a bug in the shim).
 */
function native<T>(call: () => T): T {
  try { return call(); } catch (error) { throw NativeError.from(error, 'HAX_ERR_NATIVE'); }
}

// ---- typed wrapper -------------------------------------------------------

/**
 * The HA-link shim: listens for Motr peers, runs the link layer on its own
 * I/O thread, and reports everything as batches of ShimEvent. Errors thrown
 * by methods are NativeErrors with a code (HAX_ERR_*, docs/errors.md).
 */
export class Shim {
  private constructor(private readonly native: NativeShim) {}

  /** True when this build of the addon has the motr backend. */
  static get motrAvailable(): boolean { return loadAddon().motrAvailable; }

  /** Throws a NativeError (HAX_ERR_BAD_OPTIONS, HAX_ERR_LISTEN, ...) on bad options. */
  static start(options: ShimOptions, onEvents: (events: ShimEvent[]) => void): Shim {
    const addon = loadAddon();
    return new Shim(native(() => new addon.Shim(options, onEvents)));
  }

  /** `link` is the core's link plan for this reply (CoreAction reply-entrypoint): the shim performs it. */
  entrypointReply(reqId: number, rc: number, confds: Confd[], quorum: number, rmFid: Fid, rmEndpoint: string, link: LinkPlan): void {
    native(() => this.native.entrypointReply(reqId, rc, confds, quorum, rmFid, rmEndpoint, link));
  }

  /** Queues one m0_ha_msg; returns the odd tag assigned (written into hm_tag). */
  send(linkId: number, msg: Uint8Array): number {
    return native(() => this.native.send(linkId, msg));
  }

  delivered(linkId: number, tag: number): void {
    native(() => this.native.delivered(linkId, tag));
  }

  disconnect(linkId: number): void {
    native(() => this.native.disconnect(linkId));
  }

  stats(): ShimStats {
    return this.native.stats();
  }

  /** Closes everything, reports not-delivered/disconnected, joins the I/O thread. */
  stop(): Promise<void> {
    return this.native.stop().catch((error: unknown) => { throw NativeError.from(error, 'HAX_ERR_NATIVE'); });
  }

  /** Addition: by default a started shim keeps Node alive; unref() lets it exit while idle. */
  unref(): void {
    this.native.unref();
  }

  ref(): void {
    this.native.ref();
  }
}
