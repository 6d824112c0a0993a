// The HTTP layer's bounds and the operator's settings for them (hax run's
// flags). docs/operations.md, "Limits", lists each with its default, its flag
// and what a client that hits it sees.
//
// `hax run` hands its flags over with configureHttp() before the daemon
// starts; createHttpApp() takes its own options first, then these, then the
// defaults. (The daemon forwards only the token and the body limit of its
// configuration to the HTTP layer.)
import { ConfigError } from '../errors.ts';
import { isIP } from 'node:net';

const KiB = 1024;
const MiB = 1024 * KiB;

export const HTTP_LIMITS = {
  /**
   * Largest request body. Consul's service watch for every service of a
   * 1,000-node cluster (4,000 instances, each with its node check) POSTs
   * 3.6 MiB of compact JSON (7.5 MiB as the dev agent's indented API prints
   * it): 16 MiB leaves four times the room.
   */
  bodyLimit: 16 * MiB,
  /** Hard ceiling of --http-body-limit. */
  bodyLimitMax: 64 * MiB,
  /**
   * Bodies up to this size and this many JSON values (the scan counts them
   * first) are decoded on the event loop, ~25 ms at most; others in the
   * body worker thread. A 1,000-entry watch payload (1.2 MiB, 86,000 values)
   * stays on the loop, where it costs less than the trip to the worker.
   */
  inlineBodyLimit: 2 * MiB,
  inlineValues: 100_000,
  /** ... and no object of more members than this (Consul's have a dozen; a wide one is slow to build). */
  inlineWidestObject: 1000,
  /**
   * ASCII bodies up to this size are first read on the event loop in one
   * pass that builds only what the route's schema declares
   * (body-projector.ts): ~4 ms a MiB, so a 1,000-node watch payload (3.6 MiB
   * compact, 4.9 MiB with every check's Definition) costs the loop less than
   * JSON.parse of it would, and less than the trip to the worker. A body
   * that pass declines is decoded as above (on the loop when small, else in
   * the worker), which gives the refusal when there is one.
   */
  projectOnLoopLimit: 6 * MiB,
  /**
   * ... and that pass reads at most this many JSON values (the 1,000-node
   * payload with Definitions: 336,000) and builds at most this many of the
   * projection (that payload: ~60,000); past either it declines. Bytes alone do not bound the loop's time: 6 MiB of
   * tiny objects or of tiny checks would cost it over 100 ms.
   */
  projectOnLoopValues: 700_000,
  projectOnLoopBuilt: 150_000,
  /** Bodies read or parsed at once; one more is answered 503 with Retry-After. */
  maxBodies: 8,
  /** JSON nesting depth (Consul's payloads nest 5 deep). */
  maxDepth: 64,
  /** One JSON value (array element or object member) per this many bytes of the body limit, at most. */
  bytesPerValue: 8,
  /** Seconds a 503 asks the client to wait (Retry-After). */
  retryAfterSec: 1,
  /** Whole request (headers and body) must arrive within this. */
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  /** Request line and headers together (Node's default, set explicitly). */
  maxHeaderSize: 16 * KiB,
  /** Heap of the body worker thread; a body that needs more is refused (413), the worker restarts. */
  workerHeapMb: 256,
} as const;

/** What an operator can set with hax run's flags. */
export interface HttpSettings {
  bodyLimit?: number;
  maxBodies?: number;
  /** Extra names (optionally name:port) that Host and Origin may carry, for a DNS name or a reverse proxy. */
  allowedHosts?: string[];
  /** With a token: require it on reads too (every route but GET /, the feed and the Consul proxy included). */
  tokenOnReads?: boolean;
}

const settings: HttpSettings = {};

/** Process-wide settings (hax run's flags); later calls override the fields they name. */
export function configureHttp(s: HttpSettings): void {
  for (const [k, v] of Object.entries(s)) (settings as Record<string, unknown>)[k] = v;
}
export function httpSettings(): Readonly<HttpSettings> { return settings; }

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** "16MiB", "512KiB", "1048576" → bytes, from 1 KiB to `max`. */
export function parseByteSize(flag: string, text: string, max: number): number {
  const m = /^(\d{1,12})\s*(|B|KiB|MiB|K|M)$/i.exec(text.trim());
  const unit = m ? ({ '': 1, b: 1, kib: KiB, k: KiB, mib: MiB, m: MiB } as Record<string, number>)[m[2].toLowerCase()] : undefined;
  const bytes = m && unit ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < KiB || bytes > max) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', `${flag} "${text}" must be a size from 1KiB to ${max / MiB}MiB (e.g. 16MiB, 512KiB or bytes)`);
  }
  return bytes;
}

/** A DNS name or address, optionally with :PORT, as --http-allowed-host takes it. */
export function parseAllowedHost(text: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(text);
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--http-allowed-host "${text}" is not a host name or address with an optional :PORT (e.g. hax.node1.example or hax.node1.example:443)`);
  }
  return text.toLowerCase();
}
